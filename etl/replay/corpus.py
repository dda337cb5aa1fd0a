"""PubMed records held in memory, indexed by PMID and dates, for the replay server to answer from.

The corpus is loaded from efetch or baseline/update XML files, so the replay server serves the
exact bytes PubMed sent, and it can be edited while the server runs so tests can simulate upstream
deletions and revisions.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, cast

from lxml import etree

from etl.replay.synthetic import synthetic_records

DateRange = tuple[date, date]

_ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}


class CorpusError(ValueError):
    """A corpus file cannot be read: not well-formed, or a record without PMID or dates (or, in
    a study corpus, a study without an NCT id)."""


@dataclass(frozen=True, slots=True)
class Record:
    """One PubMed record as served: its serialized XML and the two dates PubMed searches by."""

    pmid: str
    xml: bytes
    crdt: date
    mdat: date


class Corpus:
    """Thread-safe PMID -> record store with date-window search ordered like PubMed's."""

    def __init__(self, records: Iterable[Record] = ()) -> None:
        self._lock = threading.RLock()
        self._records: dict[str, Record] = {r.pmid: r for r in records}
        self._deleted: set[str] = set()
        self._order: list[Record] | None = None

    @classmethod
    def from_paths(cls, paths: Iterable[Path | str]) -> Corpus:
        """Load efetch or baseline/update files (``.xml`` or ``.xml.gz``) in the order given."""
        corpus = cls()
        for path in paths:
            corpus.load(Path(path))
        return corpus

    @classmethod
    def synthetic(cls, n: int, start: date, end: date, first_pmid: int = 40_000_000) -> Corpus:
        """Generate ``n`` valid records with crdt spread evenly over [start, end] (scale tests)."""
        return cls(Record(p, x, d, d) for p, x, d in synthetic_records(n, start, end, first_pmid))

    def copy(self) -> Corpus:
        """An independent corpus with the same records, for a test that edits one."""
        with self._lock:
            clone = Corpus(self._records.values())
            clone._deleted = set(self._deleted)
            return clone

    def load(self, path: Path) -> None:
        """Add the records of one file (later versions replace earlier ones); apply deletions."""
        try:
            with _open(path) as stream:
                for record in _iter_file(stream):
                    if isinstance(record, Record):
                        self._put(record)
                    else:
                        self.delete(record)
        except etree.XMLSyntaxError as err:
            raise CorpusError(f"{path}: not well-formed XML: {err}") from err
        except CorpusError as err:
            raise CorpusError(f"{path}: {err}") from err

    def search(self, crdt: DateRange | None = None, mdat: DateRange | None = None) -> list[str]:
        """PMIDs whose dates fall in every given inclusive range, highest PMID first."""
        with self._lock:
            order = self._sorted()
        return [r.pmid for r in order if _within(r.crdt, crdt) and _within(r.mdat, mdat)]

    def get(self, pmid: str | int) -> bytes | None:
        """The stored XML of one record, or None when unknown or deleted."""
        record = self._records.get(str(pmid))
        return record.xml if record else None

    def record(self, pmid: str | int) -> Record | None:
        """The full stored record (XML and dates), or None."""
        return self._records.get(str(pmid))

    def pmids(self) -> list[str]:
        """All PMIDs held, highest first."""
        with self._lock:
            return [r.pmid for r in self._sorted()]

    @property
    def deleted(self) -> frozenset[str]:
        """PMIDs removed so far, by ``DeleteCitation`` or ``delete()``."""
        with self._lock:
            return frozenset(self._deleted)

    def add_raw(
        self, pmid: str | int, xml_bytes: bytes, crdt: date, mdat: date | None = None
    ) -> None:
        """Add or overwrite one record from its serialized ``PubmedArticle`` XML."""
        self._put(Record(str(pmid), xml_bytes, crdt, mdat or crdt))

    def delete(self, pmid: str | int) -> bool:
        """Remove a record, as upstream does; returns whether it was held."""
        with self._lock:
            self._deleted.add(str(pmid))
            self._order = None
            return self._records.pop(str(pmid), None) is not None

    def replace(self, pmid: str | int, xml_bytes: bytes, mdat: date) -> None:
        """Swap in a revised version of a held record (same crdt, new modification date)."""
        with self._lock:
            old = self._records.get(str(pmid))
            if old is None:
                raise KeyError(f"PMID {pmid} is not in the corpus")
            self._put(Record(old.pmid, xml_bytes, old.crdt, mdat))

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, pmid: object) -> bool:
        return str(pmid) in self._records

    def _put(self, record: Record) -> None:
        with self._lock:
            self._records[record.pmid] = record
            self._deleted.discard(record.pmid)
            self._order = None

    def _sorted(self) -> list[Record]:
        if self._order is None:
            self._order = sorted(self._records.values(), key=lambda r: int(r.pmid), reverse=True)
        return self._order


def _within(day: date, bounds: DateRange | None) -> bool:
    return bounds is None or bounds[0] <= day <= bounds[1]


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _iter_file(stream: IO[bytes]) -> Iterator[Record | str]:
    """Yield each article as a Record and each deleted PMID as a str, in file order."""
    events = etree.iterparse(
        stream,
        events=("end",),
        tag=(*_ARTICLE_TAGS, "DeleteCitation"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    )
    for _, elem in events:
        if elem.tag == "DeleteCitation":
            yield from (p.text.strip() for p in elem.iterfind("PMID") if p.text)
        else:
            yield _to_record(elem)
        elem.clear(keep_tail=False)
        while elem.getprevious() is not None:
            del elem.getparent()[0]


def _to_record(elem: etree._Element) -> Record:
    pmid = elem.findtext("MedlineCitation/PMID") or elem.findtext("BookDocument/PMID") or ""
    pmid = pmid.strip()
    if not pmid:
        raise CorpusError(f"{elem.tag} at line {elem.sourceline} has no PMID")
    revised = _date_at(elem, "MedlineCitation/DateRevised", "BookDocument/DateRevised")
    crdt = _history_date(elem, "entrez") or _history_date(elem, "pubmed") or revised
    crdt = crdt or _date_at(elem, "MedlineCitation/DateCreated", "MedlineCitation/DateCompleted")
    if crdt is None:
        raise CorpusError(f"PMID {pmid} has no entrez, pubmed or revision date")
    xml = etree.tostring(elem, with_tail=False)
    return Record(pmid, xml, crdt, revised or crdt)


def _history_date(elem: etree._Element, status: str) -> date | None:
    paths = (
        f"{data}/History/PubMedPubDate[@PubStatus='{status}']"
        for data in ("PubmedData", "PubmedBookData")
    )
    return _date_at(elem, *paths)


def _date_at(elem: etree._Element, *paths: str) -> date | None:
    for path in paths:
        found = elem.find(path)
        if found is not None and (day := parse_ymd(found)) is not None:
            return day
    return None


def parse_ymd(elem: etree._Element) -> date | None:
    """Year/Month/Day children as a date; Month may be ``01``, ``1`` or ``Jan``; None if invalid."""
    year = (elem.findtext("Year") or "").strip()
    month = (elem.findtext("Month") or "1").strip()
    day = (elem.findtext("Day") or "1").strip()
    month_no = _MONTHS.get(month[:3].lower()) or (int(month) if month.isdigit() else 0)
    try:
        return date(int(year), month_no, int(day))
    except ValueError:
        return None

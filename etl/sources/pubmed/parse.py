"""PubMed efetch / baseline XML -> normalised records, streaming and without network access.

The fast path is one `iterparse` pass that clears each article once it is read, so memory stays flat
whatever the file size. When the file is not well formed, the pass stops at the break; the rest of
the file is then cut into its top-level records and each is parsed on its own, so one broken record
is quarantined with its reason and raw bytes and every other record still comes through.
"""

from __future__ import annotations

import gzip
import mmap
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from lxml import etree

from etl.normalize.identifiers import (
    find_registry_ids,
    normalize_doi,
    normalize_pii,
    normalize_pmcid,
    normalize_pmid,
    unique,
)
from etl.normalize.text import date_of, inner_text, squash
from etl.records import Quarantined, SourceRecord

SOURCE = "pubmed"
TOP_LEVEL = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")

# Retraction vocabulary: the notice is not retracted, the paper it names is (see README).
RETRACTED_TYPES = frozenset({"Retracted Publication"})
RETRACTED_REFS = frozenset({"RetractionIn", "RetractedandRepublishedIn"})
_SKIPPED_REFS = frozenset({"Cites"})

_RECORD_CHUNK = re.compile(rb"<(PubmedArticle|PubmedBookArticle|DeleteCitation)\b.*?</\1\s*>", re.S)
_PMID_IN_BYTES = re.compile(rb"<PMID[^>]*>\s*(\d+)\s*</PMID>")

ParseResult = SourceRecord | Quarantined


class ParseError(ValueError):
    """A record that is well-formed XML but not a usable PubMed record."""


def parse_efetch(source: str | Path | bytes, location: str | None = None) -> Iterator[ParseResult]:
    """Records (and quarantined failures) from an efetch response or a baseline/update file.

    `source` is a path (`.xml` or `.xml.gz`) or the bytes of a response; `location` names it in
    messages (defaults to the file name).
    """
    default = "<response>" if isinstance(source, bytes) else Path(source).name
    where = location or default
    done = 0
    try:
        with _open(source) as stream:
            for _, elem in etree.iterparse(
                stream,
                events=("end",),
                tag=TOP_LEVEL,
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                huge_tree=True,
            ):
                yield from _records_of(elem, where)
                done += 1
                _release(elem)
    except etree.XMLSyntaxError as exc:
        yield from _recover(source, where, skip=done, first_error=exc)


def _open(source: str | Path | bytes) -> IO[bytes]:
    if isinstance(source, bytes):
        import io

        return io.BytesIO(source)
    path = Path(source)
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def _release(elem: etree._Element) -> None:
    """Free what has been read: the element itself and the siblings already handled."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def _records_of(elem: etree._Element, where: str) -> Iterator[ParseResult]:
    """One top-level element -> its records; a broken one becomes a quarantine entry."""
    if elem.tag == "DeleteCitation":
        yield from _deletions(elem, where)
        return
    try:
        data = paper_record(elem)
    except ParseError as exc:
        pmid = elem.findtext("MedlineCitation/PMID") or elem.findtext("BookDocument/PMID") or ""
        yield Quarantined(SOURCE, where, pmid.strip(), str(exc), etree.tostring(elem))
        return
    yield SourceRecord(data, etree.tostring(elem), where)


def _deletions(elem: etree._Element, where: str) -> Iterator[ParseResult]:
    for pmid_elem in elem.iter("PMID"):
        pmid = normalize_pmid(pmid_elem.text)
        if pmid is None:
            raw = etree.tostring(pmid_elem)
            reason = f"DeleteCitation holds a PMID that is not a number: {pmid_elem.text!r}"
            yield Quarantined(SOURCE, where, "", reason, raw)
            continue
        data = {
            "source": SOURCE,
            "source_id": pmid,
            "kind": "paper",
            "deleted": True,
            "identifiers": {"pmid": pmid},
        }
        yield SourceRecord(data, b"", where)


def paper_record(elem: etree._Element) -> dict[str, Any]:
    """The public record shape for one PubmedArticle or PubmedBookArticle element."""
    book = elem.tag == "PubmedBookArticle"
    citation = elem.find("BookDocument" if book else "MedlineCitation")
    if citation is None:
        raise ParseError(f"{elem.tag} has no {'BookDocument' if book else 'MedlineCitation'}")
    pmid_text = citation.findtext("PMID")
    pmid = normalize_pmid(pmid_text)
    if pmid is None:
        raise ParseError(f"missing or malformed PMID: {pmid_text!r}")
    article = citation if book else citation.find("Article")
    if article is None:
        raise ParseError("MedlineCitation has no Article")
    pubmed_data = elem.find("PubmedBookData" if book else "PubmedData")

    title, vernacular = _titles(article, citation, book)
    abstract = _abstract(article.find("Abstract"))
    ids = _article_ids(pubmed_data, article, citation, book)
    corrections = _corrections(citation.find("CommentsCorrectionsList"))
    publication_types = [
        squash(p.text) for p in article.iter("PublicationType") if p.text and p.text.strip()
    ]
    registry = _databank_ids(article) + find_registry_ids(f"{title}\n{abstract}")
    languages = [lang.text.strip().lower() for lang in article.iter("Language") if lang.text]
    journal, abbrev, published = _venue(article, citation, book)
    history = pubmed_data.find("History") if pubmed_data is not None else None
    retracted = bool(RETRACTED_TYPES.intersection(publication_types)) or any(
        c["type"] in RETRACTED_REFS for c in corrections
    )
    return {
        "source": SOURCE,
        "source_id": pmid,
        "kind": "paper",
        "deleted": False,
        "identifiers": {
            "pmid": pmid,
            "doi": ids.get("doi"),
            "pmcid": ids.get("pmcid"),
            "pii": ids.get("pii"),
            "registry_ids": unique(value for _, value in registry),
        },
        "title": title,
        "vernacular_title": vernacular,
        "abstract": abstract,
        "journal": journal,
        "journal_abbrev": abbrev,
        "published": published,
        "epublished": date_of(article.find("ArticleDate")),
        "created": _history_date(history, "entrez") or _history_date(history, "pubmed"),
        "revised": date_of(citation.find("DateRevised")),
        "status": citation.get("Status") or ("Book" if book else None),
        "language": languages[0] if languages else None,
        "languages": languages,
        "publication_types": publication_types,
        "mesh_terms": _mesh(citation),
        "keywords": unique(inner_text(k) for k in citation.iter("Keyword")),
        "authors": _authors(article),
        "affiliations": unique(inner_text(a) for a in article.iter("Affiliation"))[:20],
        "retracted": retracted,
        "corrections": corrections,
    }


def _titles(
    article: etree._Element, citation: etree._Element, book: bool
) -> tuple[str, str | None]:
    title = inner_text(article.find("ArticleTitle"))
    if book and not title:
        title = inner_text(citation.find("Book/BookTitle"))
    # PubMed puts translated titles of non-English papers in square brackets.
    if title.startswith("[") and "]" in title:
        closing = title.rfind("]")
        title = (title[1:closing] + title[closing + 1 :]).strip()
    vernacular = inner_text(article.find("VernacularTitle")) or None
    return title or (vernacular or ""), vernacular


def _abstract(abstract: etree._Element | None) -> str:
    """Sections as paragraphs; labelled ones as "LABEL: text"."""
    if abstract is None:
        return ""
    paragraphs = []
    for section in abstract.iterfind("AbstractText"):
        text = inner_text(section)
        if not text:
            continue
        label = section.get("Label")
        paragraphs.append(f"{label.strip()}: {text}" if label and label.strip() else text)
    return "\n\n".join(paragraphs)


def _article_ids(
    pubmed_data: etree._Element | None,
    article: etree._Element,
    citation: etree._Element,
    book: bool,
) -> dict[str, str]:
    """DOI, PMCID and PII: the record's own ArticleIdList first, then ELocationID."""
    ids: dict[str, str] = {}
    lists = [pubmed_data.find("ArticleIdList") if pubmed_data is not None else None]
    if book:
        lists.append(citation.find("ArticleIdList"))
    normalizers = {"doi": normalize_doi, "pmc": normalize_pmcid, "pii": normalize_pii}
    names = {"doi": "doi", "pmc": "pmcid", "pii": "pii"}
    for id_list in lists:
        if id_list is None:
            continue
        for item in id_list.iterfind("ArticleId"):
            kind = item.get("IdType")
            if kind in normalizers and names[kind] not in ids:
                value = normalizers[kind](item.text)
                if value:
                    ids[names[kind]] = value
    for location in article.iterfind("ELocationID"):
        kind = location.get("EIdType")
        if kind in ("doi", "pii") and kind not in ids:
            value = normalizers[kind](location.text)
            if value:
                ids[kind] = value
    return ids


def _databank_ids(article: etree._Element) -> list[tuple[str, str]]:
    found = []
    for number in article.iterfind("DataBankList/DataBank/AccessionNumberList/AccessionNumber"):
        found.extend(find_registry_ids(number.text or ""))
    return found


def _corrections(corrections: etree._Element | None) -> list[dict[str, Any]]:
    if corrections is None:
        return []
    result = []
    for item in corrections.iterfind("CommentsCorrections"):
        ref_type = item.get("RefType")
        if not ref_type or ref_type in _SKIPPED_REFS:
            continue
        result.append(
            {
                "type": ref_type,
                "pmid": normalize_pmid(item.findtext("PMID")),
                "ref": squash(item.findtext("RefSource")) or None,
            }
        )
    return result


def _venue(
    article: etree._Element, citation: etree._Element, book: bool
) -> tuple[str, str | None, str | None]:
    if book:
        book_elem = citation.find("Book")
        title = inner_text(book_elem.find("BookTitle")) if book_elem is not None else ""
        date = date_of(book_elem.find("PubDate")) if book_elem is not None else None
        return title, None, date
    journal = article.find("Journal")
    if journal is None:
        return "", None, None
    return (
        squash(journal.findtext("Title")),
        squash(journal.findtext("ISOAbbreviation")) or None,
        date_of(journal.find("JournalIssue/PubDate")),
    )


def _history_date(history: etree._Element | None, status: str) -> str | None:
    if history is None:
        return None
    for item in history.iterfind("PubMedPubDate"):
        if item.get("PubStatus") == status:
            return date_of(item)
    return None


def _mesh(citation: etree._Element) -> list[str]:
    return unique(
        squash(d.text) for d in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName")
    )


def _authors(article: etree._Element) -> list[str]:
    names = []
    author_list = article.find("AuthorList")
    if author_list is None:
        return names
    for author in author_list.iterfind("Author"):
        if author.get("ValidYN") == "N":
            continue
        collective = author.find("CollectiveName")
        if collective is not None:
            names.append(inner_text(collective))
            continue
        last = squash(author.findtext("LastName"))
        first = squash(author.findtext("ForeName")) or squash(author.findtext("Initials"))
        suffix = squash(author.findtext("Suffix"))
        name = " ".join(part for part in (first, last, suffix) if part)
        if name:
            names.append(name)
    return names


def _recover(
    source: str | Path | bytes, where: str, skip: int, first_error: etree.XMLSyntaxError
) -> Iterator[ParseResult]:
    """Parse the records after a syntax error one by one, quarantining those that are broken."""
    with _whole(source) as data:
        seen = 0
        line, counted_to = 1, 0
        for match in _RECORD_CHUNK.finditer(data):
            seen += 1
            line += data[counted_to : match.start()].count(b"\n")
            counted_to = match.start()
            if seen <= skip:
                continue
            chunk = match.group(0)
            try:
                elem = etree.fromstring(chunk, _CHUNK_PARSER)
            except etree.XMLSyntaxError as exc:
                yield _broken(chunk, where, exc, first_line=line)
                continue
            yield from _records_of(elem, where)
        if seen <= skip:
            # The break is outside any record (truncated or garbled file): report it as such.
            message, line, column = _split_position(first_error)
            reason = f"not well-formed XML at line {line}, column {column}, after the last record: "
            yield Quarantined(SOURCE, where, "", reason + message, b"")


def _broken(chunk: bytes, where: str, exc: etree.XMLSyntaxError, first_line: int) -> Quarantined:
    pmid_match = _PMID_IN_BYTES.search(chunk)
    message, line, column = _split_position(exc)
    reason = f"not well-formed XML at line {first_line + line - 1}, column {column}: {message}"
    return Quarantined(SOURCE, where, pmid_match[1].decode() if pmid_match else "", reason, chunk)


def _split_position(exc: etree.XMLSyntaxError) -> tuple[str, int, int]:
    """libxml2's message without its trailing position, and that position (1-based)."""
    match = _POSITION.search(exc.msg or "")
    if match:
        return exc.msg[: match.start()], int(match[1]), int(match[2])
    return exc.msg or str(exc), exc.lineno or 1, (exc.offset or 0) + 1


_POSITION = re.compile(r",\s*line (\d+), column (\d+)\s*$")
_CHUNK_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


class _whole:
    """The complete bytes of a source, memory-mapped for files so recovery stays cheap."""

    def __init__(self, source: str | Path | bytes) -> None:
        self.source = source
        self._file: IO[bytes] | None = None
        self._map: mmap.mmap | None = None

    def __enter__(self) -> Any:
        if isinstance(self.source, bytes):
            return self.source
        path = Path(self.source)
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as stream:
                return stream.read()
        self._file = path.open("rb")
        if path.stat().st_size == 0:
            return b""
        self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        return self._map

    def __exit__(self, *exc: object) -> None:
        if self._map is not None:
            self._map.close()
        if self._file is not None:
            self._file.close()

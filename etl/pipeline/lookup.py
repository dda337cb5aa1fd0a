"""One work by hand: find a PMID, DOI, title or trial id in the database, else fetch it from the
source that answers for it, store and classify it there, and hand back the work.

An editor who pastes an id, and the citation check that meets an id the crawl never saw, want the
same thing a crawl would have stored: so the record comes through the source's own adapter
(`Adapter.lookup`: the same requests, retries, answer checks and parser as a crawl), is written by
the one write path (`works.store.store_records`, which joins it to the work it shares an
identifier with) and labelled in the same transaction, as a crawl does.

The signature other code relies on (keep it stable):

    lookup(engine, settings, reference, now, *, transport=None, classifier=None, online=True)
        -> Looked

`reference` is text as a person pastes it ("PMID: 123", "pmid:123", "123", a DOI or its
https://doi.org/ link, "PMC1234567", a preprint's "PPR123456", "NCT01234567",
"ChiCTR2000012345", any registry id the project knows, or a title), or a `Reference` already
parsed. `Looked.work_id` is None when neither the database nor any source holds it, with
`Looked.note` saying where it was looked for. A reference that is no id and too short to be a
title raises `EtlError`; a source that cannot be reached raises `SourceError` (nothing is stored
then). `online=False` looks in the database only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, select

from etl.classify.service import Classifier, classify_works
from etl.db.models import Work
from etl.errors import EtlError
from etl.http import build_client
from etl.normalize.identifiers import (
    find_dois,
    normalize_doi,
    normalize_pmcid,
    normalize_pmid,
    normalize_registry_id,
)
from etl.problems import Problem
from etl.records import Counts, SourceRecord
from etl.settings import Settings
from etl.sources import REGISTRY, adapter_class, get_source
from etl.works import store
from etl.works.identity import identity_keys
from etl.works.titles import THRESHOLD, similarity, title_key

log = logging.getLogger(__name__)
works = Work.__table__

MIN_TITLE_WORDS = 3  # fewer words are no title worth a search (and no id either)
_PMID_FORM = re.compile(
    r"^\s*(?:pmid|pubmed)\s*[:：]?\s*(\d{1,9})\s*$|^\s*(\d{1,9})\s*$"
    r"|pubmed\.ncbi\.nlm\.nih\.gov/(\d{1,9})|ncbi\.nlm\.nih\.gov/pubmed/(\d{1,9})",
    re.I,
)


@dataclass(frozen=True)
class Reference:
    """What to look for: a scheme ("pmid", "doi", "pmcid", "title" or a registry's, as in
    `etl.normalize.identifiers`) and its canonical value."""

    scheme: str
    value: str

    def __str__(self) -> str:
        return self.value if self.scheme == "title" else f"{self.scheme}:{self.value}"


@dataclass
class Looked:
    """The answer: the work (None when not found), where it came from ("database" or the
    source's name), the record that speaks for it, and what storing it changed."""

    reference: Reference
    work_id: int | None = None
    source: str | None = None
    data: dict[str, Any] | None = None
    counts: Counts = field(default_factory=Counts)
    note: str = ""  # where it was looked for, when not found: a Problem

    @property
    def found(self) -> bool:
        return self.work_id is not None

    @property
    def fetched(self) -> bool:
        """Whether a source was asked and its record stored (not already in the database)."""
        return self.found and self.source not in (None, "database")


def parse_reference(text: str) -> Reference:
    """A pasted reference as (scheme, canonical value): a PMID (or a PubMed link), a DOI (or a
    doi.org link), a PMCID, a registry id of any scheme the project knows, else a title."""
    raw = " ".join(str(text or "").split())
    pmid = _PMID_FORM.search(raw)
    if pmid:
        value = normalize_pmid(next(group for group in pmid.groups() if group))
        if value:
            return Reference("pmid", value)
    doi = normalize_doi(raw) or next(iter(find_dois(raw)), None)
    if doi:
        return Reference("doi", doi)
    if raw.upper().startswith("PMC"):
        pmcid = normalize_pmcid(raw)
        if pmcid:
            return Reference("pmcid", pmcid)
    if re.fullmatch(r"PPR\d{4,10}", raw, re.I):  # a preprint in Europe PMC
        return Reference("ppr", raw.upper())
    registry = normalize_registry_id(raw)
    if registry:
        return Reference(*registry)
    if len(re.findall(r"\w+", raw)) >= MIN_TITLE_WORDS:
        return Reference("title", raw)
    raise EtlError(
        f"{text!r} is neither a PMID, a DOI, a PMCID nor a trial registry id, nor a title",
        "paste one id (e.g. 38012345, 10.1000/xyz123, NCT01234567, ChiCTR2000012345) or a title",
    )


def lookup(
    engine: Engine,
    settings: Settings,
    reference: str | Reference,
    now: datetime,
    *,
    transport: httpx.BaseTransport | None = None,
    classifier: Classifier | None = None,
    online: bool = True,
) -> Looked:
    """The work `reference` names: from the database, else fetched, stored and classified
    (see the module's docstring for the contract)."""
    ref = reference if isinstance(reference, Reference) else parse_reference(reference)
    with engine.connect() as conn:
        work_id = find_in_database(conn, ref)
        if work_id is not None:
            return Looked(ref, work_id, "database", store.work_data(conn, [work_id]).get(work_id))
    if not online:
        return Looked(ref, note=Problem("lookup_not_asked"))
    names = sources_for(settings, ref.scheme)
    if not names:
        return Looked(ref, note=Problem("lookup_no_source", scheme=ref.scheme))
    with build_client(settings.http, transport) as client:
        for name in names:
            records = fetch_records(settings, client, name, ref)
            if records:
                return _store(engine, settings, name, ref, records, now, classifier)
    return Looked(ref, note=Problem("lookup_nowhere", sources=tuple(names)))


def sources_for(settings: Settings, scheme: str) -> list[str]:
    """The configured sources whose adapter looks records up by `scheme`: the scheme's own
    registry first (ISRCTN for an ISRCTN number), then those holding it secondhand (CT.gov's
    secondary ids), each group in registry order."""
    found = []
    for name in REGISTRY:
        if getattr(settings.sources, name, None) is None:
            continue
        cls = adapter_class(name, crawling=False)
        if scheme in cls.lookup_schemes:
            found.append((scheme not in cls.own_schemes, name))
    return [name for _, name in sorted(found, key=lambda item: item[0])]


def fetch_records(
    settings: Settings, client: httpx.Client, name: str, ref: Reference
) -> list[SourceRecord]:
    """The parsed records source `name` holds for `ref`: those carrying the id, or for a title
    those whose title is the same, best first. A record that would not parse is logged and left
    out, as a crawl quarantines it."""
    records = []
    for item in get_source(name, settings, crawling=False).lookup(client, ref.scheme, ref.value):
        if isinstance(item, SourceRecord):
            if not item.deleted:
                records.append(item)
        else:
            log.warning("%s: lookup of %s: %s", name, ref, item.describe())
    if ref.scheme == "title":
        return titled(records, ref.value)
    # Only a record that carries the id: a search that answers with another work (PubMed
    # reads a DOI it does not know as words) must not be stored as the one asked for.
    return [record for record in records if _names(record, ref)]


def titled(records: Sequence[SourceRecord], title: str) -> list[SourceRecord]:
    """Records whose title is the same title as `title` (the project's title rules), best first."""
    key = title_key(title)
    scored = [(similarity(key, title_key(str(r.data.get("title") or ""))), r) for r in records]
    return [record for score, record in sorted(scored, key=lambda s: -s[0]) if score >= THRESHOLD]


def find_in_database(conn: Connection, ref: Reference) -> int | None:
    """The live work that holds this identifier (or, for a title, the same title key)."""
    if ref.scheme == "title":
        key = title_key(ref.value)
        query = select(works.c.id).where(works.c.title_key == key, works.c.deleted_at.is_(None))
        work_id = conn.execute(query.order_by(works.c.id)).scalars().first()
    else:
        work_id = store.lookup_identifiers(conn, {(ref.scheme, ref.value)}).get(
            (ref.scheme, ref.value)
        )
    return _surviving(conn, work_id)


def _surviving(conn: Connection, work_id: int | None) -> int | None:
    """A work merged into another is that other work (a chain of merges followed to its end)."""
    seen: set[int] = set()
    while work_id is not None and work_id not in seen:
        seen.add(work_id)
        merged = conn.execute(select(works.c.merged_into).where(works.c.id == work_id)).scalar()
        if merged is None:
            return work_id
        work_id = merged
    return work_id


def _names(record: SourceRecord, ref: Reference) -> bool:
    return (ref.scheme, ref.value) in identity_keys(record.data)


def _store(
    engine: Engine,
    settings: Settings,
    name: str,
    ref: Reference,
    records: list[SourceRecord],
    now: datetime,
    classifier: Classifier | None,
) -> Looked:
    """Store the record that answers `ref` and label its work, in one transaction."""
    record = records[0]
    classifier = classifier or Classifier.from_settings(settings)
    with engine.begin() as conn:
        touched: set[int] = set()
        counts = store.store_records(conn, [record], now, touched)
        classify_works(conn, touched, classifier, now)
        owners = store.lookup_identifiers(conn, set(identity_keys(record.data)))
        work_id = _surviving(conn, min(owners.values())) if owners else None
        if work_id is None:  # a record without identifiers: found again by its source id
            query = select(store.source_records.c.work_id).where(
                store.source_records.c.source == record.source,
                store.source_records.c.source_id == record.source_id,
            )
            work_id = _surviving(conn, conn.execute(query).scalar())
        data = store.work_data(conn, [work_id]).get(work_id) if work_id is not None else None
    log.info("lookup %s: %s %s stored as work %s", ref, name, record.source_id, work_id)
    return Looked(ref, work_id, name, data, counts)

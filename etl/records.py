"""Plain data passed between the pipeline stages: no I/O, no ORM.

A `SourceRecord` is one upstream item, normalised. Its `data` is exactly the JSON object that
`mscwatch parse` prints (see README, "Record shape"), so the parse command, the database loader
and the tests all share one shape. The raw bytes it came from travel with it, so a better
normaliser can re-derive history without refetching.

The shape is typed per kind of record (`Paper`, `Preprint`, `FeedItem`, `Trial`, `Deletion`) as
TypedDicts rather than classes: the record *is* that JSON object, stored as it is and hashed as
it is, so a typed dict lets mypy check every key the pipeline reads while the parsers' hot path
builds nothing but the dict it always built (`bench/parse_bench.py` has no slack for a second
object per record). `validate` checks a record against its type at run time; the contract test
runs every source's samples through it, and the README's "Record shape" table is tested against
these types.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, NotRequired, TypeAlias

# pydantic reads TypedDicts from typing_extensions on Python 3.11 (it validates them at run time).
from typing_extensions import TypedDict


class Identifiers(TypedDict, total=False):
    """Every scheme a record names itself by, normalised (see etl/normalize/identifiers.py)."""

    pmid: str | None
    doi: str | None
    pmcid: str | None
    pii: str | None
    ppr: str | None  # Europe PMC's preprint id
    nct: str | None
    org_study_id: str | None
    secondary_ids: list[str]
    registry_ids: list[str]  # trial ids of every registry, named in the record


class Correction(TypedDict):
    """A link to a correction, retraction or the notice's target (PubMed CommentsCorrections)."""

    type: str
    pmid: str | None
    ref: str | None


class _Base(TypedDict):
    source: str
    source_id: str
    kind: Literal["paper", "trial"]
    deleted: bool
    identifiers: Identifiers


class Deletion(_Base):
    """A `DeleteCitation` entry: the record is gone upstream; only its PMID is known."""


class Paper(_Base):
    """A journal article or book chapter (PubMed), and the base of every paper-like record."""

    title: str
    vernacular_title: str | None
    abstract: str
    journal: str
    journal_abbrev: str | None
    published: str | None
    epublished: str | None
    created: str | None
    revised: str | None
    status: str | None
    language: str | None
    languages: list[str]
    publication_types: list[str]
    mesh_terms: list[str]
    keywords: list[str]
    authors: list[str]
    affiliations: list[str]
    retracted: bool
    corrections: list[Correction]


class Preprint(Paper):
    """A Europe PMC result: an article or a preprint, with the links that tie the two."""

    preprint: bool
    preprint_server: str | None
    published_version: dict[str, Any] | None
    preprints: list[dict[str, Any]]


class FeedItem(Paper):
    """An RSS or Atom entry, read as a paper: `url` is the entry's link."""

    url: str | None


class Trial(_Base):
    """A registered study (ClinicalTrials.gov, or a WHO ICTRP export of another registry)."""

    title: str
    official_title: str | None
    acronym: str | None
    abstract: str
    status: str | None
    why_stopped: str | None
    phases: list[str]
    study_type: str | None
    conditions: list[str]
    keywords: list[str]
    interventions: list[str]
    arms: list[dict[str, Any]]
    sponsor: str | None
    collaborators: list[str]
    enrollment: int | None
    enrollment_type: str | None
    countries: list[str]
    start_date: str | None
    primary_completion_date: str | None
    completion_date: str | None
    first_posted: str | None
    last_update_posted: str | None
    has_results: bool
    results_first_posted: str | None
    reference_pmids: list[str]
    mesh_terms: list[str]
    published: str | None
    revised: str | None
    retracted: bool
    corrections: list[Correction]
    # ClinicalTrials.gov only: each primary outcome's measured values once results are posted.
    primary_results: NotRequired[list[dict[str, Any]]]
    # ICTRP and ISRCTN only: the registry's own wording where it does not map onto CT.gov's
    # vocabulary, and the record's page at its registry.
    status_text: NotRequired[str | None]
    phase_text: NotRequired[str | None]
    url: NotRequired[str | None]


Record: TypeAlias = Paper | Preprint | FeedItem | Trial | Deletion


def text_of(data: Mapping[str, object], key: str) -> str | None:
    """A text field of any kind of record, None where this kind has no such field or it is
    empty: for code that reads records of several kinds alike (a check's examples, a cursor)."""
    value = data.get(key)
    return value if isinstance(value, str) and value else None
# Which type each source's records have (deletions aside): the contract test holds every
# registered source to it.
RECORD_TYPES: dict[str, type[Any]] = {
    "pubmed": Paper,
    "europepmc": Preprint,
    "feed": FeedItem,
    "ctgov": Trial,
    "ictrp": Trial,
    "isrctn": Trial,
}


@cache
def _adapter(kind: Any) -> Any:
    from pydantic import TypeAdapter  # only where records are checked, not on the parse path

    return TypeAdapter(kind)


def validate(data: Any) -> Record:
    """`data` checked against the type of its source's records (a deletion against `Deletion`),
    with no key missing and none unknown; raises pydantic's ValidationError naming the field."""
    kind: Any = Deletion if data.get("deleted") else RECORD_TYPES[data["source"]]
    checked: Record = _adapter(_closed(kind)).validate_python(data, strict=True)
    return checked


@cache
def _closed(kind: Any) -> Any:
    """The TypedDict with unknown keys forbidden, so a parser that grows a key must say so here."""
    from pydantic import ConfigDict, with_config

    return with_config(ConfigDict(extra="forbid"))(kind)


def canonical_json(data: Any) -> str:
    """Stable JSON text: the basis of content hashes and of the parse output."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(slots=True)
class SourceRecord:
    """One normalised upstream record; `data` holds the public JSON shape."""

    data: Record
    raw: bytes = b""
    location: str = ""

    @property
    def source(self) -> str:
        return self.data["source"]

    @property
    def source_id(self) -> str:
        return self.data["source_id"]

    @property
    def deleted(self) -> bool:
        return bool(self.data.get("deleted"))

    @property
    def content_hash(self) -> str:
        """Hash of the normalised content, so reformatted but equal upstream bytes are unchanged."""
        return hashlib.sha256(canonical_json(self.data).encode()).hexdigest()


def _printable(text: str) -> str:
    """Text that UTF-8 can carry (a lone surrogate becomes U+FFFD)."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def failure_reason(exc: Exception) -> str:
    """A record's failure as its quarantine reason: a parser's own ParseError says it in its
    words; anything else (a value no rule foresaw) is named with its type, so it can be found."""
    if type(exc).__name__ == "ParseError":
        return str(exc)
    return f"unreadable record ({type(exc).__name__}: {exc})"


@dataclass(slots=True)
class Quarantined:
    """A record that could not be parsed: kept with its reason and raw bytes, never dropped."""

    source: str
    location: str
    record_key: str
    reason: str
    raw: bytes = b""
    # The whole file was refused (not of the format asked for, too large): no record was read.
    whole_file: bool = False

    def __post_init__(self) -> None:
        # Keys and reasons quote the input, which may hold a lone surrogate: keep them printable.
        self.record_key = _printable(self.record_key)
        self.reason = _printable(self.reason)

    def describe(self) -> str:
        """The one line a person reads: file, record and problem."""
        key = f" record {self.record_key}:" if self.record_key else ""
        return f"{self.location}:{key} {self.reason}"


@dataclass(slots=True)
class Batch:
    """What a source yields: records, and the cursor that is safe to save once they are stored."""

    records: list[SourceRecord] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cursor: dict[str, Any] | None = None
    fetched: int = 0


@dataclass(slots=True)
class Counts:
    """What a run did, in the words of the one-line summary."""

    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    quarantined: int = 0
    failed: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}

    def summary(self) -> str:
        return ", ".join(f"{value} {name}" for name, value in self.as_dict().items())

"""Plain data passed between the pipeline stages: no I/O, no ORM.

A `SourceRecord` is one upstream item, normalised. Its `data` dict is exactly the JSON object that
`mscwatch parse` prints (see README, "Record shape"), so the parse command, the database loader
and the tests all share one shape. The raw bytes it came from travel with it, so a better
normaliser can re-derive history without refetching.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


def canonical_json(data: Any) -> str:
    """Stable JSON text: the basis of content hashes and of the parse output."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(slots=True)
class SourceRecord:
    """One normalised upstream record; `data` holds the public JSON shape."""

    data: dict[str, Any]
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
        for name in self.__slots__:  # type: ignore[attr-defined]
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]

    def summary(self) -> str:
        return ", ".join(f"{value} {name}" for name, value in self.as_dict().items())

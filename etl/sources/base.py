"""The source-adapter contract (see sources/README.md).

An adapter turns an upstream into `Batch`es: records plus, at the end of each unit of work, the
cursor that is safe to save once those records are committed. It never touches the database: the
pipeline loads the cursor, hands it in, and saves the new one after the commit, so a crash
re-fetches rather than skips.

An adapter also answers `check`: its configured query asked once, now, so an operator can see
what a query finds before it goes live. The answer is a plain `CheckResult` that the CLI only
renders; nothing is stored and no cursor moves.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, cast

import httpx

from etl.errors import ConfigError, EtlError
from etl.http import BadBody, RetryPolicy
from etl.normalize.id_fields import nct_of
from etl.normalize.identifiers import unique
from etl.records import Batch, Identifiers, Quarantined, SourceRecord
from etl.sources.xmlstream import open_source


@dataclass(frozen=True)
class FetchContext:
    http: httpx.Client
    cursor: dict[str, Any] | None
    now: datetime
    since: date | None = None
    # Called with a short text as the crawl moves on (window, batch), for progress displays.
    report: Callable[[str, int | None], None] = lambda text, total: None


@dataclass(frozen=True)
class CheckContext:
    """What a check needs: the run's client, the time that "recent" counts back from, and how
    many example titles to bring back."""

    http: httpx.Client
    now: datetime
    show: int = 5
    recent_days: int = 30

    @property
    def recent_since(self) -> date:
        """First day of the recent window (the window ends today, inclusive)."""
        return self.now.date() - timedelta(days=self.recent_days)


@dataclass(frozen=True)
class Example:
    """One hit as an operator recognises it: the source's own id, the title, and a date."""

    id: str
    title: str
    date: str | None = None


@dataclass(frozen=True)
class CheckResult:
    """One source's answer to its configured query, as plain data for the CLI to render.

    `hits` is None when the service does not say (a feed counts entries, not matches), and
    `hits_recent` is None where the service cannot filter by date cheaply. `notes` carry what
    the service said about the query (PubMed's translation and warnings, a moved feed), and
    `feeds` holds one result per configured feed for the feed source, whose `source` is then
    the feed's name.
    """

    source: str
    ok: bool = True
    hits: int | None = None
    hits_recent: int | None = None
    recent_days: int | None = None
    examples: tuple[Example, ...] = ()
    error: str | None = None
    hint: str = ""
    notes: tuple[str, ...] = ()
    feeds: tuple[CheckResult, ...] = ()

    @classmethod
    def failure(cls, source: str, exc: EtlError, notes: Iterable[str] = ()) -> CheckResult:
        """A failed check keeps the error's wording: it already names the request and answer."""
        return cls(source, ok=False, error=exc.message, hint=exc.hint, notes=tuple(notes))

    def as_json(self) -> dict[str, Any]:
        """The `--json` object: the documented keys always, `feeds` for the feed source only."""
        data: dict[str, Any] = {
            "source": self.source,
            "ok": self.ok,
            "hits": self.hits,
            "hits_recent": self.hits_recent,
            "recent_days": self.recent_days,
            "examples": [asdict(example) for example in self.examples],
            "error": self.error,
            "hint": self.hint or None,
            "notes": list(self.notes),
        }
        if self.feeds:
            data["feeds"] = [feed.as_json() for feed in self.feeds]
        return data


class Adapter:
    """The skeleton every adapter shares: its name, its settings table, the retry policy of its
    requests, and the file parser (`parse`, a static function usable without settings, which
    `parse_file` and the registry's `parser_for` hand out). Subclasses add `fetch` and `check`;
    a source read from files only (ICTRP exports) has neither and `crawls = False`."""

    name: ClassVar[str]
    crawls: ClassVar[bool] = True

    def __init__(self, config: Any, settings: Any) -> None:
        if self.crawls:
            require_table(config, settings, self.name)
        self.config = config
        self.settings = settings

    @staticmethod
    def parse(
        source: str | Path | bytes, keep_raw: bool = True
    ) -> Iterator[SourceRecord | Quarantined]:
        """Records (or quarantined items) from a saved file or a response body."""
        raise NotImplementedError

    def parse_file(self, path: Path) -> Iterator[SourceRecord | Quarantined]:
        return self.parse(path)

    def policy(self) -> RetryPolicy:
        """How this source's requests are retried: the `[http]` settings, shared by all."""
        return RetryPolicy.from_settings(self.settings.http)

    def fetch(self, ctx: FetchContext) -> Iterator[Batch]:
        """Batches of parsed records from `ctx.cursor` on, each unit of work ending with the
        cursor that is safe to save once its records are committed."""
        raise NotImplementedError(f"{self.name} is read from files only")

    # Identifier schemes `lookup` answers: "pmid", "doi", "title", "nct", … (none: files only).
    lookup_schemes: ClassVar[tuple[str, ...]] = ()
    # Of those, the schemes this source is the registry of (CT.gov: "nct"): asked before a
    # source that only holds such an id secondhand (CT.gov holding an ISRCTN as a secondary id).
    own_schemes: ClassVar[tuple[str, ...]] = ()

    def lookup(
        self, http: httpx.Client, scheme: str, value: str
    ) -> list[SourceRecord | Quarantined]:
        """The records the service holds under one identifier (or, for "title", the records a
        title search finds, best first): [] when it holds none. One work added by hand, or a
        citation checked, goes through the same requests, checks and parser as a crawl."""
        raise NotImplementedError(f"{self.name} cannot look up one record by {scheme}")

    def check(self, ctx: CheckContext) -> CheckResult:
        """Ask the configured query once, against the configured base URL, through the same
        request and answer checks as `fetch`: a count (and a recent count where the service
        filters by date), and the first `ctx.show` hits. A query the service refuses is a failed
        result naming what it answered; a transport failure may raise SourceError. Writes
        nothing and reads no cursor."""
        raise NotImplementedError(f"{self.name} is read from files only")


Source = Adapter  # the name the pipeline has always used for a configured adapter


def json_object(body: bytes, required: str, kind: type = object) -> dict[str, Any]:
    """A JSON answer that must be an object holding `required` of type `kind` (ClinicalTrials.gov's
    `studies` list, Europe PMC's `resultList`): anything else is an error for the request, never
    an empty page. (A missing key reads as bytes, which no JSON value is.)"""
    try:
        document = json.loads(body)
    except ValueError:
        raise BadBody(f"not JSON (starts {body[:60]!r})") from None
    found = document.get(required, b"") if isinstance(document, dict) else b""
    if isinstance(found, bytes) or not isinstance(found, kind):
        raise BadBody(f"a JSON answer without a `{required}`{' list' if kind is list else ''}")
    return cast(dict[str, Any], document)  # a dict: anything else has no `required` and raised


def first_examples(
    items: Iterable[SourceRecord | Quarantined],
    show: int,
    example: Callable[[SourceRecord], Example],
) -> tuple[Example, ...]:
    """The first `show` parsed hits as examples; a record that would not parse is left out
    here (a crawl quarantines it), so a check shows what a crawl would store."""
    records = (item for item in items if isinstance(item, SourceRecord))
    return tuple(example(record) for _, record in zip(range(show), records, strict=False))


def require_table(config: Any, settings: Any, name: str) -> None:
    """A source asked for without its table in sources.toml: say which file and table."""
    if config is None:
        raise ConfigError(
            f"{settings.config_dir / 'sources.toml'}: no [sources.{name}] table",
            "add one (see the comments in config/sources.toml)",
        )


def batch_of(items: Iterable[SourceRecord | Quarantined]) -> Batch:
    """One parsed page as a batch: records counted as fetched, broken ones set aside."""
    batch = Batch()
    for item in items:
        if isinstance(item, Quarantined):
            batch.quarantined.append(item)
        else:
            batch.records.append(item)
            batch.fetched += 1
    return batch


MAX_PAGE = 256 << 20  # a JSON or XML page read whole: API pages are a few MB, a bomb is refused


def read_body(source: str | Path | bytes, limit: int | None = None) -> bytes:
    """The whole of a response body, a file, or a gzipped file; with `limit`, at most that many
    bytes (a caller that reads `limit + 1` knows the body was larger without inflating a bomb)."""
    if isinstance(source, bytes):
        return source if limit is None or len(source) <= limit else source[:limit]
    with open_source(source) as stream:
        if limit is None:
            return stream.read()
        blocks: list[bytes] = []
        left = limit
        while left > 0 and (block := stream.read(min(left, 1 << 20))):
            blocks.append(block)
            left -= len(block)
        return b"".join(blocks)


def read_page(
    source_name: str, source: str | Path | bytes, location: str | None, what: str, limit: int
) -> tuple[str, bytes | Quarantined]:
    """A JSON or XML page read whole, with the name messages give it (`location`, else the file
    name, or `<response>` for bytes). A file that cannot be read, or one over `limit` bytes
    (`what` says what such a page is: "more than {what} ever is"), comes back as its quarantine
    entry instead of its bytes, so every page-reading parser refuses them in the same words."""
    where = location or ("<response>" if isinstance(source, bytes) else Path(source).name)
    try:
        body = read_body(source, limit=limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        return where, Quarantined(source_name, where, "", f"cannot read the file: {exc}", b"")
    if len(body) > limit:
        reason = f"larger than {limit:,} bytes, more than {what} ever is: not read"
        return where, Quarantined(source_name, where, "", reason, b"", whole_file=True)
    return where, body


def registry_identifiers(registry: list[str], secondary: list[str]) -> Identifiers:
    """A trial's ids as a registry other than ClinicalTrials.gov gives them: its own and other
    registries' ids (the NCT id among them, if any, is the record's `nct`), then the numbers
    that name no registry. No sponsor's protocol number: these registries do not give one."""
    registry = unique(registry)
    return {
        "nct": next((nct for nct in map(nct_of, registry) if nct), None),
        "org_study_id": None,
        "registry_ids": registry,
        "secondary_ids": unique(secondary),
    }

"""CT.gov API v2 ``/studies`` answered offline from a corpus of study objects, paged like the API.

The trial crawler pages through ``/api/v2/studies`` with opaque tokens over an incremental
LastUpdatePostDate window; replaying that here lets its paging, stop rule, retries and parsing be
tested without the network, including the API's habits: tokens tied to one query, plain-text
``400`` errors, ``totalCount`` on the first page only, and (when asked) a token on the last page
that leads to an empty one. Studies are kept as compact JSON bytes, so what is served is exactly
what was loaded and callers cannot change it by editing a returned dict.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from etl.replay.corpus import CorpusError
from etl.replay.ctgov_query import PageRequest, QueryError, StudyQuery, id_key, parse_request
from etl.replay.eutils import Reply
from etl.replay.page_tokens import PageTokens, ResultList
from etl.replay.synthetic_studies import synthetic_studies

API_PREFIX = "/api/v2/"
STUDIES_PATH = "/api/v2/studies"
JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=UTF-8"

_NCT = re.compile(r"^NCT\d{8}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class _Entry:
    nct: str
    updated: date | None
    status: str
    body: bytes
    secondary_ids: frozenset[str] = frozenset()  # folded as `id_key` folds a searched id


class StudyCorpus:
    """Thread-safe NCT id -> study store, searched by LastUpdatePostDate, status, NCT id and
    secondary id."""

    def __init__(self, studies: Iterable[Mapping[str, Any]] = ()) -> None:
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] = {}
        for study in studies:
            self.add(study)

    @classmethod
    def from_paths(cls, paths: Iterable[Path | str]) -> StudyCorpus:
        """Load ``/studies`` page files or single-study files (``.json`` or ``.json.gz``) in the
        order given; a later file's version of a study replaces an earlier one."""
        corpus = cls()
        for path in paths:
            corpus.load(Path(path))
        return corpus

    @classmethod
    def synthetic(cls, n: int, start: date, end: date, first_nct: int = 7_000_000) -> StudyCorpus:
        """Generate ``n`` studies with LastUpdatePostDate spread evenly over [start, end], so a
        crawl spans many pages and pages split days (paging, fault and kill tests)."""
        return cls(synthetic_studies(n, start, end, first_nct))

    def load(self, path: Path) -> None:
        """Add every study of one file; CorpusError naming the file when it cannot be used."""
        try:
            document = json.loads(_read(path))
            for study in _studies_in(document):
                self.add(study)
        except (OSError, ValueError) as err:
            raise CorpusError(f"{path}: {err}") from err

    def add(self, study: Mapping[str, Any]) -> None:
        """Add a study, or overwrite the held version; CorpusError without a valid NCT id."""
        entry = _entry(study)
        with self._lock:
            self._entries[entry.nct] = entry

    def replace(self, study: Mapping[str, Any]) -> None:
        """Swap in a revised version of a held study, as an upstream update does; KeyError when
        the study is not held (so a test cannot add one by mistake)."""
        entry = _entry(study)
        with self._lock:
            if entry.nct not in self._entries:
                raise KeyError(f"{entry.nct} is not in the corpus")
            self._entries[entry.nct] = entry

    def get(self, nct: str) -> dict[str, Any] | None:
        """A fresh copy of one study (NCT id in any case), or None when unknown."""
        body = self.body(nct)
        return json.loads(body) if body is not None else None

    def body(self, nct: str) -> bytes | None:
        """The stored compact JSON of one study, or None."""
        entry = self._entries.get(nct.strip().upper())
        return entry.body if entry else None

    def studies(self) -> list[dict[str, Any]]:
        """Fresh copies of all studies in the default order (LastUpdatePostDate, then NCT id)."""
        return [json.loads(self._entries[nct].body) for nct in self.search(StudyQuery())]

    def search(self, query: StudyQuery) -> list[str]:
        """NCT ids of the matching studies, ordered by LastUpdatePostDate then NCT id; studies
        without that date never match a window and always come last, as in the API."""
        with self._lock:
            entries = list(self._entries.values())
        found = sorted((e for e in entries if _matches(e, query)), key=_order(query.descending))
        return [e.nct for e in found]

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, nct: object) -> bool:
        return isinstance(nct, str) and nct.strip().upper() in self._entries


class StudiesApi:
    """The ``/api/v2/studies`` endpoints over a study corpus, HTTP left aside.

    ``token_on_last_page`` reproduces the API's habit of sending a token on the last page whose
    next page is ``{"studies": []}``; ``coerce_page_size`` answers ``pageSize`` above 1000 with
    1000 studies (as the spec says) instead of the default ``400``.
    """

    def __init__(self, corpus: StudyCorpus) -> None:
        self.corpus = corpus
        self.token_on_last_page = False
        self.coerce_page_size = False
        self.tokens = PageTokens()

    def answer(self, path: str, params: Mapping[str, str], phrases: Iterable[str]) -> Reply:
        """A page of studies, one study, or a 404 for any other path."""
        if path.rstrip("/") == STUDIES_PATH:
            return self.search(params, phrases)
        if path.startswith(STUDIES_PATH + "/"):
            return self.study(path.removeprefix(STUDIES_PATH + "/"))
        return Reply(404, b"Not found", TEXT_TYPE)

    def search(self, params: Mapping[str, str], phrases: Iterable[str] = ()) -> Reply:
        """One page of ``GET /studies``, or the API's plain-text ``400``."""
        try:
            request = parse_request(params, phrases, self.coerce_page_size)
            results, offset = self._position(request)
        except QueryError as err:
            return Reply(400, str(err).encode(), TEXT_TYPE)
        page = results.ncts[offset : offset + request.page_size]
        end = offset + len(page)
        more = end < len(results.ncts) or (self.token_on_last_page and bool(page))
        token = self.tokens.mint(results, end) if more else None
        total = len(results.ncts) if request.count_total and request.token is None else None
        return Reply(200, self._page_body(page, total, token), JSON_TYPE)

    def study(self, nct: str) -> Reply:
        """``GET /studies/{nctId}``: the study, 404 when unknown, 400 when not an NCT id."""
        if not _NCT.match(nct.upper()):
            return Reply(400, f"Invalid NCT number `{nct}`".encode(), TEXT_TYPE)
        body = self.corpus.body(nct)
        if body is None:
            return Reply(404, f"Study {nct.upper()} not found".encode(), TEXT_TYPE)
        return Reply(200, body, JSON_TYPE)

    def _position(self, request: PageRequest) -> tuple[ResultList, int]:
        """Where this page starts: a new search, or the result list a token points into."""
        if request.token is None:
            return self.tokens.result_list(request.query, self.corpus.search(request.query)), 0
        found = self.tokens.get(request.token)
        if found is None:
            raise QueryError(f"Invalid pageToken `{request.token}`: unknown or expired token")
        if found[0].query != request.query:
            raise QueryError("`pageToken` was issued for a query with different parameters")
        return found

    def _page_body(self, ncts: Iterable[str], total: int | None, token: str | None) -> bytes:
        """The page as the API writes it: one study object a line, then the paging fields."""
        bodies = [body for body in map(self.corpus.body, ncts) if body is not None]
        parts = [b'{"studies":[', b",\n".join(bodies), b"]"]
        if total is not None:
            parts.append(b',"totalCount":%d' % total)
        if token is not None:
            parts.append(b',"nextPageToken":' + json.dumps(token).encode())
        return b"".join(parts) + b"}\n"


def _entry(study: Mapping[str, Any]) -> _Entry:
    """The stored form of a study; CorpusError when it has no usable NCT id (its key)."""
    if not isinstance(study, Mapping):
        raise CorpusError(f"a study must be a JSON object, not {type(study).__name__}")
    protocol = _obj(study, "protocolSection")
    nct = str(_obj(protocol, "identificationModule").get("nctId", "")).strip().upper()
    if not _NCT.match(nct):
        raise CorpusError(f"study without a valid identificationModule.nctId: {nct!r}")
    status = _obj(protocol, "statusModule")
    updated = str(_obj(status, "lastUpdatePostDateStruct").get("date", ""))
    body = json.dumps(study, ensure_ascii=False, separators=(",", ":")).encode()
    ident = _obj(protocol, "identificationModule")
    infos = ident.get("secondaryIdInfos")
    secondary = frozenset(
        id_key(str(info.get("id") or ""))
        for info in (infos if isinstance(infos, list) else [])
        if isinstance(info, Mapping)
    )
    return _Entry(nct, _day(updated), str(status.get("overallStatus", "")), body, secondary)


def _obj(container: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = container.get(key)
    return value if isinstance(value, Mapping) else {}


def _day(value: str) -> date | None:
    """A full ISO day, or None: such a study is served but never matches a date window."""
    try:
        return date.fromisoformat(value) if _DAY.match(value) else None
    except ValueError:
        return None


def _order(descending: bool) -> Callable[[_Entry], tuple[int, int, str]]:
    """Sort key: dated studies first, by day (either way), then NCT id ascending."""

    def key(entry: _Entry) -> tuple[int, int, str]:
        if entry.updated is None:
            return (1, 0, entry.nct)
        day = entry.updated.toordinal()
        return (0, -day if descending else day, entry.nct)

    return key


def _matches(entry: _Entry, query: StudyQuery) -> bool:
    if query.statuses and entry.status not in query.statuses:
        return False
    if query.ncts and entry.nct not in query.ncts:
        return False
    if query.secondary_ids and not query.secondary_ids & entry.secondary_ids:
        return False
    windowed = query.since != date.min or query.until != date.max
    if entry.updated is None:
        return not windowed
    return query.since <= entry.updated <= query.until


def _studies_in(document: Any) -> list[Any]:
    if isinstance(document, dict) and isinstance(document.get("studies"), list):
        studies: list[Any] = document["studies"]
        return studies
    if isinstance(document, dict) and "protocolSection" in document:
        return [document]
    raise CorpusError("neither a /studies page nor a study object")


def _read(path: Path) -> bytes:
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as stream:
            return stream.read()
    return path.read_bytes()

"""The Europe PMC crawl against a loopback server replaying real search pages, and the link
between a preprint and its journal article."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine

from etl.pipeline.crawl import run_crawl
from etl.records import SourceRecord
from etl.works import store
from etl.works.export import export_works
from tests.conftest import SAMPLES, make_settings

CORE = SAMPLES / "europepmc" / "pyeuropepmc-search_cancer_core.json"
EMPTY = SAMPLES / "europepmc" / "pyeuropepmc-search_no_results.json"
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


class _Pages(BaseHTTPRequestHandler):
    """Page one for cursorMark=*, the empty page for the cursor page one hands out."""

    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        type(self).seen.append(params)
        body = (CORE if params.get("cursorMark") == "*" else EMPTY).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Pages.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/rest/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.mark.usefixtures("samples")  # the recorded corpus
def test_crawl_pages_by_cursor_and_keeps_the_window(
    sqlite_engine: Engine, sqlite_url: str, server: str
) -> None:
    settings = make_settings(sqlite_url, **{
        "sources.europepmc.enabled": True, "sources.europepmc.base_url": server,
        "sources.europepmc.requests_per_second": 20, "sources.europepmc.start_date": "2026-11-01",
    })  # fmt: skip
    (result,) = run_crawl(sqlite_engine, settings, ["europepmc"], NOW)
    assert result.outcome == "ok", result.error
    assert result.counts.new == 25
    first, second = _Pages.seen
    assert first["cursorMark"] == "*" and first["resultType"] == "core"
    assert second["cursorMark"] == json.loads(CORE.read_text())["nextCursorMark"]
    assert "CREATION_DATE:[2026-11-01 TO 2026-11-24]" in first["query"]
    with sqlite_engine.connect() as conn:
        assert store.load_cursor(conn, "europepmc") == {"through": "2026-11-24"}


def test_a_preprint_links_to_its_journal_article_without_merging(sqlite_engine: Engine) -> None:
    preprint = {
        "source": "europepmc",
        "source_id": "PPR:PPR900001",
        "kind": "paper",
        "deleted": False,
        "preprint": True,
        "title": "MSC exosomes in glioma",
        "identifiers": {"ppr": "PPR900001", "doi": "10.1101/2026.01.01.000001"},
        "published_version": {"pmid": "41000999", "note": "CrossRef Pre-print loader"},
    }
    article = {"source": "pubmed", "source_id": "41000999", "kind": "paper", "deleted": False,
               "title": "Mesenchymal stem cell exosomes in glioma",
               "identifiers": {"pmid": "41000999", "doi": "10.5555/glioma.1"}}  # fmt: skip
    with sqlite_engine.begin() as conn:
        store.store_records(conn, [SourceRecord(preprint), SourceRecord(article)], NOW)
        works = list(export_works(conn))
    assert len(works) == 2
    thread = next(w for w in works if "ppr" in w["identifiers"])
    (link,) = thread["links"]
    assert (link["type"], link["resolved"]) == ("published_as", True)
    assert link["identifiers"]["pmid"] == ["41000999"]

"""The offline demo: the real crawler against a local replay of PubMed, on a SQLite file.

The records are invented for the project (see demo/data/pubmed/README.md) in the real efetch
format, so everything from HTTP to the database runs exactly as it would against NCBI.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from etl.db.engine import make_engine, upgrade
from etl.pipeline.crawl import RunResult
from etl.settings import Settings, load_settings

DATA = Path(__file__).with_name("data")
CORPUS = DATA / "pubmed" / "efetch-2026-autumn.xml"
UPDATE_FILE = DATA / "pubmed" / "pubmed26n0901-update.xml.gz"
STUDIES = DATA / "ctgov" / "studies-2026-autumn.json"
STUDY_UPDATES = DATA / "ctgov" / "studies-2026-autumn-update.json"
# Recorded answers of a writer model's chat API (a loopback server serves them: no network).
WRITER_ANSWERS = DATA / "writer" / "answers.json"
FIRST_DAY = "2026-09-01"
# The demo's records are fixed in time, so its issues are too: it runs as if on Monday morning,
# 30 November 2026 in Shanghai, and publishes the three weeks before.
DEMO_NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
DEMO_WEEKS = ("2026-11-09", "2026-11-16", "2026-11-23")
DEMO_READERS = [
    ("reader.zh@example.org", "zh", []),
    ("reader.en@example.org", "en", ["hematologic", "trials"]),
]
DEMO_SECRET = "demo-only-secret-do-not-use-in-production"
DEMO_PORT = 8000  # where `mscwatch serve` listens by default: the demo's mail links lead there


def demo_site(port: int = DEMO_PORT) -> str:
    """The address the demo's mail links to: the development server on this machine."""
    return f"http://127.0.0.1:{port}/"


@dataclass
class DemoResult:
    settings: Settings
    database: str
    steps: list[tuple[str, RunResult]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[Path] = field(default_factory=list)
    archive_pages: int = 0
    drafts: list[str] = field(default_factory=list)  # the writer's report per issue


def demo_settings(
    var: Path, replay_url: str, config_dir: Path | None = None, port: int = DEMO_PORT
) -> Settings:
    """Embedded defaults, pointed at the replay server and a demo database of its own. The
    mail is signed with the demo's own key (never the operator's SECRET_KEY, which the printed
    serve command would otherwise have to show) and links to `mscwatch serve` on this machine,
    so the command the demo prints serves every link of its mail."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NCBI_API_KEY")}
    env["SECRET_KEY"] = DEMO_SECRET
    return load_settings(
        config_dir,
        env=env,
        overrides={
            "database.url": f"sqlite:///{var / 'demo' / 'mscwatch.db'}",
            "paths.var": str(var),
            "archive.base_url": demo_site(port),
            "sources.pubmed.base_url": replay_url,
            "sources.pubmed.start_date": FIRST_DAY,
            "sources.pubmed.requests_per_second": 50,
            "sources.ctgov.base_url": replay_url + "api/v2/",
            "sources.ctgov.start_date": FIRST_DAY,
            "sources.ctgov.requests_per_second": 10,
            "http.backoff": 0.2,
        },
    )


def run_demo(
    var: Path,
    crawl: Callable[[Settings], list[RunResult]],
    ingest: Callable[[Settings, Path], RunResult],
    config_dir: Path | None = None,
    port: int = DEMO_PORT,
) -> DemoResult:
    """Crawl the replay server, load an update file with deletions, let three trials change
    upstream, and crawl again: the papers are unchanged, the trials' changes become events."""
    import json

    from etl.replay import Corpus, ReplayServer
    from etl.replay.ctgov import StudyCorpus

    corpus = Corpus.from_paths([CORPUS])
    studies = StudyCorpus.from_paths([STUDIES])
    with ReplayServer(corpus, studies=studies) as server:
        settings = demo_settings(var, server.url, config_dir, port)
        engine = make_engine(settings.database_url)
        upgrade(engine)
        result = DemoResult(settings, settings.database_url)
        for run in crawl(settings):
            result.steps.append(("first crawl", run))
        result.steps.append(("update file", ingest(settings, UPDATE_FILE)))
        for study in json.loads(STUDY_UPDATES.read_text(encoding="utf-8"))["studies"]:
            studies.replace(study)
        for run in crawl(settings):
            result.steps.append(("second crawl", run))
        engine.dispose()
    publish_issues(result)
    return result


def with_writer(settings: Settings, url: str) -> Settings:
    """The demo's settings with the writer on, at the loopback chat server `url`, whatever the
    configuration says: the demo never calls a real model."""
    writer = settings.writer.model_copy(
        update={
            "enabled": True,
            "base_url": url,
            "model": "demo-writer",
            "timeout": 1.0,
            "max_retries": 0,
            "langs": ["zh"],
        }
    )
    secrets = settings.secrets.model_copy(update={"llm_api_key": "demo-writer-key"})
    return settings.model_copy(update={"writer": writer, "secrets": secrets})


def publish_issues(result: DemoResult) -> None:
    """Build, approve and mail (to the outbox) one issue a week, then write the archive: the
    issues link to each other, and the newest links to the address of the next one. A writer
    model (a loopback server with recorded answers) drafts leads as each issue is built; the
    drafts wait on the editor pages, so readers get the templates' texts."""
    from etl.replay.chat import ChatServer

    with ChatServer(WRITER_ANSWERS) as chat:
        _publish(result, with_writer(result.settings, chat.url))


def _publish(result: DemoResult, settings: Settings) -> None:
    from etl.digest.service import Digest
    from etl.mail.transport import OutboxTransport
    from etl.subscribers.service import Subscribers

    digest = Digest.open(settings)
    readers = Subscribers.open(result.settings, digest.engine)
    for email, lang, topics in DEMO_READERS:
        readers.add(email, lang, topics, confirmed=True, source="cli", now=DEMO_NOW)
    try:
        published = {i["slug"]: i for i in digest.list() if i["state"] == "sent"}
        for start in DEMO_WEEKS:
            if start in published:  # a second run of the demo: already out
                result.issues.append(published[start])
                continue
            outcome = digest.build(digest.period(start, DEMO_NOW), DEMO_NOW)
            if outcome.issue is None:
                continue
            if outcome.drafts is not None:
                result.drafts.append(f"{outcome.drafts.line()} (issue {outcome.issue['number']})")
            ref = str(outcome.issue["number"])
            digest.approve(ref, "demo", DEMO_NOW)
            outbox = OutboxTransport(result.settings.outbox_dir)
            digest.send(ref, outbox, lambda: DEMO_NOW)
            result.outbox += outbox.written
            result.issues.append(digest.issue(ref))
        from etl.studies.service import build_archive

        result.archive_pages = build_archive(digest, result.settings.archive_dir)
    finally:
        digest.engine.dispose()

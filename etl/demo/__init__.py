"""The offline demo: the real crawler against a local replay of PubMed, on a SQLite file.

The records are invented for the project (see demo/data/pubmed/README.md) in the real efetch
format, so everything from HTTP to the database runs exactly as it would against NCBI.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from etl.db.engine import make_engine, upgrade
from etl.pipeline.crawl import RunResult
from etl.settings import Settings, load_settings

DATA = Path(__file__).with_name("data")
CORPUS = DATA / "pubmed" / "efetch-2026-autumn.xml"
UPDATE_FILE = DATA / "pubmed" / "pubmed26n0901-update.xml.gz"
FIRST_DAY = "2026-09-01"


@dataclass
class DemoResult:
    settings: Settings
    database: str
    steps: list[tuple[str, RunResult]] = field(default_factory=list)


def demo_settings(var: Path, replay_url: str, config_dir: Path | None = None) -> Settings:
    """Embedded defaults, pointed at the replay server and a demo database of its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NCBI_API_KEY")}
    return load_settings(
        config_dir,
        env=env,
        overrides={
            "database.url": f"sqlite:///{var / 'demo' / 'mscwatch.db'}",
            "paths.var": str(var),
            "sources.pubmed.base_url": replay_url,
            "sources.pubmed.start_date": FIRST_DAY,
            "sources.pubmed.requests_per_second": 50,
            "http.backoff": 0.2,
            "sources.ctgov.enabled": False,
        },
    )


def run_demo(
    var: Path,
    crawl: Callable[[Settings], list[RunResult]],
    ingest: Callable[[Settings, Path], RunResult],
    config_dir: Path | None = None,
) -> DemoResult:
    """Crawl the replay server, load an update file with deletions, crawl again (all unchanged)."""
    from etl.replay import Corpus, ReplayServer

    corpus = Corpus.from_paths([CORPUS])
    with ReplayServer(corpus) as server:
        settings = demo_settings(var, server.url, config_dir)
        engine = make_engine(settings.database_url)
        upgrade(engine)
        result = DemoResult(settings, settings.database_url)
        for run in crawl(settings):
            result.steps.append(("first crawl", run))
        result.steps.append(("update file", ingest(settings, UPDATE_FILE)))
        for run in crawl(settings):
            result.steps.append(("second crawl", run))
        engine.dispose()
    return result

"""An article built from the demo's works by `article brief` passes its own check: every
citation line and trial id it writes is found, and every figure it states (the leads, the facts,
the outcome sentences) is supported by the record it cites. The demo's retracted and corrected
papers are the exceptions the check must name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from etl.articles.check import ArticleReport, check_article
from etl.articles.resolve import DatabaseResolver
from etl.classify.service import Classifier
from etl.db.engine import make_engine, upgrade
from etl.demo import CORPUS, STUDIES, UPDATE_FILE, demo_settings
from etl.digest.service import Digest
from etl.pipeline.crawl import run_crawl
from etl.pipeline.ingest import ingest_files
from etl.replay import Corpus, ReplayServer
from etl.replay.ctgov import StudyCorpus
from etl.settings import Settings
from etl.works import store

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
# The demo's notices: two from the first crawl, two from its update file.
NOTICES = {
    "10.5555/s13046-026-03541-x": "retracted",
    "10.5555/j.canlet.2026.217890": "retracted",
    "10.5555/jitc-2026-012873": "corrected",
    "10.5555/s41409-026-02711-8": "corrected",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Settings]]:
    """The demo's data as `mscwatch demo` stores it: both sources crawled from the replay of
    its records, and its update file (a deletion, a retraction) loaded."""
    var = tmp_path_factory.mktemp("demo")
    (var / "demo").mkdir()
    with ReplayServer(
        Corpus.from_paths([CORPUS]), studies=StudyCorpus.from_paths([STUDIES])
    ) as srv:
        settings = demo_settings(var, srv.url)
        engine = make_engine(settings.database_url)
        upgrade(engine)
        classifier = Classifier.from_settings(settings)
        runs = run_crawl(engine, settings, ["pubmed", "ctgov"], NOW, classifier=classifier)
    assert [run.outcome for run in runs] == ["ok", "ok"]
    ingest_files(engine, "pubmed", [UPDATE_FILE], NOW, classifier=classifier)
    yield engine, settings
    engine.dispose()


def live_works(engine: Engine) -> list[str]:
    works = store.works
    query = select(works.c.id).where(works.c.merged_into.is_(None), works.c.deleted_at.is_(None))
    with engine.connect() as conn:
        return [str(work_id) for work_id in conn.execute(query.order_by(works.c.id)).scalars()]


def checked(engine: Engine, settings: Settings, text: str) -> ArticleReport:
    return check_article(text, resolver=DatabaseResolver(engine, settings, NOW, online=False))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_brief_of_every_demo_work_passes_its_own_check(
    demo: tuple[Engine, Settings], lang: str
) -> None:
    engine, settings = demo
    works = live_works(engine)
    brief = Digest.open(settings).brief(works, lang)
    report = checked(engine, settings, brief)
    lines = [item for item in report.citations if item.citation.kind in ("paper", "trial")]
    assert len(lines) == len(works) > 50  # one citation line per work, each one found
    odd = {
        item.citation.ids.get("doi") or str(item.citation.ids): str(item.verdict)
        for item in report.citations
        if item.verdict != "found"
    }
    assert odd == NOTICES
    figures = [figure for item in report.citations for figure in item.figures]
    assert len(figures) > 300
    assert {str(figure.verdict) for figure in figures} == {"supported"}
    assert not report.blocking


def test_a_figure_changed_in_the_brief_is_caught(demo: tuple[Engine, Settings]) -> None:
    engine, settings = demo
    brief = Digest.open(settings).brief(["pmid:41000052"], "zh")
    assert "312 例" in brief
    report = checked(engine, settings, brief.replace("312 例", "321 例", 1))
    (item,) = report.citations
    assert str(item.verdict) == "found"
    changed = [f for f in item.figures if f.text == "321 例"]
    assert [(str(f.verdict), f.source_says) for f in changed] == [("contradicted", "312 patients")]
    assert report.blocking

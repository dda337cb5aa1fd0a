"""The mscwatch command as a person runs it: real processes, real files, real databases."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from etl.db.engine import MIGRATIONS
from etl.replay import Corpus, ReplayServer
from tests.conftest import CONFIG, ROOT, SAMPLES, pg_schema_url

EFETCH = SAMPLES / "pubmed-efetch"
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NCBI_API_KEY")}
    full_env.update({"COLUMNS": "200", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "etl", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(CONFIG, tmp_path / "config")
    return tmp_path


def test_db_upgrade_is_idempotent_and_says_so(workdir: Path) -> None:
    first = run("db", "upgrade", cwd=workdir)
    assert first.returncode == 0, first.stderr
    assert f"migrated from empty to {HEAD}" in first.stdout
    assert (workdir / "var" / "mscwatch.db").exists()
    second = run("db", "upgrade", cwd=workdir)
    assert f"is up to date (revision {HEAD})" in second.stdout


def test_db_upgrade_on_postgresql(workdir: Path) -> None:
    for url in pg_schema_url():
        result = run("db", "upgrade", cwd=workdir, env={"DATABASE_URL": url})
        assert result.returncode == 0, result.stderr
        assert f"migrated from empty to {HEAD}" in result.stdout
        assert (
            "is up to date" in run("db", "upgrade", cwd=workdir, env={"DATABASE_URL": url}).stdout
        )


def test_commands_refuse_an_unmigrated_database_with_a_hint(workdir: Path) -> None:
    result = run("status", cwd=workdir)
    assert result.returncode == 1
    assert "has no tables yet (there is no file var/mscwatch.db)" in result.stderr
    assert "hint: run: mscwatch db upgrade" in result.stderr
    assert not (workdir / "var").exists()  # no empty database file (or folder) left behind
    (workdir / "var").mkdir()
    (workdir / "var" / "mscwatch.db").write_bytes(b"")  # a file with no tables in it
    empty = run("status", cwd=workdir)
    assert empty.returncode == 1 and "has no tables yet; the code needs" in empty.stderr


@pytest.mark.usefixtures("samples")  # the recorded corpus
def test_parse_prints_json_lines(workdir: Path) -> None:
    result = run("parse", "pubmed", str(EFETCH / "pubmed-29768149.xml"), cwd=workdir)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    record = json.loads(line)
    assert record["source_id"] == "29768149"
    assert record["identifiers"]["registry_ids"] == ["NCT02149199"]


@pytest.mark.usefixtures("samples")  # the recorded corpus
def test_parse_reports_a_broken_record_and_prints_the_rest(workdir: Path) -> None:
    files = [EFETCH / "reciter-special_characters-MALFORMED.xml", EFETCH / "metapub-35649368.xml"]
    result = run("parse", "pubmed", *map(str, files), "--jobs", "1", cwd=workdir)
    assert result.returncode == 1
    assert [json.loads(x)["source_id"] for x in result.stdout.splitlines()] == ["35649368"]
    assert result.stderr.strip() == (
        "error: reciter-special_characters-MALFORMED.xml: record 24694772: not well-formed XML "
        "at line 30, column 66: xmlParseEntityRef: no name"
    )


@pytest.mark.usefixtures("samples")  # the recorded corpus
def test_parse_in_parallel_keeps_the_order_of_the_files(workdir: Path) -> None:
    files = sorted(p for p in EFETCH.glob("*.xml") if "MALFORMED" not in p.name)
    serial = run("parse", "pubmed", *map(str, files), "--jobs", "1", cwd=workdir)
    parallel = run("parse", "pubmed", *map(str, files), "--jobs", "2", cwd=workdir)
    assert serial.returncode == parallel.returncode == 0
    assert parallel.stdout == serial.stdout
    assert len(serial.stdout.splitlines()) == 821


@pytest.mark.usefixtures("samples")  # the recorded corpus
def test_parse_unknown_source_names_the_known_ones(workdir: Path) -> None:
    result = run("parse", "medline", str(EFETCH / "metapub-35649368.xml"), cwd=workdir)
    assert result.returncode == 1
    assert "error: unknown source 'medline'" in result.stderr and "pubmed" in result.stderr


@pytest.mark.usefixtures("samples")  # the recorded corpus
def test_ingest_twice_then_status(workdir: Path) -> None:
    assert run("db", "upgrade", cwd=workdir).returncode == 0
    files = [str(EFETCH / "ncbiutils-pubmed22n1313.xml"), str(EFETCH / "metapub-35649368.xml")]
    first = run("ingest", *files, cwd=workdir)
    assert first.returncode == 0, first.stderr
    assert "pubmed: ok: 564 fetched, 5 new, 0 updated, 0 unchanged" in first.stdout
    second = run("ingest", *files, cwd=workdir)
    assert "5 unchanged" in second.stdout
    assert "nothing changed" in second.stdout
    status = run("status", cwd=workdir)
    assert status.returncode == 0, status.stderr
    row = next(line for line in status.stdout.splitlines() if "pubmed" in line)
    assert re.search(r"pubmed\s*│[^│]+│\s*ok\s*│\s*0\s*│\s*0\s*│\s*5\s*│\s*0\s*│\s*0", row), row


def test_crawl_against_a_configured_base_url(workdir: Path) -> None:
    corpus = Corpus.from_paths(
        [ROOT / "etl" / "demo" / "data" / "pubmed" / "efetch-2026-autumn.xml"]
    )
    with ReplayServer(corpus) as server:
        sources = (workdir / "config" / "sources.toml").read_text()
        sources = sources.replace(
            'base_url = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"',
            f'base_url = "{server.url}"\nrequests_per_second = 100',
        ).replace('start_date = "2025-01-01"', 'start_date = "2026-09-01"')
        sources = sources.replace(
            "[sources.ctgov]\nenabled = true", "[sources.ctgov]\nenabled = false"
        )
        (workdir / "config" / "sources.toml").write_text(sources)
        settings = (workdir / "config" / "settings.toml").read_text()
        settings = settings.replace("attempts = 5", "attempts = 2").replace(
            "backoff = 2.0", "backoff = 0.1"
        )
        (workdir / "config" / "settings.toml").write_text(settings)
        assert run("db", "upgrade", cwd=workdir).returncode == 0
        dry = run("crawl", "--dry-run", cwd=workdir)
        assert "dry run: pubmed: ok: 47 fetched, 47 new" in dry.stdout, dry.stdout + dry.stderr
        result = run("crawl", "--source", "pubmed", cwd=workdir)
        assert result.returncode == 0, result.stderr
        assert "pubmed: ok: 47 fetched, 47 new, 0 updated" in result.stdout
        again = run("crawl", cwd=workdir)
        assert "0 new" in again.stdout
        server.faults.queue("503", times=1000)
        failed = run("crawl", cwd=workdir)
    assert failed.returncode == 1
    assert "pubmed: failed:" in failed.stdout
    assert "failed after 2 tries; last: answered HTTP 503" in failed.stdout


def test_crawl_unknown_source_and_bad_config_are_named(workdir: Path) -> None:
    assert run("db", "upgrade", cwd=workdir).returncode == 0
    unknown = run("crawl", "--source", "embase", cwd=workdir)
    assert unknown.returncode == 1
    assert "error: source 'embase' is not configured or not enabled" in unknown.stderr
    path = workdir / "config" / "sources.toml"
    path.write_text(path.read_text().replace("overlap_days = 10", "overlap_days = -3"))
    bad = run("crawl", cwd=workdir)
    assert bad.returncode == 1
    assert "sources.toml: sources.pubmed.overlap_days" in bad.stderr and "(got -3)" in bad.stderr


def test_demo_runs_offline_end_to_end(tmp_path: Path) -> None:
    result = run("demo", "--var", str(tmp_path / "var"), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any("pubmed: ok: 47 fetched, 47 new, 0 updated, 0 unchanged" in x for x in lines)
    assert any("ctgov: ok: 15 fetched, 15 new" in line for line in lines)
    assert any("2 new, 4 updated" in line and "1 deleted" in line for line in lines)
    assert any("ctgov: ok:" in line and "3 updated" in line for line in lines)
    assert (tmp_path / "var" / "demo" / "mscwatch.db").exists()
    assert "Sources" in result.stdout
    # ... and all the way to the digest: consecutive issues, mailed and archived.
    assert [line.split(":")[0] for line in lines if line.startswith("issue ")] == [
        "issue 1 (2026-11-09)",
        "issue 2 (2026-11-16)",
        "issue 3 (2026-11-23)",
    ]
    outbox = sorted((tmp_path / "var" / "outbox").glob("*.eml"))
    assert len(outbox) == 6
    assert f"6 messages in {tmp_path / 'var' / 'outbox'}/ (open" in result.stdout
    message = email.message_from_bytes(outbox[-1].read_bytes(), policy=email.policy.default)
    assert "第 3 期" in message["Subject"] and message["List-Unsubscribe-Post"]
    html = message.get_body(("html",)).get_content()
    assert "http://127.0.0.1:8000/issues/2026-11-16/" in html  # the previous issue, served
    assert "http://127.0.0.1:8000/issues/2026-11-30/" in html  # the next one's address
    archive = tmp_path / "var" / "archive"
    second = (archive / "issues" / "2026-11-16" / "index.html").read_text(encoding="utf-8")
    assert 'rel="prev" href="http://127.0.0.1:8000/issues/2026-11-09/"' in second
    assert 'rel="next" href="http://127.0.0.1:8000/issues/2026-11-23/"' in second
    assert "尚未发布" in (archive / "issues" / "2026-11-30" / "index.html").read_text("utf-8")
    again = run("demo", "--var", str(tmp_path / "var"), cwd=ROOT)
    assert again.returncode == 0, again.stderr
    # a second run sends nothing twice, and says what the outbox holds
    assert f"6 messages in {tmp_path / 'var' / 'outbox'}/, 0 of them new" in again.stdout
    # The writer model (a loopback server with recorded answers) drafted each issue's leads.
    assert "writer: 4 drafted, 3 failed, 0 kept (issue 1)" in lines


def test_help_lists_every_command(workdir: Path) -> None:
    result = run("--help", cwd=workdir)
    for command in ("crawl", "ingest", "parse", "status", "demo", "db"):
        assert command in result.stdout


def test_classify_evaluate_prints_scores_and_misses(workdir: Path) -> None:
    result = run(
        "classify",
        "evaluate",
        str(ROOT / "tests" / "classify" / "eval_set.jsonl"),
        "--json",
        cwd=workdir,
    )
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["relevance"]["f1"] >= 0.95 and scores["stage"]["accuracy"] >= 0.85
    assert all({"id", "label", "expected", "predicted"} <= set(m) for m in scores["misses"])


def test_parse_with_classify_adds_labels(workdir: Path) -> None:
    demo = ROOT / "etl" / "demo" / "data" / "pubmed" / "efetch-2026-autumn.xml"
    result = run("parse", "pubmed", str(demo), "--classify", cwd=workdir)
    assert result.returncode == 0, result.stderr
    labels = [json.loads(line)["labels"] for line in result.stdout.splitlines()]
    assert len(labels) == 47
    keys = {
        "relevant",
        "relevance",
        "cancer_types",
        "strategies",
        "msc_sources",
        "stage",
        "safety",
        "section",
        "evidence",
    }
    assert all(keys <= set(item) for item in labels)
    assert any(item["relevant"] for item in labels) and not all(item["relevant"] for item in labels)


def test_classify_label_train_and_rerun(workdir: Path) -> None:
    demo = ROOT / "etl" / "demo" / "data" / "pubmed" / "efetch-2026-autumn.xml"
    assert run("db", "upgrade", cwd=workdir).returncode == 0
    assert run("ingest", str(demo), cwd=workdir).returncode == 0
    few = run("classify", "train", cwd=workdir)
    assert few.returncode == 1 and "too few to train on" in few.stderr
    missing = run("classify", "label", "9999", "include", cwd=workdir)
    assert missing.returncode == 1 and "there is no work 9999" in missing.stderr
    for work in range(1, 48):  # editors exclude the even-numbered works, include the others
        decision = "exclude" if work % 2 == 0 else "include"
        assert run("classify", "label", str(work), decision, cwd=workdir).returncode == 0
    trained = run("classify", "train", cwd=workdir)
    assert trained.returncode == 0, trained.stderr
    assert "trained on 47 decisions; held-out F1" in trained.stdout
    assert list((workdir / "var" / "models").glob("relevance-*.joblib"))
    again = run("classify", "rerun", cwd=workdir)
    assert again.returncode == 0, again.stderr
    everything = run("classify", "rerun", "--all", cwd=workdir)
    assert "classified 47 works" in everything.stdout


def test_export_works_and_split_a_probable_duplicate(workdir: Path, tmp_path: Path) -> None:
    demo = ROOT / "etl" / "demo" / "data" / "pubmed" / "efetch-2026-autumn.xml"
    text = demo.read_text(encoding="utf-8")
    # the same paper cited twice: a second PMID, no DOI, the title with other punctuation
    first = text.index("<PubmedArticle>")
    article = text[first : text.index("</PubmedArticle>", first) + len("</PubmedArticle>")]
    twin = article.replace("41000012", "41000999")
    twin = twin.replace("suppress colorectal", "suppress, colorectal")
    for kind in ("doi", "pmc"):  # no identifier in common
        twin = twin.replace(f'IdType="{kind}"', 'IdType="x"')
    twin_file = tmp_path / "twin.xml"
    twin_file.write_text(f"<PubmedArticleSet>{twin}</PubmedArticleSet>", encoding="utf-8")
    assert run("db", "upgrade", cwd=workdir).returncode == 0
    assert run("ingest", str(demo), str(twin_file), cwd=workdir).returncode == 0
    exported = [json.loads(x) for x in run("export", "works", cwd=workdir).stdout.splitlines()]
    assert len(exported) == 47
    (joined,) = [w for w in exported if "probable_duplicate_of" in w]
    assert set(joined["sources"]) == {"pubmed:41000012", "pubmed:41000999"}
    assert joined["probable_duplicate_of"][0]["sources"] == ["pubmed:41000999"]
    assert all(
        {"kind", "identifiers", "title", "sources", "links", "events"} <= set(w) for w in exported
    )
    retracted = next(w for w in exported if w["retracted"])
    assert any(link["type"] == "retracted_by" and link["resolved"] for link in retracted["links"])
    # the facts the digest and the brief read, from the same extractor
    trial_paper = next(w for w in exported if "pubmed:41000052" in w["sources"])
    assert trial_paper["facts"]["design"] == "rct" and trial_paper["facts"]["patients"] == 312
    assert trial_paper["facts"]["outcomes"][0]["value"] == "21.4%"
    result = run("works", "split", str(joined["work_id"]), cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert len(run("export", "works", cwd=workdir).stdout.splitlines()) == 48
    csv_text = run("export", "works", "--format", "csv", cwd=workdir).stdout
    assert csv_text.splitlines()[0].startswith("work_id,kind,title")
    nothing = run("works", "split", "1", cwd=workdir)
    assert nothing.returncode == 1 and "has no merge to undo" in nothing.stderr


@pytest.mark.usefixtures("samples")  # the recorded corpus
def test_ingest_ictrp_export(workdir: Path) -> None:
    export = SAMPLES / "ictrp" / "ebmdatalab-ICTRP-Results_18Mar2020.xml"
    assert run("db", "upgrade", cwd=workdir).returncode == 0
    first = run("ingest", "--source", "ictrp", str(export), cwd=workdir)
    assert first.returncode == 0, first.stderr
    assert "ictrp: ok: 578 fetched, 578 new" in first.stdout
    assert "578 unchanged" in run("ingest", "--source", "ictrp", str(export), cwd=workdir).stdout
    works = [json.loads(x) for x in run("export", "works", cwd=workdir).stdout.splitlines()]
    schemes = {scheme for work in works for scheme in work["identifiers"]}
    assert {"chictr", "nct"} <= schemes and all(w["kind"] == "trial" for w in works)


def test_two_feeds_with_one_name_are_refused(workdir: Path) -> None:
    path = workdir / "config" / "sources.toml"
    path.write_text(
        path.read_text().replace(
            "feeds = []",
            'feeds = [{ name = "a", url = '
            '"https://example.org/1.rss" }, { name = "a", url = "https://example.org/2.rss" }]',
        )
    )
    result = run("status", cwd=workdir)
    assert result.returncode == 1
    assert "sources.feed.feeds" in result.stderr and "used twice: a" in result.stderr


@pytest.mark.parametrize("tty", [True, False])
def test_a_log_line_says_its_level_once(tty: bool, capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from etl.cli import configure_logging

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging("text", verbose=False, tty=tty)
        logging.getLogger("etl.http").warning("pubmed: esearch: timed out; retrying in 2.0s")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    err = " ".join(capsys.readouterr().err.split())
    assert "pubmed: esearch: timed out; retrying in 2.0s" in err
    assert err.count("WARNING") == 1 and "etl.http:" not in err, err


def test_status_fits_an_80_column_terminal_and_wide_shows_every_column(workdir: Path) -> None:
    demo = ROOT / "etl" / "demo" / "data" / "pubmed" / "efetch-2026-autumn.xml"
    assert run("db", "upgrade", cwd=workdir).returncode == 0
    assert run("ingest", str(demo), cwd=workdir).returncode == 0
    narrow = run("status", cwd=workdir, env={"COLUMNS": "80"})
    assert narrow.returncode == 0, narrow.stderr
    tables = [line for line in narrow.stdout.splitlines() if line[:1] in "┏┃┡│└"]
    assert tables and max(len(line) for line in tables) <= 80, narrow.stdout
    assert "…" not in narrow.stdout  # nothing cut short: columns left out instead
    assert "left out to fit: --wide shows them" in narrow.stdout
    header = next(line for line in tables if "source" in line)
    assert "last run" in header and "outcome" in header and "watermark" not in header
    wide = run("status", "--wide", cwd=workdir, env={"COLUMNS": "80"})
    assert wide.returncode == 0, wide.stderr
    for column in ("watermark", "last", "quarantined", "failure"):
        assert column in wide.stdout, column
    assert "left out" not in wide.stdout
    roomy = run("status", cwd=workdir)  # 200 columns: everything fits, nothing left out
    assert "watermark" in roomy.stdout and "left out" not in roomy.stdout

"""The operator's commands around the scheduler, run as a person runs them: `config check`,
`config show` (secrets masked), `run --job`, JSON logs, and the health in `status`."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import tomli_w

from etl.replay import Corpus, ReplayServer
from tests.conftest import CONFIG
from tests.test_cli import run


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(CONFIG, tmp_path / "config")
    return tmp_path


def edit(workdir: Path, name: str, table: tuple[str, ...], **values: object) -> None:
    path = workdir / "config" / name
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    target = data
    for key in table:
        target = target.setdefault(key, {})
    target.update(values)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")


def test_config_check_passes_the_shipped_files_and_says_what_to_mind(workdir: Path) -> None:
    result = run("config", "check", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "configuration is valid" in result.stdout
    assert "warning: SECRET_KEY: not set" in result.stdout
    assert "schedule.jobs.'crawl:feed': not run: its source is not enabled" in result.stdout


def test_config_check_warns_of_every_address_left_at_an_example_domain(workdir: Path) -> None:
    shipped = run("config", "check", cwd=workdir)
    assert shipped.returncode == 0, shipped.stderr
    lines = " ".join(shipped.stdout.split())  # rich may fold long lines
    for key in ("mail.from_address", "mail.reply_to", "mail.unsubscribe_mailto",
                "mail.list_id", "archive.base_url", "sources.pubmed.email"):  # fmt: skip
        assert re.search(
            rf"warning: \S+\.toml: {re.escape(key)}: .*? is an example domain", lines
        ), key
    assert "configuration is valid, with 7 warning(s) above" in lines
    edit(workdir, "mail.toml", ("mail",), from_address="digest@msc.lab-one.cn",
         reply_to="editors@msc.lab-one.cn", unsubscribe_mailto="leave@msc.lab-one.cn",
         list_id="MSC Watch <weekly.msc.lab-one.cn>")  # fmt: skip
    edit(workdir, "digest.toml", ("archive",), base_url="https://msc.lab-one.cn/")
    edit(workdir, "sources.toml", ("sources", "pubmed"), email="ops@lab-one.cn")
    edit(workdir, "schedule.toml", ("alerts",), to=["ops@lab-one.cn"])
    own = run("config", "check", cwd=workdir, env={"SECRET_KEY": "k" * 40})
    assert own.returncode == 0, own.stderr
    assert "example domain" not in own.stdout and "warning" not in own.stdout
    assert own.stdout.rstrip().endswith("configuration is valid")


def test_config_check_names_file_key_value_and_what_is_allowed(workdir: Path) -> None:
    edit(workdir, "mail.toml", ("delivery",), rate=-1)
    result = run("config", "check", cwd=workdir)
    assert result.returncode == 1
    line = result.stderr.splitlines()[0]
    assert line.startswith("error: ") and "mail.toml: delivery.rate:" in line
    assert "greater than or equal to 0" in line and "(got -1)" in line
    shutil.copy(CONFIG / "mail.toml", workdir / "config" / "mail.toml")
    edit(workdir, "settings.toml", ("classify",), taxonomy="x.yaml")
    missing = run("config", "check", cwd=workdir)
    assert missing.returncode == 1 and "x.yaml" in missing.stdout + missing.stderr


def test_config_show_prints_the_effective_settings_with_secrets_masked(workdir: Path) -> None:
    secrets = {
        "DATABASE_URL": "postgresql+psycopg://watch:hunter2@db:5432/watch",
        "SMTP_URL": "smtp://mailer:s3cret-pass@relay.example.org:587?starttls=true",
        "SECRET_KEY": "k" * 48,
        "NCBI_API_KEY": "abcdef0123456789",
        "LLM_API_KEY": "sk-writer-0123456789",
    }
    result = run("config", "show", cwd=workdir, env=secrets)
    assert result.returncode == 0, result.stderr
    for value in ("hunter2", "s3cret-pass", "k" * 48, "abcdef0123456789", "sk-writer-0123456789"):
        assert value not in result.stdout
    shown = tomllib.loads(result.stdout)  # the output is TOML itself
    assert shown["environment"] == {
        "DATABASE_URL": "postgresql+psycopg://watch:***@db:5432/watch",
        "SMTP_URL": "smtp://mailer:***@relay.example.org:587?starttls=true",
        "NCBI_API_KEY": "(set, 16 characters)",
        "SECRET_KEY": "(set, 48 characters)",
        "LLM_API_KEY": "(set, 20 characters)",
    }
    assert shown["schedule"]["timezone"] == "Asia/Shanghai"
    assert shown["delivery"]["failure_streak"] == 20  # defaults are shown too
    as_json = json.loads(run("config", "show", "--json", cwd=workdir, env=secrets).stdout)
    assert as_json["schedule.toml"]["alerts"]["after_failures"] == 2
    assert "hunter2" not in json.dumps(as_json)


def test_run_job_logs_one_json_line_and_status_tells_quiet_from_broken(workdir: Path) -> None:
    # Up to yesterday, so the second crawl's overlap window (the last 10 days) has records.
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    corpus = Corpus.synthetic(30, yesterday - timedelta(days=80), yesterday)
    with ReplayServer(corpus) as server:
        edit(
            workdir,
            "sources.toml",
            ("sources", "pubmed"),
            base_url=server.url,
            start_date=yesterday - timedelta(days=80),
            requests_per_second=100.0,
        )
        edit(workdir, "sources.toml", ("sources", "ctgov"), base_url=server.url)
        edit(workdir, "settings.toml", ("http",), attempts=1, timeout=2.0)
        assert run("db", "upgrade", cwd=workdir).returncode == 0
        first = run("--log-format", "json", "run", "--job", "crawl:pubmed", cwd=workdir)
        assert first.returncode == 0, first.stderr
        (line,) = [json.loads(x) for x in first.stderr.splitlines() if '"job"' in x]
        assert (line["job"], line["trigger"], line["outcome"]) == ("crawl:pubmed", "manual", "ok")
        assert line["counts"]["new"] == 30 and line["seconds"] >= 0
        second = run("run", "--job", "crawl:pubmed", cwd=workdir)
        assert second.returncode == 0
        assert re.search(r"crawl:pubmed: ok: [1-9]\d* fetched, 0 new", second.stdout)
        # ctgov's base URL answers with PubMed's replay: not what a registry says.
        for _ in range(2):
            assert run("run", "--job", "crawl:ctgov", cwd=workdir).returncode == 1
    status = run("status", "--json", cwd=workdir)
    jobs = {job["job"]: job for job in json.loads(status.stdout)["jobs"]}
    assert jobs["crawl:pubmed"]["health"] == "quiet"
    assert jobs["crawl:ctgov"]["health"] == "broken" and jobs["crawl:ctgov"]["streak"] == 2
    assert jobs["crawl:ctgov"]["last_error"] and jobs["crawl:ctgov"]["alert_open_since"]
    table = run("status", cwd=workdir).stdout
    assert "crawl:ctgov broken: 2 runs in a row; the last failed:" in table
    assert "crawl:ctgov alert open since" in table and "(not mailed)" in table
    unknown = run("run", "--job", "crawl:medline", cwd=workdir)
    assert unknown.returncode == 1 and "jobs are: crawl:pubmed, crawl:ctgov" in unknown.stderr


def test_config_check_reads_the_term_tables(workdir: Path) -> None:
    terms = workdir / "config" / "terms-zh.toml"
    text = terms.read_text(encoding="utf-8")
    terms.write_text(text.replace('en = ["objective response rate"', 'en = ["(objective"', 1))
    result = run("config", "check", cwd=workdir)
    assert result.returncode == 1
    said = result.stdout + result.stderr
    assert "terms-zh.toml" in said and "outcome row 1 (orr): en: bad pattern" in said

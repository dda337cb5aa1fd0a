"""The citation and claim check on an article drafted from the demo's works, on SQLite and
PostgreSQL: every citation found and every figure supported; a number the editor gets wrong is
contradicted, blocks approval, is marked in the editor's panel, and once fixed lets it through.
The command line's approve checks the current text first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from etl.articles.service import Articles
from etl.errors import ArticleError
from tests.articles.conftest import NOW
from tests.articles.test_pages import site, token  # noqa: F401  (the logged-in site fixture)
from tests.web.test_editor_pages import Site

# The phase II paper's lead, as drafted, and as an editor mistypes it (the record says 58).
RIGHT = "58 例血液肿瘤患者"
WRONG = "85 例血液肿瘤患者"


def test_a_draft_from_the_demos_works_passes_the_check(articles: Articles) -> None:
    ref = str(articles.new(None, "zh", "ana", NOW)["id"])
    checked = articles.check(ref, NOW, online=False)
    summary = checked["check_report"]["summary"]
    assert summary["citations"] >= 4 and summary["verdicts"]["not_found"] == 0
    assert summary["figures"]["supported"] > 20
    assert summary["figures"]["contradicted"] == summary["figures"]["not_in_source"] == 0
    assert not checked["check_blocking"] and checked["checked_version"] == 1
    assert articles.approve(ref, "ana", NOW)["state"] == "approved"


def test_a_wrong_number_blocks_until_it_is_fixed(articles: Articles) -> None:
    ref = str(articles.new(None, "zh", "ana", NOW)["id"])
    body = articles.text(ref)["body"]
    assert body.count(RIGHT) == 1
    articles.save(ref, body.replace(RIGHT, WRONG), "ana", NOW)
    checked = articles.check(ref, NOW, online=False)
    assert checked["check_blocking"]
    reasons = checked["check_report"]["summary"]["blocking_reasons"]
    assert any("85 例 contradicted" in reason for reason in reasons), reasons
    with pytest.raises(ArticleError, match="cannot be approved"):
        articles.approve(ref, "ana", NOW)
    articles.save(ref, body, "ana", NOW)
    assert not articles.check(ref, NOW, online=False)["check_blocking"]
    assert articles.approve(ref, "ana", NOW)["override_note"] == ""


def test_the_panel_shows_each_verdict_on_its_span(site: Site) -> None:  # noqa: F811
    client = site.client
    service = Articles(site.app.extensions["mscwatch"].digest)
    ref = str(service.new(None, "zh", "ana", NOW)["id"])
    body = service.text(ref)["body"]
    service.save(ref, body.replace(RIGHT, WRONG), "ana", NOW)
    base = f"/editor/articles/{ref}"
    csrf = token(client, base)
    assert client.post(f"{base}/check", data={"csrf_token": csrf}).status_code == 303
    page = client.get(base).text
    assert 'id="check-outcome" data-outcome="blocking">blocking<' in page
    assert re.search(r'<mark class="figure-contradicted" title="\[\d+\] 85 例: contradicted; '
                     r'the record says [^"]*58[^"]*">85 例</mark>', page)  # fmt: skip
    assert '<mark class="citation-found"' in page and "figure-supported" in page
    assert "contradicted (the record says" in page  # the blocking reason, in the list
    # a new version is not the checked one: approval waits for a check of it
    service.save(ref, service.text(ref)["body"].replace("85 例", "58 例"), "ana", NOW)
    assert "the text has changed since" in client.get(base).text
    client.post(f"{base}/check", data={"csrf_token": csrf})
    assert 'id="check-outcome" data-outcome="passed">passed<' in client.get(base).text


def test_the_command_line_approve_checks_first(tmp_path: Path) -> None:
    import shutil

    from etl.demo import CORPUS, STUDIES
    from tests.conftest import CONFIG
    from tests.test_cli import run

    shutil.copytree(CONFIG, tmp_path / "config")
    assert run("db", "upgrade", cwd=tmp_path).returncode == 0
    for source, path in (("pubmed", CORPUS), ("ctgov", STUDIES)):
        assert run("ingest", "--source", source, str(path), cwd=tmp_path).returncode == 0
    made = run("article", "new", "pmid:41000181", "NCT06218473", "--by", "ana", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "article 1 (" in made.stdout and "draft from 2 works" in made.stdout
    shown = run("article", "show", "1", cwd=tmp_path).stdout
    assert "ClinicalTrials.gov 注册号：NCT06218473" in shown
    wrong = tmp_path / "wrong.md"
    assert shown.count(RIGHT) == 1
    wrong.write_text(shown.replace(RIGHT, WRONG), encoding="utf-8")
    saved = run("article", "save", "1", str(wrong), "--by", "bo", cwd=tmp_path)
    assert "saved as version 2" in saved.stdout, saved.stderr
    refused = run("article", "approve", "1", "--offline", cwd=tmp_path)
    assert refused.returncode == 1
    assert "checked version 2: blocking: " in refused.stdout and "85 例" in refused.stdout
    assert "cannot be approved" in refused.stderr + refused.stdout
    noted = run("article", "approve", "1", "--override", "数字已核对原文", cwd=tmp_path)
    assert noted.returncode == 0, noted.stderr
    assert "approved by cli (override: 数字已核对原文)" in noted.stdout
    published = run("article", "publish", "1", cwd=tmp_path)
    assert published.returncode == 0 and "published at articles/" in published.stdout
    listed = run("article", "list", "--json", cwd=tmp_path).stdout
    assert '"state": "published"' in listed
    built = run("archive", "build", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert list((tmp_path / "var" / "archive" / "articles").glob("*/index.html"))

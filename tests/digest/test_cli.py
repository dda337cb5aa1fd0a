"""The digest commands as an operator runs them, in real processes on a real database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from etl.demo import CORPUS, STUDIES
from tests.conftest import CONFIG
from tests.test_cli import run


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    shutil.copytree(CONFIG, folder / "config")
    assert run("db", "upgrade", cwd=folder).returncode == 0
    for source, path in (("pubmed", CORPUS), ("ctgov", STUDIES)):
        done = run("ingest", "--source", source, str(path), cwd=folder)
        assert done.returncode == 0, done.stderr
    return folder


def test_build_list_preview_approve_and_archive(loaded: Path) -> None:
    built = run("digest", "build", "--period", "2026-11-18", cwd=loaded)
    assert built.returncode == 0, built.stderr
    assert "built issue 1 (2026-11-16, 2026-11-16..2026-11-22, draft)" in built.stdout
    again = run("digest", "build", "--period", "2026-11-16", cwd=loaded)
    assert "refreshed issue 1" in again.stdout
    listed = json.loads(run("digest", "list", "--json", cwd=loaded).stdout)
    assert [(i["number"], i["slug"], i["state"]) for i in listed] == [(1, "2026-11-16", "draft")]
    assert listed[0]["period_end"] == "2026-11-22" and listed[0]["counts"]["items"] > 0
    preview = run("digest", "preview", "1", "--lang", "zh", "--out", str(loaded / "pv"), cwd=loaded)
    assert preview.returncode == 0, preview.stderr
    paths = [Path(line) for line in preview.stdout.split()]
    assert [p.name for p in paths] == [
        "issue-001-2026-11-16.zh.html",
        "issue-001-2026-11-16.zh.txt",
    ]
    assert "论文：《" in paths[1].read_text(encoding="utf-8")
    featured = run("digest", "feature", "pmid:41000640", "--highlight", "编辑写的亮点", cwd=loaded)
    assert featured.returncode == 0, featured.stderr
    edited = run(
        "digest",
        "edit",
        "1",
        "--headline",
        "间充质干细胞能否守护化疗中的心脏?",
        "--intro",
        "本期聚焦……",
        cwd=loaded,
    )
    assert "headline, intro updated" in edited.stdout
    run("digest", "build", "--period", "2026-11-16", cwd=loaded)
    run("digest", "preview", "1", "--lang", "zh", "--out", str(loaded / "pv"), cwd=loaded)
    text = paths[1].read_text(encoding="utf-8")
    assert "研究亮点：编辑写的亮点" in text
    # The editor typed an ASCII "?": the Chinese edition sets it full-width.
    assert "间充质干细胞能否守护化疗中的心脏？" in text and "引言：本期聚焦……" in text
    approved = run("digest", "approve", "1", "--by", "editor", cwd=loaded)
    assert approved.returncode == 0, approved.stderr
    assert "approved" in run("digest", "list", cwd=loaded).stdout
    archive = run("archive", "build", "--out", str(loaded / "site"), cwd=loaded)
    # Nothing published yet: indexes, the issue feed, the feed list and a feed per topic, and
    # the evidence map's four charts as PNG.
    topics = 5 + 29 + 8
    assert f"wrote {2 * (3 + topics + 4)} pages" in archive.stdout
    assert (loaded / "site" / "evidence" / "charts" / "by-cancer.en.png").read_bytes()[:4] == (
        b"\x89PNG"
    )


def test_bad_input_gets_one_clear_line(loaded: Path) -> None:
    period = run("digest", "build", "--period", "16/11/2026", cwd=loaded)
    assert period.returncode == 1 and "error: --period '16/11/2026'" in period.stderr
    lang = run("digest", "preview", "1", "--lang", "fr", cwd=loaded)
    assert lang.returncode == 1 and "choose one of: zh, en" in lang.stderr
    missing = run("digest", "approve", "42", cwd=loaded)
    assert missing.returncode == 1 and "no issue '42'" in missing.stderr
    work = run("article", "brief", "pmid:1", cwd=loaded)
    assert work.returncode == 1 and "no work 'pmid:1'" in work.stderr


def test_article_brief_for_picked_works(loaded: Path) -> None:
    brief = run(
        "article", "brief", "pmid:41000012", "NCT06218473", "10.5555/s13045-026-01777-4", cwd=loaded
    )
    assert brief.returncode == 0, brief.stderr
    text = brief.stdout
    assert text.startswith("# 〔标题") and "引言：" in text
    assert "## 一、实体瘤" in text and "### 1.1、结直肠癌" in text and "## 二、血液肿瘤" in text
    assert "论文：《Umbilical cord mesenchymal stem cell-derived exosomes" in text
    assert "临床试验：《Umbilical Cord MSCs for GVHD Prophylaxis" in text
    assert "| 治疗策略 | 代表研究 | 癌种 | 研发阶段 |" in text and "免责说明" in text
    assert "- 患者：312 例" in text
    english = run("article", "brief", "NCT06218473", "--lang", "en", cwd=loaded).stdout
    assert "| Strategy | Study | Cancer | Stage |" in english and "Disclaimer" in english

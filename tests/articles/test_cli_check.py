"""`mscwatch article check FILE` as a person runs it: a real process, a real database, the
sources replayed on loopback; the table, the JSON and the exit status."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CONFIG
from tests.support.searches import SearchReplay
from tests.test_cli import run

DATA = Path(__file__).parent / "data"
FOUND = (
    "南方医科大学南方医院对 12 例 AML 移植后 MRD 阳性患者给予 MSCs 联合低剂量化疗：6 例在 3 个月内"
    " MRD 转阴。\n\n"
    "论文：《Mesenchymal stem cells combined with low-dose chemotherapy for minimal residual "
    "disease in acute myeloid leukemia》（《Leukemia Research》，2023 年，"
    "DOI：10.1016/j.leukres.2023.106872）\n"
)
MISSING = (
    "\n北京协和医院对 20 例血液肿瘤患者进行移植 + MSCs 输注。\n\n"
    "论文：《Reduced-intensity conditioning transplantation with mesenchymal stem cells in "
    "elderly hematologic malignancies》（《Lancet Haematology》，2024 年，"
    "DOI：10.1016/S2352-3026 (24) 00089-1）\n"
)


@pytest.fixture
def server() -> Iterator[SearchReplay]:
    replay = SearchReplay.from_files(
        [DATA / "efetch-seed.xml"], [DATA / "studies-seed.json"], DATA / "esearch-seed.json"
    )
    with replay as srv:
        yield srv


@pytest.fixture
def workdir(tmp_path: Path, server: SearchReplay) -> Path:
    shutil.copytree(CONFIG, tmp_path / "config")
    path = tmp_path / "config" / "sources.toml"
    sources = path.read_text().replace(
        'base_url = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"',
        f'base_url = "{server.url}"\nrequests_per_second = 100',
    )
    path.write_text(
        sources.replace(
            'base_url = "https://clinicaltrials.gov/api/v2/"', f'base_url = "{server.ctgov_url}"'
        )  # fmt: skip
    )
    assert run("db", "upgrade", cwd=tmp_path).returncode == 0
    return tmp_path


def test_a_blocking_article_prints_its_table_and_exits_1(workdir: Path) -> None:
    article = workdir / "article.md"
    article.write_text(FOUND + MISSING, encoding="utf-8")
    result = run("article", "check", str(article), cwd=workdir)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "article.md: 2 citations" in out
    row = next(line for line in out.splitlines() if "Mesenchymal stem cells combined" in line)
    assert "found" in row and "✓ 12 例" in row
    assert "not_found" in out and "DOI 10.1016/s2352-3026(24)00089-1" in out
    assert "citations: 1 found, 1 not_found; figures: 3 supported, 1 not_in_source" in out
    assert "blocking: citation 2 (DOI 10.1016/s2352-3026(24)00089-1): not found" in out


def test_json_has_the_documented_shape(workdir: Path) -> None:
    article = workdir / "article.md"
    article.write_text(FOUND + MISSING, encoding="utf-8")
    result = run("article", "check", str(article), "--json", cwd=workdir)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"format", "citations", "summary", "errors"}
    first, second = report["citations"]
    assert first["verdict"] == "found" and isinstance(first["work_id"], int)
    assert first["ids"] == {"doi": "10.1016/j.leukres.2023.106872"}
    assert (first["journal"], first["year"]) == ("Leukemia Research", 2023)
    assert first["record"]["identifiers"]["pmid"] == "39100002"
    assert [f["verdict"] for f in first["figures"]] == ["supported"] * 3
    start, end = first["span"]
    assert article.read_text(encoding="utf-8")[start:end].startswith("论文：《Mesenchymal")
    assert second["verdict"] == "not_found" and second["work_id"] is None
    assert report["summary"]["blocking"] is True
    assert report["summary"]["verdicts"]["not_found"] == 1


def test_an_article_whose_citations_hold_exits_0_and_offline_asks_no_source(
    workdir: Path, server: SearchReplay
) -> None:
    article = workdir / "article.md"
    article.write_text(FOUND, encoding="utf-8")
    offline = run("article", "check", str(article), "--offline", "--json", cwd=workdir)
    assert offline.returncode == 1  # not in the database yet, and no source asked
    assert json.loads(offline.stdout)["citations"][0]["verdict"] == "not_found"
    assert server.requests == []
    online = run("article", "check", str(article), cwd=workdir)
    assert online.returncode == 0, online.stdout + online.stderr
    assert "blocking" not in online.stdout
    again = run("article", "check", str(article), "--offline", cwd=workdir)
    assert again.returncode == 0  # stored by the online check


def test_a_file_that_cannot_be_read_is_named(workdir: Path) -> None:
    result = run("article", "check", str(workdir / "nothing.md"), cwd=workdir)
    assert result.returncode == 1
    assert "nothing.md: cannot read the article" in result.stderr

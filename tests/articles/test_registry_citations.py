"""An article citing trials of other registries: a ChiCTR registration number resolves through
the ClinicalTrials.gov study that files it as a secondary id, an ISRCTN number through the
registry's own API, and both are `found` with their figures checked against the record. The
replay servers hold records written for the tests (tests/registries/data)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from etl.articles.check import ArticleReport, check_article
from etl.articles.resolve import DatabaseResolver
from etl.settings import Settings
from tests.conftest import make_settings
from tests.support.isrctn import IsrctnReplay
from tests.support.searches import SearchReplay

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
DATA = Path(__file__).parent.parent / "registries" / "data"
ARTICLE = (
    "## 二、临床进展\n\n"
    "浙江大学医学院附属第一医院的单臂 II 期研究给 48 例激素耐药急性 GVHD 患者输注脐带 MSCs"
    "（中国临床试验注册中心注册号：ChiCTR2100045678）。\n\n"
    "英国伯明翰大学牵头的 II 期随机试验计划入组 60 例急性白血病移植患者，在移植当天输注骨髓来源 "
    "MSCs 以预防急性 GVHD（ISRCTN48213570）。\n\n"
    "一项德国研究也在进行中（DRKS00031234）。\n"
)


@pytest.fixture
def servers() -> Iterator[tuple[SearchReplay, IsrctnReplay]]:
    with (
        SearchReplay.from_files([], [DATA / "ctgov-NCT07123456.json"], None) as ctgov,
        IsrctnReplay([DATA / "isrctn-ISRCTN48213570.xml"]) as isrctn,
    ):
        yield ctgov, isrctn


def settings_for(ctgov: SearchReplay, isrctn: IsrctnReplay, url: str) -> Settings:
    values: dict[str, Any] = {
        "sources.pubmed.base_url": ctgov.url, "sources.pubmed.requests_per_second": 1000,
        "sources.ctgov.base_url": ctgov.ctgov_url, "sources.ctgov.requests_per_second": 10,
        "sources.isrctn.base_url": isrctn.url, "sources.isrctn.requests_per_second": 10,
        "http.backoff": 0.01, "http.backoff_max": 0.02, "http.timeout": 2.0,
    }  # fmt: skip
    return make_settings(url, **values)


def run(engine: Engine, settings: Settings, online: bool = True) -> ArticleReport:
    return check_article(ARTICLE, resolver=DatabaseResolver(engine, settings, NOW, online=online))


def test_chictr_and_isrctn_citations_are_found_through_ctgov_and_the_isrctn_api(
    engine: Engine, db_url: str, servers: tuple[SearchReplay, IsrctnReplay]
) -> None:
    ctgov, isrctn = servers
    settings = settings_for(ctgov, isrctn, db_url)
    report = run(engine, settings).to_json()
    chictr, uk, german = report["citations"]
    assert (chictr["ids"], chictr["verdict"], chictr["differences"]) == (
        {"chictr": "ChiCTR2100045678"}, "found", []
    )
    # the record is the CT.gov study, which knows the trial by both ids
    assert chictr["record"]["identifiers"]["registry_ids"] == ["NCT07123456", "ChiCTR2100045678"]
    assert [(f["text"], f["verdict"]) for f in chictr["figures"]] == [("48 例", "supported")]
    assert (uk["ids"], uk["verdict"], uk["differences"]) == (
        {"isrctn": "ISRCTN48213570"}, "found", []
    )
    assert (uk["record"]["phases"], uk["record"]["enrollment"]) == (["PHASE2"], 60)
    assert [(f["text"], f["verdict"]) for f in uk["figures"]] == [("60 例", "supported")]
    assert isrctn.requests == ["/api/trial/48213570/format/default"]
    # a registry no route holds it in: not found, and the note says where it was looked for
    assert german["verdict"] == "not_found"
    assert german["note"] == "drks:DRKS00031234: not in the database, nor at ctgov"
    assert report["summary"]["blocking_reasons"] == ["citation 3 (DRKS DRKS00031234): not found"]

    # checked again offline, both trials are found at home
    again = run(engine, settings, online=False).to_json()
    assert [c["verdict"] for c in again["citations"]] == ["found", "found", "not_found"]


def test_a_scheme_no_route_fetches_says_so_in_the_note(
    sqlite_engine: Engine, sqlite_url: str, servers: tuple[SearchReplay, IsrctnReplay]
) -> None:
    settings = settings_for(*servers, sqlite_url)
    without = settings.model_copy(
        update={"sources": settings.sources.model_copy(update={"ctgov": None, "isrctn": None})}
    )
    report = run(sqlite_engine, without).to_json()
    notes = [c["note"] for c in report["citations"]]
    assert notes == [
        "chictr:ChiCTR2100045678: not in the database, and no source fetches chictr ids",
        "isrctn:ISRCTN48213570: not in the database, and no source fetches isrctn ids",
        "drks:DRKS00031234: not in the database, and no source fetches drks ids",
    ]

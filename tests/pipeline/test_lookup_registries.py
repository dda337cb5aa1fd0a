"""Trials of other registries looked up by id: a ChiCTR (or any registry's) id through the
CT.gov study that files it as a secondary id, an ISRCTN number through the registry's own XML
API, each stored so that the database then knows the trial by both ids. The replay servers hold
records written for these tests (tests/registries/data)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from etl.errors import SourceError
from etl.pipeline.lookup import lookup, sources_for
from etl.settings import Settings
from etl.works import store
from tests.conftest import make_settings
from tests.support.isrctn import IsrctnReplay
from tests.support.searches import SearchReplay

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
DATA = Path(__file__).parent.parent / "registries" / "data"
CHICTR, NCT, ISRCTN = "ChiCTR2100045678", "NCT07123456", "ISRCTN48213570"


@pytest.fixture
def ctgov() -> Iterator[SearchReplay]:
    with SearchReplay.from_files([], [DATA / f"ctgov-{NCT}.json"], None) as srv:
        yield srv


@pytest.fixture
def isrctn() -> Iterator[IsrctnReplay]:
    with IsrctnReplay([DATA / f"isrctn-{ISRCTN}.xml"]) as srv:
        yield srv


def settings_for(ctgov: SearchReplay, isrctn: IsrctnReplay, url: str, **more: Any) -> Settings:
    values: dict[str, Any] = {
        "sources.pubmed.base_url": ctgov.url, "sources.pubmed.requests_per_second": 1000,
        "sources.ctgov.base_url": ctgov.ctgov_url, "sources.ctgov.requests_per_second": 10,
        "sources.isrctn.base_url": isrctn.url, "sources.isrctn.requests_per_second": 10,
        "http.backoff": 0.01, "http.backoff_max": 0.02, "http.timeout": 2.0, **more,
    }  # fmt: skip
    return make_settings(url, **values)


def test_a_chictr_id_is_found_through_the_ctgov_study_that_files_it(
    engine: Engine, db_url: str, ctgov: SearchReplay, isrctn: IsrctnReplay
) -> None:
    settings = settings_for(ctgov, isrctn, db_url)
    looked = lookup(engine, settings, CHICTR, NOW)
    assert (looked.found, looked.source) == (True, "ctgov")
    assert looked.data is not None and looked.data["title"].startswith("Umbilical Cord")
    (asked,) = [r.params for r in ctgov.requests if r.path.endswith("/studies")]
    assert asked["query.term"] == f'AREA[SecondaryId]"{CHICTR}"'
    # the works store now knows the trial by both ids: the NCT id without a request
    ctgov.requests.clear()
    by_nct = lookup(engine, settings, NCT, NOW)
    assert (by_nct.work_id, by_nct.source, ctgov.requests) == (looked.work_id, "database", [])
    with engine.connect() as conn:
        held = store.lookup_identifiers(conn, {("chictr", CHICTR), ("nct", NCT)})
    assert set(held.values()) == {looked.work_id}


def test_a_registry_id_no_ctgov_study_files_is_not_found_and_nothing_is_stored(
    sqlite_engine: Engine, sqlite_url: str, ctgov: SearchReplay, isrctn: IsrctnReplay
) -> None:
    settings = settings_for(ctgov, isrctn, sqlite_url)
    for reference in ("ChiCTR2100045679", "DRKS00031234", "CTRI/2022/03/041234"):
        looked = lookup(sqlite_engine, settings, reference, NOW)
        assert (looked.found, looked.note) == (False, "not in the database, nor at ctgov")
    with sqlite_engine.connect() as conn:
        assert store.work_data(conn, [1]) == {}


def test_an_isrctn_number_comes_from_the_registrys_api_first(
    engine: Engine, db_url: str, ctgov: SearchReplay, isrctn: IsrctnReplay
) -> None:
    settings = settings_for(ctgov, isrctn, db_url)
    assert sources_for(settings, "isrctn") == ["isrctn", "ctgov"]
    looked = lookup(engine, settings, "ISRCTN 48213570", NOW)
    assert (looked.found, looked.source) == (True, "isrctn")
    assert isrctn.requests == ["/api/trial/48213570/format/default"]
    assert not [r for r in ctgov.requests if r.path.endswith("/studies")]
    data = looked.data
    assert data is not None
    assert (data["phases"], data["enrollment"], data["status"]) == (["PHASE2"], 60, "RECRUITING")
    assert data["countries"] == ["England", "Scotland", "Wales"]
    assert data["sponsor"] == "University of Birmingham"
    # its EudraCT number is an id of the same work now
    again = lookup(engine, settings, "EudraCT 2023-000412-27", NOW)
    assert (again.work_id, again.source) == (looked.work_id, "database")


def test_an_isrctn_number_the_registry_does_not_hold_is_asked_of_ctgov_too(
    sqlite_engine: Engine, sqlite_url: str, ctgov: SearchReplay, isrctn: IsrctnReplay
) -> None:
    settings = settings_for(ctgov, isrctn, sqlite_url)
    looked = lookup(sqlite_engine, settings, "ISRCTN11112222", NOW)
    assert (looked.found, looked.note) == (False, "not in the database, nor at isrctn, ctgov")
    assert isrctn.requests == ["/api/trial/11112222/format/default"]


def test_an_isrctn_registry_that_fails_is_an_error_not_a_missing_trial(
    sqlite_engine: Engine, sqlite_url: str, ctgov: SearchReplay
) -> None:
    with IsrctnReplay([]) as down:
        settings = settings_for(ctgov, down, sqlite_url, **{"http.attempts": 2})
    # the server is shut: the request cannot connect, which is no answer about the trial
    with pytest.raises(SourceError, match="isrctn: trial ISRCTN48213570"):
        lookup(sqlite_engine, settings, ISRCTN, NOW)

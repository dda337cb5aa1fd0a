"""Choosing an issue's items and periods: plain functions, checked on hand-made cases."""

from __future__ import annotations

from datetime import date

import pytest

from etl.digest.periods import Period, last_complete_period, parse_period, period_containing
from etl.digest.select import EventInfo, WorkInfo, choose

ANCHOR = date(2026, 1, 5)  # a Monday
WEEK = Period(date(2026, 11, 16), date(2026, 11, 23))
GROUPS = {"lung": "solid", "liver": "solid", "aml": "hematologic"}


def work(id: int, **fields) -> WorkInfo:  # type: ignore[no-untyped-def]
    base = {
        "kind": "paper",
        "relevant": True,
        "relevance": 0.8,
        "section": "solid_tumors",
        "cancer_types": ["lung"],
    }
    return WorkInfo(id=id, **{**base, **fields})


def event(id: int, work_id: int, kind: str, day: str) -> EventInfo:
    return EventInfo(id, work_id, kind, date.fromisoformat(day))


def test_periods_follow_one_another_from_the_anchor() -> None:
    assert period_containing(date(2026, 11, 18), ANCHOR, 7) == WEEK
    assert WEEK.following() == Period(date(2026, 11, 23), date(2026, 11, 30))
    assert WEEK.slug == "2026-11-16" and WEEK.last_day == date(2026, 11, 22)
    assert last_complete_period(date(2026, 11, 23), ANCHOR, 7) == WEEK
    assert last_complete_period(date(2026, 11, 22), ANCHOR, 7) == WEEK.preceding()
    assert parse_period("2026-11-16..2026-11-22", ANCHOR, 7) == WEEK
    with pytest.raises(ValueError, match="the one holding 2026-11-17 is 2026-11-16"):
        parse_period("2026-11-17..2026-11-23", ANCHOR, 7)
    fortnight = period_containing(date(2026, 1, 20), ANCHOR, 14)
    assert fortnight == Period(date(2026, 1, 19), date(2026, 2, 2))


def test_only_news_of_the_period_and_its_grace_days_counts() -> None:
    works = {i: work(i) for i in range(1, 6)}
    events = [
        event(1, 1, "new", "2026-11-18"),  # in the period
        event(2, 2, "new", "2026-11-10"),  # late, within a week's grace
        event(3, 3, "new", "2026-11-01"),  # backfill
        event(4, 4, "new", "2026-11-23"),  # belongs to the next period
        event(5, 5, "deleted", "2026-11-18"),  # not news
    ]
    chosen = choose(events, works, WEEK, 7, GROUPS)
    assert sorted(c.work_id for c in chosen) == [1, 2]


def test_one_item_per_work_and_the_weightiest_kind_names_it() -> None:
    works = {1: work(1, kind="trial", section="trials")}
    events = [
        event(1, 1, "status_changed", "2026-11-17"),
        event(2, 1, "results_posted", "2026-11-18"),
    ]
    [item] = choose(events, works, WEEK, 7, GROUPS)
    assert (item.kind, item.section, item.group_key) == ("results", "trials", "results")
    assert item.event_ids == [1, 2] and item.occurred_on == "2026-11-18"


def test_editors_win_over_rules_and_retractions_of_sent_works_always_reach_readers() -> None:
    works = {
        1: work(1, relevant=False, decision="include"),
        2: work(2, decision="exclude"),
        3: work(3, relevant=False, sent_before=True),
        4: work(4, relevant=False),
    }
    events = [
        event(1, 1, "new", "2026-11-17"),
        event(2, 2, "new", "2026-11-17"),
        event(3, 3, "retracted", "2025-03-01"),  # old, but readers got the work
        event(4, 4, "retracted", "2026-11-17"),  # never sent and not relevant
    ]
    chosen = {c.work_id: c for c in choose(events, works, WEEK, 7, GROUPS)}
    assert sorted(chosen) == [1, 3]
    assert chosen[3].section == "safety" and chosen[3].group_key == "notices"


def test_reading_order_is_section_group_then_rank() -> None:
    works = {
        1: work(1, relevance=0.6),
        2: work(2, relevance=0.9),
        3: work(3, section="hematologic", cancer_types=["aml"], relevance=0.99),
        4: work(4, cancer_types=["liver"], relevance=0.7),
        5: work(5, relevance=0.5, featured=True, highlight="亮点"),
        6: work(6, section="hematologic", cancer_types=["aml"], strategies=["hsct_support"]),
    }
    events = [event(i, i, "new", "2026-11-18") for i in works]
    chosen = choose(events, works, WEEK, 7, GROUPS)
    assert [c.work_id for c in chosen] == [5, 2, 1, 4, 3, 6]
    assert [c.group_key for c in chosen] == ["lung", "lung", "lung", "liver", "aml", "hsct"]
    assert [c.position for c in chosen] == [1, 2, 3, 4, 5, 6]

"""Every kind of event, and every trial field a change event records, reads as a sentence in
both languages: the digest's words for statuses, phases and fields, full-width punctuation in
Chinese, and never the raw data (`None → …`, `['PHASE1']`, enum names, arm objects)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from etl.db.states import EventKind
from etl.editors.sentences import event_sentence
from etl.works.events import TRIAL_CHANGES, events_for_change, events_for_new

RAW = re.compile(r"None|\[|\]|\{|'|PHASE|RECRUITING|COMPLETED|_")
HALF_WIDTH_IN_CHINESE = re.compile(r"[\u4e00-\u9fff][,:;()]|[,:;()][\u4e00-\u9fff]")

OLD_TRIAL: dict[str, Any] = {
    "kind": "trial", "source_id": "NCT06571092", "status": "RECRUITING", "phases": ["PHASE1"],
    "enrollment": 28, "primary_completion_date": "2026-06", "has_results": False,
    "why_stopped": None,
    "arms": [{"label": "UC-MSC", "type": "EXPERIMENTAL", "description": "", "interventions": []}],
    "last_update_posted": "2026-11-24",
}  # fmt: skip
NEW_TRIAL: dict[str, Any] = {
    **OLD_TRIAL, "status": "TERMINATED", "phases": ["PHASE1", "PHASE2"], "enrollment": 42,
    "primary_completion_date": "2027-03-31", "has_results": True, "why_stopped": "Low accrual",
    "arms": [*OLD_TRIAL["arms"], {"label": "Placebo", "type": "PLACEBO_COMPARATOR",
                                  "description": "", "interventions": []}],
}  # fmt: skip


def recorded() -> list[tuple[str, str | None, dict[str, Any]]]:
    """Events as etl/works/events.py records them, one of every kind."""
    paper = {"kind": "paper", "source_id": "41000480", "created": "2026-11-02", "corrections": []}
    found = list(events_for_change(OLD_TRIAL, NEW_TRIAL))
    retraction = [{"type": "RetractionIn", "pmid": "41000999"}]
    found += events_for_new({**paper, "retracted": True, "corrections": retraction})
    found += events_for_change(
        paper,
        {**paper, "revised": "2026-11-20",
         "corrections": [{"type": "ErratumIn", "pmid": "41000777", "ref": "x"}],
         "published_version": {"pmid": "41000555", "doi": "10.1/x", "source_id": "MED:1"}},
    )  # fmt: skip
    found.append((EventKind.DELETED, "2026-11-21", {}))
    return found


def test_every_kind_of_event_is_covered() -> None:
    kinds = {kind for kind, _, _ in recorded()}
    assert kinds == set(EventKind)
    fields = {data["field"] for kind, _, data in recorded() if "field" in data}
    assert fields == set(TRIAL_CHANGES)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_event_reads_as_a_sentence_without_raw_values(lang: str) -> None:
    for kind, day, data in recorded():
        said = event_sentence(lang, kind, day, data, "trial" if "field" in data else "paper")
        assert said and not RAW.search(said), (kind, said)
        if day:
            assert day in said
        if lang == "zh":
            assert re.search(r"[\u4e00-\u9fff]", said), said
            assert not HALF_WIDTH_IN_CHINESE.search(said), said


def test_the_issue_examples_read_as_editors_write_them() -> None:
    status = {"field": "status", "old": "RECRUITING", "new": "COMPLETED"}
    assert event_sentence("zh", "status_changed", "2026-11-24", status) == (
        "状态：招募中 → 已完成（2026-11-24）"
    )
    assert event_sentence("en", "status_changed", "2026-11-24", status) == (
        "Status: recruiting → completed (2026-11-24)"
    )
    enrolment = {"field": "enrollment", "old": 28, "new": 42}
    assert event_sentence("zh", "enrollment_changed", None, enrolment) == "入组人数 28 → 42"
    assert event_sentence("en", "enrollment_changed", None, enrolment) == "Enrolment 28 → 42"
    phases = {"field": "phases", "old": ["PHASE1"], "new": ["PHASE1", "PHASE2"]}
    assert event_sentence("zh", "phase_changed", None, phases) == "分期：I 期 → I/II 期"


def test_an_empty_value_before_or_after_is_said_in_words() -> None:
    first = {"field": "phases", "old": None, "new": ["PHASE2"]}
    assert event_sentence("zh", "phase_changed", "2026-11-24", first) == (
        "分期：II 期（首次填写，2026-11-24）"
    )
    gone = {"field": "primary_completion_date", "old": "2026-06", "new": None}
    assert event_sentence("en", "completion_date_changed", None, gone) == (
        "Primary completion: removed"
    )


def test_arms_are_counted_and_named_not_dumped() -> None:
    arms = next(data for kind, _, data in recorded() if kind == EventKind.ARMS_CHANGED)
    assert event_sentence("zh", "arms_changed", "2026-11-24", arms) == (
        "研究组：1 组 → 2 组（新增 Placebo，2026-11-24）"
    )
    assert event_sentence("en", "arms_changed", None, arms) == "Arms: 1 → 2 (added Placebo)"


def test_a_stop_reason_in_english_is_quoted_in_a_chinese_sentence() -> None:
    said = event_sentence("zh", "stopped", None, {"field": "why_stopped", "new": "Low accrual"})
    assert said == "试验提前终止，原因：「Low accrual」"

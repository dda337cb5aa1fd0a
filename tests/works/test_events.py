"""Which changes are news: pure functions over old and new record data."""

from __future__ import annotations

from etl.works.events import events_for_change, events_for_new

TRIAL = {
    "source": "ctgov", "source_id": "NCT05000001", "kind": "trial", "status": "RECRUITING",
    "phases": ["PHASE2"], "enrollment": 60, "primary_completion_date": "2027-06",
    "has_results": False, "why_stopped": None, "arms": [{"label": "MSC"}],
    "first_posted": "2024-03-01", "revised": "2026-09-01", "title": "UC-MSC for GVHD",
}  # fmt: skip


def test_trial_first_seen_is_dated_by_its_registration() -> None:
    assert events_for_new(TRIAL) == [("new", "2024-03-01", {"source_id": "NCT05000001"})]


def test_each_material_change_is_one_event_with_old_and_new_values() -> None:
    changed = {**TRIAL, "status": "TERMINATED", "why_stopped": "Slow accrual",
               "enrollment": 12, "revised": "2026-11-20", "title": "Edited title"}  # fmt: skip
    events = events_for_change(TRIAL, changed)
    assert [kind for kind, _, _ in events] == ["status_changed", "enrollment_changed", "stopped"]
    assert events[0] == (
        "status_changed",
        "2026-11-20",
        {"field": "status", "old": "RECRUITING", "new": "TERMINATED"},
    )
    assert all(when == "2026-11-20" for _, when, _ in events)


def test_results_posted_is_news_and_other_edits_are_silent() -> None:
    posted = {**TRIAL, "has_results": True, "revised": "2026-11-21"}
    assert [k for k, _, _ in events_for_change(TRIAL, posted)] == ["results_posted"]
    assert events_for_change(TRIAL, {**TRIAL, "title": "New title", "sponsor": "X"}) == []


def test_a_preprint_that_gains_its_journal_version_is_news_once() -> None:
    preprint = {"source": "europepmc", "source_id": "PPR900001", "kind": "paper",
                "title": "MSC exosomes in glioma", "revised": "2026-10-01"}  # fmt: skip
    published = {**preprint, "revised": "2026-11-02",
                 "published_version": {"pmid": "41000012", "note": "preprint of"}}  # fmt: skip
    events = events_for_change(preprint, published)
    assert [(kind, when) for kind, when, _ in events] == [("preprint_published", "2026-11-02")]
    assert events[0][2]["published_version"]["pmid"] == "41000012"
    assert events_for_change(published, {**published, "revised": "2026-11-09"}) == []

"""What is news when a record arrives or changes: pure functions from old and new data to events.

Events carry the date the change happened upstream (`occurred_on`), not the date we noticed, so a
backfill of old records is told apart from this week's news.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from etl.db.states import EventKind
from etl.works.titles import block_key, title_key

# Corrections that are news for readers of the corrected work (retractions have their own event).
CORRECTION_EVENTS = frozenset(
    {"ErratumIn", "ExpressionOfConcernIn", "UpdateIn", "CorrectedandRepublishedIn"}
)

EventSpec = tuple[str, str | None, dict[str, Any]]


def work_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The work columns a record decides."""
    return {
        "kind": data.get("kind", "paper"),
        "title": data.get("title") or "",
        "published": data.get("published"),
        "retracted": bool(data.get("retracted")),
        "block_key": block_key(data),
        "title_key": title_key(data.get("title") or ""),
    }


# A trial's material fields: a change to one of these is news; edits elsewhere are silent.
TRIAL_CHANGES = {
    "status": EventKind.STATUS_CHANGED,
    "phases": EventKind.PHASE_CHANGED,
    "enrollment": EventKind.ENROLLMENT_CHANGED,
    "primary_completion_date": EventKind.COMPLETION_DATE_CHANGED,
    "has_results": EventKind.RESULTS_POSTED,
    "why_stopped": EventKind.STOPPED,
    "arms": EventKind.ARMS_CHANGED,
}


def events_for_new(data: Mapping[str, Any]) -> list[EventSpec]:
    """A work seen for the first time, dated when it first appeared upstream (so a backfill of
    old records is not this week's news): a paper's PubMed create date, a trial's first posting."""
    when = data.get("created") or data.get("first_posted") or data.get("published")
    found: list[EventSpec] = [(EventKind.NEW, when, {"source_id": data["source_id"]})]
    if data.get("retracted"):  # retracted before we ever saw it: still a retraction for readers
        found.append((EventKind.RETRACTED, when, {"notices": _retraction_notices(data)}))
    return found


def _retraction_notices(data: Mapping[str, Any]) -> list[str]:
    notices = [c.get("pmid") for c in data.get("corrections") or [] if "Retract" in c["type"]]
    return [n for n in notices if n]


def events_for_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[EventSpec]:
    """A known record came back different: one event per newsworthy change."""
    if new.get("kind") == "trial":
        return _trial_changes(old, new)
    events: list[EventSpec] = []
    when = new.get("revised") or new.get("created")
    if new.get("retracted") and not old.get("retracted"):
        events.append((EventKind.RETRACTED, when, {"notices": _retraction_notices(new)}))
    published = new.get("published_version")
    if published and not old.get("published_version"):
        events.append((EventKind.PREPRINT_PUBLISHED, when, {"published_version": published}))
    before = {(c.get("type"), c.get("pmid")) for c in old.get("corrections") or []}
    for item in new.get("corrections") or []:
        if item.get("type") in CORRECTION_EVENTS and (item["type"], item.get("pmid")) not in before:
            events.append((EventKind.CORRECTED, when, dict(item)))
    return events


def _trial_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[EventSpec]:
    """One event per material field that changed, with the old and new values."""
    when = new.get("revised") or new.get("last_update_posted")
    events: list[EventSpec] = []
    for field, kind in TRIAL_CHANGES.items():
        before, after = old.get(field), new.get(field)
        if before == after or (field == "has_results" and not after):
            continue  # results are news when they appear, not if a flag were ever withdrawn
        if field == "why_stopped" and not after:
            continue
        events.append((kind, when, {"field": field, "old": before, "new": after}))
    return events

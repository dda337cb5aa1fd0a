"""What is news when a record arrives or changes: pure functions from old and new data to events.

Events carry the date the change happened upstream (`occurred_on`), not the date we noticed, so a
backfill of old records is told apart from this week's news.
"""

from __future__ import annotations

from typing import Any

# Corrections that are news for readers of the corrected work (retractions have their own event).
CORRECTION_EVENTS = frozenset(
    {"ErratumIn", "ExpressionOfConcernIn", "UpdateIn", "CorrectedandRepublishedIn"}
)

EventSpec = tuple[str, str | None, dict[str, Any]]


def work_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The work columns a record decides."""
    return {
        "kind": data.get("kind", "paper"),
        "title": data.get("title") or "",
        "published": data.get("published"),
        "retracted": bool(data.get("retracted")),
    }


def events_for_new(data: dict[str, Any]) -> list[EventSpec]:
    """A work seen for the first time."""
    return [("new", data.get("created") or data.get("published"), {"source_id": data["source_id"]})]


def events_for_change(old: dict[str, Any], new: dict[str, Any]) -> list[EventSpec]:
    """A known record came back different: one event per newsworthy change."""
    events: list[EventSpec] = []
    when = new.get("revised") or new.get("created")
    if new.get("retracted") and not old.get("retracted"):
        notices = [c.get("pmid") for c in new.get("corrections") or [] if "Retract" in c["type"]]
        events.append(("retracted", when, {"notices": [n for n in notices if n]}))
    before = {(c.get("type"), c.get("pmid")) for c in old.get("corrections") or []}
    for item in new.get("corrections") or []:
        if item.get("type") in CORRECTION_EVENTS and (item["type"], item.get("pmid")) not in before:
            events.append(("corrected", when, dict(item)))
    return events

"""Which works an issue reports, where each goes, and in which order: plain functions over data.

An issue reports events, not rows: a work appears when something happened to it in the period
(it is new, a trial changed, it was retracted…), once per issue, in the first section that fits.
Each event is reported by one issue only, so nobody reads the same news twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from etl.classify.taxonomy import SECTIONS, STRATEGIES
from etl.db.states import EventKind
from etl.digest.periods import Period

# What an item is about, from its events; the first kind in this order wins.
KIND_OF_EVENT: dict[str, str] = {
    EventKind.RETRACTED: "retraction",
    EventKind.CORRECTED: "correction",
    EventKind.RESULTS_POSTED: "results",
    EventKind.STATUS_CHANGED: "update",
    EventKind.STOPPED: "update",
    EventKind.PHASE_CHANGED: "update",
    EventKind.ENROLLMENT_CHANGED: "update",
    EventKind.COMPLETION_DATE_CHANGED: "update",
    EventKind.ARMS_CHANGED: "update",
    EventKind.PREPRINT_PUBLISHED: "published",
    EventKind.NEW: "new",
}
KINDS = ("retraction", "correction", "results", "update", "published", "new")
# News about a work readers already got is reported however late it is found.
ALWAYS_NEWS = frozenset({EventKind.RETRACTED, EventKind.CORRECTED})
TRIAL_GROUPS = {"new": "registered", "results": "results"}  # anything else: "changes"
KIND_BONUS = {"retraction": 0.4, "correction": 0.2, "results": 0.3, "update": 0.1}


@dataclass(frozen=True)
class EventInfo:
    id: int
    work_id: int  # already resolved through merges
    type: str
    day: date  # when it happened upstream, else when we saw it


@dataclass
class WorkInfo:
    id: int
    kind: str  # paper | trial
    relevant: bool
    relevance: float
    section: str | None
    cancer_types: list[str] = field(default_factory=list)
    strategies: list[str] = field(default_factory=list)
    decision: str | None = None  # include | exclude | None
    featured: bool = False
    highlight: str = ""  # the editor's 研究亮点 text for the Chinese edition
    highlight_en: str = ""  # and for the English one
    sent_before: bool = False  # an earlier issue carried it


@dataclass
class Chosen:
    work_id: int
    section: str
    group_key: str
    kind: str
    rank: float
    featured: bool
    highlight: str
    event_ids: list[int]
    occurred_on: str
    position: int = 0
    highlight_en: str = ""


def news_window(last_issue_end: date | None, today: date, period_days: int) -> Period:
    """The days whose news the next issue will report, as the review queue shows them: from the
    end of the last issue that left the draft stage (before any issue, the last two periods)
    up to and including today. An event in it is news when `eligible` says so, exactly as for
    an issue's own period, and no issue that went out has reported it."""
    start = last_issue_end or today - timedelta(days=2 * period_days)
    return Period(start, max(today + timedelta(days=1), start + timedelta(days=1)))


def eligible(event: EventInfo, period: Period, late_days: int, sent_before: bool) -> bool:
    """Inside the period, or late by at most `late_days`; a retraction or correction of a work
    readers already got is news however old it is."""
    if event.day >= period.end:
        return False
    if event.type in ALWAYS_NEWS and sent_before:
        return True
    return event.day >= period.start - timedelta(days=late_days)


def choose(
    events: list[EventInfo],
    works: dict[int, WorkInfo],
    period: Period,
    late_days: int,
    groups_of: dict[str, str],
    editor_order: list[int] | None = None,
) -> list[Chosen]:
    """The issue's items, numbered in reading order. `groups_of` maps a cancer type to its group
    (solid | hematologic), as the taxonomy says; `editor_order` is the editor's placing."""
    by_work: dict[int, list[EventInfo]] = {}
    for event in events:
        work = works.get(event.work_id)
        if work is None or event.type not in KIND_OF_EVENT:
            continue
        if eligible(event, period, late_days, work.sent_before):
            by_work.setdefault(event.work_id, []).append(event)
    chosen = []
    for work_id, found in by_work.items():
        work = works[work_id]
        kind = min((KIND_OF_EVENT[e.type] for e in found), key=KINDS.index)
        if not _included(work, kind):
            continue
        section = _section(work, kind)
        chosen.append(
            Chosen(
                work_id=work_id,
                section=section,
                group_key=_group(work, kind, section, groups_of),
                kind=kind,
                rank=_rank(work, kind),
                featured=work.featured,
                highlight=work.highlight,
                highlight_en=work.highlight_en,
                event_ids=sorted(e.id for e in found),
                occurred_on=max(e.day for e in found).isoformat(),
            )
        )
    return number(chosen, groups_of, editor_order)


def number(
    items: list[Chosen], groups_of: dict[str, str], editor_order: list[int] | None = None
) -> list[Chosen]:
    """Reading order: section, group, then the editor's order (works they placed come first,
    as placed), then rank (highest first), then date, newest first."""
    order = group_order(groups_of)
    placed = {work_id: index for index, work_id in enumerate(editor_order or [])}
    items.sort(
        key=lambda c: (
            SECTIONS.index(c.section),
            order.get(c.group_key, len(order)),
            placed.get(c.work_id, len(placed)),
            -c.rank,
            _negated_day(c.occurred_on),
            c.work_id,
        )
    )
    for position, item in enumerate(items, 1):
        item.position = position
    return items


def group_order(groups_of: dict[str, str]) -> dict[str, int]:
    """Groups in the order the article has them: cancer types as the taxonomy lists them,
    then the trial and safety groups, then strategies."""
    keys = [*groups_of, "hsct", "other_solid", "other_hematologic", "registered", "results",
            "changes", "notices", "risks", *STRATEGIES, "other"]  # fmt: skip
    return {key: index for index, key in enumerate(dict.fromkeys(keys))}


def _included(work: WorkInfo, kind: str) -> bool:
    if work.decision == "exclude":
        return False
    if work.decision == "include":
        return True
    # A retraction of something readers got is news even if the notice itself scores low.
    return work.relevant or (kind in ("retraction", "correction") and work.sent_before)


def _section(work: WorkInfo, kind: str) -> str:
    if kind in ("retraction", "correction"):
        return "safety"
    if work.kind == "trial":
        return "trials"
    return work.section if work.section in SECTIONS else "platforms"


def _group(work: WorkInfo, kind: str, section: str, groups_of: dict[str, str]) -> str:
    if section == "trials":
        return TRIAL_GROUPS.get(kind, "changes")
    if section == "safety":
        return "notices" if kind in ("retraction", "correction") else "risks"
    if section == "platforms":
        return next((s for s in work.strategies if s in STRATEGIES), "other")
    group = "solid" if section == "solid_tumors" else "hematologic"
    if group == "hematologic" and "hsct_support" in work.strategies:
        return "hsct"
    return next((t for t in work.cancer_types if groups_of.get(t) == group), f"other_{group}")


def _rank(work: WorkInfo, kind: str) -> float:
    rank = work.relevance + KIND_BONUS.get(kind, 0.0)
    if work.featured:
        rank += 1.0
    if work.decision == "include":
        rank += 0.5
    return round(rank, 4)


def _negated_day(day: str) -> int:
    return -date.fromisoformat(day).toordinal()

"""The editors' review queue and what an editor can do to a work, as functions over a connection.

The queue is the works something happened to since the last issue went out (a new paper, a
trial that changed), with what the classifier said and why, and what editors already decided.
Filters that live in columns are done in SQL; cancer type and strategy live in the labels'
JSON, which SQLite and PostgreSQL query differently, so they are checked in Python on the rows
SQL kept (a week's worth of works, not the whole table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Connection,
    RowMapping,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

from etl.classify import corrections
from etl.classify.service import Classifier, classify_works
from etl.db.models import (
    Classification,
    DigestIssue,
    EditorDecision,
    EditorLabel,
    Event,
    SourceRecord,
    Work,
    WorkMerge,
)
from etl.db.states import IssueState
from etl.digest import store
from etl.digest.periods import Period
from etl.digest.select import news_window

works, events, records = Work.__table__, Event.__table__, SourceRecord.__table__
classes, decisions = Classification.__table__, EditorDecision.__table__
issues, merges, editor_labels = DigestIssue.__table__, WorkMerge.__table__, EditorLabel.__table__

STATES = ("all", "undecided", "included", "excluded", "featured", "picked")
RELEVANCE = ("relevant", "not_relevant", "all")
# "uncertain": the works the relevance score is least sure about first (closest to 0.5), so an
# editor's decisions teach the model the most (active learning, as ASReview does)
ORDERS = ("newest", "relevance", "uncertain")
ACTIONS = ("include", "exclude", "undecide", "feature", "unfeature", "pick", "unpick", "note")
PAGE = 50


@dataclass
class QueueFilter:
    """What the editor asked to see; every field has a value that means "no filter"."""

    since: date | None = None
    section: str = ""
    cancer_type: str = ""
    strategy: str = ""
    stage: str = ""
    source: str = ""
    relevance: str = "relevant"
    state: str = "all"
    order: str = "newest"
    page: int = 1

    def problems(self) -> list[str]:
        wrong = []
        for name, allowed in (("relevance", RELEVANCE), ("state", STATES), ("order", ORDERS)):
            if getattr(self, name) not in allowed:
                wrong.append(f"{name}={getattr(self, name)!r}: choose one of {', '.join(allowed)}")
        return wrong


@dataclass
class QueueRow:
    work_id: int
    kind: str
    title: str
    data: dict[str, Any]
    labels: dict[str, Any]
    relevance: float
    relevant: bool
    last_seen: datetime
    decision: dict[str, Any] = field(default_factory=dict)
    links: list[dict[str, str]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    probable_duplicate: bool = False


@dataclass
class Queue:
    rows: list[QueueRow]
    total: int
    since: date | None


def last_issue_end(conn: Connection) -> date | None:
    """The day after the period of the newest issue that left the draft stage: what came in
    before it has had its chance."""
    newest = conn.execute(
        select(func.max(issues.c.period_end)).where(issues.c.state != IssueState.DRAFT)
    ).scalar()
    return date.fromisoformat(newest) if newest else None


@dataclass
class News:
    """What the next issue will report, by the digest's own rule (`store.news`): the window
    it covers and, per work, the events in it that are news."""

    window: Period
    events: dict[int, list[int]]
    since_issue: bool  # the window starts where the last issue that went out ended

    @cached_property
    def work_ids(self) -> list[int]:
        """Sorted once: the web app keeps a News for several requests."""
        return sorted(self.events)


def news_since_last_issue(conn: Connection, today: date, period_days: int, late_days: int) -> News:
    """The works with news since the last issue, decided exactly as `digest build` decides
    (events no issue that went out has reported, inside the window or late by at most
    `late_days`), so the queue never lists what the digest will not report, nor hides what
    it will."""
    end = last_issue_end(conn)
    window = news_window(end, today, period_days)
    found, _ = store.news(conn, window, late_days, store.drafts_of(conn))
    by_work: dict[int, list[int]] = {}
    for event in found:
        by_work.setdefault(event.work_id, []).append(event.id)
    return News(window, by_work, end is not None)


def queue(conn: Connection, wanted: QueueFilter, zone: str, news: News | None = None) -> Queue:
    """The works an editor asked to see: with `news`, those with news for the next issue;
    else those with an event seen since `wanted.since` (any history, when asked for)."""
    since = news.window.start if news is not None else wanted.since
    # A work's newest event, and whether it has one since the day asked for, per work by the
    # index on (work_id, detected_at): the filters (relevant works, a section) pick the few
    # works first, where grouping every event of the window read the whole corpus's events.
    recent = events.c.work_id == works.c.id
    if since is not None and news is None:
        recent = and_(
            recent, events.c.detected_at >= datetime.combine(since, time(), ZoneInfo(zone))
        )
    seen = select(func.max(events.c.detected_at)).where(recent).scalar_subquery().label("seen")
    query = (
        select(
            works.c.id,
            works.c.kind,
            works.c.title,
            seen,
            classes.c.relevant,
            classes.c.relevance,
            classes.c.labels,
            decisions.c.decision,
            decisions.c.featured,
            decisions.c.highlight,
            decisions.c.highlight_en,
            decisions.c.picked,
            decisions.c.note,
            decisions.c.editor,
        )  # fmt: skip
        .outerjoin(classes, classes.c.work_id == works.c.id)
        .outerjoin(decisions, decisions.c.work_id == works.c.id)
        .where(works.c.merged_into.is_(None), works.c.deleted_at.is_(None), exists().where(recent))
    )
    if news is not None:
        wanted_ids = news.work_ids
        if wanted.relevance == "relevant":
            # The relevant works are few (a niche of the corpus) and the news since an issue
            # can be thousands: intersected here, the queries below get the few ids and an
            # empty queue costs no query at all.
            relevant = set(
                conn.execute(select(classes.c.work_id).where(classes.c.relevant.is_(True)))
                .scalars()
            )  # fmt: skip
            wanted_ids = [work_id for work_id in wanted_ids if work_id in relevant]
            if not wanted_ids:
                return Queue([], 0, since)
        query = query.where(_among(conn, works.c.id, wanted_ids))
    if wanted.relevance == "relevant":
        query = query.where(classes.c.relevant.is_(True))
    elif wanted.relevance == "not_relevant":
        query = query.where(func.coalesce(classes.c.relevant, False).is_(False))
    if wanted.section:
        query = query.where(classes.c.section == wanted.section)
    if wanted.stage:
        query = query.where(classes.c.stage == wanted.stage)
    if wanted.source:
        query = query.where(
            exists().where(
                records.c.work_id == works.c.id,
                records.c.source == wanted.source,
                records.c.deleted_at.is_(None),
            )
        )
    query = _state_filter(query, wanted.state)
    start_at = (max(wanted.page, 1) - 1) * PAGE
    if not wanted.cancer_type and not wanted.strategy:
        # Label families are read from JSON in Python (below); without them the database
        # counts, sorts and cuts the page, so a queue of the whole corpus reads one page of rows.
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        relevance = func.coalesce(classes.c.relevance, 0.0)
        order = {
            "relevance": (relevance.desc(), seen.desc()),
            "uncertain": (func.abs(relevance - 0.5), seen.desc()),
        }.get(wanted.order, (seen.desc(), relevance.desc()))
        rows = conn.execute(query.order_by(*order, works.c.id.desc()).limit(PAGE).offset(start_at))
        return Queue(_details(conn, list(rows), news), total, since)
    kept = [
        row
        for row in conn.execute(query)
        if _in_family(row.labels, "cancer_types", wanted.cancer_type)
        and _in_family(row.labels, "strategies", wanted.strategy)
    ]
    if wanted.order == "relevance":
        kept.sort(key=lambda r: (-(r.relevance or 0.0), -r.seen.timestamp(), -r.id))
    elif wanted.order == "uncertain":
        kept.sort(key=lambda r: (abs((r.relevance or 0.0) - 0.5), -r.seen.timestamp(), -r.id))
    else:
        kept.sort(key=lambda r: (-r.seen.timestamp(), -(r.relevance or 0.0), -r.id))
    page = kept[start_at : start_at + PAGE]
    return Queue(_details(conn, page, news), len(kept), since)


def _among(conn: Connection, column: Any, ids: list[int]) -> Any:
    """`column IN ids`; on PostgreSQL as `= ANY(array)` with the array as one text parameter:
    the news since an issue can be thousands of works, and psycopg adapts a list of ints
    element by element (~3 ms a query at 100,000 works), where binding each id as its own
    parameter cost more than the queries themselves."""
    if conn.dialect.name == "postgresql":
        literal = "{" + ",".join(map(str, ids)) + "}"
        return column == any_(cast(bindparam(None, literal, type_=Text), ARRAY(BigInteger)))
    return column.in_(ids)


def _state_filter(query: Any, state: str) -> Any:
    if state == "undecided":
        return query.where(decisions.c.decision.is_(None))
    if state in ("included", "excluded"):
        return query.where(decisions.c.decision == state[:-1])
    if state == "featured":
        return query.where(decisions.c.featured.is_(True))
    if state == "picked":
        return query.where(decisions.c.picked.is_(True))
    return query


def _in_family(labels: dict[str, Any] | None, family: str, wanted: str) -> bool:
    return not wanted or wanted in ((labels or {}).get(family) or [])


def _details(conn: Connection, rows: list[Any], news: News | None = None) -> list[QueueRow]:
    ids = [row.id for row in rows]
    data = store.work_data(conn, ids)
    linked = store.related(conn, ids) if ids else {}
    happened: dict[int, list[dict[str, Any]]] = {}
    if ids:
        query = (
            select(
                events.c.id, events.c.work_id, events.c.type, events.c.occurred_on, events.c.data
            )
            .where(events.c.work_id.in_(ids))
            .order_by(events.c.detected_at.desc(), events.c.id.desc())
        )
        fresh = {e for found in (news.events.values() if news else []) for e in found}
        for row in conn.execute(query):
            event = dict(row._mapping)
            event["news"] = row.id in fresh
            happened.setdefault(row.work_id, []).append(event)
    flagged = set()
    if ids:
        flagged = set(
            conn.execute(
                select(merges.c.kept_work_id).where(
                    merges.c.kept_work_id.in_(ids),
                    merges.c.probable.is_(True),
                    merges.c.undone_at.is_(None),
                )
            ).scalars()
        )
    return [
        QueueRow(
            work_id=row.id,
            kind=row.kind,
            title=row.title,
            data=data.get(row.id, {"kind": row.kind, "title": row.title}),
            labels=row.labels or {},
            relevance=row.relevance or 0.0,
            relevant=bool(row.relevant),
            last_seen=row.seen,
            decision=_decision(row._mapping),
            links=linked.get(row.id, []),
            events=happened.get(row.id, []),
            probable_duplicate=row.id in flagged,
        )
        for row in rows
    ]


def act(
    conn: Connection, work_ids: list[int], action: str, editor: str, now: datetime, text: str = ""
) -> int:
    """Apply one editor action to several works; returns how many it touched. Include, exclude
    and feature are also kept as training labels, as `mscwatch classify label` keeps them."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; allowed: {', '.join(ACTIONS)}")
    live = _live(conn, work_ids)
    for work_id in live:
        if action in ("include", "exclude", "feature"):  # featuring includes
            conn.execute(
                insert(editor_labels).values(
                    work_id=work_id,
                    label="relevant",
                    value=action != "exclude",
                    editor=editor,
                    note="" if action == "feature" else text,
                    created_at=now,
                )
            )
        choices: dict[str, dict[str, Any]] = {
            "include": {"decision": "include"},
            "exclude": {"decision": "exclude", "featured": False},
            "undecide": {"decision": None},
            "feature": {"featured": True, **store.highlight_fields(text), "decision": "include"},
            "unfeature": {"featured": False},
            "pick": {"picked": True},
            "unpick": {"picked": False},
            "note": {"note": text.strip()},
        }
        fields = choices[action]
        store.decide(conn, work_id, now, editor, **fields)
    return len(live)


def correct(
    conn: Connection,
    work_id: int,
    family: str,
    value: Any,
    editor: str,
    now: datetime,
    classifier: Classifier,
) -> dict[str, Any]:
    """Record an editor's correction of one label family and re-label the work with it (the
    digest's next build follows); returns the work's labels as they now stand."""
    checked = corrections.check(family, value, classifier.taxonomy)
    if not _live(conn, [work_id]):
        raise ValueError(f"there is no work {work_id}")
    conn.execute(
        insert(editor_labels).values(
            work_id=work_id, label=family, value=checked, editor=editor, created_at=now
        )
    )
    classify_works(conn, [work_id], classifier, now)
    return labels_now(conn, work_id)


def decisions_of(conn: Connection, work_ids: list[int]) -> dict[int, dict[str, Any]]:
    """What editors decided about these works, as the queue's rows show it."""
    query = select(decisions).where(decisions.c.work_id.in_(sorted(set(work_ids))))
    return {row["work_id"]: _decision(row) for row in conn.execute(query).mappings()}


def _decision(row: RowMapping) -> dict[str, Any]:
    """An editor's say about a work as the queue shows it (a work with none: all empty)."""
    return {
        "decision": row["decision"],
        "featured": bool(row["featured"]),
        "highlight": row["highlight"] or "",
        "highlight_en": row["highlight_en"] or "",
        "picked": bool(row["picked"]),
        "note": row["note"] or "",
        "editor": row["editor"] or "",
    }


def labels_now(conn: Connection, work_id: int) -> dict[str, Any]:
    return store.labels_of(conn, [work_id]).get(work_id, {})


def picked(conn: Connection) -> list[dict[str, Any]]:
    """The works editors picked for a full article, oldest pick first."""
    query = (
        select(decisions.c.work_id, decisions.c.updated_at, decisions.c.editor, works.c.title)
        .join(works, works.c.id == decisions.c.work_id)
        .where(decisions.c.picked.is_(True), works.c.merged_into.is_(None))
        .order_by(decisions.c.updated_at, decisions.c.work_id)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def _live(conn: Connection, work_ids: list[int]) -> list[int]:
    """The works that exist, each through the work it was merged into."""
    ids = sorted(set(work_ids))
    if not ids:
        return []
    found = conn.execute(
        select(works.c.id).where(and_(works.c.id.in_(ids), works.c.deleted_at.is_(None)))
    ).scalars()
    home = store.resolve_merged(conn, list(found))
    return sorted(set(home.values()))

"""The digest's edge to the database: candidate events in, issues and their items out.

Building an issue is: read the unclaimed events of the period and what is known of their works,
let `select.choose` decide (a plain function), then write the issue, its items and its claim on
each event in one transaction. Rebuilding a draft releases its claims first, so a refresh sees
the same events plus whatever arrived since.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Row, and_, delete, func, insert, or_, select, update

from etl.classify.taxonomy import Taxonomy
from etl.db.models import (
    Classification,
    DigestEvent,
    DigestIssue,
    DigestItem,
    EditorDecision,
    Event,
    Identifier,
    Link,
    SourceRecord,
    Work,
    WriterDraft,
)
from etl.db.states import PUBLISHED_STATES, IssueState
from etl.digest.content import IssueContent
from etl.digest.periods import Period
from etl.digest.select import (
    ALWAYS_NEWS,
    KIND_OF_EVENT,
    Chosen,
    EventInfo,
    WorkInfo,
    choose,
    eligible,
)
from etl.digest.typography import has_chinese
from etl.errors import DigestError
from etl.mail.message import header_problem
from etl.works.addresses import study_slugs
from etl.works.identity import REVERSE
from etl.works.store import work_data as work_data  # read through this module too

issues = DigestIssue.__table__
items = DigestItem.__table__
claims = DigestEvent.__table__
events = Event.__table__
works = Work.__table__
classifications = Classification.__table__
decisions = EditorDecision.__table__
records = SourceRecord.__table__
links = Link.__table__
identifiers = Identifier.__table__
drafts = WriterDraft.__table__

STATES = tuple(IssueState)
PUBLISHED = PUBLISHED_STATES
# Which source speaks for a work when several have it: the registry for a trial, PubMed for a paper.
CHUNK = 500


@dataclass
class BuildOutcome:
    period: Period
    issue: dict[str, Any] | None  # None: the period was empty and is skipped
    created: bool
    items: int
    drafts: Any = None  # the writer's DraftReport, when the writer ran


def build_issue(
    conn: Connection,
    period: Period,
    taxonomy: Taxonomy,
    late_days: int,
    empty: str,
    now: datetime,
) -> BuildOutcome:
    """Make or refresh the draft for `period`. Only a draft can be refreshed, and periods only
    move forward: an issue for a period before the newest one would break the numbering."""
    existing = conn.execute(select(issues).where(issues.c.slug == period.slug)).mappings().first()
    if existing is not None and existing["state"] != IssueState.DRAFT:
        raise DigestError(
            f"issue {existing['number']} ({period.slug}) is {existing['state']}; "
            "only a draft can be rebuilt",
            "build the next period instead, or leave this issue as it is",
        )
    if existing is None:
        newest = conn.execute(select(func.max(issues.c.period_start))).scalar()
        if newest is not None and newest > period.start.isoformat():
            raise DigestError(
                f"the newest issue already covers {newest}, after {period.slug}",
                "issues go forward in time: build a period after the newest issue",
            )
    this = existing["id"] if existing else None
    found, infos = news(conn, period, late_days, [this] if this is not None else [])
    groups_of = {t: label.group or "" for t, label in taxonomy.labels["cancer_types"].items()}
    placed = existing["item_order"] if existing else None
    chosen = choose(found, infos, period, late_days, groups_of, placed)
    if not chosen and empty == "skip":
        if this is not None:
            conn.execute(delete(issues).where(issues.c.id == this))
        return BuildOutcome(period, None, False, 0)
    values = {
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "nothing_new": not chosen,
        "counts": _counts(chosen, infos),
        "built_at": now,
    }
    if this is None:
        number = (conn.execute(select(func.max(issues.c.number))).scalar() or 0) + 1
        inserted = conn.execute(
            insert(issues).values(number=number, slug=period.slug, state=IssueState.DRAFT, **values)
        )
        this = cast(Row[Any], inserted.inserted_primary_key)[0]  # a one-row insert has its key
    else:
        conn.execute(update(issues).where(issues.c.id == this).values(**values))
        conn.execute(delete(items).where(items.c.issue_id == this))
        conn.execute(delete(claims).where(claims.c.issue_id == this))
    _write_items(conn, this, chosen)
    issue = conn.execute(select(issues).where(issues.c.id == this)).mappings().one()
    return BuildOutcome(period, dict(issue), existing is None, len(chosen))


def news(
    conn: Connection, period: Period, late_days: int, open_issues: Iterable[int] = ()
) -> tuple[list[EventInfo], dict[int, WorkInfo]]:
    """The news of `period`: the one definition the digest's build and the editors' queue share.
    An event is news when no issue but the `open_issues` has reported it (a build: the draft
    being rebuilt; the queue: every draft, since none has gone out), and `select.eligible`
    takes it (inside the period or late by at most `late_days`; a retraction or correction of
    a work readers got, however late). Returns the events, each on the work it now lives in,
    and what is known of those works."""
    found, infos = _candidates(conn, period, late_days, set(open_issues))
    kept = [
        event
        for event in found
        if event.work_id in infos
        and eligible(event, period, late_days, infos[event.work_id].sent_before)
    ]
    return kept, infos


def drafts_of(conn: Connection) -> list[int]:
    """The issues still in draft: what they claimed is not yet reported to anyone."""
    return list(
        conn.execute(select(issues.c.id).where(issues.c.state == IssueState.DRAFT)).scalars()
    )


def _candidates(
    conn: Connection, period: Period, late_days: int, open_issues: set[int]
) -> tuple[list[EventInfo], dict[int, WorkInfo]]:
    earliest = (period.start - timedelta(days=late_days)).isoformat()
    claimed_elsewhere = select(claims.c.event_id)
    if open_issues:
        claimed_elsewhere = claimed_elsewhere.where(claims.c.issue_id.not_in(sorted(open_issues)))
    query = select(
        events.c.id, events.c.work_id, events.c.type, events.c.occurred_on, events.c.detected_at
    ).where(
        events.c.type.in_(KIND_OF_EVENT),
        events.c.id.not_in(claimed_elsewhere),
        or_(events.c.occurred_on.is_(None), events.c.occurred_on < period.end.isoformat()),
        or_(
            events.c.occurred_on.is_(None),
            events.c.occurred_on >= earliest,
            events.c.type.in_(ALWAYS_NEWS),
        ),
    )
    rows = conn.execute(query).all()
    home = resolve_merged(conn, {row.work_id for row in rows})
    found = [
        EventInfo(row.id, home[row.work_id], row.type, event_day(row.occurred_on, row.detected_at))
        for row in rows
    ]
    return found, _work_infos(conn, {event.work_id for event in found}, None)


def event_day(occurred_on: str | None, detected_at: datetime) -> date:
    """The day an event happened; a partial date ("2026-09") counts from its first day."""
    if not occurred_on:
        return detected_at.date()
    parts = (occurred_on.split("-") + ["01", "01"])[:3]
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def resolve_merged(conn: Connection, work_ids: Iterable[int]) -> dict[int, int]:
    """Each work id to the work it now lives in (a merge may have folded it into another)."""
    home = {work_id: work_id for work_id in work_ids}
    pending = set(home)
    while pending:
        moved = dict(
            conn.execute(
                select(works.c.id, works.c.merged_into).where(
                    works.c.id.in_(pending), works.c.merged_into.is_not(None)
                )
            ).all()
        )
        if not moved:
            break
        for origin, at in home.items():
            if at in moved:
                home[origin] = moved[at]
        pending = set(moved.values()) - set(moved)
    return home


def _work_infos(conn: Connection, work_ids: set[int], this: int | None) -> dict[int, WorkInfo]:
    infos: dict[int, WorkInfo] = {}
    ids = sorted(work_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        query = (
            select(
                works.c.id,
                works.c.kind,
                classifications.c.relevant,
                classifications.c.relevance,
                classifications.c.section,
                classifications.c.labels,
                decisions.c.decision,
                decisions.c.featured,
                decisions.c.highlight,
                decisions.c.highlight_en,
            )
            .select_from(
                works.outerjoin(classifications, classifications.c.work_id == works.c.id).outerjoin(
                    decisions, decisions.c.work_id == works.c.id
                )
            )
            .where(works.c.id.in_(chunk), works.c.deleted_at.is_(None))
        )
        for row in conn.execute(query):
            labels = row.labels or {}
            infos[row.id] = WorkInfo(
                id=row.id,
                kind=row.kind,
                relevant=bool(row.relevant),
                relevance=row.relevance or 0.0,
                section=row.section,
                cancer_types=list(labels.get("cancer_types") or []),
                strategies=list(labels.get("strategies") or []),
                decision=row.decision,
                featured=bool(row.featured),
                highlight=row.highlight or "",
                highlight_en=row.highlight_en or "",
            )
        sent = select(items.c.work_id).join(issues, issues.c.id == items.c.issue_id)
        sent = sent.where(items.c.work_id.in_(chunk), issues.c.state.in_(PUBLISHED))
        if this is not None:
            sent = sent.where(issues.c.id != this)
        for work_id in conn.execute(sent).scalars():
            if work_id in infos:
                infos[work_id].sent_before = True
    return infos


def _counts(chosen: list[Chosen], infos: dict[int, WorkInfo]) -> dict[str, Any]:
    by_section: dict[str, int] = {}
    for item in chosen:
        by_section[item.section] = by_section.get(item.section, 0) + 1
    return {
        "items": len(chosen),
        "papers": sum(infos[c.work_id].kind == "paper" for c in chosen),
        "trials": sum(infos[c.work_id].kind == "trial" for c in chosen),
        "retractions": sum(c.kind == "retraction" for c in chosen),
        "corrections": sum(c.kind == "correction" for c in chosen),
        "featured": sum(c.featured for c in chosen),
        "sections": by_section,
    }


def _write_items(conn: Connection, issue_id: int, chosen: list[Chosen]) -> None:
    if not chosen:
        return
    conn.execute(
        insert(items),
        [
            {
                "issue_id": issue_id,
                "work_id": c.work_id,
                "section": c.section,
                "group_key": c.group_key,
                "kind": c.kind,
                "position": c.position,
                "rank": c.rank,
                "featured": c.featured,
                "highlight": c.highlight,
                "highlight_en": c.highlight_en,
                "event_ids": c.event_ids,
                "occurred_on": c.occurred_on,
            }
            for c in chosen
        ],
    )
    conn.execute(
        insert(claims),
        [{"event_id": e, "issue_id": issue_id} for c in chosen for e in c.event_ids],
    )


# Reading issues --------------------------------------------------------------------------------


def find_issue(conn: Connection, ref: str) -> dict[str, Any]:
    """An issue by number ("12") or slug ("2026-11-16"), or a DigestError naming what exists."""
    column = issues.c.number if ref.isdigit() else issues.c.slug
    value: Any = int(ref) if ref.isdigit() else ref
    row = conn.execute(select(issues).where(column == value)).mappings().first()
    if row is None:
        known = conn.execute(select(issues.c.number).order_by(issues.c.number)).scalars().all()
        raise DigestError(
            f"no issue {ref!r}",
            f"known issues: {', '.join(map(str, known))}" if known else "run `digest build` first",
        )
    return dict(row)


def list_issues(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(issues).order_by(issues.c.number.desc())).mappings()
    return [dict(row) for row in rows]


def neighbours(
    conn: Connection, issue: dict[str, Any], published_only: bool = False
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The issues before and after this one by number (only published ones, for the public)."""

    def near(condition: Any, order: Any) -> dict[str, Any] | None:
        query = select(issues).where(condition)
        if published_only:
            query = query.where(issues.c.state.in_(PUBLISHED))
        row = conn.execute(query.order_by(order).limit(1)).mappings().first()
        return dict(row) if row else None

    return (
        near(issues.c.number < issue["number"], issues.c.number.desc()),
        near(issues.c.number > issue["number"], issues.c.number),
    )


def issue_items(conn: Connection, issue_id: int) -> list[dict[str, Any]]:
    query = select(items).where(items.c.issue_id == issue_id).order_by(items.c.position)
    return [dict(row) for row in conn.execute(query).mappings()]


def set_state(
    conn: Connection,
    issue_id: int,
    state: str,
    now: datetime | None = None,
    by: str = "",
    expected: str | None = None,
) -> bool:
    """Move the issue to `state`; with `expected`, only from that state (False otherwise),
    so two processes racing to start the same step cannot both start it."""
    values: dict[str, Any] = {"state": state}
    if state == IssueState.APPROVED:
        values |= {"approved_at": now, "approved_by": by}
    elif state == "sent":
        values["sent_at"] = now
    elif state == IssueState.DRAFT:
        values |= {"approved_at": None, "approved_by": ""}
    query = update(issues).where(issues.c.id == issue_id)
    if expected is not None:
        query = query.where(issues.c.state == expected)
    return conn.execute(query.values(**values)).rowcount > 0


def move_item(conn: Connection, issue_id: int, work_id: int, step: int) -> bool:
    """Move a draft's item up (step -1) or down (+1) within its group, and keep the whole
    order as the editor's, so a rebuild keeps it. False when it cannot move further."""
    rows = issue_items(conn, issue_id)
    index = next((i for i, row in enumerate(rows) if row["work_id"] == work_id), None)
    if index is None:
        raise DigestError(f"work {work_id} is not in this issue")
    other = index + step
    same_group = 0 <= other < len(rows) and all(
        rows[other][key] == rows[index][key] for key in ("section", "group_key")
    )
    if not same_group:
        return False
    rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows, 1):
        if row["position"] != position:
            conn.execute(update(items).where(items.c.id == row["id"]).values(position=position))
    order = [row["work_id"] for row in rows]
    conn.execute(update(issues).where(issues.c.id == issue_id).values(item_order=order))
    return True


def set_text(conn: Connection, issue_id: int, field: str, lang: str, value: str) -> None:
    """The editor's headline, intro or closing in one language (empty = generated, or none)."""
    if field not in ("headline", "intro", "closing"):
        raise ValueError(f"not an issue text: {field}")
    problem = header_problem(value) if field == "headline" else ""
    if problem:  # the headline is the mail's Subject: it must stay one header's text
        raise DigestError(
            f"headline ({lang}): {problem}", "the headline is the email's subject line: plain text"
        )
    current = conn.execute(select(issues.c[field]).where(issues.c.id == issue_id)).scalar() or {}
    texts = {k: v for k, v in {**current, lang: value.strip()}.items() if v}
    conn.execute(update(issues).where(issues.c.id == issue_id).values({field: texts}))


# What the renderer needs about each work ---------------------------------------------------------


def labels_of(conn: Connection, work_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    ids = sorted(set(work_ids))
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), CHUNK):
        query = select(classifications.c.work_id, classifications.c.labels).where(
            classifications.c.work_id.in_(ids[start : start + CHUNK])
        )
        found.update({row.work_id: row.labels or {} for row in conn.execute(query)})
    return found


def related(conn: Connection, work_ids: Iterable[int]) -> dict[int, list[dict[str, str]]]:
    """Each work's links both ways (a paper's trials, a trial's papers, a retraction's notice),
    as {type, scheme, value}; the target's title when it is a known work."""
    ids = sorted(set(work_ids))
    out: dict[int, list[dict[str, str]]] = {work_id: [] for work_id in ids}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        forward = select(links.c.work_id, links.c.type, links.c.target_scheme, links.c.target_value)
        for row in conn.execute(forward.where(links.c.work_id.in_(chunk))):
            _add_link(out[row.work_id], row.type, row.target_scheme, row.target_value)
        backward = (
            select(identifiers.c.work_id, links.c.type, links.c.work_id.label("source_work"))
            .join(
                links,
                and_(
                    links.c.target_scheme == identifiers.c.scheme,
                    links.c.target_value == identifiers.c.value,
                ),
            )
            .where(identifiers.c.work_id.in_(chunk))
        )
        sources = conn.execute(backward).all()
        ids_of = _primary_ids(conn, {row.source_work for row in sources})
        for back in sources:
            scheme, value = ids_of.get(back.source_work, ("work", str(back.source_work)))
            _add_link(out[back.work_id], REVERSE.get(back.type, back.type), scheme, value)
    _name_targets(conn, out)
    return out


def notice_targets(conn: Connection, notice_ids: Iterable[int]) -> dict[int, set[int]]:
    """notice work id → the works it retracts or corrects (its `retraction_of` and
    `erratum_for` links, resolved), for notices that came as works of their own."""
    ids = sorted(set(notice_ids))
    found: dict[int, set[int]] = {}
    if not ids:
        return found
    query = (
        select(links.c.work_id, identifiers.c.work_id.label("target"))
        .join(
            identifiers,
            and_(
                identifiers.c.scheme == links.c.target_scheme,
                identifiers.c.value == links.c.target_value,
            ),
        )
        .where(links.c.work_id.in_(ids), links.c.type.in_(("retraction_of", "erratum_for")))
    )
    for notice, target in conn.execute(query):
        if target != notice:
            found.setdefault(notice, set()).add(target)
    return found


def _add_link(into: list[dict[str, str]], kind: str, scheme: str, value: str) -> None:
    link = {"type": kind, "scheme": scheme, "value": value}
    if link not in into:
        into.append(link)


def _name_targets(conn: Connection, found: dict[int, list[dict[str, str]]]) -> None:
    """Each link to a known work gets that work's title, journal and ISO abbreviation (and a
    Chinese paper its vernacular title), so "相关：PMID …" lines and a preprint's journal can
    name them."""
    keys = {(link["scheme"], link["value"]) for links_ in found.values() for link in links_}
    if not keys:
        return
    owners: dict[tuple[str, str], int] = {}
    by_scheme: dict[str, list[str]] = {}
    for scheme, value in sorted(keys):
        by_scheme.setdefault(scheme, []).append(value)
    for scheme, values in by_scheme.items():  # by (scheme, value): the unique index's order
        for start in range(0, len(values), CHUNK):
            query = select(identifiers.c.value, identifiers.c.work_id).where(
                identifiers.c.scheme == scheme,
                identifiers.c.value.in_(values[start : start + CHUNK]),
            )
            for value, work_id in conn.execute(query):
                owners[(scheme, value)] = work_id
    home = resolve_merged(conn, set(owners.values()))
    data = work_data(conn, set(home.values()))
    for links_ in found.values():
        for link in links_:
            work_id = owners.get((link["scheme"], link["value"]))
            target = data.get(home[work_id], {}) if work_id is not None else {}
            for key in ("title", "vernacular_title", "journal", "journal_abbrev", "preprint"):
                if target.get(key):
                    link[key] = target[key]


def _primary_ids(conn: Connection, work_ids: set[int]) -> dict[int, tuple[str, str]]:
    order = {"pmid": 0, "nct": 1, "doi": 2, "pmcid": 3}
    best: dict[int, tuple[str, str]] = {}
    ids = sorted(work_ids)
    for start in range(0, len(ids), CHUNK):
        query = select(identifiers.c.work_id, identifiers.c.scheme, identifiers.c.value).where(
            identifiers.c.work_id.in_(ids[start : start + CHUNK])
        )
        for work_id, scheme, value in conn.execute(query):
            if work_id not in best or order.get(scheme, 9) < order.get(best[work_id][0], 9):
                best[work_id] = (scheme, value)
    return best


def load_content(conn: Connection, issue: dict[str, Any]) -> IssueContent:
    """Everything rendering needs about one issue, read once: rendering itself never queries."""
    rows = issue_items(conn, issue["id"])
    ids = [row["work_id"] for row in rows]
    event_ids = sorted({e for row in rows for e in row["event_ids"]})
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(event_ids), CHUNK):
        query = select(events.c.id, events.c.type, events.c.occurred_on, events.c.data).where(
            events.c.id.in_(event_ids[start : start + CHUNK])
        )
        found.update({row.id: dict(row._mapping) for row in conn.execute(query)})
    earlier = select(items.c.work_id, issues.c.number, issues.c.slug).join(
        issues, issues.c.id == items.c.issue_id
    )
    earlier = earlier.where(
        items.c.work_id.in_(ids), issues.c.number < issue["number"], issues.c.state.in_(PUBLISHED)
    )
    before, after = neighbours(conn, issue, published_only=False)
    carried = conn.execute(earlier.order_by(issues.c.number)).all()
    return IssueContent(
        issue=issue,
        items=rows,
        data=work_data(conn, ids),
        labels=labels_of(conn, ids),
        related=related(conn, ids) if ids else {},
        events=found,
        earlier={work_id: number for work_id, number, _ in carried},
        earlier_slugs={work_id: slug for work_id, _, slug in carried},
        study_slugs=study_slugs(conn, ids),
        previous=before,
        next=after,
        drafts=accepted_drafts(conn, ids),
        generated=issue_headlines(conn, issue),
    )


def accepted_drafts(conn: Connection, work_ids: Iterable[int]) -> dict[tuple[int, str, str], str]:
    """Writer drafts an editor accepted or edited, by (work, language, field): only these reach
    readers; a draft no editor has looked at stays on the editor pages."""
    ids = sorted(set(work_ids))
    found: dict[tuple[int, str, str], str] = {}
    for start in range(0, len(ids), CHUNK):
        query = select(drafts.c.work_id, drafts.c.lang, drafts.c.field, drafts.c.text).where(
            drafts.c.work_id.in_(ids[start : start + CHUNK]),
            drafts.c.state.in_(("accepted", "edited")),
        )
        found.update({(w, lang, f): text for w, lang, f, text in conn.execute(query)})
    return found


def issue_headlines(conn: Connection, issue: dict[str, Any]) -> dict[str, set[str]]:
    """The headlines every other issue carries (the editor's, else the generated one), per
    language: a new generated headline must differ from all of them."""
    taken: dict[str, set[str]] = {}
    query = select(issues.c.headline, issues.c.generated).where(issues.c.id != issue["id"])
    for headline, generated in conn.execute(query):
        for texts in (headline or {}, generated or {}):
            for lang, text in texts.items():
                if text:
                    taken.setdefault(lang, set()).add(text)
    return taken


def set_generated(conn: Connection, issue_id: int, headlines: dict[str, str]) -> None:
    conn.execute(update(issues).where(issues.c.id == issue_id).values(generated=headlines))


def set_charts(conn: Connection, issue_id: int, charts: dict[str, Any] | None) -> None:
    """The evidence chart's data the issue was built with (None: it shows none of its own)."""
    conn.execute(update(issues).where(issues.c.id == issue_id).values(charts=charts))


def resolve_work(conn: Connection, ref: str) -> int:
    """A work named the way people name them: its id ("123"), "pmid:41000012", a DOI, a PMCID
    or a registry id (NCT…, ChiCTR…); a merged-away work resolves to the work it joined."""
    from etl.normalize.identifiers import (
        normalize_doi,
        normalize_pmcid,
        normalize_pmid,
        normalize_registry_id,
    )

    text = ref.strip()
    scheme, _, rest = text.partition(":")
    if text.isdigit():
        found = conn.execute(select(works.c.id).where(works.c.id == int(text))).scalar()
    else:
        key = None
        if scheme.lower() == "pmid":
            key = ("pmid", normalize_pmid(rest))
        elif scheme.lower() == "doi" or text.startswith("10.") or "doi.org/" in text:
            key = ("doi", normalize_doi(rest if scheme.lower() == "doi" else text))
        elif text.upper().startswith("PMC"):
            key = ("pmcid", normalize_pmcid(text))
        else:
            key = normalize_registry_id(text)
        found = None
        if key and key[1]:
            found = conn.execute(
                select(identifiers.c.work_id).where(
                    identifiers.c.scheme == key[0], identifiers.c.value == key[1]
                )
            ).scalar()
    if found is None:
        raise DigestError(
            f"no work {ref!r}",
            "name a work by id, pmid:N, a DOI, a PMCID or a trial registry id",
        )
    return resolve_merged(conn, [found])[found]


def highlight_fields(text: str, lang: str | None = None) -> dict[str, str]:
    """A 研究亮点 text as the decision field of its edition: `lang` when given, else the
    language its script says (any Chinese character: zh). An empty text changes nothing, so
    featuring a work again keeps the texts it has."""
    text = text.strip()
    if not text:
        return {}
    if lang is None:
        lang = "zh" if has_chinese(text) else "en"
    return {"highlight" if lang == "zh" else "highlight_en": text}


def decide(conn: Connection, work_id: int, now: datetime, editor: str = "", **fields: Any) -> None:
    """Record an editor's say about a work (decision, featured, highlight, picked, note): the
    fields given change, the others stay. The next build of a draft follows it."""
    allowed = {"decision", "featured", "highlight", "highlight_en", "picked", "note"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not an editor decision field: {', '.join(sorted(unknown))}")
    values = {**fields, "editor": editor, "updated_at": now}
    exists = conn.execute(select(decisions.c.work_id).where(decisions.c.work_id == work_id))
    if exists.first() is None:
        conn.execute(insert(decisions).values(work_id=work_id, **values))
    else:
        conn.execute(update(decisions).where(decisions.c.work_id == work_id).values(**values))

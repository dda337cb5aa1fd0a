"""The study pages' edge to the database: which work a slug names, and everything known about
one work, read in a handful of queries. Assembling the page from it is plain code
(`timeline.py`, `view.py`); rendering never queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, case, or_, select

from etl.db.models import (
    Article,
    ArticleWork,
    Classification,
    DigestIssue,
    DigestItem,
    EditorDecision,
    Event,
    Identifier,
    Link,
    SourceRecord,
    Work,
    WorkMerge,
)
from etl.db.states import PUBLISHED_STATES, ArticleState
from etl.digest.store import resolve_merged
from etl.normalize.slugs import WORK_PREFIX, identifier_slug, parse_slug, study_slug
from etl.works.addresses import study_slugs
from etl.works.identity import REVERSE
from etl.works.store import SOURCE_PREFERENCE, work_data

__all__ = ["resolve_merged", "work_data"]  # read through this module by the service

works = Work.__table__
identifiers = Identifier.__table__
records = SourceRecord.__table__
links = Link.__table__
events = Event.__table__
classifications = Classification.__table__
decisions = EditorDecision.__table__
issues = DigestIssue.__table__
items = DigestItem.__table__
articles = Article.__table__
article_works = ArticleWork.__table__
merges = WorkMerge.__table__
CHUNK = 500


@dataclass
class Related:
    """Another work this one is tied to, seen from this one (`type` as this work reads it:
    `reports_trial`, `reported_by`, `has_preprint`, `published_as`, `retracted_by`, …, and
    `same_trial` for another paper of a trial this one reports)."""

    type: str
    scheme: str
    value: str
    work_id: int | None = None  # None: named, but not (yet) a work we hold
    slug: str | None = None
    kind: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    public: bool = False  # it has a study page of its own
    events: list[dict[str, Any]] = field(default_factory=list)  # its own news (status, …)


@dataclass
class StudyContent:
    """Everything a study page shows about one work: the study page's only input."""

    work: dict[str, Any]  # the works row
    slug: str
    data: dict[str, Any]  # the record that speaks for the work
    labels: dict[str, Any]
    identifiers: list[tuple[str, str]]
    records: list[dict[str, Any]]  # every source's record: source, source_id, data, dates
    events: list[dict[str, Any]]  # oldest first
    related: list[Related]
    issues: list[dict[str, Any]]  # published issues that carried it: number, slug, kind, …
    articles: list[dict[str, Any]] = field(default_factory=list)  # published articles citing it


def slugs_of(conn: Connection, work_ids: Iterable[int]) -> dict[int, str]:
    return study_slugs(conn, work_ids)


def find_work(conn: Connection, slug: str) -> int | None:
    """The work a slug names, followed through merges: any identifier the work holds (or a
    merged-away work held) finds it, so an address once published keeps leading to the study."""
    named = parse_slug(slug)
    if named is None:
        return None
    scheme, value = named
    if scheme == WORK_PREFIX:
        found = conn.execute(select(works.c.id).where(works.c.id == int(value))).scalar()
    else:
        found = conn.execute(
            select(identifiers.c.work_id).where(
                identifiers.c.scheme == scheme, identifiers.c.value == value
            )
        ).scalar()
    if found is None:
        return None
    return resolve_merged(conn, [found])[found]


def public_ids(conn: Connection, work_ids: Iterable[int]) -> set[int]:
    """The works that have a public page: relevant (the classifier's verdict, unless an editor
    excluded it; or an editor's include) and not deleted upstream, or carried by a published
    issue whatever happened since (what readers were sent stays readable, and its story goes
    on: a deletion is a step of its timeline), themselves or through a work merged into them
    (the address readers were sent leads to the kept work's page)."""
    ids = sorted(set(work_ids))
    carried = carried_families(conn, ids)
    shown: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        query = (
            select(works.c.id)
            .select_from(
                works.outerjoin(classifications, classifications.c.work_id == works.c.id).outerjoin(
                    decisions, decisions.c.work_id == works.c.id
                )
            )
            .where(
                works.c.id.in_(chunk),
                works.c.merged_into.is_(None),
                or_(
                    and_(
                        works.c.deleted_at.is_(None),
                        or_(
                            and_(
                                classifications.c.relevant.is_(True),
                                or_(
                                    decisions.c.decision.is_(None),
                                    decisions.c.decision != "exclude",
                                ),
                            ),
                            decisions.c.decision == "include",
                        ),
                    ),
                    works.c.id.in_(sorted(carried.intersection(chunk))),
                ),
            )
        )
        shown.update(conn.execute(query).scalars())
    return shown


def carried_families(conn: Connection, work_ids: Iterable[int]) -> set[int]:
    """Those of the works that a published issue carried, or carried a work since merged into
    them."""
    family = families(conn, work_ids)
    members = sorted({member for group in family.values() for member in group})
    carried: set[int] = set()
    for start in range(0, len(members), CHUNK):
        query = (
            select(items.c.work_id)
            .join(issues, issues.c.id == items.c.issue_id)
            .where(
                items.c.work_id.in_(members[start : start + CHUNK]),
                issues.c.state.in_(PUBLISHED_STATES),
            )
        )
        carried.update(conn.execute(query).scalars())
    return {work_id for work_id, group in family.items() if group & carried}


def carried_ids(conn: Connection) -> list[int]:
    """Every work a published issue carried: the study pages the static archive writes."""
    query = (
        select(items.c.work_id)
        .join(issues, issues.c.id == items.c.issue_id)
        .where(issues.c.state.in_(PUBLISHED_STATES))
        .distinct()
    )
    ids = list(conn.execute(query).scalars())
    home = resolve_merged(conn, ids)
    return sorted(set(home.values()))


def load_study(conn: Connection, work_id: int) -> StudyContent | None:
    """What is known about one work, or None when it has no public page."""
    if work_id not in public_ids(conn, [work_id]):
        return None
    work = conn.execute(select(works).where(works.c.id == work_id)).one()._asdict()
    own = [
        (r.scheme, r.value)
        for r in conn.execute(
            select(identifiers.c.scheme, identifiers.c.value)
            .where(identifiers.c.work_id == work_id)
            .order_by(identifiers.c.scheme, identifiers.c.value)
        )
    ]
    rows = [
        r._asdict()
        for r in conn.execute(
            select(
                records.c.source,
                records.c.source_id,
                records.c.data,
                records.c.first_seen_at,
                records.c.deleted_at,
            ).where(records.c.work_id == work_id)
        )
    ]
    rows.sort(key=lambda r: (SOURCE_PREFERENCE.get(r["source"], 9), r["source_id"]))
    found_events = events_of(conn, [work_id])[work_id]
    labels = conn.execute(
        select(classifications.c.labels).where(classifications.c.work_id == work_id)
    ).scalar()
    return StudyContent(
        work=work,
        slug=study_slug(own, work["kind"], work_id),
        data=work_data(conn, [work_id]).get(work_id, {}),
        labels=labels or {},
        identifiers=own,
        records=rows,
        events=found_events,
        related=related_works(conn, work_id),
        issues=carrying_issues(conn, work_id),
        articles=citing_articles(conn, work_id),
    )


def related_works(conn: Connection, work_id: int) -> list[Related]:
    """The works this one is tied to by links, both ways, and the other papers of each trial
    it reports; each known one with its record and slug."""
    found: list[Related] = []
    index: dict[tuple[str, str, str], Related] = {}

    def add(kind: str, scheme: str, value: str) -> Related:
        if (kind, scheme, value) not in index:
            index[(kind, scheme, value)] = Related(kind, scheme, value)
            found.append(index[(kind, scheme, value)])
        return index[(kind, scheme, value)]

    forward = select(links.c.type, links.c.target_scheme, links.c.target_value).where(
        links.c.work_id == work_id
    )
    for kind, scheme, value in conn.execute(forward.order_by(links.c.id)):
        add(kind, scheme, value)
    backward = (
        select(links.c.type, links.c.work_id)
        .join(
            identifiers,
            and_(
                links.c.target_scheme == identifiers.c.scheme,
                links.c.target_value == identifiers.c.value,
            ),
        )
        .where(identifiers.c.work_id == work_id, links.c.work_id != work_id)
        .order_by(links.c.id)
    )
    back = conn.execute(backward).all()
    # The trials this paper reports: every other paper that reports one of them too.
    # Each by (scheme, value), the order of the links' target index.
    siblings: list[Any] = []
    for r in [r for r in found if r.type == "reports_trial"]:
        siblings += conn.execute(
            select(links.c.work_id)
            .where(
                links.c.target_scheme == r.scheme,
                links.c.target_value == r.value,
                links.c.type == "reports_trial",
                links.c.work_id != work_id,
            )
            .order_by(links.c.work_id)
        ).all()
    owners = {row.work_id for row in back} | {row.work_id for row in siblings}
    slugs = slugs_of(conn, owners)
    for row in back:
        scheme, value = _named_as(slugs.get(row.work_id, f"{WORK_PREFIX}-{row.work_id}"))
        added = add(REVERSE.get(row.type, row.type), scheme, value)
        added.work_id = added.work_id or row.work_id
    for row in siblings:
        scheme, value = _named_as(slugs.get(row.work_id, f"{WORK_PREFIX}-{row.work_id}"))
        added = add("same_trial", scheme, value)
        added.work_id = added.work_id or row.work_id
    _resolve(conn, found, work_id)
    return [r for r in found if r.work_id != work_id]


def _named_as(slug: str) -> tuple[str, str]:
    return parse_slug(slug) or (WORK_PREFIX, slug)


def _resolve(conn: Connection, found: list[Related], this: int) -> None:
    """Each related identifier to the work holding it (through merges), with its record,
    slug and whether it has a page."""
    keys = sorted({(r.scheme, r.value) for r in found if r.work_id is None})
    owners: dict[tuple[str, str], int] = {}
    # A work names a handful of others: one query, each pair by the (scheme, value) index.
    for start in range(0, len(keys), CHUNK):
        pairs = [
            and_(identifiers.c.scheme == scheme, identifiers.c.value == value)
            for scheme, value in keys[start : start + CHUNK]
        ]
        query = select(identifiers.c.scheme, identifiers.c.value, identifiers.c.work_id)
        for scheme, value, owner in conn.execute(query.where(or_(*pairs))):
            owners[(scheme, value)] = owner
    for r in found:
        if r.work_id is None:
            r.work_id = owners.get((r.scheme, r.value))
    home = resolve_merged(conn, {r.work_id for r in found if r.work_id is not None})
    for r in found:
        if r.work_id is not None:
            r.work_id = home[r.work_id]
    known = {r.work_id for r in found if r.work_id is not None and r.work_id != this}
    data, slugs, shown = work_data(conn, known), slugs_of(conn, known), public_ids(conn, known)
    news = events_of(conn, known)
    for r in found:
        if r.work_id in known:
            r.events = news.get(r.work_id, [])
            r.data = data.get(r.work_id, {})
            r.slug = slugs.get(r.work_id)
            r.kind = r.data.get("kind")
            r.public = r.work_id in shown


def events_of(conn: Connection, work_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Each work's events, oldest first."""
    ids = sorted(set(work_ids))
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for start in range(0, len(ids), CHUNK):
        query = (
            select(
                events.c.work_id,
                events.c.id,
                events.c.type,
                events.c.source,
                events.c.occurred_on,
                events.c.data,
            )
            .where(events.c.work_id.in_(ids[start : start + CHUNK]))
            .order_by(events.c.id)
        )
        for row in conn.execute(query):
            found[row.work_id].append(row._asdict())
    return found


def carrying_issues(conn: Connection, work_id: int) -> list[dict[str, Any]]:
    """The published issues that carried the work, or a work since merged into it (readers
    were sent it, and its address now leads here), oldest first, each once, with why (new,
    update, …): the work's own item's, when the issue carried both."""
    query = (
        select(
            issues.c.number,
            issues.c.slug,
            issues.c.period_end,
            issues.c.headline,
            issues.c.generated,
            issues.c.nothing_new,
            items.c.kind,
        )
        .join(issues, issues.c.id == items.c.issue_id)
        .where(
            items.c.work_id.in_(sorted(merged_from(conn, work_id))),
            issues.c.state.in_(PUBLISHED_STATES),
        )
        .order_by(issues.c.number, case((items.c.work_id == work_id, 0), else_=1),
                  items.c.position)
    )  # fmt: skip
    found: dict[int, dict[str, Any]] = {}
    for row in conn.execute(query):
        found.setdefault(row.number, row._asdict())
    return list(found.values())


def citing_articles(conn: Connection, work_id: int) -> list[dict[str, Any]]:
    """The published articles whose last check cites the work, or a work since merged into
    it, oldest first: id, slug, title, lang, published_at."""
    query = (
        select(articles.c.id, articles.c.slug, articles.c.title, articles.c.lang,
               articles.c.published_at)
        .where(
            articles.c.state == ArticleState.PUBLISHED,
            articles.c.id.in_(
                select(article_works.c.article_id).where(
                    article_works.c.work_id.in_(merged_from(conn, work_id))
                )
            ),
        )
        .order_by(articles.c.published_at, articles.c.id)
    )  # fmt: skip
    return [row._asdict() for row in conn.execute(query)]


def merged_from(conn: Connection, work_id: int) -> set[int]:
    """The work and every work folded into it, however many merges deep (not those a split
    gave back): what was said of any of them is said of it."""
    return families(conn, [work_id])[work_id]


def families(conn: Connection, work_ids: Iterable[int]) -> dict[int, set[int]]:
    """`merged_from` of each work, one query per level of merges for all of them."""
    found = {work_id: {work_id} for work_id in work_ids}
    pending = {(work_id, work_id) for work_id in found}  # (whose family, member to follow)
    while pending:
        heads: dict[int, set[int]] = {}
        for root, member in pending:
            heads.setdefault(member, set()).add(root)
        members, pending = sorted(heads), set()
        for start in range(0, len(members), CHUNK):
            query = select(merges.c.kept_work_id, merges.c.merged_work_id).where(
                merges.c.kept_work_id.in_(members[start : start + CHUNK]),
                merges.c.undone_at.is_(None),
            )
            for kept, merged in conn.execute(query):
                for root in heads[kept]:
                    if merged not in found[root]:
                        found[root].add(merged)
                        pending.add((root, merged))
    return found


def old_slugs(conn: Connection, work_ids: Iterable[int]) -> dict[int, set[str]]:
    """The addresses `find_work` leads to each work besides (perhaps) its current one: each
    identifier's slug (a merge moves the merged work's identifiers to the kept one, and a better
    identifier found later leaves the old slug behind) and `work-<id>` of the work and of every
    work merged into it. A static site cannot answer them with a redirect, so it needs a file
    at each (case variants aside, which only the web app forgives)."""
    family = families(conn, work_ids)
    found = {w: {f"{WORK_PREFIX}-{member}" for member in group} for w, group in family.items()}
    ids = sorted(family)
    for start in range(0, len(ids), CHUNK):
        query = select(identifiers.c.work_id, identifiers.c.scheme, identifiers.c.value).where(
            identifiers.c.work_id.in_(ids[start : start + CHUNK])
        )
        for work_id, scheme, value in conn.execute(query):
            slug = identifier_slug(scheme, value)
            if parse_slug(slug) == (scheme, value):  # what the web app would find
                found[work_id].add(slug)
    return found


def cited_ids(conn: Connection) -> list[int]:
    """Every work a published article cites (through merges): study pages the static archive
    writes beside those of the issues, so every article's links lead somewhere."""
    query = (
        select(article_works.c.work_id)
        .join(articles, articles.c.id == article_works.c.article_id)
        .where(articles.c.state == ArticleState.PUBLISHED)
        .distinct()
    )
    home = resolve_merged(conn, conn.execute(query).scalars())
    return sorted(set(home.values()))


def issue_work_ids(conn: Connection, slug: str) -> list[int] | None:
    """The works of a published issue in reading order, or None when there is no such issue."""
    issue = conn.execute(
        select(issues.c.id).where(issues.c.slug == slug, issues.c.state.in_(PUBLISHED_STATES))
    ).scalar()
    if issue is None:
        return None
    rows = conn.execute(
        select(items.c.work_id).where(items.c.issue_id == issue).order_by(items.c.position)
    ).scalars()
    return list(rows)


def published_issue_slugs(conn: Connection) -> list[str]:
    query = select(issues.c.slug).where(issues.c.state.in_(PUBLISHED_STATES))
    return list(conn.execute(query.order_by(issues.c.number)).scalars())

"""The articles and article_versions tables: an article's life (draft → approved → published,
and withdrawn after), its check report and override note, and every saved text. Every
function runs inside the caller's transaction and returns plain dicts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from etl.articles.cited import cited_works
from etl.articles.render import title_of
from etl.db.models import Article, ArticleVersion, ArticleWork
from etl.db.states import ArticleState
from etl.errors import ArticleError

A = Article.__table__
V = ArticleVersion.__table__
W = ArticleWork.__table__


def create(
    conn: Connection, body: str, lang: str, work_ids: list[int], editor: str, now: datetime
) -> dict[str, Any]:
    """A draft with its first version. Its slug is the day and its id (`2026-12-07-3`): fixed
    at creation, so links to it never change when the headline does."""
    article_id = conn.execute(
        insert(A)
        .values(
            slug=f"new-{uuid.uuid4().hex}",
            title=title_of(body)[:300],
            lang=lang,
            state=ArticleState.DRAFT,
            work_ids=work_ids,
            check_report=None,
            check_blocking=False,
            override_note="",
            override_by="",
            approved_by="",
            created_by=editor,
            created_at=now,
            updated_at=now,
        )
        .returning(A.c.id)
    ).scalar_one()
    conn.execute(
        update(A).where(A.c.id == article_id).values(slug=f"{now.date().isoformat()}-{article_id}")
    )
    save(conn, article_id, body, editor, now, note="drafted from the picked works")
    return find(conn, str(article_id))


def find(conn: Connection, ref: str) -> dict[str, Any]:
    """An article by id ("3") or slug ("2026-12-07-3"), or an ArticleError naming what exists."""
    column = A.c.id if ref.isdigit() else A.c.slug
    value: Any = int(ref) if ref.isdigit() and len(ref) < 19 else ref
    row = conn.execute(select(A).where(column == value)).mappings().first()
    if row is None:
        known = conn.execute(select(A.c.id).order_by(A.c.id)).scalars().all()
        raise ArticleError(
            f"no article {ref!r}",
            f"known articles: {', '.join(map(str, known))}"
            if known
            else "create one: mscwatch article new",
        )
    return dict(row)


def list_articles(conn: Connection) -> list[dict[str, Any]]:
    """Every article, newest first."""
    return [dict(r) for r in conn.execute(select(A).order_by(A.c.id.desc())).mappings()]


def published(conn: Connection) -> list[dict[str, Any]]:
    """The published articles in the order they were published (oldest first)."""
    query = select(A).where(A.c.state == ArticleState.PUBLISHED)
    return [dict(r) for r in conn.execute(query.order_by(A.c.published_at, A.c.id)).mappings()]


def withdrawn(conn: Connection) -> list[dict[str, Any]]:
    """The articles taken back and not published again: their addresses answer 410 Gone (a
    withdrawn article edited since, a draft again, is still gone to readers)."""
    query = select(A).where(A.c.withdrawn_at.is_not(None), A.c.state != ArticleState.PUBLISHED)
    return [dict(r) for r in conn.execute(query.order_by(A.c.id)).mappings()]


EDITABLE = (ArticleState.DRAFT, ArticleState.WITHDRAWN)


def save(
    conn: Connection, article_id: int, body: str, editor: str, now: datetime, note: str = ""
) -> int:
    """A new version with this text (every save is kept); the headline follows the text's
    first heading. Returns the version's number. Only a draft's text changes, or a withdrawn
    article's, which the new text makes a draft again (to be checked and approved anew)."""
    article = find(conn, str(article_id))
    if article["state"] not in EDITABLE:
        raise ArticleError(
            f"article {article_id} is {article['state']}; only a draft is edited",
            "it has been approved: its text is the one that was checked",
        )
    number = (
        conn.execute(select(func.max(V.c.number)).where(V.c.article_id == article_id)).scalar_one()
        or 0
    ) + 1
    conn.execute(
        insert(V).values(
            article_id=article_id,
            number=number,
            body=body,
            editor=editor,
            note=note,
            created_at=now,
        )
    )
    conn.execute(
        update(A)
        .where(A.c.id == article_id)
        .values(title=title_of(body)[:300], state=ArticleState.DRAFT, updated_at=now)
    )
    return number


def versions(conn: Connection, article_id: int) -> list[dict[str, Any]]:
    """Every saved version, newest first (without their texts)."""
    query = (
        select(
            V.c.number, V.c.editor, V.c.note, V.c.created_at, func.length(V.c.body).label("size")
        )
        .where(V.c.article_id == article_id)
        .order_by(V.c.number.desc())
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def version(conn: Connection, article_id: int, number: int | None = None) -> dict[str, Any]:
    """One version (the latest when `number` is None), with its text."""
    query = select(V).where(V.c.article_id == article_id)
    query = query.where(V.c.number == number) if number is not None else query
    row = conn.execute(query.order_by(V.c.number.desc()).limit(1)).mappings().first()
    if row is None:
        raise ArticleError(f"article {article_id} has no version {number}")
    return dict(row)


def set_check(
    conn: Connection,
    article_id: int,
    report: dict[str, Any],
    blocking: bool,
    number: int,
    now: datetime,
) -> None:
    """The check of version `number`: approval reads it only while that version is current.
    The works it cites are written with it (`article_works`), so what a study page says an
    article cites is always its last check's word; approval and publishing follow a check of
    the current text, so this is the one place they change."""
    picked = conn.execute(select(A.c.work_ids).where(A.c.id == article_id)).scalar_one()
    conn.execute(
        update(A)
        .where(A.c.id == article_id)
        .values(
            check_report=report, check_blocking=blocking, checked_version=number, checked_at=now
        )
    )
    conn.execute(delete(W).where(W.c.article_id == article_id))
    cited = cited_works(report, picked or [])
    if cited:
        conn.execute(
            insert(W),
            [
                {"article_id": article_id, "work_id": work_id, "position": position}
                for position, work_id in enumerate(cited, 1)
            ],
        )


def cited(conn: Connection, article_ids: list[int]) -> dict[int, list[int]]:
    """The works each article cites at its last check, in the order its text cites them."""
    found: dict[int, list[int]] = {article_id: [] for article_id in article_ids}
    query = select(W.c.article_id, W.c.work_id).where(W.c.article_id.in_(article_ids))
    for article_id, work_id in conn.execute(query.order_by(W.c.article_id, W.c.position)):
        found[article_id].append(work_id)
    return found


def approve(conn: Connection, article_id: int, by: str, now: datetime, override: str = "") -> bool:
    """Draft (or withdrawn) → approved; with `override`, the note of an editor approving
    despite a blocking check. False when the article was neither."""
    values: dict[str, Any] = {
        "state": ArticleState.APPROVED,
        "approved_by": by,
        "approved_at": now,
        "updated_at": now,
    }
    if override:
        values |= {"override_note": override, "override_by": by, "override_at": now}
    changed = conn.execute(
        update(A).where(A.c.id == article_id, A.c.state.in_(EDITABLE)).values(values)
    ).rowcount
    return bool(changed)


def unapprove(conn: Connection, article_id: int, now: datetime) -> bool:
    """Approved → draft again (to edit it); its override note stays on record."""
    return bool(
        conn.execute(
            update(A)
            .where(A.c.id == article_id, A.c.state == ArticleState.APPROVED)
            .values(state=ArticleState.DRAFT, approved_by="", approved_at=None, updated_at=now)
        ).rowcount
    )


def publish(conn: Connection, article_id: int, now: datetime) -> bool:
    """Approved → published, dated now. False when it was not approved."""
    return bool(
        conn.execute(
            update(A)
            .where(A.c.id == article_id, A.c.state == ArticleState.APPROVED)
            .values(state=ArticleState.PUBLISHED, published_at=now, updated_at=now)
        ).rowcount
    )


def withdraw(conn: Connection, article_id: int, by: str, note: str, now: datetime) -> bool:
    """Published → withdrawn, with who, when and why. False when it was not published.
    `published_at` stays: the notice says when the article was out."""
    return bool(
        conn.execute(
            update(A)
            .where(A.c.id == article_id, A.c.state == ArticleState.PUBLISHED)
            .values(
                state=ArticleState.WITHDRAWN,
                withdrawn_at=now,
                withdrawn_by=by,
                withdrawal_note=note,
                updated_at=now,
            )
        ).rowcount
    )


def set_mailed(conn: Connection, article_id: int, now: datetime) -> None:
    conn.execute(update(A).where(A.c.id == article_id).values(mailed_at=now))

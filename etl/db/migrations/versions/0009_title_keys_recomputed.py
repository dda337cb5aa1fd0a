"""title and block keys recomputed under the new title rules

The title rules now forgive entities, tags and British spelling, block by the earliest year and
give preprints blocks of their own; works stored before keep their old keys until recomputed.

The rules are frozen here as they stood when this revision was written: a migration must give the
same result whatever the application code becomes (`mscwatch works rekey` applies today's rules).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import html
import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CHUNK = 1000
_WORD = re.compile(r"\w+")
_TAG = re.compile(r"</?[a-z]+>")
_SPELLING = (
    (re.compile(r"a+e"), "e"),
    (re.compile(r"^oe|(?<=h)oe(?=a)|^foet|^coel"), lambda m: m[0].replace("o", "", 1)),
    (re.compile(r"(?<=\w\w)our"), "or"),
    (re.compile(r"(?<=\w\w)is(?=e$|ed$|es$|ing$|ation|er$|ers$)"), "iz"),
    (re.compile(r"ys(?=e$|ed$|es$|ing$)"), "yz"),
    (re.compile(r"(?<=[a-z][bt])re(?=s?$)"), "er"),
    (re.compile(r"(?<=[a-z]{2}[aeo])ll(?=ed$|ing$|er$|ers$)"), "l"),
    (re.compile(r"ogue(?=s?$)"), "og"),
)
_WORDS = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa", "vs": "versus",
    "grey": "gray", "programme": "program", "programmes": "programs", "ageing": "aging",
}  # fmt: skip
_GREEK = re.compile("[" + "".join(k for k in _WORDS if len(k) == 1) + "]")
_NOTICE_TYPES = frozenset({"Published Erratum", "Retraction of Publication", "Retraction Notice",
                           "Expression of Concern"})  # fmt: skip
_NOTICE_REFS = frozenset({
    "ErratumFor", "RetractionOf", "ExpressionOfConcernFor", "UpdateOf",
    "CorrectedandRepublishedFrom", "RetractedandRepublishedFrom",
})  # fmt: skip
_NOTICE_TITLE = re.compile(r"^\W*(?:correction|erratum|corrigendum|retraction|retracted|"
                           r"expression of concern)\b", re.I)  # fmt: skip

works = sa.table(
    "works",
    sa.column("id", sa.Integer),
    sa.column("merged_into", sa.Integer),
    sa.column("block_key", sa.String),
    sa.column("title_key", sa.String),
)
records = sa.table(
    "source_records",
    sa.column("id", sa.Integer),
    sa.column("work_id", sa.Integer),
    sa.column("data", sa.JSON),
    sa.column("deleted_at", sa.DateTime),
    sa.column("updated_at", sa.DateTime),
)


def _american(word: str) -> str:
    if word.isascii() and word.isalpha():
        for pattern, replacement in _SPELLING:
            word = pattern.sub(replacement, word)
    return _WORDS.get(word, word)


def title_key(title: str) -> str:
    text = _TAG.sub(" ", html.unescape(title).lower())
    text = _GREEK.sub(lambda m: _WORDS[m[0]], text)
    return " ".join(_american(word) for word in _WORD.findall(text))


def _is_notice(data: dict[str, Any]) -> bool:
    return bool(
        _NOTICE_TYPES.intersection(data.get("publication_types") or [])
        or any(c.get("type") in _NOTICE_REFS for c in data.get("corrections") or [])
        or _NOTICE_TITLE.match(data.get("title") or "")
    )


def block_key(data: dict[str, Any]) -> str | None:
    dates = (data.get("published") or "", data.get("epublished") or "")
    years = [date[:4] for date in dates if date[:4].isdigit()]
    authors = data.get("authors") or []
    if data.get("kind") != "paper" or not years or not authors or _is_notice(data):
        return None
    last = _WORD.findall(authors[0].lower())
    kind = "preprint" if data.get("preprint") else "paper"
    return f"{kind}|{min(years)}|{last[-1]}" if last else None


def upgrade() -> None:
    """Every live work's keys from its newest live record, a thousand works at a time."""
    conn = op.get_bind()
    last = 0
    while True:
        ids = list(
            conn.execute(
                sa.select(works.c.id)
                .where(works.c.id > last, works.c.merged_into.is_(None))
                .order_by(works.c.id)
                .limit(CHUNK)
            ).scalars()
        )
        if not ids:
            return
        last = ids[-1]
        current = {
            row.id: (row.block_key, row.title_key)
            for row in conn.execute(
                sa.select(works.c.id, works.c.block_key, works.c.title_key).where(
                    works.c.id.in_(ids)
                )
            )
        }
        newest: dict[int, dict[str, Any]] = {}
        query = (
            sa.select(records.c.work_id, records.c.data)
            .where(records.c.work_id.in_(ids), records.c.deleted_at.is_(None))
            .order_by(records.c.work_id, records.c.updated_at.desc(), records.c.id.desc())
        )
        for work_id, data in conn.execute(query):
            newest.setdefault(work_id, data)
        for work_id, data in newest.items():
            keys = (block_key(data), title_key(data.get("title") or ""))
            if keys != current[work_id]:
                conn.execute(
                    sa.update(works)
                    .where(works.c.id == work_id)
                    .values(block_key=keys[0], title_key=keys[1])
                )


def downgrade() -> None:
    """Nothing to undo: older code recomputes a work's keys when its records change."""

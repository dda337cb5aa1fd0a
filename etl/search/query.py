"""Reading the search index: words and filters in, one page of results out, newest first.

The one place the two databases differ is how the words are matched: FTS5's MATCH on SQLite,
`@@` against the GIN-indexed generated column `search_texts.tsv` on PostgreSQL. Filters are lookups
in `search_tags`'s primary key (tag, work_id), the same on both.

The count reads the matching ids (at most COUNT_CAP + 1). When they are all there, the page is
taken from them: reading a few hundred documents by key and sorting them costs less than walking
the whole index by day to find the few that match (which the planners chose for filters alone).
Only past the cap, where at least one work in a hundred matches, does the page walk by day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Connection,
    any_,
    bindparam,
    exists,
    func,
    literal_column,
    select,
    text,
)

from etl.search.index import FILTERS, documents, tags, texts
from etl.search.tokens import fts5_query, query_terms, tsquery

PER_PAGE = 20
MAX_PAGE = 500  # deeper than anyone reads; bounds OFFSET
# Matches counted at most: past this a page says "more than 1,000". An exact count of a word
# that a quarter of all works hold reads each of them (PostgreSQL checks every text), while the
# first page needs only 20.
COUNT_CAP = 1000


@dataclass(frozen=True)
class Hit:
    work_id: int
    kind: str
    day: str
    title: str
    vernacular_title: str
    labels: dict[str, Any]
    identifiers: list[str]


@dataclass(frozen=True)
class Results:
    query: str
    filters: dict[str, str]
    page: int
    per_page: int
    total: int
    hits: list[Hit] = field(default_factory=list)
    asked: bool = False  # False: neither words nor filters, so nothing was searched

    @property
    def capped(self) -> bool:
        """More matches than were counted (`total` is then COUNT_CAP + 1)."""
        return self.total > COUNT_CAP

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def clean_filters(asked: Mapping[str, str]) -> dict[str, str]:
    """The known filters with a value, lower-cased; unknown names and empty values dropped."""
    return {
        name: str(asked[name]).strip().lower()
        for name in FILTERS
        if str(asked.get(name) or "").strip()
    }


def search(
    conn: Connection,
    query: str,
    filters: Mapping[str, str] | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Results:
    """The works matching every word of `query` and every filter, newest first."""
    chosen = clean_filters(filters or {})
    page = min(max(1, page), MAX_PAGE)
    terms = query_terms(query)
    if not terms and not chosen:
        return Results(query, chosen, page, per_page, 0)
    conditions: list[ColumnElement[bool]] = []
    if terms:
        conditions.append(_matches(conn, terms))
    for name, value in chosen.items():
        conditions.append(_has_tag(f"{name}:{value}", drives=not conditions))
    if terms and not chosen and conn.dialect.name == "sqlite":
        # Words alone: FTS5 counts its own matches without reading a row.
        total = min(conn.execute(_count_fts(terms)).scalar_one(), COUNT_CAP + 1)
    else:
        ids = list(
            conn.execute(
                select(documents.c.work_id).where(*conditions).limit(COUNT_CAP + 1)
            ).scalars()
        )
        total = len(ids)
        if total <= COUNT_CAP:
            conditions = [_among(conn, ids)]
    rows = conn.execute(
        select(
            documents.c.work_id,
            documents.c.kind,
            documents.c.day,
            documents.c.title,
            documents.c.vernacular_title,
            documents.c.labels,
            documents.c.identifiers,
        )
        .where(*conditions)
        .order_by(documents.c.day.desc(), documents.c.work_id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).mappings()
    hits = [Hit(**dict(row)) for row in rows]
    return Results(query, chosen, page, per_page, total, hits, asked=True)


def _among(conn: Connection, ids: list[int]) -> ColumnElement[bool]:
    """The documents of `ids`: on PostgreSQL one array parameter, which costs a third of a
    thousand-item IN list to send and plan."""
    if conn.dialect.name == "postgresql":
        return documents.c.work_id == any_(bindparam("ids", ids, type_=ARRAY(BigInteger)))
    return documents.c.work_id.in_(ids)


def _has_tag(tag: str, drives: bool) -> ColumnElement[bool]:
    """The filter that leads (no words before it) as the list of its works, which SQLite walks
    by key; every other as a probe of the tag's primary key per row, cheaper on SQLite than
    building a list of thousands to look each row up in (PostgreSQL plans both as one
    semi-join)."""
    if drives:
        return documents.c.work_id.in_(select(tags.c.work_id).where(tags.c.tag == tag))
    return exists().where(tags.c.tag == tag, tags.c.work_id == documents.c.work_id)


def _count_fts(terms: Sequence[Any]) -> Any:
    """How many works the words match, from SQLite's FTS5 index alone (every indexed text has
    its document: they are written and deleted together)."""
    return (
        select(func.count())
        .select_from(text("search_fts"))
        .where(text("search_fts MATCH :fts").bindparams(fts=fts5_query(list(terms))))
    )


def _matches(conn: Connection, terms: Sequence[Any]) -> ColumnElement[bool]:
    if conn.dialect.name == "sqlite":
        return documents.c.work_id.in_(
            select(literal_column("rowid"))
            .select_from(text("search_fts"))
            .where(text("search_fts MATCH :fts").bindparams(fts=fts5_query(list(terms))))
        )
    # The stored `tsv` column (migration 0019), which the models do not declare.
    matched = literal_column("search_texts.tsv").op("@@")(
        func.to_tsquery(literal_column("'simple'::regconfig"), tsquery(list(terms)))
    )
    return documents.c.work_id.in_(select(texts.c.work_id).where(matched))

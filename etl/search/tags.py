"""What the filters can offer that the taxonomy does not list: the years the index holds."""

from __future__ import annotations

from sqlalchemy import Connection, select

from etl.search.index import tags


def years(conn: Connection) -> list[str]:
    """The years of the indexed works, newest first."""
    found = conn.execute(
        select(tags.c.tag).where(tags.c.tag.like("year:%")).group_by(tags.c.tag)
    ).scalars()
    return sorted((tag.split(":", 1)[1] for tag in found), reverse=True)

"""The one place that builds database engines, and the `db upgrade` entry point."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from etl.errors import DatabaseError

MIGRATIONS = Path(__file__).with_name("migrations")
# The PostgreSQL advisory lock `db upgrade` holds (any number; this one spells "mscwat").
UPGRADE_LOCK = 0x6D7363776174


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets its folder created, WAL mode and foreign keys on."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(
            f"database URL {url!r} is not valid: {exc}",
            "use e.g. sqlite:///var/mscwatch.db or postgresql+psycopg://user@host:5432/db",
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No server-side prepared statements: psycopg would otherwise keep a generic plan chosen
    # while the tables were empty, and lookups stay on it after a large ingest (bench/README.md).
    connect_args = {"prepare_threshold": None} if parsed.get_driver_name() == "psycopg" else {}
    return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Migrate to the newest schema; returns (revision before, revision after). Idempotent,
    and safe to start twice at once (every container running it at start-up): the second
    waits for the first, then finds the schema current."""
    try:
        with upgrade_lock(engine):
            before = current_revision(engine)
            command.upgrade(alembic_config(engine), "head")
            return before, current_revision(engine)
    except OperationalError as exc:
        raise _unreachable(engine, exc) from None


@contextmanager
def upgrade_lock(engine: Engine) -> Iterator[None]:
    """Held while migrating. Two upgrades of an empty database would otherwise both create
    the same tables, and one would die on the other's. PostgreSQL: a session advisory lock
    on its own connection (released if the process dies). SQLite: an exclusive lock on a
    file beside the database (`<database>.upgrade-lock`; not the database file itself,
    whose locks SQLite owns)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": UPGRADE_LOCK})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": UPGRADE_LOCK})
                conn.commit()
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.upgrade-lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise _unreachable(engine, exc) from None


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def require_existing(url: str) -> None:
    """Refuse a SQLite database whose file does not exist, before anything creates it: a
    command that only reads (`status`) must not leave an empty file (and folder) behind."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return  # make_engine says what is wrong with it
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    if not Path(parsed.database).exists():
        raise DatabaseError(
            f"the database {url} has no tables yet (there is no file {parsed.database}); "
            f"the code needs {_head()}",
            "run: mscwatch db upgrade",
        )


def _head() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def require_current(engine: Engine) -> None:
    """Refuse to work on a database that is missing tables or behind the code's schema."""
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        state = "has no tables yet" if current is None else f"is at revision {current}"
        raise DatabaseError(
            f"the database {engine.url.render_as_string(hide_password=True)} {state}; "
            f"the code needs {head}",
            "run: mscwatch db upgrade",
        )


def _unreachable(engine: Engine, exc: OperationalError) -> DatabaseError:
    where = engine.url.render_as_string(hide_password=True)
    return DatabaseError(
        f"cannot use the database {where}: {str(exc.orig).strip().splitlines()[0]}",
        "check DATABASE_URL, and that the server is running and reachable",
    )

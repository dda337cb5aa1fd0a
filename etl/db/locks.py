"""Named locks that die with their holder: a PostgreSQL advisory lock held on a connection of
its own, or, for SQLite (one machine by nature), an flock on a file beside the database.

The kernel or the server releases either one when the holding process dies, even by SIGKILL,
so "is this lock held?" doubles as "is that process alive?": senders use it to find the
deliveries a dead sender had claimed, and jobs use it so two of them never run at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def job_lock(job: str) -> str:
    """The lock a job runs under, whichever daemon or command started it."""
    return f"job:{job}"


def crawl_lock(source: str) -> str:
    """The lock a crawl of `source` holds, whoever started it: a job's run holds both."""
    return f"crawl:{source}"


def sender_lock(worker: str) -> str:
    """The lock a sender holds while it works: free means its claims are orphans."""
    return f"sender:{worker}"


def holder_description() -> str:
    """Who holds a lock, for the message the second comer reads."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    return f"pid {os.getpid()} on {socket.gethostname()} since {started}"


def _key(conn: Connection, name: str) -> int:
    """A signed 64-bit key for pg_advisory_lock, stable across processes and machines.

    Advisory locks are shared by the whole server, so the key also holds the database and the
    schema: two installations on one server (or tests in private schemas) never block each
    other, while every process of one installation agrees on the key."""
    scope = conn.execute(text("SELECT current_database() || '.' || current_schema()")).scalar()
    digest = hashlib.sha256(f"{scope}/{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _lock_file(engine: Engine, name: str) -> Path:
    database = engine.url.database
    if database and database != ":memory:":
        folder = Path(database).with_name(Path(database).name + ".locks")
    else:
        folder = Path(tempfile.gettempdir()) / "mscwatch.locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / (_UNSAFE.sub("_", name) + ".lock")


@contextlib.contextmanager
def hold(engine: Engine, name: str) -> Iterator[bool]:
    """Try to take the lock for the duration of the block; yields False when another process
    holds it (the block still runs, and decides what to do)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            key = _key(conn, name)
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            if got:  # what the second comer reads in pg_stat_activity (at most 63 bytes)
                label = f"mscwatch pid {os.getpid()} on {socket.gethostname()}"[:63]
                conn.execute(text("SELECT set_config('application_name', :l, false)"), {"l": label})
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.execute(text("RESET application_name"))
        return
    path = _lock_file(engine, name)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(holder_description() + "\n")
            handle.flush()
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_held(engine: Engine, name: str) -> bool:
    """Whether some process, the caller included, holds the lock now: asked by trying to take
    it from a file handle or a database session of its own, which the holder's lock excludes."""
    with hold(engine, name) as got:
        return not got


def holder(engine: Engine, name: str) -> str:
    """What is known of the lock's holder (SQLite: its pid and host; PostgreSQL: the backend)."""
    if engine.dialect.name == "postgresql":
        query = text(
            "SELECT a.pid, a.client_addr, a.application_name, a.backend_start "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.classid::bigint = :hi AND l.objid::bigint = :lo"
        )
        with engine.connect() as conn:
            key = _key(conn, name) & 0xFFFFFFFFFFFFFFFF
            row = conn.execute(query, {"hi": key >> 32, "lo": key & 0xFFFFFFFF}).first()
        if row is None:
            return "nobody"
        where = row.client_addr or "local"
        who = f"{row.application_name}, " if row.application_name else ""
        return f"{who}database session {row.pid} from {where}"
    path = _lock_file(engine, name)
    try:
        return path.read_text().strip() or "unknown"
    except OSError:
        return "unknown"

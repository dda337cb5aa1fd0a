"""Editor accounts as plain functions over the engine, shared by `mscwatch editors` and the
editor pages' login.

Passwords are hashed by werkzeug (scrypt, salted, the method named in the stored string), so
a stronger default in a later werkzeug verifies old hashes and writes new ones. Nothing here
keeps or logs a password.

A login is a row in `editor_sessions` (only the SHA-256 of the browser's random token is
stored). Every request looks its token up, so logout, `editors disable` and `editors password`
end a session everywhere at once, also in a browser that copied the cookie.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from etl.db.models import Editor, EditorSession
from etl.errors import EtlError
from etl.subscribers import store as rates

T = Editor.__table__
S = EditorSession.__table__
MIN_PASSWORD = 10
NAME = re.compile(r"^[^\s/]{1,254}$")
# Failed logins from one network address before the form refuses it for the rest of the window.
LOGIN_LIMIT = 5
LOGIN_WINDOW = timedelta(minutes=15)
LANGUAGES = ("zh", "en")  # the editor pages' languages, Chinese first: the default
SESSION_LIFE = timedelta(hours=12)  # a login lasts a working day; then the password is asked


@cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so a wrong name costs as long as a wrong
    password and the timing does not tell which names exist. Made on first use, not at
    import: scrypt takes a tenth of a second and tens of MB, which every mscwatch command (a
    parse, a crawl) would otherwise pay for a login it never does."""
    return generate_password_hash("not anybody's password, only spends the same time")


class EditorError(EtlError):
    """An operator's editor command that cannot be done as asked."""


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    display_name: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None
    stamp: str  # changes with the password (a short digest of its hash, never the hash)
    language: str = "zh"  # the editor pages' language for this person

    @property
    def shown(self) -> str:
        return self.display_name or self.name


def normalize_name(name: str) -> str:
    """Login names compare without case or surrounding blanks: people type their email both
    ways, and two accounts differing only in case would be a trap."""
    cleaned = name.strip().lower()
    if not NAME.match(cleaned):
        raise EditorError(
            f"{name!r} is not a usable login name",
            "use a user name or an email address: 1 to 254 characters, no spaces or slashes",
        )
    return cleaned


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise EditorError(
            f"the password is too short ({len(password)} characters; at least {MIN_PASSWORD})",
            "choose a longer password, e.g. a few unrelated words",
        )


def add(
    engine: Engine,
    name: str,
    password: str,
    now: datetime,
    display_name: str = "",
    language: str = LANGUAGES[0],
) -> Account:
    login = normalize_name(name)
    check_password(password)
    check_language(language)
    with engine.begin() as conn:
        if conn.execute(select(T.c.id).where(T.c.name == login)).first() is not None:
            raise EditorError(
                f"an editor named {login!r} exists already",
                f"reset their password with `mscwatch editors password {login}`",
            )
        conn.execute(
            insert(T).values(
                name=login,
                display_name=display_name.strip(),
                password_hash=generate_password_hash(password),
                active=True,
                language=language,
                created_at=now,
            )
        )
    found = find(engine, login)
    assert found is not None
    return found


def find(engine: Engine, name: str) -> Account | None:
    with engine.connect() as conn:
        row = conn.execute(select(T).where(T.c.name == name.strip().lower())).first()
    return _account(row._mapping) if row else None


def get(engine: Engine, editor_id: int) -> Account | None:
    with engine.connect() as conn:
        row = conn.execute(select(T).where(T.c.id == editor_id)).first()
    return _account(row._mapping) if row else None


def all_editors(engine: Engine) -> list[Account]:
    with engine.connect() as conn:
        return [_account(row._mapping) for row in conn.execute(select(T).order_by(T.c.name))]


def disable(engine: Engine, name: str) -> Account:
    """Disabled, not deleted (what they decided keeps a name); their sessions are deleted."""
    return _change(engine, name, active=False)


def set_password(engine: Engine, name: str, password: str) -> Account:
    """A reset also deletes the editor's open sessions: whoever had the old password, or a
    copy of a cookie, is out."""
    check_password(password)
    return _change(engine, name, password_hash=generate_password_hash(password))


def hashed(engine: Engine, name: str) -> str:
    """The stored hash (for tests and audits; never shown by the CLI)."""
    with engine.connect() as conn:
        stored: str = conn.execute(select(T.c.password_hash).where(T.c.name == name)).scalar_one()
        return stored


def authenticate(engine: Engine, name: str, password: str, now: datetime) -> Account | None:
    """The active editor with this name and password, or None whatever was wrong: the page
    says the same thing for an unknown name, a wrong password and a disabled account."""
    login = name.strip().lower()
    with engine.connect() as conn:
        row = conn.execute(select(T).where(T.c.name == login)).first()
    if row is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(row.password_hash, password) or not row.active:
        return None
    with engine.begin() as conn:
        conn.execute(update(T).where(T.c.id == row.id).values(last_login_at=now))
    return get(engine, row.id)


def login_attempt(engine: Engine, remote: str, now: datetime) -> int | None:
    """Count one login attempt from this network address before its password is checked, or
    None once LOGIN_LIMIT attempts are counted within LOGIN_WINDOW. Counting and checking are
    one step (etl.subscribers.store.take), so parallel requests cannot all slip under the
    limit; the count lives in the same table as the subscribe form's limit, so every web
    worker process sees it. Give the number to `login_succeeded` when the password was
    right: only failures hold an address back."""
    with engine.begin() as conn:
        return rates.take(conn, _rate_key(remote), now, now - LOGIN_WINDOW, LOGIN_LIMIT)


def login_succeeded(engine: Engine, attempt: int) -> None:
    with engine.begin() as conn:
        rates.give_back(conn, attempt)


def open_session(engine: Engine, account: Account, now: datetime) -> str:
    """A new session for a logged-in editor: the token for the browser's (signed) cookie.
    Sessions past their life are deleted on the way, so the table holds only live ones."""
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(delete(S).where(S.c.created_at < now - SESSION_LIFE))
        conn.execute(insert(S).values(id=_session_id(token), editor_id=account.id, created_at=now))
    return token


def session_account(engine: Engine, token: str, now: datetime) -> Account | None:
    """The active editor whose live session this token is, else None (logged out, expired,
    disabled, password reset, or never issued)."""
    query = (
        select(T)
        .join(S, S.c.editor_id == T.c.id)
        .where(S.c.id == _session_id(token), S.c.created_at >= now - SESSION_LIFE, T.c.active)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return _account(row._mapping) if row else None


def close_session(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(S).where(S.c.id == _session_id(token)))


def sessions_of(engine: Engine, name: str) -> int:
    """How many sessions an editor has open (for audits and tests)."""
    query = select(S.c.id).join(T, S.c.editor_id == T.c.id).where(T.c.name == name)
    with engine.connect() as conn:
        return len(conn.execute(query).all())


def check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise EditorError(
            f"{language!r} is not a language of the editor pages",
            f"choose one of {', '.join(LANGUAGES)}",
        )


def set_language(engine: Engine, editor_id: int, language: str) -> None:
    """The editor's choice of language for the editor pages, kept with the person (not the
    browser), so it follows them to every device they log in from."""
    check_language(language)
    with engine.begin() as conn:
        conn.execute(update(T).where(T.c.id == editor_id).values(language=language))


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _end_sessions(conn: Connection, login: str) -> None:
    editor = select(T.c.id).where(T.c.name == login).scalar_subquery()
    conn.execute(delete(S).where(S.c.editor_id == editor))


def _rate_key(remote: str) -> str:
    return "editor-login:" + hashlib.sha256(remote.encode()).hexdigest()[:32]


def _change(engine: Engine, name: str, **values: Any) -> Account:
    login = name.strip().lower()
    with engine.begin() as conn:
        changed = conn.execute(update(T).where(T.c.name == login).values(**values)).rowcount
        _end_sessions(conn, login)
    if not changed:
        raise EditorError(f"no editor named {login!r}", "`mscwatch editors list` shows them")
    found = find(engine, login)
    assert found is not None
    return found


def _account(row: Any) -> Account:
    return Account(
        id=row["id"],
        name=row["name"],
        display_name=row["display_name"],
        active=row["active"],
        created_at=row["created_at"],
        last_login_at=row["last_login_at"],
        stamp=hashlib.sha256(row["password_hash"].encode()).hexdigest()[:16],
        language=row["language"] or "zh",
    )

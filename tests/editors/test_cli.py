"""`mscwatch editors …` as an operator runs it: real processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from etl.clock import now
from etl.db.engine import make_engine
from etl.editors import accounts
from tests.conftest import CONFIG

PASSWORD = "correct horse battery"


@pytest.fixture
def workdir(tmp_path: Path, db_url: str) -> Iterator[tuple[Path, Engine]]:
    """A configuration folder and a migrated database the commands are pointed at."""
    shutil.copytree(CONFIG, tmp_path / "config")
    assert mscwatch("db", "upgrade", cwd=tmp_path, url=db_url).returncode == 0
    built = make_engine(db_url)
    yield tmp_path, built
    built.dispose()


def mscwatch(*args: str, cwd: Path, url: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NCBI_API_KEY")}
    env.update({"COLUMNS": "200", "DATABASE_URL": url})
    return subprocess.run(
        [sys.executable, "-m", "etl", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_add_list_disable_and_reset(workdir: tuple[Path, Engine], db_url: str) -> None:
    cwd, engine = workdir
    added = mscwatch(
        "editors", "add", "Li@Example.org", "--name", "Li Wei", "--password-stdin",
        cwd=cwd, url=db_url, stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "li@example.org: added" in added.stdout
    stored = accounts.hashed(engine, "li@example.org")
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    assert accounts.authenticate(engine, "li@example.org", PASSWORD, now()) is not None

    again = mscwatch(
        "editors", "add", "li@example.org", "--password-stdin",
        cwd=cwd, url=db_url, stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert again.returncode == 1
    assert "exists already" in again.stderr and "editors password" in again.stderr

    listed = json.loads(mscwatch("editors", "list", "--json", cwd=cwd, url=db_url).stdout)
    assert [(e["name"], e["display_name"], e["active"]) for e in listed] == [
        ("li@example.org", "Li Wei", True)
    ]
    assert listed[0]["last_login_at"] is not None  # the authenticate call above
    table = mscwatch("editors", "list", cwd=cwd, url=db_url).stdout
    assert "li@example.org" in table and "Li Wei" in table and "active" in table

    reset = mscwatch(
        "editors", "password", "li@example.org", "--password-stdin",
        cwd=cwd, url=db_url, stdin="a brand new secret\n",
    )  # fmt: skip
    assert reset.returncode == 0, reset.stderr
    assert accounts.authenticate(engine, "li@example.org", PASSWORD, now()) is None
    assert accounts.authenticate(engine, "li@example.org", "a brand new secret", now())

    disabled = mscwatch("editors", "disable", "li@example.org", cwd=cwd, url=db_url)
    assert disabled.returncode == 0 and "disabled" in disabled.stdout
    assert accounts.authenticate(engine, "li@example.org", "a brand new secret", now()) is None
    assert "disabled" in mscwatch("editors", "list", cwd=cwd, url=db_url).stdout


def test_short_passwords_and_unknown_names_are_refused(
    workdir: tuple[Path, Engine], db_url: str
) -> None:
    cwd, engine = workdir
    short = mscwatch(
        "editors", "add", "bob", "--password-stdin", cwd=cwd, url=db_url, stdin="123456789\n"
    )
    assert short.returncode == 1
    assert "error: the password is too short (9 characters; at least 10)" in short.stderr
    assert accounts.all_editors(engine) == []

    for command in (("disable", "nobody"), ("password", "nobody", "--password-stdin")):
        answer = mscwatch("editors", *command, cwd=cwd, url=db_url, stdin=PASSWORD + "\n")
        assert answer.returncode == 1
        assert "no editor named 'nobody'" in answer.stderr


def test_the_prompt_asks_twice_and_must_match(workdir: tuple[Path, Engine], db_url: str) -> None:
    """Without --password-stdin the password is typed twice (here through a pipe, as getpass
    falls back to when there is no terminal)."""
    cwd, engine = workdir
    typed = mscwatch("editors", "add", "carol", cwd=cwd, url=db_url, stdin=f"{PASSWORD}\n" * 2)
    assert typed.returncode == 0, typed.stderr
    assert accounts.authenticate(engine, "carol", PASSWORD, now()) is not None
    differ = mscwatch(
        "editors", "add", "dave", cwd=cwd, url=db_url, stdin=f"{PASSWORD}\nsomething else\n"
    )
    assert differ.returncode != 0
    assert accounts.find(engine, "dave") is None


def test_the_pages_language_is_chosen_at_add_listed_and_changed(
    workdir: tuple[Path, Engine], db_url: str
) -> None:
    cwd, engine = workdir
    added = mscwatch(
        "editors", "add", "ana@example.org", "--language", "en", "--password-stdin",
        cwd=cwd, url=db_url, stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "ana@example.org: added (en)" in added.stdout
    plain = mscwatch(
        "editors", "add", "li@example.org", "--password-stdin",
        cwd=cwd, url=db_url, stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert plain.returncode == 0 and "(zh)" in plain.stdout  # Chinese unless chosen

    listed = json.loads(mscwatch("editors", "list", "--json", cwd=cwd, url=db_url).stdout)
    assert {e["name"]: e["language"] for e in listed} == {
        "ana@example.org": "en",
        "li@example.org": "zh",
    }
    changed = mscwatch("editors", "language", "ana@example.org", "zh", cwd=cwd, url=db_url)
    assert changed.returncode == 0, changed.stderr
    found = accounts.find(engine, "ana@example.org")
    assert found is not None and found.language == "zh"
    assert "zh" in mscwatch("editors", "list", cwd=cwd, url=db_url).stdout

    wrong = mscwatch(
        "editors", "add", "bob@example.org", "--language", "fr", "--password-stdin",
        cwd=cwd, url=db_url, stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert wrong.returncode == 1
    assert "'fr' is not a language of the editor pages" in wrong.stderr
    assert accounts.find(engine, "bob@example.org") is None
    nobody = mscwatch("editors", "language", "nobody", "en", cwd=cwd, url=db_url)
    assert nobody.returncode == 1 and "no editor named 'nobody'" in nobody.stderr

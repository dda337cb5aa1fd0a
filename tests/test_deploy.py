"""The deployment files say what they should: docker-compose.yml wires PostgreSQL, the one-shot
migration, the scheduler, the gunicorn web app and the mail catcher in the right order with the
right settings; the Dockerfile makes the image they run; etl.web.wsgi is a WSGI app that gunicorn
really serves, and refuses to start without SECRET_KEY.

Images cannot be pulled or built here, so the compose file is read as data (PyYAML resolves its
anchors and merge keys, `interpolate` does compose's `${…}`), and also handed to a compose client
(`docker compose config`) where one is installed."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.test import Client

from etl.errors import ConfigError
from etl.mail.transport import parse_smtp_url
from tests.conftest import CONFIG, ROOT
from tests.support.cli import all_commands

COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
APP_SERVICES = ("migrate", "scheduler", "web")
AFTER_MIGRATE = {
    "db": {"condition": "service_healthy"},
    "migrate": {"condition": "service_completed_successfully"},
}
KEY = "s" * 40


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}` and
    `${NAME?error}`; a required variable that is missing raises LookupError with its message."""

    def one(found: re.Match[str]) -> str:
        name, op, arg = found["name"], found["op"], found["arg"]
        value = env.get(name)
        missing = value is None or (value == "" and op is not None and op.startswith(":"))
        if not missing:
            return value or ""
        if op is None:
            return ""
        if op.endswith("?"):
            raise LookupError(f"{name}: {arg}")
        return arg

    return VARIABLE.sub(one, text)


def environment(service: dict[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    declared = service.get("environment", {})
    assert isinstance(declared, dict), "environment as a mapping, so anchors can share it"
    return {key: interpolate(str(value), env) for key, value in declared.items()}


def mounts(service: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Container path -> (source, options) of a service's short-syntax volumes."""
    found = {}
    for volume in service.get("volumes", []):
        source, target, *options = volume.split(":")
        found[target] = (source, ",".join(options))
    return found


def cli_commands() -> set[str]:
    return {name for name, _ in all_commands()}


def compose_client() -> list[str] | None:
    """`docker compose` (the plugin) or the older `docker-compose`, whichever is installed."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=60
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def compose_config(client: list[str], env: Mapping[str, str], tmp_path: Path) -> Any:
    """`config -q` on the project's file, with exactly `env` (an empty env file, so a developer's
    .env cannot make the answer)."""
    empty = tmp_path / "empty.env"
    empty.write_text("")
    names = ("SECRET_KEY", "POSTGRES_PASSWORD", "SMTP_URL", "NCBI_API_KEY", "MSCWATCH_PROXY_HOPS")
    base = {k: v for k, v in os.environ.items() if k not in names}
    command = [*client, "--project-directory", str(ROOT), "-f", str(COMPOSE)]
    return subprocess.run(
        [*command, "--env-file", str(empty), "config", "-q"],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


# -- docker-compose.yml ------------------------------------------------------------------------


def test_services_start_in_order_database_migration_then_the_service() -> None:
    found = services()
    assert {"db", "migrate", "scheduler", "web", "mailcatcher"} <= set(found)
    db = found["db"]
    assert db["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    data = mounts(db)["/var/lib/postgresql/data"][0]
    assert data in compose()["volumes"], "PostgreSQL's data on a named volume"

    migrate = found["migrate"]
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("scheduler", "web"):
        assert found[name]["depends_on"] == AFTER_MIGRATE, name
        assert found[name]["restart"] == "unless-stopped", name


def test_the_scheduler_runs_the_daemon_and_may_finish_its_batch() -> None:
    scheduler = services()["scheduler"]
    assert "entrypoint" not in scheduler, "the image's entry point: mscwatch"
    assert scheduler["command"] == ["run"]
    assert scheduler["stop_signal"] == "SIGTERM"
    grace = re.fullmatch(r"(\d+)(s|m)", scheduler["stop_grace_period"])
    assert grace, scheduler["stop_grace_period"]
    seconds = int(grace[1]) * (60 if grace[2] == "m" else 1)
    assert seconds >= 60, "long enough for a batch to finish, not docker's 10 s"


def test_the_mscwatch_commands_it_runs_exist() -> None:
    known = cli_commands()
    assert "db upgrade" in known
    assert "status" in known  # README: docker compose run --rm scheduler status
    assert "run" in known  # the scheduler service


def test_web_runs_several_gunicorn_workers_on_the_wsgi_app() -> None:
    web = services()["web"]
    assert web["entrypoint"] == ["gunicorn"]
    args = " ".join(web["command"])
    workers = re.search(r"(?:--workers[= ]|-w ?)(\d+)", args)
    assert workers and int(workers[1]) > 1, args
    target = args.split()[-1]
    assert target == "etl.web.wsgi:app"
    module, _, attribute = target.partition(":")
    assert importlib.util.find_spec(module) is not None, module
    assert re.search(
        rf"^{attribute} = ", Path(importlib.util.find_spec(module).origin).read_text(), re.M
    )
    bind = re.search(r"(?:--bind[= ]|-b ?)0\.0\.0\.0:(\d+)", args)
    assert bind, "listens on every interface of the container"
    port = bind[1]
    assert any(str(p).endswith(f":{port}") for p in web["ports"])
    probe = web["healthcheck"]["test"]
    assert probe[:2] == ["CMD", "python"], "slim images have python, not curl"
    assert f"http://127.0.0.1:{port}/" in probe[-1]
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(re.match(r"gunicorn\b", d) for d in dependencies)


def test_every_app_service_shares_one_image_the_database_and_the_secrets(tmp_path: Path) -> None:
    found = services()
    env = {"SECRET_KEY": KEY}
    db = environment(found["db"], env)
    images = {found[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1, images
    for name in APP_SERVICES:
        service = found[name]
        assert service["build"] in (".", {"context": "."}), name
        settings = environment(service, env)
        url = make_url(settings["DATABASE_URL"])
        assert url.drivername == "postgresql+psycopg", name
        assert (url.host, url.port, url.database) == ("db", 5432, db["POSTGRES_DB"]), name
        assert (url.username, url.password) == (db["POSTGRES_USER"], db["POSTGRES_PASSWORD"])
        assert settings["SECRET_KEY"] == KEY
        assert settings["NCBI_API_KEY"] == ""  # optional
        with pytest.raises(LookupError, match="SECRET_KEY"):
            environment(service, {})
        config_dir = settings["MSCWATCH_CONFIG_DIR"]
        assert mounts(service)[config_dir] == ("./config", "ro"), name
        var = mounts(service)["/app/var"][0]
        assert var in compose()["volumes"], name

    client = compose_client()
    if client is not None:  # not on every machine: the checks above stand alone
        answer = compose_config(client, {"SECRET_KEY": KEY}, tmp_path)
        assert answer.returncode == 0, answer.stderr
        refused = compose_config(client, {}, tmp_path)
        assert refused.returncode != 0
        assert "SECRET_KEY" in refused.stderr


def test_mail_goes_to_the_catcher_unless_smtp_url_names_a_relay() -> None:
    found = services()
    catcher = found["mailcatcher"]
    assert "mailpit" in catcher["image"]
    assert any(str(p).endswith(":8025") for p in catcher["ports"]), "the catcher's web UI"
    for name in APP_SERVICES:
        development = parse_smtp_url(environment(found[name], {"SECRET_KEY": KEY})["SMTP_URL"])
        assert (development.host, development.port) == ("mailcatcher", 1025), name
        relay = "smtp://user:pw@relay.example.org:587?starttls=true"
        chosen = environment(found[name], {"SECRET_KEY": KEY, "SMTP_URL": relay})
        assert chosen["SMTP_URL"] == relay, name


def test_the_web_service_is_told_about_proxies_through_the_environment() -> None:
    web = environment(services()["web"], {"SECRET_KEY": KEY})
    assert web["MSCWATCH_PROXY_HOPS"] == "0"
    behind = environment(services()["web"], {"SECRET_KEY": KEY, "MSCWATCH_PROXY_HOPS": "1"})
    assert behind["MSCWATCH_PROXY_HOPS"] == "1"


# -- Dockerfile --------------------------------------------------------------------------------


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_the_image_runs_mscwatch_as_an_unprivileged_user_with_its_config() -> None:
    steps = instructions()
    kinds = [kind for kind, _ in steps]
    assert steps[0] == ("FROM", "python:3.11-slim")
    copied = {src for kind, rest in steps if kind == "COPY" for src in shlex.split(rest)[:-1]}
    copied_needed = {"etl", "templates", "config", "pyproject.toml", "setup.py", "README.md"}
    assert copied_needed | {"constraints.txt"} <= copied
    install = " ".join(rest for kind, rest in steps if kind == "RUN")
    # the tested versions of every dependency, pinned
    assert re.search(r"pip install --no-cache-dir -c constraints\.txt \.(\s|$)", install)
    assert "WORKDIR" in kinds and dict(steps)["WORKDIR"] == "/app"  # var/ is /app/var
    user = dict(steps).get("USER", "root")
    assert user not in ("root", "0")
    assert kinds.index("USER") < kinds.index("ENTRYPOINT")
    assert json.loads(dict(steps)["ENTRYPOINT"]) == ["mscwatch"]
    assert "MSCWATCH_CONFIG_DIR=/app/config" in dict(steps)["ENV"]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", "var/", "tests/"} <= set(ignored)
    assert "constraints.txt" not in ignored


def test_ci_and_the_image_install_what_constraints_txt_pins() -> None:
    """constraints.txt pins each dependency pyproject.toml names, at a version its floor
    allows; .ci/run installs with it too."""
    pins = dict(
        line.split("==")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line and not line.startswith("#")
    )
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for text in project["dependencies"] + project["optional-dependencies"]["test"]:
        wanted = Requirement(text)
        name = re.sub(r"[-_.]+", "-", wanted.name).lower()
        assert name in pins, text
        assert wanted.specifier.contains(pins[name]), (text, pins[name])
    assert "-c constraints.txt" in (ROOT / ".ci" / "run").read_text()


def test_the_wheel_carries_the_templates_and_the_type_marker(tmp_path: Path) -> None:
    """`pip install .` (the image's install) must bring the top-level templates/ and py.typed
    along: built offline from a copy of what the Dockerfile copies, the wheel holds them where
    the code looks for them."""
    import zipfile

    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("etl", "templates"):
        shutil.copytree(
            ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-q", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("mscwatch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"etl/templates/{p.relative_to(ROOT / 'templates')}" for p in
               (ROOT / "templates").rglob("*.j2")}  # fmt: skip
    assert shipped and shipped <= names
    assert {"etl/py.typed", "etl/db/migrations/versions/0001_initial_schema.py"} <= names


# -- etl.web.wsgi ------------------------------------------------------------------------------


@pytest.fixture
def wsgi_env(sqlite_url: str, sqlite_engine: Engine, tmp_path: Path) -> dict[str, str]:
    """What the web service's environment holds, on a migrated SQLite file."""
    return {
        "SECRET_KEY": KEY,
        "DATABASE_URL": sqlite_url,
        "MSCWATCH_CONFIG_DIR": str(CONFIG),
        "MSCWATCH_PROXY_HOPS": "1",
    }


@pytest.fixture
def wsgi(
    wsgi_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[ModuleType]:
    """etl.web.wsgi imported afresh, as a gunicorn worker imports it."""
    for key, value in wsgi_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    sys.modules.pop("etl.web.wsgi", None)
    try:
        module = importlib.import_module("etl.web.wsgi")
        yield module
        module.app.extensions["mscwatch"].engine.dispose()
    finally:
        sys.modules.pop("etl.web.wsgi", None)


def test_the_wsgi_module_is_the_app_behind_its_proxies(wsgi: ModuleType) -> None:
    assert callable(wsgi.app)
    client = Client(wsgi.app)
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 200
    # MSCWATCH_PROXY_HOPS=1 reached create_app (tests/web/test_behind_a_proxy.py: what it does).
    assert isinstance(wsgi.app.wsgi_app, ProxyFix)
    assert (wsgi.app.wsgi_app.x_for, wsgi.app.wsgi_app.x_proto) == (1, 1)


def test_the_wsgi_app_refuses_to_start_without_secret_key(
    wsgi: ModuleType, wsgi_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    without = {k: v for k, v in wsgi_env.items() if k != "SECRET_KEY"}
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        wsgi.build(without)
    printed = capsys.readouterr().err.splitlines()
    assert printed[0].startswith("error: SECRET_KEY is not set")
    assert printed[1].startswith("hint: set SECRET_KEY")


@pytest.mark.parametrize("hops", ["one", "-1", "1.5"])
def test_a_bad_proxy_hop_count_stops_the_start(
    wsgi: ModuleType, wsgi_env: dict[str, str], hops: str
) -> None:
    with pytest.raises(ConfigError, match="MSCWATCH_PROXY_HOPS"):
        wsgi.build({**wsgi_env, "MSCWATCH_PROXY_HOPS": hops})


def test_the_serve_command_gives_the_same_refusal(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    answer = subprocess.run(
        [sys.executable, "-m", "etl", "--config", str(CONFIG), "serve"],
        cwd=tmp_path,
        env={**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.returncode == 1
    assert "error: SECRET_KEY is not set" in answer.stderr


# -- gunicorn, for real -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn(env: Mapping[str, str], cwd: Path, port: int) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers=2",
            f"--bind=127.0.0.1:{port}",
            "etl.web.wsgi:app",
        ],
        cwd=cwd,
        env={**base, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_gunicorn_serves_the_app(wsgi_env: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    server = gunicorn(wsgi_env, tmp_path, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    assert page.status == 200
                    break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.communicate()[1]
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=60)
    assert server.returncode == 0, errors
    assert errors.count("Booting worker") == 2


def test_gunicorn_will_not_start_without_secret_key(
    wsgi_env: dict[str, str], tmp_path: Path
) -> None:
    without = {k: v for k, v in wsgi_env.items() if k != "SECRET_KEY"}
    server = gunicorn(without, tmp_path, free_port())
    try:
        _, errors = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert server.returncode != 0
    assert "error: SECRET_KEY is not set" in errors
    assert "hint: set SECRET_KEY" in errors

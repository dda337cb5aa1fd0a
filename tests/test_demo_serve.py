"""After `mscwatch demo`, the one serve command it prints serves the demo's data with the key its
mail was signed with: every link of the demo's mail to the site opens there."""

from __future__ import annotations

import email
import email.policy
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import CONFIG
from tests.test_cli import run

URL = re.compile(r"https?://[^\s\"'<>]+")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    """The demo run in a fresh folder, then its printed serve command run there as printed."""
    shutil.copytree(CONFIG, tmp_path / "config")
    port = free_port()
    demo = run("demo", "--port", str(port), cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    (line,) = [x.strip() for x in demo.stdout.splitlines() if " serve --port " in x]
    words = shlex.split(line)
    at = words.index("mscwatch")
    env = dict(word.split("=", 1) for word in words[:at])
    assert set(env) == {"DATABASE_URL", "SECRET_KEY"}
    command = [sys.executable, "-m", "etl", *words[at + 1 :]]
    server = subprocess.Popen(
        command,
        cwd=tmp_path,
        env={**run_env(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    site = f"http://127.0.0.1:{port}"
    try:
        wait_for(site + "/healthz", server)
        yield tmp_path, site, demo.stdout
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()  # type: ignore[union-attr]


def run_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}


def wait_for(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server stopped: {server.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within 30 s")


def links_of(path: Path) -> tuple[set[str], str]:
    """Every http(s) address in a message's parts, and its List-Unsubscribe web address."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    found: set[str] = set()
    for part in message.walk():
        if part.get_content_type() in ("text/html", "text/plain"):
            found |= {url.replace("&amp;", "&") for url in URL.findall(part.get_content())}
    (one_click,) = URL.findall(str(message["List-Unsubscribe"]))
    return found, one_click


def test_every_link_of_the_demo_mail_opens_on_the_served_demo(
    served: tuple[Path, str, str],
) -> None:
    folder, site, printed = served
    outbox = sorted((folder / "var" / "outbox").glob("*.eml"))
    assert len(outbox) == 6
    ours: set[str] = set()
    one_clicks: set[str] = set()
    for path in outbox:
        found, one_click = links_of(path)
        ours |= {url for url in found if url.startswith(site + "/")}
        assert urlsplit(one_click).netloc == urlsplit(site).netloc
        one_clicks.add(one_click)
        elsewhere = {urlsplit(url).netloc for url in found if not url.startswith(site + "/")}
        assert elsewhere <= {  # the works' own pages, and the HTML's namespace
            "doi.org", "pubmed.ncbi.nlm.nih.gov", "clinicaltrials.gov", "www.w3.org",
        }, elsewhere  # fmt: skip
    kinds = {urlsplit(url).path.split("/")[1] for url in ours}
    assert {"unsubscribe", "preferences", "issues", "en", "studies"} <= kinds, kinds
    for url in sorted(ours | one_clicks):
        answer = httpx.get(url)
        assert answer.status_code == 200, f"{url}: {answer.status_code}"
    for url in sorted(one_clicks):  # RFC 8058: what a mailbox provider posts
        answer = httpx.post(url, data={"List-Unsubscribe": "One-Click"})
        assert answer.status_code == 200, f"{url}: {answer.status_code}"
    assert "mscwatch.example.org" not in printed

"""Web benchmark: the production server under load, page by page, against the same bytes as a file.

A PostgreSQL schema (`webbench` unless `--schema` says otherwise) is filled once with the dedupe
benchmark's generator (bench/dedupe_data.py: papers and trials from the real samples, with their
overlaps), every work classified, and the three newest periods with relevant works built as
issues and marked sent, so the archive
and the editor queue have content; an editor account is made. Later runs reuse the schema
(`--rebuild` makes it again). Then gunicorn serves the app (etl.web.wsgi:app, `--workers`
processes) on loopback, and wrk asks each page with `--connections` connections for
`--duration` seconds: the archive index, the newest issue's page, the editor queue (logged in
through the login form, with its session cookie) and, where the app has them, a study page and
the evidence map. Each page is also saved and asked for again as a static file of the same
server (bench/web_bench_app.py), which is the limit. Without wrk (Debian's package), a bounded
Python client in a second process does the asking.

Run from the project root: `python bench/web_bench.py [--duration 20] [--connections 20]
[--json OUT]`; `--duration 3 --connections 4 --papers 2000 --trials 500 --schema webbench_small`
is a quick run.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dedupe_data as dd  # a sibling module: this file is run as `python bench/web_bench.py`
from sqlalchemy import create_engine, func, select, text

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
EDITOR, PASSWORD = "bench@example.org", "bench-password-only"
# Issues built: the newest periods of the generator's dates (2016-2025) holding relevant works.
ISSUES = 3
TARGET_P95_MS = {"public": 100.0, "editor": 250.0}
TARGET_SHARE = 0.2  # a public page's throughput against its static file's


@dataclass
class Page:
    name: str
    path: str
    kind: str  # public | editor
    optional: bool = False  # a page of a feature this checkout may not have yet


@dataclass
class Load:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# --- the database ---


def schema_url(base: str, schema: str) -> str:
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options={urllib.parse.quote(f'-csearch_path={schema}', safe='-')}"


def prepare(base: str, schema: str, papers: int, trials: int, rebuild: bool) -> str:
    """The schema's URL, filled first if it is new (or `rebuild`)."""
    admin = create_engine(base)
    with admin.begin() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s AND "
                 "table_name = 'bench_ready'"), {"s": schema}
        ).first()  # fmt: skip
        if exists and not rebuild:
            admin.dispose()
            print(f"reusing schema {schema} (--rebuild to make it again)")
            _upgrade(schema_url(base, schema))  # migrations added since it was made
            return schema_url(base, schema)
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = schema_url(base, schema)
    fill(url, papers, trials)
    return url


def _upgrade(url: str) -> None:
    from etl.db.engine import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def fill(url: str, papers: int, trials: int) -> None:
    from etl.classify.service import Classifier, classify_works
    from etl.db.engine import make_engine, upgrade
    from etl.db.models import Work
    from etl.settings import load_settings
    from etl.works import store

    settings = load_settings(env={"DATABASE_URL": url})
    engine = make_engine(url)
    upgrade(engine)
    classifier = Classifier.from_settings(settings)
    samples = dd.load_samples()
    plan = dd.make_plan(samples, papers, trials)
    now = datetime.now(UTC)
    started = time.perf_counter()
    for number, batch in enumerate(dd.batches(samples, plan)):
        with engine.begin() as conn:
            touched: set[int] = set()
            store.store_records(conn, batch, now, touched)
            classify_works(conn, touched, classifier, now)
        if number % 40 == 0:
            print(
                f"  {number * len(batch):,} records stored, {time.perf_counter() - started:.0f} s"
            )
    with engine.connect() as conn:
        live = select(func.count()).select_from(Work).where(Work.merged_into.is_(None))
        print(f"{plan.records:,} records, {conn.execute(live).scalar_one():,} works "
              f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    engine.dispose()
    finish(url)


def finish(url: str) -> None:
    """The issues, the editor account and the mark that the schema is ready."""
    from etl.db.engine import make_engine, upgrade
    from etl.digest import store as digest_store
    from etl.digest.service import Digest
    from etl.editors import accounts
    from etl.settings import load_settings

    settings = load_settings(env={"DATABASE_URL": url})
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    digest = Digest.open(settings, engine)
    with engine.connect() as conn:
        days = conn.execute(
            text("SELECT DISTINCT e.occurred_on FROM events e JOIN classifications c "
                 "ON c.work_id = e.work_id WHERE c.relevant AND e.occurred_on >= '2025' "
                 "AND length(e.occurred_on) = 10 ORDER BY 1 DESC LIMIT 40")
        ).scalars().all()  # fmt: skip
    periods = {p.slug: p for p in (digest.period(day, now) for day in days)}
    for period in sorted(periods.values(), key=lambda p: p.start)[-ISSUES:]:
        outcome = digest.build(period, now)
        if outcome.issue is None:
            continue
        with engine.begin() as conn:
            digest_store.set_state(conn, outcome.issue["id"], "sent", now)
        print(f"issue {outcome.issue['number']} ({outcome.issue['slug']}) built and marked sent")
    if accounts.find(engine, EDITOR) is None:
        accounts.add(engine, EDITOR, PASSWORD, now, "Bench")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_ready (made_at text)"))
        conn.execute(text("INSERT INTO bench_ready VALUES (:t)"), {"t": now.isoformat()})
        conn.execute(text("ANALYZE"))
    engine.dispose()


def content(url: str) -> tuple[str | None, str | None]:
    """The newest sent issue's slug, and its first work (for a study page: readers were sent
    it)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        slug = conn.execute(
            text("SELECT slug FROM digest_issues WHERE state IN ('sent', 'sending') "
                 "ORDER BY number DESC LIMIT 1")
        ).scalar()  # fmt: skip
        study = conn.execute(
            text("SELECT i.work_id FROM digest_items i JOIN digest_issues d ON d.id = i.issue_id "
                 "WHERE d.state IN ('sent', 'sending') ORDER BY d.number DESC, i.position "
                 "LIMIT 1")
        ).scalar()  # fmt: skip
        path = None
        if study is not None:
            try:  # the study pages' own slug (a checkout without them has no such page)
                from etl.studies.store import slugs_of
            except ImportError:
                path = str(study)
            else:
                path = slugs_of(conn, [study]).get(study, str(study))
    engine.dispose()
    return slug, path


def pages(slug: str | None, study: str | None) -> list[Page]:
    """The pages to load; a study page and the evidence map only where the app serves them."""
    found = [Page("archive index", "/", "public")]
    if slug:
        found.append(Page("issue page", f"/issues/{slug}/", "public"))
    if study is not None:
        found.append(Page("study page", f"/studies/{study}/", "public", optional=True))
    found.append(Page("evidence map", "/evidence/", "public", optional=True))
    found.append(Page("editor queue", "/editor/queue", "editor"))
    # The default queue right after an issue went out holds the few works with news since; the
    # heavy case is a full page of fifty rows (abstracts, facts, events, forms): every relevant
    # work with an event since 2000, the newest first.
    found.append(Page("editor queue, full page", "/editor/queue?since=2000-01-01", "editor"))
    return found


# --- the server ---


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def gunicorn(url: str, static: Path, workers: int) -> Iterator[str]:
    port = free_port()
    env = dict(os.environ)
    env |= {"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48)}
    env |= {"WEB_BENCH_STATIC": str(static), "MSCWATCH_CONFIG_DIR": str(ROOT / "config")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    argv = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
            f"127.0.0.1:{port}", "--pythonpath", str(BENCH), "--log-level", "warning",
            "--backlog", "256", "web_bench_app:app"]  # fmt: skip
    server = subprocess.Popen(argv, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.3)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def log_in(base: str) -> str:
    """The editor's session cookie, got through the login form as a browser gets it."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/editor/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    if token is None:
        raise SystemExit("no CSRF token on the login page")
    data = urllib.parse.urlencode(
        {"csrf_token": token[1], "name": EDITOR, "password": PASSWORD, "next": "/editor/"}
    ).encode()
    opener.open(f"{base}/editor/login", data=data).read()
    cookies = [f"{c.name}={c.value}" for c in jar]
    if not cookies:
        raise SystemExit("the login set no cookie")
    return "; ".join(cookies)


def fetch(base: str, path: str, cookie: str = "") -> tuple[int, bytes, str]:
    """Status, body and the path it came from after redirects (a study's address by id
    redirects to its slug: the load goes to where the page is)."""
    request = urllib.request.Request(base + path, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            final = urllib.parse.urlsplit(answer.geturl())
            return (
                answer.status,
                answer.read(),
                final.path + (f"?{final.query}" * bool(final.query)),
            )
    except urllib.error.HTTPError as exc:
        return exc.code, b"", path


# --- the load ---


def load(url: str, seconds: float, connections: int, cookie: str) -> Load:
    if shutil.which("wrk"):
        return _wrk(url, seconds, connections, cookie)
    return _python_client(url, seconds, connections, cookie)


def _wrk(url: str, seconds: float, connections: int, cookie: str) -> Load:
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
            "-s", str(BENCH / "wrk_report.lua")]  # fmt: skip
    if cookie:
        argv += ["-H", f"Cookie: {cookie}"]
    done = subprocess.run([*argv, url], capture_output=True, text=True, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("WRK_JSON "))
    found = json.loads(line.removeprefix("WRK_JSON "))
    errors = sum(found[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Load(
        found["requests"], found["duration_us"] / 1e6, errors,
        found["p50"] / 1000, found["p95"] / 1000, found["p99"] / 1000, found,
    )  # fmt: skip


CLIENT = """
import http.client, json, sys, threading, time
host, port, path, cookie, seconds, connections = sys.argv[1:7]
seconds, connections = float(seconds), int(connections)
times, errors, lock = [], [0], threading.Lock()
stop = time.monotonic() + seconds
def run():
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    while time.monotonic() < stop:
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            answer = conn.getresponse(); answer.read()
            ok = answer.status < 400
        except OSError:
            ok = False; conn.close(); conn = http.client.HTTPConnection(host, int(port), timeout=10)
        with lock:
            times.append(time.perf_counter() - started)
            errors[0] += not ok
threads = [threading.Thread(target=run) for _ in range(connections)]
began = time.monotonic()
[t.start() for t in threads]; [t.join() for t in threads]
print(json.dumps({"times": times, "errors": errors[0], "seconds": time.monotonic() - began}))
"""


def _python_client(url: str, seconds: float, connections: int, cookie: str) -> Load:
    """A bounded client in a second process (threads, one keep-alive connection each)."""
    parts = urllib.parse.urlsplit(url)
    argv = [sys.executable, "-c", CLIENT, parts.hostname or "127.0.0.1", str(parts.port),
            parts.path, cookie, str(seconds), str(connections)]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=seconds + 60)
    found = json.loads(done.stdout)
    times = sorted(found["times"])

    def at(share: float) -> float:
        return times[min(len(times) - 1, int(share * len(times)))] * 1000 if times else 0.0

    return Load(len(times), found["seconds"], found["errors"], at(0.5), at(0.95), at(0.99))


# --- the run ---


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    url = prepare(args.pg_url, args.schema, args.papers, args.trials, args.rebuild)
    slug, study = content(url)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="web-bench-") as folder:
        static = Path(folder)
        with gunicorn(url, static, args.workers) as base:
            cookie = log_in(base)
            for page in pages(slug, study):
                if args.pages and page.name not in args.pages:
                    continue
                cookie_for = cookie if page.kind == "editor" else ""
                status, body, page.path = fetch(base, page.path, cookie_for)
                if status != 200:
                    if page.optional:
                        print(f"{page.name}: {page.path} answers {status}: not in this app yet")
                        continue
                    raise SystemExit(f"{page.name}: {page.path} answers {status}")
                name = re.sub(r"\W+", "-", page.name) + ".html"
                (static / name).write_bytes(body)
                fetch(base, f"/_static/{name}")
                dynamic = load(base + page.path, args.duration, args.connections, cookie_for)
                limit = load(f"{base}/_static/{name}", args.duration, args.connections, "")
                row = {"page": page.name, "path": page.path, "kind": page.kind,
                       "bytes": len(body), "dynamic": asdict(dynamic) | {"rate": dynamic.rate},
                       "static": asdict(limit) | {"rate": limit.rate}}  # fmt: skip
                rows.append(row)
                print_row(row)
    return rows


def verdict(row: dict[str, Any]) -> tuple[bool, str]:
    dynamic, static = row["dynamic"], row["static"]
    share = dynamic["rate"] / static["rate"] if static["rate"] else 0.0
    target = TARGET_P95_MS[row["kind"]]
    met = dynamic["p95_ms"] < target and dynamic["errors"] == 0
    if row["kind"] == "public":
        met = met and share >= TARGET_SHARE
    return met, f"{share:.0%}"


def print_row(row: dict[str, Any]) -> None:
    d, s = row["dynamic"], row["static"]
    met, share = verdict(row)
    print(f"{row['page']:<14} {d['rate']:8.0f} req/s  p50 {d['p50_ms']:6.1f}"
          f"  p95 {d['p95_ms']:6.1f}  p99 {d['p99_ms']:6.1f} ms  errors {d['errors']}"
          f"  | static {s['rate']:8.0f} req/s  p95 {s['p95_ms']:5.1f} ms"
          f"  | share {share:>4}  {'met' if met else 'NOT met'}")  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server (trust auth)")
    parser.add_argument("--schema", default="webbench", help="schema kept between runs")
    parser.add_argument("--rebuild", action="store_true", help="make the schema again")
    parser.add_argument("--papers", type=int, default=100_000, help="paper records (100000)")
    parser.add_argument("--trials", type=int, default=20_000, help="trial records (20000)")
    parser.add_argument("--duration", type=float, default=20, help="seconds per page (20)")
    parser.add_argument("--connections", type=int, default=20, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--pages", nargs="*", help="only these pages (by name)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also save the results here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    load_before = os.getloadavg()
    rows = run(args)
    print(f"load average before: {load_before[0]:.2f}, after: {os.getloadavg()[0]:.2f}; "
          f"wrk: {'yes' if shutil.which('wrk') else 'no (the Python client)'}")  # fmt: skip
    if args.json:
        data = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "options": {k: v for k, v in vars(args).items() if k != "json"},
            "rows": rows,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""Ingest benchmark: the parse-and-store path into SQLite and PostgreSQL, first time and again.

The first pass finds every record new (parse, hash, dedupe, insert); the second pass over the same
file finds every record unchanged, which is what a re-run of an interrupted or repeated ingest
costs. Each backend runs in a fresh subprocess so its peak RSS is its own. PostgreSQL gets a
private schema (`bench_<random>`, chosen through the connection's search_path) that is dropped at
the end, so the benchmark never touches the tables of the database it is pointed at.

Run from the project root: `python bench/ingest_bench.py [--articles N] [--skip-postgres]
[--json OUT]`. The input file is built on first use by bench/make_big_file.py into bench/data/.
"""

from __future__ import annotations

import argparse
import json
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import make_big_file  # a sibling script: this file is run as `python bench/ingest_bench.py`
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError

from etl.db.engine import make_engine, upgrade

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSES = ("first (new)", "again (unchanged)")
PARSE_ONLY = "parse only"
BACKENDS = ("sqlite", "postgres", "postgres+analyze", "postgres+noprepare", "sqlite+profile")


# --- the child: one backend, two passes ---


@contextmanager
def sqlite_url() -> Iterator[str]:
    """A database file in a temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="mscwatch-bench-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


@contextmanager
def postgres_url(base: str) -> Iterator[str]:
    """`base` pointed at a fresh private schema through search_path; the schema is dropped after."""
    schema = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    joiner = "&" if "?" in base else "?"
    try:
        yield f"{base}{joiner}options={quote(f'-csearch_path={schema}', safe='-')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def ingest_twice(url: str, path: Path, batch_size: int, variant: str) -> list[dict[str, object]]:
    """Migrate an empty database, then ingest `path` twice; time and peak RSS after each pass.

    Each pass gets an engine (so a connection) of its own, as a second `mscwatch ingest` would:
    psycopg turns a query into a server-side prepared statement after 5 runs, and PostgreSQL may
    keep a generic plan made while the tables were still nearly empty, so a reused connection
    would carry the first pass's plans into the second. Variants, for diagnosis: "analyze" runs
    ANALYZE between the passes (a fresh table has no planner statistics until autovacuum gets to
    it); "noprepare" turns psycopg's prepared statements off.
    """
    from etl.db.models import Work
    from etl.pipeline.ingest import ingest_files

    with _engine(url) as engine:
        upgrade(engine)
    ready = _peak_rss_mb()  # imports and migrations: what ingest starts from
    passes: list[dict[str, object]] = [parse_only(path, ready)]
    for name in PASSES:
        if variant == "analyze" and passes:
            with _engine(url) as engine, engine.begin() as conn:
                conn.execute(text("ANALYZE"))
            name += ", after ANALYZE"
        analyzed = _has_statistics(url)
        with _engine(url, prepare=variant != "noprepare") as engine:
            started = time.perf_counter()
            result = ingest_files(engine, "pubmed", [path], datetime.now(UTC), batch_size)
            seconds = time.perf_counter() - started
            with engine.connect() as conn:
                works = conn.execute(select(func.count()).select_from(Work)).scalar_one()
        measured = {"pass": name, "seconds": seconds, "ready_rss_mb": ready, "works": works}
        measured |= {"analyzed": analyzed, "peak_rss_mb": _peak_rss_mb()}
        passes.append(measured | asdict(result.counts))
    return passes


def parse_only(path: Path, ready: float) -> dict[str, object]:
    """The same file through the same parser as ingest (`parser_for("pubmed")`, raw bytes kept),
    storing nothing: the ceiling an ingest's throughput is measured against, in the same
    process and run, so load on the machine weighs on both alike."""
    from etl.records import Counts, SourceRecord
    from etl.sources import parser_for

    counts = Counts()
    started = time.perf_counter()
    for item in parser_for("pubmed")(path):
        if isinstance(item, SourceRecord):
            counts.fetched += 1
        else:
            counts.quarantined += 1
    seconds = time.perf_counter() - started
    measured: dict[str, object] = {"pass": PARSE_ONLY, "seconds": seconds, "ready_rss_mb": ready}
    measured |= {"works": 0, "analyzed": None, "peak_rss_mb": _peak_rss_mb()}
    return measured | asdict(counts)


@contextmanager
def _engine(url: str, prepare: bool = True) -> Iterator[Engine]:
    """The project's engine for `url`, disposed afterwards (`prepare=False`: see ingest_twice)."""
    engine = make_engine(url)
    if not prepare:
        event.listen(engine, "connect", _no_prepared_statements)
    try:
        yield engine
    finally:
        engine.dispose()


def _no_prepared_statements(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.prepare_threshold = None


def _has_statistics(url: str) -> bool | None:
    """Whether PostgreSQL had analyzed source_records (by hand or by autovacuum); None: SQLite.

    Autovacuum may or may not get to the table during the first pass, and the second pass's
    time depends on it, so each pass says which case it was.
    """
    query = text(
        "SELECT coalesce(last_analyze, last_autoanalyze) IS NOT NULL FROM pg_stat_user_tables"
        " WHERE relname = 'source_records' AND schemaname = current_schema()"
    )
    with _engine(url) as engine:
        if engine.dialect.name != "postgresql":
            return None
        with engine.connect() as conn:
            return bool(conn.execute(query).scalar())


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child_main(backend: str, path: Path, batch_size: int, pg_url: str) -> None:
    """Run one backend in this (fresh) process and print its passes as one JSON line."""
    database, _, variant = backend.partition("+")
    urls = sqlite_url() if database == "sqlite" else postgres_url(pg_url)
    with urls as url:
        if variant == "profile":
            print(json.dumps(profile_first_pass(url, path, batch_size)))
        else:
            print(json.dumps(ingest_twice(url, path, batch_size, variant)))


# Where a first pass spends its time: inclusive seconds of these functions (by file and name),
# each a step of the write path. They nest (store_records holds the rest), so they do not add up.
STEPS = {
    "parse (parse_efetch, the whole parser)": ("pubmed/parse.py", "parse_efetch"),
    "store_records (all of the store)": ("works/store.py", "store_records"),
    "look up existing records": ("works/store.py", "_existing"),
    "insert new records and works": ("works/store.py", "_insert_new"),
    "identity keys and links": ("works/identity.py", "identity_keys"),
    "title and block keys": ("works/events.py", "work_fields"),
    "title matching": ("works/store.py", "_match_titles"),
    "identifiers, links and events added": ("works/store.py", "_add_identifiers"),
    "merges": ("works/merge.py", "merge_works"),
    "content hash (canonical JSON + sha256)": ("etl/records.py", "content_hash"),
    "raw bytes compressed (zlib)": ("works/store.py", "_pack"),
    "source records inserted": ("works/store.py", "_insert_source_records"),
    "SQL: statements executed (driver and SQLAlchemy)": ("sqlalchemy/engine/base.py", "execute"),
    "commits": ("sqlalchemy/engine/base.py", "commit"),
}


def profile_first_pass(url: str, path: Path, batch_size: int) -> dict[str, object]:
    """The first pass under cProfile: the inclusive time of each step of STEPS."""
    import cProfile
    import pstats

    from etl.pipeline.ingest import ingest_files

    with _engine(url) as engine:
        upgrade(engine)
    profiler = cProfile.Profile()
    with _engine(url) as engine:
        started = time.perf_counter()
        profiler.enable()
        ingest_files(engine, "pubmed", [path], datetime.now(UTC), batch_size)
        profiler.disable()
        seconds = time.perf_counter() - started
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    steps: dict[str, float] = {}
    for label, (where, name) in STEPS.items():
        steps[label] = sum(
            inclusive
            for (file, _, function), (_, _, _, inclusive, _) in stats.items()
            if function == name and file.endswith(where)
        )
    return {"seconds": seconds, "steps": steps}


def report_profile(path: Path, args: argparse.Namespace) -> None:
    argv = [sys.executable, __file__, "--child", "sqlite+profile", str(path)]
    argv += ["--batch-size", str(args.batch_size), "--pg-url", args.pg_url]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"profile failed:\n{done.stderr[-3000:]}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    total = found["seconds"]
    print(f"\nSQLite first pass under cProfile: {total:.2f} s (profiling slows it down)")
    for label, seconds in sorted(found["steps"].items(), key=lambda item: -item[1]):
        print(f"  {seconds:7.2f} s  {seconds / total:5.0%}  {label}")


# --- the parent ---


@dataclass
class Row:
    """One pass of one backend, as shown in the table."""

    backend: str
    name: str
    records: int
    seconds: float
    ready_rss_mb: float
    peak_rss_mb: float
    works: int
    analyzed: bool | None
    new: int
    unchanged: int
    updated: int
    quarantined: int

    @property
    def rate(self) -> float:
        return self.records / self.seconds


def run_backend(backend: str, path: Path, args: argparse.Namespace) -> list[Row]:
    """One backend in a fresh interpreter."""
    argv = [sys.executable, __file__, "--child", backend, str(path)]
    argv += ["--batch-size", str(args.batch_size), "--pg-url", args.pg_url]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{backend} failed:\n{done.stderr[-3000:]}")
    rows = []
    for p in json.loads(done.stdout.strip().splitlines()[-1]):
        rows.append(
            Row(
                backend,
                p["pass"],
                p["fetched"],
                p["seconds"],
                p["ready_rss_mb"],
                p["peak_rss_mb"],
                p["works"],
                p["analyzed"],
                p["new"],
                p["unchanged"],
                p["updated"],
                p["quarantined"],
            )
        )
    return rows


def postgres_reachable(url: str) -> str | None:
    """None when `url` answers; otherwise why not (the benchmark then skips PostgreSQL)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        return str(exc.orig).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None


def report(rows: list[Row], batch_size: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Ingest throughput (batches of {batch_size})")
    columns = ("backend", "pass", "stats", "records", "seconds", "records/s", "RSS ready MB")
    columns += ("peak RSS MB",)
    for column in (*columns, "new", "unchanged", "updated", "quarantined", "works"):
        left = column in ("backend", "pass", "stats")
        table.add_column(column, justify="left" if left else "right", no_wrap=left)
    for r in rows:
        table.add_row(
            r.backend,
            r.name,
            {None: "-", True: "yes", False: "no"}[r.analyzed],
            f"{r.records:,}",
            f"{r.seconds:.2f}",
            f"{r.rate:,.0f}",
            f"{r.ready_rss_mb:.0f}",
            f"{r.peak_rss_mb:.0f}",
            *(f"{n:,}" for n in (r.new, r.unchanged, r.updated, r.quarantined, r.works)),
        )
    Console(width=180).print(table)  # wide enough that no column is cut
    for backend in dict.fromkeys(r.backend for r in rows):
        mine = {r.name: r for r in rows if r.backend == backend}
        first = next((r for name, r in mine.items() if name.startswith(PASSES[0])), None)
        if PARSE_ONLY in mine and first is not None:
            ratio = first.rate / mine[PARSE_ONLY].rate
            print(f"{backend}: first-pass ingest at {ratio:.0%} of parse-only throughput")
    print(
        "RSS ready: peak RSS after imports and migrations, before the first pass.\n"
        "works: rows in `works` after the pass. The copies of one sample article share its DOI,\n"
        "so ingest merges them into one work: far fewer works than records, unlike real data.\n"
        "postgres+analyze: ANALYZE between the passes; postgres+noprepare: psycopg's prepared\n"
        "statements off (both diagnostic). Each pass uses a new connection, as a re-run would.\n"
        "stats: whether PostgreSQL had planner statistics for source_records when the pass began."
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000, help="records to ingest (20000)")
    parser.add_argument("--batch-size", type=int, default=500, help="records per batch (500)")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server (trust auth)")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--no-variants", action="store_true", help="PostgreSQL without the diagnostic variants"
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="also save the results here")
    parser.add_argument(
        "--profile", action="store_true", help="also say where a SQLite first pass spends its time"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    (path,) = make_big_file.ensure(args.articles)
    backends = ["sqlite"]
    if not args.skip_postgres:
        problem = postgres_reachable(args.pg_url)
        if problem:
            print(f"PostgreSQL skipped: {problem}")
        else:
            backends += ["postgres"] if args.no_variants else ["postgres", "postgres+analyze",
                                                                 "postgres+noprepare"]  # fmt: skip
    rows = [row for backend in backends for row in run_backend(backend, path, args)]
    report(rows, args.batch_size)
    if args.profile:
        report_profile(path, args)
    if args.json:
        data = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "options": {"articles": args.articles, "batch_size": args.batch_size},
            "rows": [asdict(r) | {"rate": r.rate} for r in rows],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _child_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=BACKENDS, required=True)
    parser.add_argument("path", type=Path)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--pg-url", required=True)
    return parser.parse_args(argv)


if __name__ == "__main__":
    if "--child" in sys.argv[1:]:
        child = _child_args(sys.argv[1:])
        child_main(child.child, child.path, child.batch_size, child.pg_url)
    else:
        main()

"""Deduplication benchmark: overlapping records into SQLite and PostgreSQL, and the title matcher.

Part 1 loads paper and trial records with realistic overlap (one paper from PubMed, Europe PMC
and a feed; preprint and paper; copies that share only a near-identical title; trials registered
twice), built from the samples by bench/dedupe_data.py, through the project's write path
(`store.store_records`, batches of 500, one transaction each). Each (backend, size) runs in a fresh
subprocess, so its peak RSS is its own. It reports records/s, how the time per record grows from
the smallest to the largest size, and how the stored works compare with the ground truth
(pairwise precision and recall of "same work", per overlap pattern, and every wrong merge).

Part 2 scores the title matcher (`etl.works.titles`) on labelled pairs: the similarity function
alone, and the full rule (same block, then similarity at the threshold), at several thresholds.

Run from the project root: `python bench/dedupe_bench.py [--sizes 10000,30000,100000]
[--skip-postgres] [--json OUT]`. PostgreSQL gets a private schema, dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import dedupe_data as dd  # a sibling module: this file is run as `python bench/dedupe_bench.py`
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SIZES = (10_000, 30_000, 100_000)
TRIALS_PER_PAPER = 0.2  # 20,000 trial records for 100,000 paper records
THRESHOLDS = (90.0, 93.0, 95.0, 97.0)
EXAMPLES = 6  # wrong merges and missed joins listed per pattern


# --- the child: one backend, one size ---


@contextmanager
def sqlite_url() -> Iterator[str]:
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


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def load(
    url: str, papers: int, trials: int, batch_size: int, seed: int, profile: bool = False
) -> dict[str, Any]:
    """Build the plan, migrate an empty database, store every batch; then compare with the truth.

    Only the `store_records` calls (with their transactions) are timed: building the records of
    the next batch is the benchmark's own work, not the project's. `profile` also times every SQL
    statement (a diagnostic run: the listeners cost a little time of their own).
    """
    from etl.db.engine import make_engine, upgrade
    from etl.records import Counts
    from etl.works import store

    samples = dd.load_samples()
    plan = dd.make_plan(samples, papers, trials, seed, batch_size)
    engine = make_engine(url)
    try:
        upgrade(engine)
        statements = _time_statements(engine) if profile else None
        phases = _time_phases() if profile else None
        ready = _peak_rss_mb()
        now = datetime.now(UTC)
        counts, seconds, cpu, progress = Counts(), 0.0, 0.0, []
        for batch in dd.batches(samples, plan):
            started, cpu_started = time.perf_counter(), time.process_time()
            with engine.begin() as conn:
                counts.add(store.store_records(conn, batch, now))
            seconds += time.perf_counter() - started
            cpu += time.process_time() - cpu_started
            progress.append((len(batch), seconds))
        peak = _peak_rss_mb()
        with engine.connect() as conn:
            quality = evaluate(conn, plan)
    finally:
        engine.dispose()
    return {
        "papers": papers,
        "trials": trials,
        "records": plan.records,
        "seconds": seconds,
        "cpu_seconds": cpu,  # this process only: on SQLite all the work, on PostgreSQL the client's
        "ready_rss_mb": ready,
        "peak_rss_mb": peak,
        "counts": counts.as_dict(),
        "deciles": _deciles(progress),
        "profile": _statement_table(statements, seconds) if statements is not None else None,
        "phases": _phase_table(phases) if phases is not None else None,
        **quality,
    }


def _time_statements(engine: Any) -> dict[str, list[float]]:
    """Count and time every statement by its shape (verb, table, filtered columns)."""
    stats: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seconds = time.perf_counter() - conn.info["bench_started"].pop()
        entry = stats[_shape(statement)]
        entry[0] += 1
        entry[1] += seconds

    return stats


# The steps of store.store_records, timed inclusively by wrapping the module's names (the calls go
# through the module's globals, so the wrappers see every call).
PHASES = (
    "store_records", "_existing", "_insert_new", "lookup_identifiers", "_create_works",
    "_insert_source_records", "_add_identifiers", "_add_links", "_add_events", "_merge_named",
    "_match_titles", "_blocks", "best_match", "conflicting", "merge_works", "_pack",
)  # fmt: skip


def _time_phases() -> dict[str, list[float]]:
    from etl.records import SourceRecord
    from etl.works import store

    stats: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

    def timed(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                entry = stats[name]
                entry[0] += 1
                entry[1] += time.perf_counter() - started

        return wrapper

    for name in PHASES:
        setattr(store, name, timed(name, getattr(store, name)))
    hashing = SourceRecord.content_hash.fget
    SourceRecord.content_hash = property(timed("SourceRecord.content_hash", hashing))
    return stats


def _phase_table(stats: dict[str, list[float]]) -> list[dict[str, Any]]:
    rows = sorted(stats.items(), key=lambda item: -item[1][1])
    return [{"phase": k, "calls": int(n), "seconds": s} for k, (n, s) in rows]


_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.I)
_FILTER = re.compile(r"(\w+\.\w+|\b\w+)\s*(?:=|IN\b|IS\b|!=)", re.I)


def _shape(statement: str) -> str:
    flat = " ".join(statement.split())
    verb = flat.split(" ", 1)[0].upper()
    table = _TABLE.search(flat)
    where = flat.upper().find(" WHERE ")
    columns = _FILTER.findall(flat[where + 7 :]) if where >= 0 else []
    names = sorted({c.split(".")[-1] for c in columns if not c.upper().startswith("NOT")})
    shape = f"{verb} {table[1] if table else '?'}"
    if verb == "INSERT" and "ON CONFLICT" in flat.upper():
        shape += " ON CONFLICT DO NOTHING"
    return shape + (f" WHERE {', '.join(names)}" if names else "")


def _statement_table(stats: dict[str, list[float]], total: float) -> dict[str, Any]:
    rows = sorted(stats.items(), key=lambda item: -item[1][1])
    return {
        "total_seconds": total,
        "sql_seconds": sum(s for _, s in stats.values()),
        "statements": [{"shape": k, "count": int(n), "seconds": s} for k, (n, s) in rows],
    }


def _deciles(progress: list[tuple[int, float]]) -> list[float]:
    """Microseconds per record in each tenth of the load: does it slow down as tables grow?"""
    total = sum(n for n, _ in progress)
    out, done, last_seconds, last_done = [], 0, 0.0, 0
    for n, seconds in progress:
        done += n
        if done * 10 >= total * (len(out) + 1):
            out.append((seconds - last_seconds) / (done - last_done) * 1e6)
            last_seconds, last_done = seconds, done
    return out


def evaluate(conn: Any, plan: dd.Plan) -> dict[str, Any]:
    """The stored works against the plan's studies."""
    from etl.works import store

    records, works, merges = store.source_records, store.works, store.merges
    truth = dd.ground_truth(plan)
    rows = conn.execute(
        select(records.c.id, records.c.source, records.c.source_id, records.c.work_id)
    ).all()
    study_of = {row.id: truth[(row.source, row.source_id)] for row in rows}
    work_of_record = {row.id: row.work_id for row in rows}
    label = {row.id: f"{row.source}:{row.source_id}" for row in rows}
    works_of_study: dict[int, set[int]] = defaultdict(set)
    studies_of_work: dict[int, set[int]] = defaultdict(set)
    records_of_work: dict[int, list[int]] = defaultdict(list)
    for record_id, work_id in work_of_record.items():
        works_of_study[study_of[record_id]].add(work_id)
        studies_of_work[work_id].add(study_of[record_id])
        records_of_work[work_id].append(record_id)
    # A preprint and its journal article are two works of one thread (linked, never merged): the
    # ground truth's study is the thread, so "joined" means one work or one linked thread.
    thread = _threads(conn, set(work_of_record.values()))
    thread_of_record = {r: thread[w] for r, w in work_of_record.items()}
    threads_of_study: dict[int, set[int]] = defaultdict(set)
    studies_of_thread: dict[int, set[int]] = defaultdict(set)
    records_of_thread: dict[int, list[int]] = defaultdict(list)
    for record_id, thread_id in thread_of_record.items():
        threads_of_study[study_of[record_id]].add(thread_id)
        studies_of_thread[thread_id].add(study_of[record_id])
        records_of_thread[thread_id].append(record_id)
    is_trial = {s.id: s.id >= dd.TRIAL_STUDY_BASE for s in plan.studies}
    scores = {
        "all": _pairwise(study_of, thread_of_record, lambda s: True),
        "papers": _pairwise(study_of, thread_of_record, lambda s: not is_trial[s]),
        "trials": _pairwise(study_of, thread_of_record, lambda s: is_trial[s]),
        "all, works only": _pairwise(study_of, work_of_record, lambda s: True),
    }
    merge_rows = conn.execute(
        select(merges.c.reason, merges.c.kept_work_id, merges.c.merged_work_id, merges.c.evidence)
    ).all()
    title_merges = [m for m in merge_rows if m.reason == "title"]
    wrong_title = 0
    for merge in title_merges:
        moved = merge.evidence.get("moved", {}).get("source_records") or []
        if not moved:
            continue
        final = work_of_record[moved[0]]
        others = {study_of[r] for r in records_of_work[final] if r not in set(moved)}
        wrong_title += not ({study_of[r] for r in moved} & others)
    blocks = conn.execute(
        select(works.c.block_key, func.count())
        .where(works.c.block_key.is_not(None))
        .group_by(works.c.block_key)
    ).all()
    sizes = [n for _, n in blocks]
    blocks = [tuple(b) for b in blocks]
    targets = dict(conn.execute(select(works.c.id, works.c.merged_into)).all())
    chains = sum(1 for t in targets.values() if t is not None and targets.get(t) is not None)
    active = Counter(m.merged_work_id for m in merge_rows)
    live = conn.execute(
        select(func.count()).select_from(works).where(works.c.merged_into.is_(None))
    ).scalar_one()
    return {
        "scores": scores,
        "studies": len(works_of_study),
        "works": live,
        "merges": dict(Counter(m.reason for m in merge_rows)),
        "title_merges_wrong": wrong_title,
        "merge_chains": chains,  # works merged into a work that was itself merged later
        "merged_twice": sum(1 for n in active.values() if n > 1),
        "blocks": {
            "works_with_block": sum(sizes),
            "blocks": len(sizes),
            "largest": max(sizes, default=0),
            "largest_key": max(blocks, key=lambda b: b[1])[0] if blocks else None,
            "comparisons_per_work": sum(n * (n - 1) / 2 for n in sizes) / max(1, sum(sizes)),
        },
        "threads_linking_works": sum(len(m) > 1 for m in _members(thread).values()),
        "patterns": _patterns(plan, works_of_study, threads_of_study, studies_of_thread),
        "wrong_merges": _wrong_merges(plan, studies_of_work, records_of_work, label, merge_rows),
        "missed_joins": _missed_joins(plan, threads_of_study, records_of_thread, label, study_of),
    }


def _pairwise(study_of: dict[int, int], work_of: dict[int, int], keep: Any) -> dict[str, float]:
    """Pairwise precision and recall of "these two records are one work"."""
    cells: Counter[tuple[int, int]] = Counter()
    for record_id, study in study_of.items():
        if keep(study):
            cells[(work_of[record_id], study)] += 1
    by_work: Counter[int] = Counter()
    by_study: Counter[int] = Counter()
    for (work, study), n in cells.items():
        by_work[work] += n
        by_study[study] += n

    def pairs(counter: Counter[Any]) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    both, predicted, actual = pairs(cells), pairs(by_work), pairs(by_study)
    return {
        "true_pairs": actual,
        "predicted_pairs": predicted,
        "correct_pairs": both,
        "precision": both / predicted if predicted else 1.0,
        "recall": both / actual if actual else 1.0,
    }


def _threads(conn: Any, work_ids: set[int]) -> dict[int, int]:
    """Each work's thread: the smallest work id among the works joined to it by preprint links
    (published_as / has_preprint, resolved through the identifiers they name)."""
    from etl.works import store

    links, ids = store.links, store.identifiers
    query = (
        select(links.c.work_id, ids.c.work_id)
        .join(ids, (ids.c.scheme == links.c.target_scheme) & (ids.c.value == links.c.target_value))
        .where(links.c.type.in_(("published_as", "has_preprint")))
    )
    parent = {w: w for w in work_ids}

    def find(w: int) -> int:
        while parent[w] != w:
            parent[w] = parent[parent[w]]
            w = parent[w]
        return w

    for a, b in conn.execute(query):
        if a in parent and b in parent:
            ra, rb = find(a), find(b)
            parent[max(ra, rb)] = min(ra, rb)
    return {w: find(w) for w in work_ids}


def _members(thread: dict[int, int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    for work, root in thread.items():
        out[root].add(work)
    return out


def _patterns(
    plan: dd.Plan,
    works_of_study: dict[int, set[int]],
    threads_of_study: dict[int, set[int]],
    studies_of_thread: dict[int, set[int]],
) -> list[dict[str, Any]]:
    """Per overlap pattern: how many studies ended up as one thread (one work, or works linked as
    preprint and article), how many as one work, and how many share a work or thread with another
    study (a wrong merge or link). For title-only pairs also per title variant."""
    rows: dict[str, dict[str, Any]] = {}
    for study in plan.studies:
        names = [study.pattern]
        if study.pattern.startswith(("title only", "preprint")) and len(study.records) > 1:
            names.append(f"{study.pattern} || {study.records[1][1]}")
        for name in names:
            row = rows.setdefault(
                name,
                {
                    "pattern": name,
                    "studies": 0,
                    "records": 0,
                    "multi": 0,
                    "joined": 0,
                    "one_work": 0,
                    "merged_wrongly": 0,
                },
            )
            found = threads_of_study[study.id]
            row["studies"] += 1
            row["records"] += len(study.records)
            if len(study.records) > 1:
                row["multi"] += 1
                row["joined"] += len(found) == 1
                row["one_work"] += len(works_of_study[study.id]) == 1
            row["merged_wrongly"] += any(len(studies_of_thread[t]) > 1 for t in found)
    return list(rows.values())


def _wrong_merges(
    plan: dd.Plan,
    studies_of_work: dict[int, set[int]],
    records_of_work: dict[int, list[int]],
    label: dict[int, str],
    merge_rows: list[Any],
) -> dict[str, Any]:
    """Works that hold records of several studies, grouped by the studies' patterns."""
    how: dict[int, list[str]] = defaultdict(list)
    for merge in merge_rows:
        score = merge.evidence.get("score")
        note = f"{merge.reason} merge {merge.merged_work_id}->{merge.kept_work_id}"
        how[merge.kept_work_id].append(note + (f" (score {score})" if score else ""))
    groups: dict[str, dict[str, Any]] = {}
    for work, studies in sorted(studies_of_work.items()):
        if len(studies) < 2:
            continue
        members = [plan.by_id[s] for s in sorted(studies)]
        key = " + ".join(sorted({m.pattern for m in members}))
        group = groups.setdefault(key, {"works": 0, "examples": []})
        group["works"] += 1
        if len(group["examples"]) < EXAMPLES:
            group["examples"].append(
                {
                    "work": work,
                    "records": sorted(label[r] for r in records_of_work[work]),
                    "titles": [m.title for m in members],
                    "first_author_year": [f"{m.author} {m.year}" for m in members],
                    "merges": how.get(work, []),
                }
            )
    return groups


def _missed_joins(
    plan: dd.Plan,
    works_of_study: dict[int, set[int]],
    records_of_work: dict[int, list[int]],
    label: dict[int, str],
    study_of: dict[int, int],
) -> dict[str, Any]:
    """Studies whose records ended up in several threads (works not linked as preprint and
    article), by pattern, with examples."""
    groups: dict[str, dict[str, Any]] = {}
    for study in plan.studies:
        found = works_of_study[study.id]
        if len(found) < 2:
            continue
        group = groups.setdefault(study.pattern, {"studies": 0, "examples": []})
        group["studies"] += 1
        if len(group["examples"]) < EXAMPLES:
            parts = {
                w: [label[r] for r in records_of_work[w] if study_of[r] == study.id] for w in found
            }
            titles = [
                dd.record_data(None, plan, study, i)["source_id"] for i in range(len(study.records))
            ]
            group["examples"].append(
                {
                    "study": study.id,
                    "works": {str(w): p for w, p in sorted(parts.items())},
                    "title": study.title,
                    "variants": [v for _, v in study.records],
                    "records": titles,
                }
            )
    return groups


def child_main(backend: str, papers: int, trials: int, args: argparse.Namespace) -> None:
    urls = sqlite_url() if backend == "sqlite" else postgres_url(args.pg_url)
    with urls as url:
        result = load(url, papers, trials, args.batch_size, args.seed, args.profile)
    print(json.dumps(result | {"backend": backend}))


# --- part 2: the title matcher on labelled pairs ---


def score_matcher(pairs: list[dd.Pair]) -> dict[str, Any]:
    from etl.works.titles import THRESHOLD, best_match, block_key, similarity, title_key

    scored = []
    for pair in pairs:
        a, b = title_key(pair.a["title"]), title_key(pair.b["title"])
        block_a, block_b = block_key(pair.a), block_key(pair.b)
        same_block = block_a is not None and block_a == block_b
        rule = same_block and best_match(b, [(1, a)]) is not None  # exactly what ingest runs
        scored.append(
            {
                "category": pair.category,
                "same": pair.same,
                "score": similarity(a, b),
                "same_block": same_block,
                "rule": rule,
                "a": pair.a["title"],
                "b": pair.b["title"],
                "block_a": block_a,
                "block_b": block_b,
            }
        )
    thresholds = sorted({*THRESHOLDS, THRESHOLD})
    table = []
    for t in thresholds:
        alone = [(s["same"], s["score"] >= t) for s in scored]
        rule = [(s["same"], s["same_block"] and s["score"] >= t) for s in scored]
        table.append({"threshold": t, "similarity": _prf(alone), "rule": _prf(rule)})
    assert all(s["rule"] == (s["same_block"] and s["score"] >= THRESHOLD) for s in scored)
    return {"threshold": THRESHOLD, "pairs": scored, "table": table}


def _prf(decisions: list[tuple[bool, bool]]) -> dict[str, float]:
    tp = sum(same and said for same, said in decisions)
    fp = sum(said and not same for same, said in decisions)
    fn = sum(same and not said for same, said in decisions)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}


# --- the parent ---


def run_child(
    backend: str, papers: int, args: argparse.Namespace, profile: bool = False
) -> dict[str, Any]:
    trials = round(papers * TRIALS_PER_PAPER)
    argv = [sys.executable, __file__, "--child", backend, "--papers", str(papers)]
    argv += ["--trials", str(trials), "--batch-size", str(args.batch_size)]
    argv += ["--pg-url", args.pg_url, "--seed", str(args.seed)] + ["--profile"] * profile
    what = " (statement profile)" if profile else ""
    print(
        f"{backend}: {papers:,} papers + {trials:,} trials{what} ...", file=sys.stderr, flush=True
    )
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{backend} at {papers} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def postgres_reachable(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        return str(exc.orig).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None


def report(
    runs: list[dict[str, Any]], profiles: list[dict[str, Any]], matcher: dict[str, Any]
) -> None:
    from rich.console import Console

    console = Console(width=200)  # wide enough that no column is cut
    if runs:
        _report_load(console, runs)
        _report_quality(console, runs)
    if profiles:
        _report_profiles(console, profiles)
    _report_matcher(console, matcher)


def _table(title: str, *columns: str, left: int = 1) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i < left else "right")
    return table


def _report_load(console: Any, runs: list[dict[str, Any]]) -> None:
    t = _table(
        "Load through store.store_records (batches of 500, one transaction each)",
        "backend",
        "paper recs",
        "trial recs",
        "seconds",
        "records/s",
        "µs/record",
        "CPU µs/record",
        "first 10%",
        "last 10%",
        "RSS ready MB",
        "peak RSS MB",
        "works",
        "studies",
        "id merges",
        "title merges",
    )
    for r in runs:
        t.add_row(
            r["backend"],
            f"{r['papers']:,}",
            f"{r['trials']:,}",
            f"{r['seconds']:.1f}",
            f"{r['records'] / r['seconds']:,.0f}",
            f"{r['seconds'] / r['records'] * 1e6:,.0f}",
            f"{r['cpu_seconds'] / r['records'] * 1e6:,.0f}",
            f"{r['deciles'][0]:,.0f}",
            f"{r['deciles'][-1]:,.0f}",
            f"{r['ready_rss_mb']:.0f}",
            f"{r['peak_rss_mb']:.0f}",
            f"{r['works']:,}",
            f"{r['studies']:,}",
            f"{r['merges'].get('identifier', 0):,}",
            f"{r['merges'].get('title', 0):,}",
        )
    console.print(t)
    console.print(
        "CPU: this process's CPU time (on SQLite all the work; not PostgreSQL's server), which\n"
        "other processes on the machine disturb less than the wall clock.\n"
        "first/last 10%: µs per record in the first and the last tenth of the load.\n"
        "works: works not merged into another; studies: the ground truth's count.\n"
        "id merges: works joined because a record named both (store._merge_named).\n"
    )
    for r in runs:
        c = r["counts"]
        if (c["new"], c["updated"], c["quarantined"]) != (r["records"], 0, 0):
            console.print(f"[red]{r['backend']} at {r['papers']:,}: counts {c}[/red]")
    t = _table(
        "Growth: time per record at the largest size / at the smallest",
        "backend",
        "paper records",
        "µs/record",
        "ratio",
        "CPU µs/record",
        "CPU ratio",
        "largest title block",
        "title comparisons per work",
    )
    for backend in dict.fromkeys(r["backend"] for r in runs):
        mine = [r for r in runs if r["backend"] == backend]
        per = [r["seconds"] / r["records"] * 1e6 for r in mine]
        cpu = [r["cpu_seconds"] / r["records"] * 1e6 for r in mine]
        t.add_row(
            backend,
            " / ".join(f"{r['papers']:,}" for r in mine),
            " / ".join(f"{p:,.0f}" for p in per),
            f"{per[-1] / per[0]:.2f}",
            " / ".join(f"{p:,.0f}" for p in cpu),
            f"{cpu[-1] / cpu[0]:.2f}",
            " / ".join(str(r["blocks"]["largest"]) for r in mine)
            + f" ({mine[-1]['blocks']['largest_key']})",
            " / ".join(f"{r['blocks']['comparisons_per_work']:.1f}" for r in mine),
        )
    console.print(t)
    console.print(
        "ratio 1 = linear. Title comparisons per work: sum over blocks of n(n-1)/2,\n"
        "divided by the works that have a block (what best_match scores, at most).\n"
    )


def _report_quality(console: Any, runs: list[dict[str, Any]]) -> None:
    from rich.markup import escape

    t = _table(
        "Works against the ground truth (pairwise: are two records one thread, that is one work"
        " or a preprint linked to its article?)",
        "backend",
        "papers",
        "records",
        "precision",
        "recall",
        "true pairs",
        "predicted",
        "correct",
        "wrong title merges",
        "merge chains",
        "merged twice",
        left=3,
    )
    for r in runs:
        for kind in ("all", "papers", "trials", "all, works only"):
            s = r["scores"][kind]
            wrong = f"{r['title_merges_wrong']} of {r['merges'].get('title', 0)}"
            t.add_row(
                r["backend"],
                f"{r['papers']:,}",
                kind,
                f"{s['precision']:.4f}",
                f"{s['recall']:.4f}",
                f"{s['true_pairs']:,}",
                f"{s['predicted_pairs']:,}",
                f"{s['correct_pairs']:,}",
                wrong if kind == "all" else "",
                str(r["merge_chains"]) if kind == "all" else "",
                str(r["merged_twice"]) if kind == "all" else "",
            )
    console.print(t)
    last = runs[-1]
    t = _table(
        f"Per overlap pattern ({last['backend']}, {last['papers']:,} paper records)",
        "pattern",
        "studies",
        "records",
        "joined into one thread",
        "into one work",
        "sharing a work or thread with another study",
    )
    for p in sorted(last["patterns"], key=lambda p: p["pattern"]):
        name = p["pattern"]
        if " || " in name:
            name = "    second record's title: " + name.split(" || ", 1)[1]
        joined = f"{p['joined']:,} of {p['multi']:,}" if p["multi"] else "-"
        t.add_row(
            escape(name),
            f"{p['studies']:,}",
            f"{p['records']:,}",
            joined,
            f"{p['one_work']:,}" if p["multi"] else "-",
            f"{p['merged_wrongly']:,}",
        )
    console.print(t)
    for name, groups in (
        ("Wrong merges", last["wrong_merges"]),
        ("Missed joins", last["missed_joins"]),
    ):
        console.print(
            f"[bold]{name}[/bold] ({last['backend']}, {last['papers']:,} paper records;"
            " 2 examples each, all in --json)"
        )
        if not groups:
            console.print("  none")
        for key, group in sorted(groups.items()):
            n = group.get("works", group.get("studies"))
            console.print(f"  {escape(key)}: {n:,}")
            for example in group["examples"][:2]:
                line = json.dumps(example, ensure_ascii=False)
                console.print("    " + escape(line), soft_wrap=True, highlight=False)
    console.print()


def _report_profiles(console: Any, profiles: list[dict[str, Any]]) -> None:
    for r in profiles:
        prof = r["profile"]
        t = _table(
            f"Statements ({r['backend']}, {r['papers']:,} paper records, profiled run: "
            f"{prof['total_seconds']:.1f} s, of which SQL {prof['sql_seconds']:.1f} s)",
            "statement (verb, table, filtered columns)",
            "count",
            "per record",
            "seconds",
            "µs each",
            "share",
        )
        for s in prof["statements"][:10]:
            t.add_row(
                s["shape"],
                f"{s['count']:,}",
                f"{s['count'] / r['records']:.2f}",
                f"{s['seconds']:.2f}",
                f"{s['seconds'] / s['count'] * 1e6:,.0f}",
                f"{s['seconds'] / prof['total_seconds']:.0%}",
            )
        console.print(t)
        t = _table(f"Steps of store_records ({r['backend']}, {r['papers']:,} paper records; "
                   "inclusive: a step's time contains the steps it calls)", "step", "calls",
                   "seconds", "µs per record", "share")  # fmt: skip
        for s in r["phases"]:
            t.add_row(s["phase"], f"{s['calls']:,}", f"{s['seconds']:.2f}",
                      f"{s['seconds'] / r['records'] * 1e6:,.0f}",
                      f"{s['seconds'] / prof['total_seconds']:.0%}")  # fmt: skip
        console.print(t)


def _report_matcher(console: Any, matcher: dict[str, Any]) -> None:
    from rich.markup import escape

    pairs = matcher["pairs"]
    t = _table(
        f"Title matcher on {len(pairs)} labelled pairs ({sum(p['same'] for p in pairs)} "
        "positive): similarity alone, and the full rule (same block, then similarity)",
        "threshold",
        "similarity P",
        "R",
        "F1",
        "FP",
        "FN",
        "rule P",
        "R",
        "F1",
        "FP",
        "FN",
        left=0,
    )
    for row in matcher["table"]:
        mark = " (project)" if row["threshold"] == matcher["threshold"] else ""
        cells = [
            f"{x[k]:.3f}" if k not in ("fp", "fn") else str(x[k])
            for x in (row["similarity"], row["rule"])
            for k in ("precision", "recall", "f1", "fp", "fn")
        ]
        t.add_row(f"{row['threshold']:.0f}{mark}", *cells)
    console.print(t)
    threshold = matcher["threshold"]
    t = _table(
        f"Per category at the project threshold ({threshold:.0f})",
        "category",
        "label",
        "pairs",
        "min score",
        "median",
        "similarity ≥ threshold",
        "rule matches",
    )
    by_category: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for pair in pairs:
        by_category[pair["category"]].append(pair)
    for category, group in by_category.items():
        scores = sorted(p["score"] for p in group)
        t.add_row(
            escape(category),
            "same" if group[0]["same"] else "different",
            str(len(group)),
            f"{scores[0]:.1f}",
            f"{scores[len(scores) // 2]:.1f}",
            str(sum(p["score"] >= threshold for p in group)),
            str(sum(p["rule"] for p in group)),
        )
    console.print(t)
    t = _table(
        "Every error of the full rule at the project threshold (where the titles differ; the first"
        " title in full in --json)",
        "error",
        "category",
        "score",
        "title a: the part that differs",
        "title b: the part that differs",
        left=5,
    )
    for pair in sorted(pairs, key=lambda p: (p["rule"], p["category"])):
        if pair["rule"] != pair["same"]:
            a, b = _difference(pair["a"], pair["b"])
            t.add_row(
                "FP" if pair["rule"] else "FN",
                escape(pair["category"]),
                f"{pair['score']:.1f}",
                escape(a),
                escape(b),
            )
    console.print(t)


def _difference(a: str, b: str, context: int = 12) -> tuple[str, str]:
    """The differing middle of two strings, with a little context on each side."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    left = max(0, start - context)

    def cut(s: str) -> str:
        right = min(len(s), len(s) - end + context)
        return ("…" if left else "") + s[left:right] + ("…" if right < len(s) else "")

    return cut(a), cut(b)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="paper records per run, comma-separated (10000,30000,100000); "
        "trial records are a fifth of that",
    )
    parser.add_argument("--batch-size", type=int, default=500, help="records per batch (500)")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server (trust auth)")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--skip-load", action="store_true", help="only the title matcher")
    parser.add_argument(
        "--no-profile",
        action="store_true",
        help="skip the statement-profile runs (smallest and largest size)",
    )
    parser.add_argument("--seed", type=int, default=20261124, help="the plan's random seed")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also save the results here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    backends = ["sqlite"]
    if not args.skip_postgres:
        problem = postgres_reachable(args.pg_url)
        if problem:
            print(f"PostgreSQL skipped: {problem}", file=sys.stderr)
        else:
            backends.append("postgres")
    runs = [] if args.skip_load else [run_child(b, n, args) for b in backends for n in sizes]
    profiles = []
    if not (args.skip_load or args.no_profile):
        profiles = [run_child(b, sizes[-1], args, profile=True) for b in backends]
    matcher = score_matcher(dd.labelled_pairs(dd.load_samples()))
    report(runs, profiles, matcher)
    if args.json:
        data = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "options": {"sizes": sizes, "batch_size": args.batch_size, "seed": args.seed},
            "runs": runs,
            "profiles": profiles,
            "matcher": matcher,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")


def _child_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--papers", type=int, required=True)
    parser.add_argument("--trials", type=int, required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--pg-url", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--profile", action="store_true")
    return parser.parse_args(argv)


if __name__ == "__main__":
    if "--child" in sys.argv[1:]:
        child = _child_args(sys.argv[1:])
        child_main(child.child, child.papers, child.trials, child)
    else:
        main()

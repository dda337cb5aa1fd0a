"""Ingest: load files (PubMed baseline and update files, saved efetch answers) into the database.

Files are applied in the order given, because a later update file replaces records of an earlier
one; within a file, records are written in batches of `database.batch_size`, each batch in its own
transaction, so an interrupted ingest keeps what it finished and a re-run finds it unchanged.
The next batch is parsed on a second thread while this one is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from etl.classify.service import Classifier, classify_works
from etl.db.states import Outcome
from etl.pipeline.crawl import RunResult
from etl.pipeline.prefetch import ahead
from etl.records import Counts, Quarantined, SourceRecord
from etl.sources import parser_for
from etl.works import store

FileProgress = Callable[[Path, Counts], None]


def ingest_files(
    engine: Engine,
    source: str,
    paths: Sequence[Path],
    now: datetime,
    batch_size: int = 500,
    progress: FileProgress | None = None,
    classifier: Classifier | None = None,
) -> RunResult:
    """Load every file; bad records are quarantined and reported, the rest goes on."""
    parse = parser_for(source)
    result = RunResult(source)
    with engine.connect() as conn:
        with conn.begin():
            detail = {"files": [str(p) for p in paths]}
            run_id = store.start_run(conn, source, "ingest", now, detail)
        for path in paths:
            for records, quarantined in ahead(_batches(parse(path), batch_size)):
                with conn.begin():
                    touched: set[int] = set()
                    counts = store.store_records(conn, records, now, touched)
                    store.store_quarantine(conn, quarantined, run_id, now)
                    if classifier is not None:
                        classify_works(conn, touched, classifier, now)
                counts.fetched = len(records)
                counts.quarantined = len(quarantined)
                result.counts.add(counts)
                result.quarantined.extend(item.describe() for item in quarantined)
                refused = next((item for item in quarantined if item.whole_file), None)
                if refused is not None and result.error is None:
                    result.error = refused.describe()
                if progress:
                    progress(path, result.counts)
        if result.error is not None:
            result.outcome = Outcome.FAILED  # a file of another format: nothing of it was loaded
        elif result.counts.quarantined:
            result.outcome = Outcome.PARTIAL
        with conn.begin():
            store.finish_run(conn, run_id, result.counts, result.outcome, now, result.error)
    return result


def _batches(
    items: Iterable[SourceRecord | Quarantined], size: int
) -> Iterable[tuple[list[SourceRecord], list[Quarantined]]]:
    records: list[SourceRecord] = []
    quarantined: list[Quarantined] = []
    for item in items:
        if isinstance(item, Quarantined):
            quarantined.append(item)
        else:
            records.append(item)
        if len(records) >= size:
            yield records, quarantined
            records, quarantined = [], []
    if records or quarantined:
        yield records, quarantined

"""`mscwatch parse SOURCE FILE…`: normalised records as JSON lines, without touching the database.

Several files are parsed in parallel, one process per core; each worker writes its JSON lines to a
temporary file and the output is streamed back in the order the files were given, so memory stays
flat and the output does not depend on which worker finished first.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import IO, Any

import typer

from etl.classify.rules import classify
from etl.classify.taxonomy import Taxonomy, load_taxonomy
from etl.normalize.text import valid_json
from etl.records import Quarantined
from etl.sources import FILE_FORMATS, parser_for


def parse(
    source: str = typer.Argument(..., help=f"Source format: {', '.join(FILE_FORMATS)}."),
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="Files to parse."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Parallel workers (default: one per core)."),
    with_labels: bool = typer.Option(
        False, "--classify", help="Add a `labels` object (taxonomy from config/)."
    ),
) -> None:
    """Print the normalised records of FILES as JSON lines; problems go to stderr.

    Exits with status 1 when any record had to be set aside, after printing all the others.
    """
    parser_for(source)  # an unknown source fails here, before any work starts
    taxonomy = _taxonomy() if with_labels else None
    workers = min(jobs or os.cpu_count() or 1, len(files))
    if workers <= 1:
        problems = sum(write_records(source, path, sys.stdout, None, taxonomy) for path in files)
    else:
        problems = _parse_parallel(source, files, workers, taxonomy)
    sys.stdout.flush()
    if problems:
        raise typer.Exit(1)


def write_records(
    source: str,
    path: Path,
    stream: IO[str],
    errors: IO[str] | None = None,
    taxonomy: Taxonomy | None = None,
) -> int:
    """Write one file's records to `stream`; returns how many were quarantined."""
    errors = errors or sys.stderr
    bad = 0
    write = stream.write
    for item in parser_for(source)(path, keep_raw=False):
        if isinstance(item, Quarantined):
            bad += 1
            errors.write(f"error: {item.describe()}\n")
            continue
        data: dict[str, Any] = dict(item.data)
        if taxonomy is not None and not item.deleted:
            data = {**data, "labels": classify(data, taxonomy)}
        line = json.dumps(data, ensure_ascii=False)
        try:
            write(line)
        except UnicodeEncodeError:  # a parser left a lone surrogate: print U+FFFD instead
            write(json.dumps(valid_json(data), ensure_ascii=False))
        write("\n")
    return bad


def _taxonomy() -> Taxonomy:
    from etl.cli.common import settings

    return load_taxonomy(settings().taxonomy_path)


def _parse_parallel(source: str, files: list[Path], workers: int, taxonomy: Taxonomy | None) -> int:
    with (
        tempfile.TemporaryDirectory(prefix="mscwatch-parse-") as tmp,
        ProcessPoolExecutor(max_workers=workers) as pool,
    ):
        futures = [
            pool.submit(_parse_to_file, source, path, Path(tmp) / f"{n}.jsonl", taxonomy)
            for n, path in enumerate(files)
        ]
        problems = 0
        for path, future in zip(files, futures, strict=True):
            try:
                out_path, err_text, bad = future.result()
            except Exception as exc:  # one file's failure: the other files' output still comes
                sys.stderr.write(f"error: {path.name}: {type(exc).__name__}: {exc}\n")
                problems += 1
                continue
            sys.stderr.write(err_text)
            with open(out_path, encoding="utf-8") as handle:
                shutil.copyfileobj(handle, sys.stdout)
            os.unlink(out_path)
            problems += bad
    return problems


def _parse_to_file(
    source: str, path: Path, out_path: Path, taxonomy: Taxonomy | None
) -> tuple[Path, str, int]:
    import io

    errors = io.StringIO()
    with open(out_path, "w", encoding="utf-8") as handle:
        bad = write_records(source, path, handle, errors, taxonomy)
    return out_path, errors.getvalue(), bad

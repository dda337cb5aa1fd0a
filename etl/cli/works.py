"""`mscwatch works …` and `mscwatch export …`: look at works, undo a merge, export them."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime

import typer

from etl import clock
from etl.classify.service import Classifier, classify_works
from etl.cli.common import engine, out, settings
from etl.cli.evidence import evidence as export_evidence
from etl.errors import EtlError
from etl.works.export import export_works
from etl.works.merge import split as split_work
from etl.works.rekey import rekey as rekey_works

app = typer.Typer(help="Works: one row per paper or trial.", no_args_is_help=True)
export_app = typer.Typer(help="Export data for other tools.", no_args_is_help=True)
export_app.command("evidence")(export_evidence)
CSV_COLUMNS = ("work_id", "kind", "title", "published", "retracted", "identifiers", "sources",
               "links", "events", "probable_duplicate_of", "facts")  # fmt: skip


@app.command()
def split(work: int = typer.Argument(..., help="A work that absorbed another by a merge.")) -> None:
    """Undo the merges of a work (a probable duplicate that is not one): both works come back."""
    config = settings()
    built = engine(config)
    now = clock.now()
    with built.begin() as conn:
        restored = split_work(conn, work, now)
        if not restored:
            raise EtlError(f"work {work} has no merge to undo", "see `mscwatch export works`")
        classify_works(conn, [work, *restored], Classifier.from_settings(config), now)
    out.print(f"work {work}: split; restored work(s) {', '.join(map(str, restored))}")


@app.command()
def rekey() -> None:
    """Recompute every work's title and block keys under the current title rules (db upgrade
    does it when the rules change; run it after restoring an older backup)."""
    with engine(settings()).begin() as conn:
        changed = rekey_works(conn)
    out.print(f"title keys recomputed: {changed} work(s) changed")


@export_app.command("works")
def works(
    since: datetime = typer.Option(
        None, "--since", formats=["%Y-%m-%d"], help="Only works changed since this day."
    ),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl or csv."),
) -> None:
    """One object per work: kind, identifiers, title, sources, links, events, duplicates, facts."""
    if fmt not in ("jsonl", "csv"):
        raise EtlError(f"--format must be jsonl or csv (got {fmt!r})")
    config = settings()
    built = engine(config)
    with built.connect() as conn:
        day = since.replace(tzinfo=clock.now().tzinfo) if since else None
        items = export_works(conn, day, config.config_dir)
        if fmt == "jsonl":
            for item in items:
                sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
            return
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for item in items:
            writer.writerow({
                key: json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list)
                else value
                for key, value in item.items()
            })  # fmt: skip

"""`mscwatch export evidence`: the evidence map's rows as CSV or JSON."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from etl.cli.common import engine, settings
from etl.errors import EtlError
from etl.evidence.query import Query
from etl.evidence.service import EvidenceMap
from etl.evidence.table import to_csv, to_json
from etl.files import write_atomically


def evidence(
    fmt: str = typer.Option("csv", "--format", help="csv or json."),
    lang: str = typer.Option("zh", "--lang", help="zh or en: the words of the cells and heads."),
    out: Path | None = typer.Option(None, "--out", help="Write to this file instead of stdout."),
) -> None:
    """One row per clinical study of MSCs in cancer (trials and clinical papers, merged per
    study), as the evidence map shows it, newest update first."""
    if fmt not in ("csv", "json"):
        raise EtlError(f"--format must be csv or json (got {fmt!r})", "use --format csv")
    if lang not in ("zh", "en"):
        raise EtlError(f"--lang must be zh or en (got {lang!r})", "use --lang zh")
    config = settings()
    evidence_map = EvidenceMap.open(config, engine(config))
    rows = evidence_map.view(Query(), lang)
    write = to_csv if fmt == "csv" else to_json
    text = write(rows, evidence_map.names, lang, config.archive.base_url)
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    write_atomically(out, text.encode("utf-8"))
    sys.stderr.write(f"{len(rows)} studies written to {out}\n")

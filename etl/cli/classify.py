"""`mscwatch classify …`: evaluate the taxonomy, re-run it, learn from editors' decisions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import Connection, select

from etl import clock
from etl.classify.evaluate import evaluate as score
from etl.classify.service import Classifier, all_work_ids, classify_works, stale_work_ids
from etl.cli.common import console, engine, out, settings
from etl.db.models import EditorLabel, SourceRecord
from etl.editors.review import act
from etl.errors import EtlError

app = typer.Typer(help="Classify works in the article's taxonomy.", no_args_is_help=True)


@app.command()
def evaluate(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSON lines with expected labels."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
    misses: int = typer.Option(30, "--misses", help="How many misses to list."),
) -> None:
    """Score the classifier on records that carry an `expected` labels object."""
    classifier = Classifier.from_settings(settings())
    pairs = [(rid, expected, classifier.labels(r)) for rid, r, expected in _labelled(file)]
    report = score(pairs)
    summary = report.summary()
    if as_json:
        out.print_json(json.dumps({**summary, "misses": report.misses}))
        return
    table = Table(title=f"{file.name}: {report.records} records", title_justify="left")
    for column in ("family", "precision", "recall", "F1", "macro F1", "support"):
        table.add_column(column, justify="left" if column == "family" else "right")
    for family in ("relevance", "cancer_types", "strategies", "msc_sources", "safety"):
        row = summary[family]
        table.add_row(family, f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}",
                      f"{row.get('macro_f1', row['f1']):.3f}", str(row["support"]))  # fmt: skip
    for name in ("stage", "section"):
        table.add_row(f"{name} (accuracy)", "", "", f"{summary[name]['accuracy']:.3f}", "",
                      str(summary[name]["n"]))  # fmt: skip
    out.print(table)
    relevance = summary["relevance"]
    out.print(f"relevance probability: Brier {relevance['brier']:.3f}, "
              f"{relevance['distinct_scores']} distinct scores", highlight=False)  # fmt: skip
    for miss in report.misses[:misses]:
        out.print(f"miss {miss['id']} {miss['label']}: expected {miss['expected']}, "
                  f"got {miss['predicted']}", highlight=False)  # fmt: skip
    if len(report.misses) > misses:
        out.print(f"… {len(report.misses) - misses} more misses (--misses N shows more)")


def _labelled(file: Path) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(id, record, expected) from JSON lines; a line that is not one names the file and line."""
    records = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            expected = record.pop("expected")
            expected.get("relevant")
        except (json.JSONDecodeError, KeyError, AttributeError) as exc:
            raise EtlError(
                f"{file}:{number}: not a record with an `expected` object ({exc})"
            ) from None
        records.append((record.get("source_id", str(number)), record, expected))
    return records


@app.command()
def calibrate(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSON lines with expected labels."
    ),
) -> None:
    """Fit the relevance probability's weights on a labelled set; prints the taxonomy block."""
    from etl.classify.calibration import fit

    taxonomy = Classifier.from_settings(settings()).taxonomy
    weights = fit([(r, bool(e.get("relevant"))) for _, r, e in _labelled(file)], taxonomy)
    body = ", ".join(f"{name}: {value}" for name, value in weights.items())
    out.print(f"  calibration: {{{body}}}", highlight=False, soft_wrap=True)


@app.command()
def rerun(
    everything: bool = typer.Option(False, "--all", help="Every work, not only stale ones."),
) -> None:
    """Classify again the works whose labels came from another taxonomy or model (or all)."""
    config = settings()
    built = engine(config)
    classifier = Classifier.from_settings(config)
    with built.connect() as conn:
        ids = all_work_ids(conn) if everything else stale_work_ids(conn, classifier)
    done = 0
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("classify", total=len(ids))
        for start in range(0, len(ids), 2000):
            with built.begin() as conn:
                done += classify_works(conn, ids[start : start + 2000], classifier, clock.now())
            progress.update(task, completed=min(start + 2000, len(ids)))
    model = classifier.model_name or "rules only"
    out.print(f"classified {done} works (taxonomy {classifier.taxonomy.version}, {model})")


@app.command()
def label(
    work: int = typer.Argument(..., help="Work id."),
    decision: str = typer.Argument(..., help="include or exclude."),
    editor: str = typer.Option("", "--editor", help="Who decided."),
    note: str = typer.Option("", "--note", help="Why."),
) -> None:
    """Record an editor's include/exclude decision for a work (training data for the model)."""
    if decision not in ("include", "exclude"):
        raise EtlError(f"decision must be include or exclude (got {decision!r})")
    with engine(settings()).begin() as conn:
        # The same path as the editor pages: a training label, and the digest follows it.
        if not act(conn, [work], decision, editor, clock.now(), note):
            raise EtlError(f"there is no work {work}", "see the work ids in `mscwatch export`")
        if note:
            act(conn, [work], "note", editor, clock.now(), note)
    out.print(f"work {work}: {decision}d")


@app.command()
def train() -> None:
    """Fit the relevance model on editors' decisions; it ranks new works if it beats the rules."""
    from etl.classify.model import save
    from etl.classify.model import train as fit

    config = settings()
    built = engine(config)
    classifier = Classifier.from_settings(config)
    with built.connect() as conn:
        examples = _editor_examples(conn)
    model = fit(examples, classifier.taxonomy, clock.now())
    path = save(model, config.models_dir)
    metrics = model.metrics
    verdict = "it will rank new works" if metrics["better_than_rules"] else "the rules still decide"
    out.print(
        f"trained on {metrics['examples']} decisions; held-out F1 {metrics['model_f1']:.3f} "
        f"(rules {metrics['rules_f1']:.3f}): {verdict}\nsaved {path}",
        highlight=False,
    )


def _editor_examples(conn: Connection) -> list[tuple[dict[str, Any], bool]]:
    labels, records = EditorLabel.__table__, SourceRecord.__table__
    latest: dict[int, bool] = {}
    query = select(labels.c.work_id, labels.c.value).where(labels.c.label == "relevant")
    for work_id, value in conn.execute(query.order_by(labels.c.created_at, labels.c.id)):
        latest[work_id] = bool(value)  # the newest decision wins
    data_of: dict[int, dict[str, Any]] = {}
    query = select(records.c.work_id, records.c.data).where(
        records.c.work_id.in_(list(latest)), records.c.deleted_at.is_(None)
    )
    for work_id, data in conn.execute(query.order_by(records.c.updated_at)):
        data_of[work_id] = data
    return [(data_of[w], value) for w, value in latest.items() if w in data_of]

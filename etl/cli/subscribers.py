"""`mscwatch subscribers …`: the operator's tools for the reader list."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from etl import clock
from etl.cli.common import console, out, settings
from etl.subscribers.service import Outcome, Subscribers

app = typer.Typer(help="Add, import, list, export and remove subscribers.", no_args_is_help=True)


def _subscribers() -> Subscribers:
    return Subscribers.open(settings())


def _say(outcome: Outcome) -> None:
    detail = f" ({outcome.detail})" if outcome.detail else ""
    style = "yellow" if outcome.action in ("refused", "confirmation failed") else None
    out.print(f"{outcome.email}: {outcome.action}{detail}", style=style, highlight=False)


@app.command()
def add(
    email: str = typer.Argument(..., help="The address."),
    language: str = typer.Option(None, "--language", help="zh or en (default zh)."),
    topics: str = typer.Option(
        None, "--topics", help='Sections or cancer-type groups, e.g. "trials hematologic".'
    ),
    confirmed: bool = typer.Option(
        False, "--confirmed", help="They already agreed: active at once, no confirmation email."
    ),
) -> None:
    """Add a reader. Without --confirmed they get a confirmation email and stay pending
    until they follow its link (double opt-in)."""
    outcome = _subscribers().add(
        email, language, topics, confirmed=confirmed, source="cli", now=clock.now()
    )
    _say(outcome)
    if outcome.action in ("refused", "confirmation failed"):
        raise typer.Exit(1)


@app.command("import")
def import_(
    path: Path = typer.Argument(..., help="CSV with a header line: email[,language][,topics]."),
    confirmed: bool = typer.Option(
        False, "--confirmed", help="Everyone in the file already agreed: no confirmation emails."
    ),
) -> None:
    """Import readers from CSV. A bad row is reported with its line number and the rest is
    imported; unsubscribed, bounced and complained addresses are never reactivated."""
    subscribers = _subscribers()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"importing {path.name}", total=None)
        report = subscribers.import_csv(
            path,
            confirmed=confirmed,
            now=clock.now(),
            progress=lambda n: progress.advance(task, n),
        )
    for line, problem in report.errors:
        out.print(f"{path}:{line}: {problem}", style="yellow", highlight=False, soft_wrap=True)
    for outcome in report.outcomes:
        if outcome.action in ("refused", "confirmation failed"):
            _say(outcome)
    actions: dict[str, int] = {}
    for outcome in report.outcomes:
        actions[outcome.action] = actions.get(outcome.action, 0) + 1
    summary = ", ".join(f"{n} {action}" for action, n in sorted(actions.items()))
    out.print(
        f"{path}: {len(report.outcomes)} rows read"
        + (f" ({summary})" if summary else "")
        + f", {len(report.errors)} bad rows set aside",
        highlight=False,
        soft_wrap=True,
    )


@app.command("list")
def list_(
    state: list[str] = typer.Option(
        [], "--state", help="Only these states (repeatable): pending, active, unsubscribed, …"
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a table."),
) -> None:
    """Readers with their state, language and topics, and a count per state."""
    subscribers = _subscribers()
    rows = subscribers.listing(tuple(state))
    if as_json:
        shown = [
            {
                "email": r["email"],
                "state": r["state"],
                "language": r["language"],
                "topics": r["topics"],
                "source": r["source"],
                "bounces": r["bounces"],
                "created_at": r["created_at"].isoformat(),
                "confirmed_at": r["confirmed_at"].isoformat() if r["confirmed_at"] else None,
            }
            for r in rows
        ]
        typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))
        return
    table = Table(title="Subscribers", title_justify="left")
    for column in ("email", "state", "language", "topics", "source", "since", "bounces"):
        table.add_column(column, justify="right" if column == "bounces" else "left")
    for r in rows:
        table.add_row(
            r["email"],
            r["state"],
            r["language"],
            " ".join(r["topics"]) or "everything",
            r["source"],
            r["created_at"].date().isoformat(),
            str(r["bounces"]),
        )
    out.print(table if rows else "no subscribers yet: mscwatch subscribers add EMAIL")
    counts = subscribers.counts()
    out.print(", ".join(f"{n} {s}" for s, n in counts.items()), highlight=False)


@app.command()
def export(
    state: list[str] = typer.Option([], "--state", help="Only these states (repeatable)."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write (default stdout)."
    ),
) -> None:
    """CSV of the list, states included, in the shape `subscribers import` reads."""
    subscribers = _subscribers()
    if output is None:
        n = subscribers.export(sys.stdout, tuple(state))
    else:
        with output.open("w", encoding="utf-8", newline="") as handle:
            n = subscribers.export(handle, tuple(state))
    console.print(f"{n} subscribers exported", highlight=False)


@app.command()
def remove(email: str = typer.Argument(..., help="The address to erase.")) -> None:
    """Erase a reader and their delivery history (to unsubscribe someone and keep them from
    being imported again, let them use their unsubscribe link instead)."""
    outcome = _subscribers().remove(email)
    _say(outcome)
    if outcome.action == "not found":
        raise typer.Exit(1)

"""`mscwatch bounces process`: read what came back and update the subscribers."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from etl import clock
from etl.cli.common import engine, out, settings
from etl.mail.bounces import read_path
from etl.mail.returns import apply_readings

app = typer.Typer(help="Bounce reports, complaints and unsubscribes by mail.", no_args_is_help=True)


def process(
    path: Path = typer.Argument(..., help="A maildir, a folder of .eml files, or one .eml file."),
) -> None:
    """Apply delivery status notifications (RFC 3464), spam complaints (ARF) and mails to the
    unsubscribe address that are tied to a message we sent (or carry a signed unsubscribe
    token); the others are recorded and listed, never applied. Safe to run again on the same
    mailbox: each report counts once."""
    config = settings()
    if not path.exists():
        out.print(f"error: {path} does not exist", style="red", highlight=False)
        raise typer.Exit(1)
    readings = read_path(path, config.mail.unsubscribe_mailto)
    report = apply_readings(engine(config), config, readings, clock.now())
    table = Table(title=f"{path}: {report.messages} messages", title_justify="left")
    for column in (
        "bounces", "soft bounces", "complaints", "unsubscribes", "already seen", "not applied"
    ):  # fmt: skip
        table.add_column(column, justify="right")
    kinds = ("bounce", "soft_bounce", "complaint", "unsubscribe")
    table.add_row(
        *(str(report.events[k]) for k in kinds), str(report.repeated), str(len(report.unmatched))
    )
    out.print(table)
    for address, before, after in report.changed:
        out.print(f"{address}: {before} → {after}", highlight=False)
    for name, kind, address, why in report.unmatched:
        out.print(
            f"not applied {name}: {kind.replace('_', ' ')} about {address}: {why}",
            style="yellow",
            highlight=False,
            soft_wrap=True,
        )
    for name, why in report.ignored:
        out.print(f"ignored {name}: {why}", style="dim", highlight=False, soft_wrap=True)
    for name, problem in report.errors:
        out.print(f"unreadable {name}: {problem}", style="yellow", highlight=False, soft_wrap=True)


app.command("process")(process)

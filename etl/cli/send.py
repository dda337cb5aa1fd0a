"""`mscwatch digest send`: mail an approved issue to its readers, a test copy, or a plan."""

from __future__ import annotations

from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from etl import clock
from etl.cli.common import console, out, settings, stop_on_signal
from etl.db.states import SENDABLE_STATES
from etl.digest.i18n import LANGS
from etl.digest.service import Digest
from etl.errors import DigestError, SubscriberError
from etl.mail.sender import SendReport
from etl.mail.transport import open_transport
from etl.subscribers.addresses import normalize_address


def send(
    issue: str = typer.Argument(..., help="Issue number or slug."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show who would get what; send nothing."),
    to: str = typer.Option(
        None, "--to", help="Send one test copy to this address (any state; deliveries untouched)."
    ),
    lang: str = typer.Option("zh", "--lang", help="The edition of the test copy: zh or en."),
) -> None:
    """Send an approved issue to every active reader, each exactly once. Run it again after a
    stop or a crash: it resumes, and retries what the relay deferred once it is due."""
    config = settings()
    digest = Digest.open(config)
    if to:
        if lang not in LANGS:
            raise DigestError(f"--lang {lang!r} is not an edition", "choose zh or en")
        try:
            address = normalize_address(to)
        except ValueError as exc:
            raise SubscriberError(f"--to {to!r}: {exc}") from None
        transport = open_transport(config)
        sent = digest.test_copy(issue, address, lang, transport, clock.now())
        out.print(
            f"a test copy of issue {sent['number']} ({lang}) went to {address} "
            f"through {transport.description}",
            highlight=False,
        )
        return
    if dry_run:
        _plan(digest, issue, open_transport(config).description)
        return
    _send(digest, issue)


def _plan(digest: Digest, ref: str, where: str) -> None:
    issue, groups = digest.plan_sending(ref)
    table = Table(title=f"Issue {issue['number']} ({issue['state']}): who would get what")
    for column in ("edition", "topics", "readers", "for example"):
        table.add_column(column, justify="right" if column == "readers" else "left")
    for group in groups:
        table.add_row(
            group["language"],
            " ".join(group["topics"]) or "everything",
            str(group["readers"]),
            ", ".join(group["examples"]),
        )
    if issue["state"] == "sent":
        out.print(
            f"issue {issue['number']} is sent: every reader got it, nobody is left to send to; "
            "nothing was sent",
            highlight=False,
        )
        return
    out.print(table if groups else "nobody to send to: no active readers")
    total = sum(g["readers"] for g in groups)
    note = "" if issue["state"] in SENDABLE_STATES else " once approved"
    out.print(f"{total} messages would go through {where}{note}; nothing was sent", highlight=False)


def _send(digest: Digest, ref: str) -> None:
    transport = open_transport(digest.settings)
    _, groups = digest.plan_sending(ref)
    total = sum(g["readers"] for g in groups)
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with (
        stop_on_signal("stopping after the message in hand…") as stop,
        Progress(*columns, console=console, transient=True) as progress,
    ):
        task = progress.add_task(f"sending through {transport.description}", total=total)
        issue, report, standing = digest.send(
            ref,
            transport,
            clock.now,
            lambda n: progress.advance(task, n),
            lambda sender: stop.on_stop(sender.stop),
        )
    _report(issue, report, standing)


def _report(issue: dict[str, Any], report: SendReport, standing: dict[str, Any]) -> None:
    table = Table(title=f"Issue {issue['number']}: this run", title_justify="left")
    for column in ("sent", "deferred", "failed", "skipped", "bounced", "resumed", "msg/s"):
        table.add_column(column, justify="right")
    table.add_row(
        str(report.sent),
        str(report.deferred),
        str(report.failed),
        str(report.skipped),
        str(report.bounced),
        f"{report.recovered} ({report.in_doubt} in doubt)",
        f"{report.rate:.0f}",
    )
    out.print(table)
    for line in report.errors:
        out.print(f"refused: {line}", style="yellow", highlight=False, soft_wrap=True)
    states = standing["states"]
    summary = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
    out.print(f"all deliveries: {summary or 'none'}", highlight=False)
    if issue["state"] == "sent":
        out.print(f"issue {issue['number']} is sent", highlight=False)
        return
    due = standing["next_retry"]
    when = f"; the next retry is due at {due.isoformat(timespec='seconds')}" if due else ""
    out.print(
        f"issue {issue['number']} is still sending{when}: run "
        f"`mscwatch digest send {issue['number']}` again (the scheduler does)",
        highlight=False,
    )

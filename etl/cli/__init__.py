"""The `mscwatch` command line: one verb per operator task (see README, "Commands")."""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from etl.cli.common import state
from etl.errors import EtlError

# Each command's module and what in it makes the command: a Typer app (a group of commands) or
# a function. Modules are imported when their command runs, so `mscwatch parse` does not load
# the database, the digest and the web app it never uses (about 40 MB and half a second).
COMMANDS: dict[str, tuple[str, str]] = {
    "crawl": ("crawl", "crawl"),
    "ingest": ("crawl", "ingest"),
    "parse": ("parse", "parse"),
    "status": ("status", "status"),
    "demo": ("demo", "demo"),
    "serve": ("serve", "serve"),
    "run": ("run", "run"),
    "db": ("db", "app"),
    "config": ("config", "app"),
    "classify": ("classify", "app"),
    "works": ("works", "app"),
    "search": ("search", "app"),
    "export": ("works", "export_app"),
    "digest": ("digest", "app"),
    "archive": ("digest", "archive_app"),
    "article": ("article", "app"),
    "subscribers": ("subscribers", "app"),
    "editors": ("editors", "app"),
    "bounces": ("bounces", "app"),
    "sources": ("sources", "app"),
}


class LazyCommands(TyperGroup):
    """The top-level group: lists every command, imports one only when it is asked for."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name]
        found: Any = getattr(importlib.import_module(f"etl.cli.{module}"), attribute)
        if not isinstance(found, typer.Typer):  # first: typed as the click Command both are
            single = typer.Typer()
            single.command(cmd_name)(found)
            command = typer.main.get_command(single)
        else:
            command = typer.main.get_group(found)
        command.name = cmd_name
        return command


app = typer.Typer(
    name="mscwatch",
    help="MSC oncology literature watch: crawl, deduplicate, classify and mail the digest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LazyCommands,
)


@app.callback()
def options(
    config: str = typer.Option(None, "--config", help="Configuration folder (default ./config)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Details and tracebacks."),
    log_format: str = typer.Option("text", "--log-format", help="text or json."),
) -> None:
    state.config_dir = config
    state.verbose = verbose
    if log_format not in ("text", "json"):
        raise typer.BadParameter(f"{log_format!r} is not text or json", param_hint="--log-format")
    configure_logging(log_format, verbose, sys.stderr.isatty())


def configure_logging(log_format: str, verbose: bool, tty: bool) -> logging.Handler:
    """One handler on the root logger: JSON lines, rich's columns on a terminal, or whole lines
    with their time for a log file. Each handler gets its formatter here: basicConfig gives a
    handler without one its own `LEVEL:logger:message` format, which rich's level column then
    doubled ("WARNING  WARNING:etl.http:…")."""
    if log_format == "json":
        from etl.cli.common import JsonFormatter

        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
    elif tty:
        from rich.logging import RichHandler

        from etl.cli.common import console  # stderr, and the console progress bars draw on

        handler = RichHandler(console=console, show_path=False, show_time=False, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:  # a log file or a container's log: whole lines with their time, never wrapped
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    level = logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in ("httpx", "alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    return handler


def main() -> None:
    """Console entry point: an EtlError becomes one line plus a hint, and exit status 1.

    Everything else (usage errors, exit codes) is typer's standalone handling.
    """
    try:
        app()
    except EtlError as exc:
        if state.verbose:
            raise
        typer.echo(f"error: {exc.message}", err=True)
        if exc.hint:
            typer.echo(f"hint: {exc.hint}", err=True)
        sys.exit(1)

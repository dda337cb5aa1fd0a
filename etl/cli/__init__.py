"""The `mscwatch` command line: one verb per operator task (see README, "Commands")."""

from __future__ import annotations

import logging
import sys

import typer

from etl.cli import (
    article,
    bounces,
    classify,
    config,
    crawl,
    db,
    demo,
    digest,
    editors,
    parse,
    run,
    send,
    serve,
    sources,
    status,
    subscribers,
    works,
)
from etl.cli.common import state
from etl.errors import EtlError

app = typer.Typer(
    name="mscwatch",
    help="MSC oncology literature watch: crawl, deduplicate, classify and mail the digest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(config.app, name="config")
app.add_typer(classify.app, name="classify")
app.add_typer(works.app, name="works")
app.add_typer(works.export_app, name="export")
app.add_typer(digest.app, name="digest")
app.add_typer(digest.archive_app, name="archive")
app.add_typer(article.app, name="article")
app.add_typer(subscribers.app, name="subscribers")
app.add_typer(editors.app, name="editors")
app.add_typer(bounces.app, name="bounces")
app.add_typer(sources.app, name="sources")
digest.app.command("send")(send.send)
app.command("crawl")(crawl.crawl)
app.command("ingest")(crawl.ingest)
app.command("parse")(parse.parse)
app.command("status")(status.status)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("run")(run.run)


@app.callback()
def options(
    config: str = typer.Option(None, "--config", help="Configuration folder (default ./config)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Details and tracebacks."),
    log_format: str = typer.Option("text", "--log-format", help="text or json."),
) -> None:
    state.config_dir = config
    state.verbose = verbose
    level = logging.DEBUG if verbose else logging.INFO
    if log_format not in ("text", "json"):
        raise typer.BadParameter(f"{log_format!r} is not text or json", param_hint="--log-format")
    if log_format == "json":
        from etl.cli.common import JsonFormatter

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
    elif sys.stderr.isatty():
        from rich.logging import RichHandler

        handler = RichHandler(show_path=False, show_time=False, markup=False)
    else:  # a log file or a container's log: whole lines with their time, never wrapped
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in ("httpx", "alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


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

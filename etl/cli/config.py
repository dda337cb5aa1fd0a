"""`mscwatch config check` and `config show`: validate and print the settings, run nothing."""

from __future__ import annotations

import json

import tomli_w
import typer
from rich.table import Table

from etl.cli.common import out, settings
from etl.ops.configuration import check as find_problems
from etl.ops.configuration import effective, masked_secrets

app = typer.Typer(help="Check and show the configuration.", no_args_is_help=True)

_STYLE = {"error": "red", "warning": "yellow", "note": "dim"}


@app.command()
def check() -> None:
    """Validate every file in config/ and the environment without running anything; exit 1
    on an error, naming the file, the key and what is allowed."""
    config = settings()  # every key, type and crontab line: a ConfigError names the file
    findings = find_problems(config)
    jobs = config.scheduled_jobs()
    table = Table(title=f"{config.config_dir}/", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value")
    table.add_row("sources enabled", ", ".join(config.source_names()) or "none")
    table.add_row("jobs scheduled", f"{len(jobs)} ({config.schedule.timezone})")
    database = masked_secrets(config)["DATABASE_URL"]
    table.add_row("database", config.database.url if database == "(not set)" else database)
    out.print(table)
    for item in findings:
        out.print(
            f"[{_STYLE[item.level]}]{item.level}[/]: {item.where}: {item.text}",
            highlight=False,
            soft_wrap=True,
        )
    errors = sum(1 for item in findings if item.level == "error")
    if errors:
        out.print(f"{errors} error(s): fix them before running", highlight=False)
        raise typer.Exit(1)
    warnings = sum(1 for item in findings if item.level == "warning")
    if warnings:
        out.print(f"configuration is valid, with {warnings} warning(s) above", highlight=False)
    else:
        out.print("configuration is valid", highlight=False)


@app.command()
def show(
    as_json: bool = typer.Option(False, "--json", help="JSON instead of TOML."),
) -> None:
    """Print the effective settings (files, defaults and environment), secrets masked."""
    by_file = effective(settings())
    if as_json:
        typer.echo(json.dumps(by_file, indent=2, ensure_ascii=False))
        return
    for file, tables in by_file.items():
        typer.echo(f"# {file}")
        typer.echo(tomli_w.dumps(tables, multiline_strings=True))

"""`mscwatch editors …`: the operator creates editor accounts; there is no sign-up page."""

from __future__ import annotations

import json
import sys

import typer
from rich.table import Table

from etl import clock
from etl.cli.common import engine, out, settings
from etl.editors import accounts

app = typer.Typer(
    help="Add, list and disable editor accounts, and reset their passwords.",
    no_args_is_help=True,
)

LANGUAGE_HELP = "The editor pages' language: zh (Chinese) or en (English)."
STDIN_HELP = "Read the password from the first line of stdin (for scripts), not a prompt."


def _password(from_stdin: bool) -> str:
    """Hidden prompt typed twice, or one line of stdin; never an option, which would leave it
    in the shell history and the process list."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    accounts.check_password(password)
    return password


@app.command()
def add(
    name: str = typer.Argument(..., help="Login name: a user name or an email address."),
    display: str = typer.Option("", "--name", help="The name the pages show, e.g. 'Li Wei'."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help=STDIN_HELP),
    language: str = typer.Option(
        accounts.LANGUAGES[0], "--language", help=LANGUAGE_HELP, show_default=True
    ),
) -> None:
    """Create an editor account (asks for the password twice, hidden)."""
    login = accounts.normalize_name(name)
    accounts.check_language(language)  # before the password is asked for
    password = _password(password_stdin)
    added = accounts.add(engine(settings()), login, password, clock.now(), display, language)
    out.print(f"{added.name}: added ({added.language})", highlight=False)


@app.command()
def language(
    name: str = typer.Argument(..., help="Login name."),
    chosen: str = typer.Argument(..., metavar="LANGUAGE", help=LANGUAGE_HELP),
) -> None:
    """Set the language of an editor's pages (the editor can also switch it on any page)."""
    built = engine(settings())
    found = accounts.find(built, name)
    if found is None:
        raise accounts.EditorError(
            f"no editor named {name.strip().lower()!r}", "`mscwatch editors list` shows them"
        )
    accounts.set_language(built, found.id, chosen)
    out.print(f"{found.name}: pages in {chosen}", highlight=False)


@app.command("list")
def list_(
    as_json: bool = typer.Option(False, "--json", help="JSON, not a table."),
) -> None:
    """Every editor account: name, display name, active or disabled, the pages' language,
    created, last login."""
    found = accounts.all_editors(engine(settings()))
    if as_json:
        rows = [
            {
                "name": a.name,
                "display_name": a.display_name,
                "active": a.active,
                "language": a.language,
                "created_at": a.created_at.isoformat(),
                "last_login_at": a.last_login_at.isoformat() if a.last_login_at else None,
            }
            for a in found
        ]
        out.print_json(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"Editors ({len(found)})", title_justify="left")
    for column in ("name", "display name", "state", "language", "created", "last login"):
        table.add_column(column)
    for a in found:
        table.add_row(
            a.name,
            a.display_name,
            "active" if a.active else "disabled",
            a.language,
            a.created_at.strftime("%Y-%m-%d %H:%M"),
            a.last_login_at.strftime("%Y-%m-%d %H:%M") if a.last_login_at else "never",
        )
    out.print(table)


@app.command()
def disable(name: str = typer.Argument(..., help="Login name.")) -> None:
    """Disable an account: it can no longer log in, and its open sessions end."""
    done = accounts.disable(engine(settings()), name)
    out.print(f"{done.name}: disabled", highlight=False)


@app.command()
def password(
    name: str = typer.Argument(..., help="Login name."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help=STDIN_HELP),
) -> None:
    """Set a new password (asked twice, hidden); the editor's open sessions end."""
    config = settings()
    built = engine(config)
    if accounts.find(built, name) is None:
        raise accounts.EditorError(
            f"no editor named {name.strip().lower()!r}", "`mscwatch editors list` shows them"
        )
    done = accounts.set_password(built, name, _password(password_stdin))
    out.print(f"{done.name}: password changed", highlight=False)

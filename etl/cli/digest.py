"""`mscwatch digest …` and `mscwatch archive build`: make, look at, approve and publish issues."""

from __future__ import annotations

import json
import os
import webbrowser
from datetime import date, timedelta
from pathlib import Path

import typer
from rich.table import Table

from etl import clock
from etl.cli.common import out, settings
from etl.db.states import DeliveryState, IssueState
from etl.digest import store
from etl.digest.i18n import LANGS
from etl.digest.service import Digest
from etl.errors import DigestError
from etl.mail import deliveries
from etl.mail.deliveries import CLAIMABLE

app = typer.Typer(
    help="Build, preview, approve and list issues of the digest.", no_args_is_help=True
)
archive_app = typer.Typer(help="The static web archive of published issues.", no_args_is_help=True)


def _digest() -> Digest:
    return Digest.open(settings())


def _langs(lang: str | None) -> tuple[str, ...]:
    if lang is None:
        return LANGS
    if lang not in LANGS:
        raise DigestError(
            f"--lang {lang!r} is not an edition", f"choose one of: {', '.join(LANGS)}"
        )
    return (lang,)


@app.command()
def build(
    period: str = typer.Option(
        None, "--period", help="A day inside the period (YYYY-MM-DD); default: the last one ended."
    ),
) -> None:
    """Make or refresh the draft issue for a period from the events since the previous issue."""
    digest = _digest()
    wanted = digest.period(period, clock.now())
    outcome = digest.build(wanted, clock.now())
    span = f"{wanted.start}..{wanted.last_day}"
    if outcome.issue is None:
        out.print(
            f'{span}: nothing new, so no issue (digest.empty = "skip"); '
            'set it to "notice" to send a short nothing-new issue instead',
            highlight=False,
        )
        return
    issue = outcome.issue
    verb = "built" if outcome.created else "refreshed"
    kind = "a nothing-new notice" if issue["nothing_new"] else f"{outcome.items} items"
    out.print(
        f"{verb} issue {issue['number']} ({issue['slug']}, {span}, {issue['state']}): {kind}\n"
        f"next: mscwatch digest preview {issue['number']}",
        highlight=False,
    )
    if outcome.drafts is not None:
        out.print(outcome.drafts.line(), highlight=False)


@app.command()
def draft(issue: str = typer.Argument(..., help="Issue number or slug.")) -> None:
    """Ask the writer model (config [writer], key LLM_API_KEY) for the drafts the issue's items
    lack or whose last try failed; editors accept, edit or reject them on the issue's page."""
    digest = _digest()
    found = digest.issue(issue)
    report = digest.draft(found, clock.now())
    if report is None:
        raise DigestError(
            "the writer is not configured",
            "set [writer] enabled, base_url and model in config/digest.toml, and LLM_API_KEY",
        )
    out.print(f"issue {found['number']}: {report.line()}", highlight=False)


@app.command()
def preview(
    issue: str = typer.Argument(..., help="Issue number or slug."),
    lang: str = typer.Option(None, "--lang", help="zh or en (default: both)."),
    open_: bool = typer.Option(False, "--open", help="Open the HTML in a browser."),
    folder: Path = typer.Option(None, "--out", help="Folder for the files (default var/preview)."),
) -> None:
    """Write the issue's HTML and text, exactly as they will be sent, and print their paths."""
    digest = _digest()
    paths, problems = digest.preview(
        issue, _langs(lang), folder or digest.settings.paths.var / "preview"
    )
    for path in paths:
        out.print(str(path), highlight=False, soft_wrap=True)
    for problem in problems:
        out.print(f"warning: {problem}", style="yellow", highlight=False, soft_wrap=True)
    if open_:
        for path in paths:
            if path.suffix == ".html":
                webbrowser.open(path.resolve().as_uri())


@app.command()
def approve(
    issue: str = typer.Argument(..., help="Issue number or slug."),
    by: str = typer.Option(os.environ.get("USER", ""), "--by", help="Who approves."),
) -> None:
    """Approve a draft for sending, once every guard passes in every edition."""
    approved = _digest().approve(issue, by, clock.now())
    out.print(f"issue {approved['number']} ({approved['slug']}) is approved", highlight=False)


@app.command()
def unapprove(issue: str = typer.Argument(..., help="Issue number or slug.")) -> None:
    """Send an approved issue back to draft. An issue stuck in `sending` (a send that failed and
    cannot go on) becomes a draft too, to be fixed, approved and sent again: the readers who
    already have it are never mailed it again."""
    digest = _digest()
    was = digest.issue(issue)["state"]
    back = digest.unapprove(issue, clock.now())
    out.print(f"issue {back['number']} ({back['slug']}) is a draft again", highlight=False)
    if was == IssueState.SENDING:
        with digest.engine.connect() as conn:
            states = deliveries.summary(conn, back["id"])["states"]
        have = states.get(DeliveryState.SENT, 0)
        rest = sum(n for state, n in states.items() if state in CLAIMABLE)
        out.print(
            f"{have} readers have it and will not get it again; {rest} get it when it is "
            "approved and sent",
            highlight=False,
        )


@app.command()
def edit(
    issue: str = typer.Argument(..., help="Issue number or slug."),
    lang: str = typer.Option("zh", "--lang", help="The edition of --headline/--intro/--closing."),
    headline: str = typer.Option(
        None, "--headline", help="The question headline ('' = generated)."
    ),
    intro: str = typer.Option(None, "--intro", help="The 引言 paragraph ('' = generated)."),
    closing: str = typer.Option(None, "--closing", help="A closing paragraph ('' = none)."),
    headline_zh: str = typer.Option(None, "--headline-zh", help="The Chinese headline."),
    headline_en: str = typer.Option(None, "--headline-en", help="The English headline."),
    intro_zh: str = typer.Option(None, "--intro-zh", help="The Chinese 引言."),
    intro_en: str = typer.Option(None, "--intro-en", help="The English introduction."),
    closing_zh: str = typer.Option(None, "--closing-zh", help="The Chinese closing."),
    closing_en: str = typer.Option(None, "--closing-en", help="The English closing."),
) -> None:
    """Write the editor's headline, intro or closing of a draft: --headline and the like in the
    --lang edition, --headline-zh/--headline-en and the like in the one they name."""
    digest = _digest()
    (wanted,) = _langs(lang)
    found = digest.issue(issue)
    given = [
        (("headline", wanted), headline),
        (("intro", wanted), intro),
        (("closing", wanted), closing),
        (("headline", "zh"), headline_zh),
        (("headline", "en"), headline_en),
        (("intro", "zh"), intro_zh),
        (("intro", "en"), intro_en),
        (("closing", "zh"), closing_zh),
        (("closing", "en"), closing_en),
    ]
    texts = {key: value for key, value in given if value is not None}
    digest.set_texts(found, texts)
    changed: dict[str, list[str]] = {}
    for field, edition in texts:
        changed.setdefault(edition, []).append(field)
    said = "; ".join(
        f"({edition}): {', '.join(dict.fromkeys(fields))}" for edition, fields in changed.items()
    )
    out.print(f"issue {found['number']} {said or f'({wanted}): nothing'} updated", highlight=False)


@app.command()
def feature(
    work: str = typer.Argument(..., help="Work: id, pmid:N, DOI, PMCID or NCT…"),
    highlight: str = typer.Option(
        "",
        "--highlight",
        help="The 研究亮点 text, for the edition --lang names, else the one its script says.",
    ),
    lang: str = typer.Option(None, "--lang", help="The edition of --highlight: zh or en."),
    highlight_zh: str = typer.Option(None, "--highlight-zh", help="The Chinese 研究亮点."),
    highlight_en: str = typer.Option(None, "--highlight-en", help="The English highlight."),
    off: bool = typer.Option(False, "--off", help="Stop featuring it."),
    editor: str = typer.Option(os.environ.get("USER", ""), "--editor", help="Who decided."),
) -> None:
    """Feature a work (a 研究亮点 call-out, ranked first in its group) from the next build on.
    Each edition shows only its own text ('' = generated from the record)."""
    digest = _digest()
    edition = _langs(lang)[0] if lang else None
    texts = store.highlight_fields(highlight, edition)
    if highlight_zh is not None:
        texts["highlight"] = highlight_zh.strip()
    if highlight_en is not None:
        texts["highlight_en"] = highlight_en.strip()
    with digest.engine.begin() as conn:
        work_id = store.resolve_work(conn, work)
        store.decide(conn, work_id, clock.now(), editor, featured=not off, **texts)
    verb = "no longer featured" if off else "featured"
    out.print(f"work {work_id} {verb}; rebuild the draft to see it (mscwatch digest build)")


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="JSON instead of a table.")) -> None:
    """Every issue, newest first: number, slug, period, state and counts."""
    issues = _digest().list()
    rows = [
        {
            "number": i["number"],
            "slug": i["slug"],
            "period_start": i["period_start"],
            "period_end": _last_day(i["period_end"]),
            "state": i["state"],
            "nothing_new": i["nothing_new"],
            "counts": i["counts"],
            "built_at": i["built_at"].isoformat(),
            "approved_at": i["approved_at"].isoformat() if i["approved_at"] else None,
            "sent_at": i["sent_at"].isoformat() if i["sent_at"] else None,
        }
        for i in issues
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title="Issues", title_justify="left")
    for column in ("number", "slug", "period", "state", "items", "papers", "trials", "notices"):
        table.add_column(column, justify="right" if column in ("number", "items") else "left")
    for row in rows:
        counts = row["counts"] or {}
        notices = counts.get("retractions", 0) + counts.get("corrections", 0)
        table.add_row(
            str(row["number"]),
            row["slug"],
            f"{row['period_start']}..{row['period_end']}",
            row["state"] + (" (nothing new)" if row["nothing_new"] else ""),
            str(counts.get("items", 0)),
            str(counts.get("papers", 0)),
            str(counts.get("trials", 0)),
            str(notices),
        )
    out.print(table if rows else "no issues yet: run `mscwatch digest build`")


def _last_day(period_end: str) -> str:
    """Periods are stored end-exclusive; people read the last day."""
    return (date.fromisoformat(period_end) - timedelta(days=1)).isoformat()


@archive_app.command("build")
def archive_build(
    folder: Path = typer.Option(None, "--out", help="Folder to write (default var/archive)."),
) -> None:
    """Write the web archive of published issues: index, issue pages, Atom feed, and the
    study pages and citation files they link to."""
    digest = _digest()
    target = folder or digest.settings.archive_dir
    from etl.studies.service import build_archive

    count = build_archive(digest, target)
    out.print(
        f"wrote {count} pages to {target}/ (start at {target / 'index.html'})", highlight=False
    )


def _register_send() -> None:
    """`digest send` lives in its own module (sending is a world of its own)."""
    from etl.cli.send import send

    app.command("send")(send)


_register_send()

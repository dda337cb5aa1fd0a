"""`mscwatch article …`: briefs, and full articles from draft to the readers' inboxes (the
command-line twin of the editor's article pages)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from etl import clock
from etl.articles.service import Articles
from etl.cli.common import out, settings
from etl.digest.service import Digest
from etl.mail.transport import open_transport

if TYPE_CHECKING:
    from etl.articles.check import ArticleReport, CitationReport

app = typer.Typer(help="Drafts for editors writing full articles.", no_args_is_help=True)


@app.command()
def brief(
    works: list[str] = typer.Argument(..., help="Works: id, pmid:N, DOI, PMCID or NCT…"),
    lang: str = typer.Option("zh", "--lang", help="zh or en."),
    output: Path | None = typer.Option(None, "--out", help="Write to this file instead of stdout."),
) -> None:
    """Write a Markdown brief in the article's structure: facts, citation lines, trial table."""
    digest = Digest.open(settings())
    text = digest.brief(works, lang)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"wrote {output}", highlight=False)


@app.command()
def new(
    works: list[str] = typer.Argument(
        None, help="Works: id, pmid:N, DOI, PMCID or NCT… (default: the picked works)."
    ),
    lang: str = typer.Option("zh", "--lang", help="zh or en."),
    by: str = typer.Option("cli", "--by", help="Who drafts it."),
) -> None:
    """Create a draft article in the seed's structure from the picked (or named) works."""
    article = Articles.open(settings()).new(works or None, lang, by, clock.now())
    out.print(
        f"article {article['id']} ({article['slug']}): draft from "
        f"{len(article['work_ids'])} works; edit it at /editor/articles/{article['id']}",
        highlight=False,
    )


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="JSON instead of a table.")) -> None:
    """Every article: id, slug, state, title, check, published, withdrawn."""
    rows = [
        {
            "id": a["id"],
            "slug": a["slug"],
            "state": a["state"],
            "lang": a["lang"],
            "title": a["title"],
            "check_blocking": a["check_blocking"],
            "override_note": a["override_note"],
            "published_at": a["published_at"].isoformat() if a["published_at"] else None,
            "withdrawn_at": a["withdrawn_at"].isoformat() if a["withdrawn_at"] else None,
            "withdrawn_by": a["withdrawn_by"],
            "withdrawal_note": a["withdrawal_note"],
        }
        for a in Articles.open(settings()).list()
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        out.print(
            f"{row['id']:>4}  {row['state']:<9}  {row['slug']:<16}  {row['title']}",
            highlight=False,
        )


@app.command()
def show(
    article: str = typer.Argument(..., help="Article id or slug."),
    version: int | None = typer.Option(None, "--version", help="An earlier version."),
) -> None:
    """Print the article's Markdown (the latest version, or `--version N`)."""
    typer.echo(Articles.open(settings()).text(article, version)["body"], nl=False)


@app.command()
def save(
    article: str = typer.Argument(..., help="Article id or slug."),
    path: Path = typer.Argument(..., help="The new text: a Markdown file."),
    by: str = typer.Option("cli", "--by", help="Who wrote it."),
) -> None:
    """Save a Markdown file as the article's newest version (every version is kept)."""
    from etl.errors import ArticleError

    try:
        body = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ArticleError(f"{path}: cannot read it: {exc}", "give a UTF-8 Markdown file") from None
    number = Articles.open(settings()).save(
        article, body, by, clock.now(), f"saved from {path.name}"
    )
    out.print(f"article {article}: saved as version {number}", highlight=False)


@app.command()
def approve(
    article: str = typer.Argument(..., help="Article id or slug."),
    by: str = typer.Option("cli", "--by", help="Who approves it."),
    override: str = typer.Option(
        "", "--override", help="Approve despite a blocking check; the note says why (kept)."
    ),
    offline: bool = typer.Option(
        False, "--offline", help="Check against the database only; ask no source."
    ),
) -> None:
    """Approve a draft once its citation and claim check blocks nothing (the current text is
    checked first when it has not been); a blocking check needs --override NOTE."""
    articles = Articles.open(settings())
    current = articles.find(article)
    if current["checked_version"] != articles.text(article)["number"]:
        checked = articles.check(article, clock.now(), online=not offline)
        report = checked["check_report"] or {}
        reasons = report.get("summary", {}).get("blocking_reasons", [])
        outcome = "blocking: " + "; ".join(reasons) if reasons else "nothing blocking"
        out.print(f"checked version {checked['checked_version']}: {outcome}", highlight=False)
    found = articles.approve(article, by, clock.now(), override)
    note = f" (override: {found['override_note']})" if found["override_note"] else ""
    out.print(f"article {found['id']} approved by {by}{note}", highlight=False)


@app.command()
def publish(article: str = typer.Argument(..., help="Article id or slug.")) -> None:
    """Publish an approved article: its page, the archive index and the Atom feed."""
    found = Articles.open(settings()).publish(article, clock.now())
    out.print(
        f"article {found['id']} published at articles/{found['slug']}/ "
        "(served now; `mscwatch archive build` writes the folder)",
        highlight=False,
    )


@app.command()
def withdraw(
    article: str = typer.Argument(..., help="Article id or slug."),
    note: str = typer.Option(..., "--note", help="Why: readers of its address see it."),
    by: str = typer.Option("cli", "--by", help="Who withdraws it."),
) -> None:
    """Withdraw a published article: it leaves the index, the feed, its neighbours' links and
    the study pages; its address answers 410 Gone with when and why. Mail already sent stays
    sent. Saving a new text (or approving it again) and publishing brings it back."""
    articles = Articles.open(settings())
    found = articles.withdraw(article, by, note, clock.now())
    mailed = articles.mailed_to(found)
    recall = (
        f"it was mailed to {mailed} reader(s): mail already sent cannot be recalled"
        if mailed
        else "it was not mailed to readers"
    )
    out.print(
        f"article {found['id']} withdrawn by {by}: articles/{found['slug']}/ now answers "
        f"410 Gone with the reason (served now; `mscwatch archive build` writes the notice); "
        f"{recall}",
        highlight=False,
    )


@app.command()
def send(
    article: str = typer.Argument(..., help="Article id or slug."),
    to: str | None = typer.Option(None, "--to", help="Mail one test copy to this address only."),
) -> None:
    """Mail a published article to its language's readers as a feature, each exactly once."""
    articles = Articles.open(settings())
    transport = open_transport(articles.settings)
    if to:
        articles.test_copy(article, to, transport, clock.now())
        out.print(f"test copy sent to {to} through {transport.description}", highlight=False)
        return
    found, report, standing = articles.send(article, transport, clock.now)
    states = ", ".join(f"{k} {v}" for k, v in sorted(standing["states"].items())) or "no readers"
    out.print(
        f"article {found['id']}: {report.sent} sent, {report.deferred} deferred, "
        f"{report.failed} failed, {report.skipped} skipped in this run; all deliveries: {states}",
        highlight=False,
    )


@app.command()
def check(
    path: Path = typer.Argument(..., help="The article: Markdown, HTML or plain text."),
    as_json: bool = typer.Option(False, "--json", help="The report as JSON."),
    offline: bool = typer.Option(
        False, "--offline", help="Resolve against the database only; ask no source."
    ),
    fmt: str = typer.Option(
        "", "--format", help="markdown, html or text (default: guessed from the file)."
    ),
) -> None:
    """Check every citation and figure of an article against the records: a verdict per
    citation (found, not_found, mismatch, wrong_study, retracted, corrected, trial_disagrees)
    and per figure (supported, not_in_source, contradicted). Works the database lacks are
    fetched from their source, stored and classified (not with --offline). Exits 1 when the
    article is blocking: a citation not found or a figure contradicted."""
    from etl import clock
    from etl.articles.check import check_article
    from etl.articles.resolve import DatabaseResolver
    from etl.cli.common import engine
    from etl.errors import EtlError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EtlError(
            f"{path}: cannot read the article: {exc}", "give a UTF-8 text file"
        ) from None
    if fmt and fmt not in ("markdown", "html", "text"):
        raise EtlError(f"--format {fmt!r}: one of markdown, html, text")
    config = settings()
    resolver = DatabaseResolver(engine(config), config, clock.now(), online=not offline)
    report = check_article(
        text, resolver=resolver, format=fmt or None, config_dir=config.config_dir
    )
    if as_json:
        typer.echo(report.dumps())
    else:
        _print_report(report, str(path))
    if report.blocking:
        raise typer.Exit(1)


# How each verdict reads in the table: the blocking ones red, those an editor must weigh yellow.
STYLES = {
    "found": "green", "supported": "green", "not_found": "bold red", "contradicted": "bold red",
    "mismatch": "yellow", "wrong_study": "red", "retracted": "red", "corrected": "yellow",
    "trial_disagrees": "yellow", "not_in_source": "dim",
}  # fmt: skip
MARKS = {"supported": "✓", "not_in_source": "?", "contradicted": "✗"}


def _print_report(report: ArticleReport, name: str) -> None:
    """One row per citation: what it cites, the verdict, what differs, and its figures."""
    table = Table(title=f"{name}: {len(report.citations)} citations", title_justify="left")
    for column in ("#", "citation", "verdict", "what differs", "figures"):
        table.add_column(column, overflow="fold")
    for number, item in enumerate(report.citations, 1):
        table.add_row(
            str(number),
            _cited(item),
            Text(str(item.verdict), style=STYLES.get(str(item.verdict), "")),
            "\n".join(item.resolution.differences) or item.resolution.note,
            _figures(item),
        )
    out.print(table)
    summary = report.summary()
    counts = ", ".join(f"{n} {v}" for v, n in summary["verdicts"].items() if n)
    figures = ", ".join(f"{n} {v}" for v, n in summary["figures"].items() if n)
    out.print(f"citations: {counts or 'none'}; figures: {figures or 'none'}", highlight=False)
    for error in report.errors:
        out.print(f"[yellow]not asked[/]: {error}", highlight=False)
    if report.blocking:
        out.print("[bold red]blocking[/]: " + "; ".join(summary["blocking_reasons"]))


def _cited(item: CitationReport) -> str:
    citation = item.citation
    ids = ", ".join(f"{scheme.upper()} {value}" for scheme, value in citation.ids.items())
    title = citation.title or ""
    if len(title) > 70:
        title = title[:69] + "…"
    about = ", ".join(str(part) for part in (citation.journal, citation.year) if part)
    return "\n".join(part for part in (title, about, ids) if part)


def _figures(item: CitationReport) -> Text:
    text = Text()
    for figure in item.figures:
        if text:
            text.append("  ")
        verdict = str(figure.verdict)
        text.append(f"{MARKS[verdict]} {figure.text}", style=STYLES.get(verdict, ""))
        if figure.source_says:
            text.append(f" (record: {figure.source_says})", style=STYLES.get(verdict, ""))
    return text

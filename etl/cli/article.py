"""`mscwatch article brief`: a Markdown draft of a full article about works an editor picked."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from etl.cli.common import out, settings
from etl.digest.service import Digest

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

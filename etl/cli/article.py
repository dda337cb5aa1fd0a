"""`mscwatch article brief`: a Markdown draft of a full article about works an editor picked."""

from __future__ import annotations

from pathlib import Path

import typer

from etl.cli.common import out, settings
from etl.digest.service import Digest

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

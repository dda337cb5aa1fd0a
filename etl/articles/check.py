"""The citation and claim check of one article: every citation resolved, every figure of the
passages they support held against the cited record, and a report the CLI, the editor's panel
and the approval guard read alike.

`check_article(text, resolver=…, format=None, config_dir=None) -> ArticleReport` is the stable
entry point: plain code over the text and whatever the resolver returns
(`etl.articles.resolve.DatabaseResolver` for the database and the sources). An article is
*blocking* (not to be approved without an editor's override) when a citation is `not_found` or
a figure `contradicted`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etl.articles.citations import Citation, find_citations, read_document
from etl.articles.figures import CheckedFigure, FigureVerdict, check_figures
from etl.articles.resolve import Resolution, Resolver, Verdict, resolve


@dataclass(frozen=True)
class CitationReport:
    """One citation, its verdict, what the record says, and the figures of its passage."""

    citation: Citation
    resolution: Resolution
    figures: tuple[CheckedFigure, ...]

    @property
    def verdict(self) -> Verdict:
        return self.resolution.verdict

    @property
    def work_id(self) -> int | None:
        return self.resolution.resolved.work_id if self.resolution.resolved else None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.citation.to_json(),
            "verdict": str(self.verdict),
            "differences": list(self.resolution.differences),
            "record": self.resolution.record or None,
            "other_work": self.resolution.other_work,
            "note": self.resolution.note or None,
            "work_id": self.work_id,
            "figures": [figure.to_json() for figure in self.figures],
        }


@dataclass(frozen=True)
class ArticleReport:
    """The whole check: the citations in text order, and the summary a guard reads."""

    format: str
    text: str  # the text every span points into (an HTML article's text, else the article)
    citations: tuple[CitationReport, ...]
    errors: tuple[str, ...] = field(default=())  # sources that could not be asked

    @property
    def blocking(self) -> bool:
        return bool(self.blocking_reasons)

    @property
    def blocking_reasons(self) -> list[str]:
        """Why the article may not be approved yet, one line per citation or figure."""
        reasons = []
        for number, item in enumerate(self.citations, 1):
            name = _name(item.citation)
            if item.verdict == Verdict.NOT_FOUND:
                reasons.append(f"citation {number} ({name}): not found")
            for figure in item.figures:
                if figure.verdict == FigureVerdict.CONTRADICTED:
                    reasons.append(
                        f"citation {number} ({name}): {figure.text} contradicted "
                        f"(the record says {figure.source_says})"
                    )
        return reasons

    def summary(self) -> dict[str, Any]:
        verdicts = Counter(str(item.verdict) for item in self.citations)
        figures = Counter(str(f.verdict) for item in self.citations for f in item.figures)
        return {
            "citations": len(self.citations),
            "verdicts": {str(v): verdicts.get(str(v), 0) for v in Verdict},
            "figures": {str(v): figures.get(str(v), 0) for v in FigureVerdict},
            "blocking": self.blocking,
            "blocking_reasons": self.blocking_reasons,
        }

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (`json.dumps` takes it as it is)."""
        data: dict[str, Any] = {
            "format": self.format,
            "citations": [item.to_json() for item in self.citations],
            "summary": self.summary(),
            "errors": list(self.errors),
        }
        if self.format == "html":  # the spans point into the article's text, not its markup
            data["text"] = self.text
        return data

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)


def check_article(
    text: str,
    *,
    resolver: Resolver,
    format: str | None = None,
    config_dir: Path | None = None,
) -> ArticleReport:
    """Find, resolve and check every citation of an article (Markdown, HTML or plain text;
    `format` None guesses it). `config_dir`: the configuration whose term and journal-name
    tables the comparisons read (None: the shipped ones)."""
    doc = read_document(text, format)
    items = []
    for citation in find_citations(doc):
        resolution = resolve(citation, resolver, config_dir)
        data = resolution.resolved.data if resolution.resolved else None
        if resolution.verdict == Verdict.WRONG_STUDY:
            data = None  # the id's record is another study: its figures prove nothing
        figures = check_figures(citation.passage, _passage_offset(doc.text, citation), data)
        items.append(CitationReport(citation, resolution, tuple(figures)))
    errors = tuple(getattr(resolver, "errors", ()) or ())
    return ArticleReport(doc.format, doc.text, tuple(items), errors)


def _passage_offset(text: str, citation: Citation) -> int:
    """Where the stripped passage starts in the document (its span less leading space)."""
    start, end = citation.passage_span
    raw = text[start:end]
    return start + (len(raw) - len(raw.lstrip()))


def _name(citation: Citation) -> str:
    ids = ", ".join(f"{scheme.upper()} {value}" for scheme, value in citation.ids.items())
    return ids or (citation.title or "")[:60]

"""The checked text with each verdict on its span: every citation marked with its verdict, every
figure of the passages they support with its own (supported, not in the source, contradicted),
so the editor sees beside the report where in the text each finding is.

Works on the check report's JSON (`ArticleReport.to_json()`, as stored with the article), whose
spans point into the report's text. Everything is escaped; the only markup is the `<mark>`
elements made here. Where two spans overlap, the first taken wins (figures before citations:
a figure is the smaller and the more telling span).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from etl.articles.wording import figure_verdict, finding, source_says, verdict
from etl.digest.i18n import label


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    css: str  # e.g. "figure-contradicted", "citation-not_found"
    title: str  # what the marker says on hover


def spans(report: dict[str, Any], lang: str = "en") -> list[Span]:
    """The report's marked spans, without overlaps, in text order; what each says on hover in
    `lang` (the classes keep the report's verdict names)."""
    found: list[Span] = []
    citations = report.get("citations") or []
    for number, item in enumerate(citations, 1):
        for figure in item.get("figures") or []:
            span = figure.get("span")
            if not span:
                continue
            says = ""
            if figure.get("source_says"):
                what = source_says(lang, figure["source_says"])
                says = ("；" if lang == "zh" else "; ") + label(lang, "art_record_says", what=what)
            colon = "：" if lang == "zh" else ": "
            word = figure_verdict(lang, figure["verdict"])
            found.append(
                Span(span[0], span[1], f"figure-{figure['verdict']}",
                     f"[{number}] {figure['text']}{colon}{word}{says}")  # fmt: skip
            )
    for number, item in enumerate(citations, 1):
        if not item.get("span"):
            continue
        start, end = item["span"]
        notes = ("；" if lang == "zh" else "; ").join(
            finding(lang, d) for d in item.get("differences") or []
        )
        word = verdict(lang, item["verdict"])
        colon = "：" if lang == "zh" else ": "
        found.append(
            Span(start, end, f"citation-{item['verdict']}",
                 f"[{number}] {word}" + (colon + notes if notes else ""))  # fmt: skip
        )
    taken: list[Span] = []
    for span in found:
        if span.end <= span.start:
            continue
        if all(span.end <= t.start or span.start >= t.end for t in taken):
            taken.append(span)
    return sorted(taken, key=lambda s: s.start)


def marked(text: str, report: dict[str, Any], lang: str = "en") -> Markup:
    """`text` as HTML with the report's spans in `<mark>` elements (class, and a title in
    `lang`)."""
    out: list[str] = []
    at = 0
    for span in spans(report, lang):
        if span.start < at or span.end > len(text):
            continue
        out.append(str(escape(text[at : span.start])))
        out.append(
            f'<mark class="{escape(span.css)}" title="{escape(span.title)}">'
            f"{escape(text[span.start : span.end])}</mark>"
        )
        at = span.end
    out.append(str(escape(text[at:])))
    return Markup("".join(out))

"""Europe PMC text fields -> plain text: titles without markup, abstracts as labelled paragraphs.

Europe PMC passes the publisher's HTML through: `<h4>` section labels and `<sub>`/`<i>` in
`resultType=core` abstracts, and in `lite` results the same markup escaped once more
("m&lt;sup&gt;6&lt;/sup&gt;A", next to a literal "age &lt; 40"). Abstracts also hold bare "<"
("survival of <1 year"), so tags are never cut out with a regular expression.
"""

from __future__ import annotations

import html
import re

from etl.normalize.html import html_blocks, html_text

_ESCAPED_TAG = re.compile(r"&lt;/?[A-Za-z][A-Za-z0-9]*(?:\s[^&]*?)?/?&gt;")


def plain_text(value: str) -> str:
    """One line of text, markup removed, entities decoded ("m<sup>6</sup>A" -> "m6A")."""
    return html_text(_markup(value))


def abstract_text(value: str) -> str:
    """Paragraphs separated by a blank line; a section heading leads its paragraph as
    "Label: text", the shape of PubMed's labelled abstract sections."""
    paragraphs: list[str] = []
    label = ""
    for kind, text in html_blocks(_markup(value)):
        if kind == "heading":
            if label:  # a heading with no text of its own
                paragraphs.append(label)
            label = text.rstrip(": ")
        else:
            paragraphs.append(f"{label}: {text}" if label else text)
            label = ""
    if label:
        paragraphs.append(label)
    return "\n\n".join(paragraphs)


def _markup(value: str) -> str:
    """Markup escaped once too often is unescaped, so that the HTML parser sees the tags; the
    escaped "<" of ordinary text then reaches the parser bare, which keeps it as text."""
    if "&lt;" in value and _ESCAPED_TAG.search(value):
        return html.unescape(value)
    return value

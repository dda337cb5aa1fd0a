"""HTML fragments (feed summaries, Europe PMC abstracts) -> plain-text blocks, via BeautifulSoup.

Publishers put HTML in text fields: paragraphs, `<h4>` section labels, `<i>` species names,
`<sup>`/`<sub>` in "m<sup>6</sup>A" or "H<sub>2</sub>S". Inline markup must vanish without a trace
(BeautifulSoup's `get_text(" ")` would turn "m6A" into "m 6 A") and raised or lowered text keeps
its meaning as Unicode super- and subscripts ("m⁶A", "H₂S"; see etl.normalize.script), while block
elements must keep their text apart. So the text is collected per block: one (kind, text) pair for
each paragraph, heading or line, with whitespace squashed.
"""

from __future__ import annotations

import html
import re
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from bs4.element import CData, NavigableString, Tag

from etl.normalize.script import subscript, superscript
from etl.normalize.text import drop_unresolved, squash

HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
BLOCK_TAGS = HEADING_TAGS | {
    "address",
    "article",
    "aside",
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "header",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
}
_SCRIPT_TAGS = ["sup", "sub"]
BREAK_TAGS = frozenset({"br", "hr"})
SKIPPED_TAGS = frozenset({"script", "style", "head"})
_TEXT_TYPES = (NavigableString, CData)  # exact types: Comment, Script etc. are subclasses

_TAG = re.compile(r"<[A-Za-z/!?]")
# "</br>" is not HTML, but CNKI separates authors from the abstract with it.
_END_BR = re.compile(r"<\s*/\s*br\s*>", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")

Block = tuple[str, str]  # ("heading" or "text", squashed text)


def html_blocks(markup: str | None) -> list[Block]:
    """(kind, text) for each non-empty block of an HTML fragment, in document order.

    kind is "heading" for `<h1>`…`<h6>`, else "text". Entities are decoded; text without
    anything tag-like skips the HTML parser altogether (most titles, many abstracts).
    """
    if not markup:
        return []
    if not _TAG.search(markup):
        text = squash(drop_unresolved(html.unescape(markup)) if "&" in markup else markup)
        return [("text", text)] if text else []
    return _collect(_soup(markup))


def html_text(markup: str | None) -> str:
    """The whole fragment as one line of plain text."""
    return " ".join(text for _, text in html_blocks(markup))


def _soup(markup: str) -> BeautifulSoup:
    markup = _XML_DECLARATION.sub("", _END_BR.sub("<br/>", markup))
    with warnings.catch_warnings():
        # Text that happens to look like a URL or file name is still text: these warnings are
        # advice for people who meant to fetch, which a parser of stored bytes never does.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(markup, "html.parser")
    _shift_scripts(soup)
    return soup


def _shift_scripts(soup: BeautifulSoup) -> None:
    """Each <sup>/<sub> becomes its text in superscript or subscript characters ("10⁶", "H₂S"),
    innermost first, so that plain text keeps the number the markup meant."""
    for tag in reversed(soup.find_all(_SCRIPT_TAGS)):
        shift = superscript if tag.name == "sup" else subscript
        tag.replace_with(NavigableString(shift(tag.get_text())))


def _collect(soup: BeautifulSoup) -> list[Block]:
    """Walk the tree once; a text node opens a new block when its nearest block ancestor changes."""
    blocks: list[Block] = []
    parts: list[str] = []
    current: Tag | None = None
    for node in soup.descendants:
        if isinstance(node, Tag):
            if node.name in BREAK_TAGS:
                _flush(blocks, parts, current)
            continue
        if type(node) not in _TEXT_TYPES or not isinstance(node, NavigableString):
            continue
        block, skipped = _container(node)
        if skipped:
            continue
        if block is not current:
            _flush(blocks, parts, current)
            current = block
        parts.append(str(node))
    _flush(blocks, parts, current)
    return blocks


def _container(node: NavigableString) -> tuple[Tag | None, bool]:
    """The nearest block ancestor of a text node, and whether it sits in a skipped element."""
    block = None
    for parent in node.parents:
        name = parent.name
        if name in SKIPPED_TAGS:
            return None, True
        if block is None and name in BLOCK_TAGS:
            block = parent
    return block, False


def _flush(blocks: list[Block], parts: list[str], block: Tag | None) -> None:
    text = squash(drop_unresolved("".join(parts)))
    parts.clear()
    if text:
        kind = "heading" if block is not None and block.name in HEADING_TAGS else "text"
        blocks.append((kind, text))

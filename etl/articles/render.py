"""An article's Markdown as HTML, for the archive page, the editor's preview and the email.

markdown-it-py (CommonMark, with GFM tables for the trial table 表：…) does the parsing, with raw
HTML off: whatever an editor or a pasted record writes in angle brackets shows as text, never as
markup, so a published page runs nothing it was not built with. The headline is the text's
first `# ` heading; the page and the mail print it themselves, so the body leaves it out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

_PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_PARSER.enable("table")
_HEADLINE = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_UNESCAPE = re.compile(r"\\([\\`*_\[\]<>&|#])")

# The email's inline styles: mail clients drop <style> blocks, and the page's look is the
# digest's (templates/digest/email.mjml.j2).
EMAIL_STYLES = {
    "h2": "font-size:19px;margin:18px 0 6px;color:#2f5d3a",
    "h3": "font-size:16px;margin:14px 0 6px",
    "h4": "font-size:15px;margin:12px 0 4px",
    "p": "margin:0 0 12px",
    "table": "border-collapse:collapse;width:100%;font-size:12px;line-height:1.5",
    "th": "padding:4px;background:#eef3ec;text-align:left",
    "td": "padding:4px;border-top:1px solid #dddddd;word-break:break-word",
    "blockquote": (
        "margin:0 0 12px;padding:6px 10px;background:#f1f6ef;border-left:3px solid #2f5d3a"
    ),
}


@dataclass(frozen=True)
class Split:
    """An article's text as the pages use it: the headline, and the rest."""

    title: str
    body: str


def split(markdown: str) -> Split:
    """The first `# ` heading is the headline (its Markdown escapes undone: it is shown as
    text, and escaped again wherever it is put into HTML); without one, the title is empty."""
    found = _HEADLINE.search(markdown)
    if found is None:
        return Split("", markdown)
    title = _UNESCAPE.sub(r"\1", found.group(1)).strip()
    title = title.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return Split(title, markdown[: found.start()] + markdown[found.end() :])


def title_of(markdown: str) -> str:
    return split(markdown).title


def to_html(markdown: str) -> str:
    """HTML of Markdown (raw HTML in it shown as text)."""
    return str(_PARSER.render(markdown))


def body_html(markdown: str) -> str:
    """The article's HTML without its headline, as the page and the preview show it."""
    return to_html(split(markdown).body)


def email_html(markdown: str) -> str:
    """The body for the email: the same HTML with the digest's inline styles on its blocks."""
    html = body_html(markdown)
    for tag, style in EMAIL_STYLES.items():
        html = re.sub(rf"<{tag}(?=[ >])", f'<{tag} style="{style}"', html)
    return html


def to_text(markdown: str) -> str:
    """The plain-text part of the mail: the Markdown without its escapes and link syntax."""
    text = split(markdown).body
    text = re.sub(r"\[([^\]]*)\]\((https?://[^)\s]+)\)", r"\1 <\2>", text)
    text = _UNESCAPE.sub(r"\1", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"^#{1,6}[ \t]+", "", text, flags=re.MULTILINE).strip() + "\n"

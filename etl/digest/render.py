"""Rendering: Jinja2 fills the MJML template, mjml-python compiles it, a text template makes the
plain part. One render per language and topic set; per subscriber only the tokens change
(`personalize`), which is a string replacement, not a render.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from mjml import mjml2html

from etl.classify.taxonomy import Taxonomy
from etl.digest.content import IssueContent
from etl.digest.view import PREFERENCES, UNSUBSCRIBE, IssueView, build_view
from etl.settings import Settings

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class Rendered:
    lang: str
    topics: frozenset[str]
    subject: str
    html: str
    text: str
    items: int  # items in the email
    more: int  # items left to the web page for size

    @property
    def html_bytes(self) -> int:
        return len(self.html.encode("utf-8"))


def environment(settings: Settings | None = None) -> Environment:
    """Templates from the operator's folder first (config `digest.templates`), then ours.
    Autoescaping everywhere but the plain-text templates."""
    folders = [TEMPLATES]
    if settings is not None and settings.templates_dir is not None:
        folders.insert(0, settings.templates_dir)
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(folder)) for folder in folders]),
        autoescape=lambda name: not (name or "").endswith(".txt.j2"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    # The web app puts its Content-Security-Policy nonce here (etl/web/security.py); a page
    # written to a folder has none.
    env.globals["nonce_attr"] = lambda: Markup("")
    return env


class Renderer:
    """Renders issues for one configuration; keeps its compiled templates warm between renders."""

    def __init__(self, settings: Settings, taxonomy: Taxonomy, limit: int | None = None) -> None:
        self.settings = settings
        self.taxonomy = taxonomy
        self.env = environment(settings)
        self.mjml = self.env.get_template("digest/email.mjml.j2")
        self.text = self.env.get_template("digest/email.txt.j2")
        self.limit = limit or settings.digest.max_html_kb * 1024  # bytes of HTML

    def view(
        self,
        content: IssueContent,
        lang: str,
        topics: frozenset[str] = frozenset(),
        keep: set[int] | None = None,
    ) -> IssueView:
        return build_view(content, self.taxonomy, self.settings, lang, topics, keep)

    def render_view(self, view: IssueView, topics: frozenset[str] = frozenset()) -> Rendered:
        html = wrap_lines(mjml2html(self.mjml.render(v=view), disable_comments=True))
        return Rendered(
            lang=view.lang,
            topics=topics,
            subject=view.subject,
            html=html,
            text=_tidy(self.text.render(v=view)),
            items=len(view.items),
            more=view.more_count,
        )

    def email(
        self, content: IssueContent, lang: str, topics: frozenset[str] = frozenset()
    ) -> Rendered:
        """The edition for one language and topic set, under the size limit: past it, the
        lowest-ranked items move to the web page (fewest moved that make it fit)."""
        full = self.render_view(self.view(content, lang, topics), topics)
        if full.html_bytes <= self.limit:
            return full
        ranked = sorted(self.view(content, lang, topics).items, key=lambda i: -i.rank)
        low, high, best = 0, len(ranked), None
        while low < high:  # the most items that still fit
            middle = (low + high + 1) // 2
            keep = {item.work_id for item in ranked[:middle]}
            attempt = self.render_view(self.view(content, lang, topics, keep), topics)
            if attempt.html_bytes <= self.limit:
                low, best = middle, attempt
            else:
                high = middle - 1
        if best is None:
            best = self.render_view(self.view(content, lang, topics, set()), topics)
        return best


def personalize(rendered: Rendered, tokens: Mapping[str, str]) -> tuple[str, str]:
    """One subscriber's HTML and text: the edition with their unsubscribe and preference links."""
    html, text = rendered.html, rendered.text
    for placeholder, key in ((UNSUBSCRIBE, "unsubscribe_url"), (PREFERENCES, "preferences_url")):
        value = tokens[key]
        html = html.replace(placeholder, _attr(value))
        text = text.replace(placeholder, value)
    return html, text


# Breaking a line before these tags changes nothing a reader sees (whitespace between blocks).
_BLOCK_START = re.compile(
    r"><(?=/?(?:table|tbody|tr|td|th|div|p|h[1-6]|ul|li|head|body|meta|style|title)\b|!--)"
)


def wrap_lines(html: str) -> str:
    """mjml output has lines of several KB; mail wants them under 998 octets (RFC 5322) so the
    body can go 8-bit instead of quoted-printable. Lines break only between block tags."""
    return _BLOCK_START.sub(">\n<", html)


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _tidy(text: str) -> str:
    """At most one blank line in a row, no trailing spaces: a text part people read."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"

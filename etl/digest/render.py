"""Rendering: Jinja2 fills the MJML template, mjml-python compiles it, a text template makes the
plain part. One render per language and topic set; per subscriber only the tokens change
(`personalize`), which is a string replacement, not a render.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from mjml import mjml2html

from etl.classify.taxonomy import Taxonomy
from etl.digest.content import IssueContent
from etl.digest.typography import zh_punctuation
from etl.digest.view import PREFERENCES, UNSUBSCRIBE, IssueView, build_view
from etl.mail.tokens import sample_links
from etl.settings import Settings


def shipped_templates() -> Path:
    """The project's templates: the top-level `templates/` beside `etl/` in a checkout (and so in
    an editable install), `etl/templates/` inside an installed wheel, where setup.py puts them."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package / "templates", package.parent / "templates"):
        if (folder / "digest").is_dir():
            return folder
    raise FileNotFoundError(f"no templates beside {package}: reinstall the package")


TEMPLATES = shipped_templates()


@dataclass(frozen=True)
class Rendered:
    lang: str
    topics: frozenset[str]
    subject: str
    html: str
    text: str
    items: int  # items in the email
    more: int  # items left to the web page for size
    sent_html_bytes: int = 0  # the HTML as a reader gets it: links filled in (the longest)
    work_ids: tuple[int, ...] = ()  # the works in the email, which its deliveries record

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
        finalize=_typeset,
    )
    # The web app puts its Content-Security-Policy nonce here (etl/web/security.py); a page
    # written to a folder has none.
    env.globals["nonce_attr"] = lambda: Markup("")
    return env


# Templates whose Chinese pages take the edition's punctuation on every value they print: the
# reader pages and the confirmation mail. Their words are typed (by us or an operator) with
# either kind of mark; the digest's own templates get theirs already set by view.py, and the
# editor pages show records as they came.
TYPESET = ("web/", "mail/", "archive/search", "archive/feeds")
NOT_TYPESET = ("web/editor/",)


@pass_context
def _typeset(context: Context, value: object) -> object:
    """Jinja's `finalize`: a printed string of a Chinese reader page made full-width where it
    touches Chinese (zh_punctuation leaves Latin text, URLs and DOIs alone)."""
    name = context.name or ""
    if (
        not isinstance(value, str)
        or context.get("lang") != "zh"
        or not name.startswith(TYPESET)
        or name.startswith(NOT_TYPESET)
    ):
        return value
    if isinstance(value, Markup):
        return Markup(zh_punctuation(str(value)))
    return zh_punctuation(value)


class Renderer:
    """Renders issues for one configuration; keeps its compiled templates warm between renders."""

    def __init__(self, settings: Settings, taxonomy: Taxonomy, limit: int | None = None) -> None:
        self.settings = settings
        self.taxonomy = taxonomy
        self.env = environment(settings)
        self.mjml = self.env.get_template("digest/email.mjml.j2")
        self.text = self.env.get_template("digest/email.txt.j2")
        self.limit = limit or settings.digest.max_html_kb * 1024  # bytes of HTML, as sent
        unsubscribe, preferences, _ = sample_links(settings)
        # What filling in a reader's links adds per placeholder, at most (the longest address).
        self.growth = {
            UNSUBSCRIBE: len(_attr(unsubscribe)) - len(UNSUBSCRIBE),
            PREFERENCES: len(_attr(preferences)) - len(PREFERENCES),
        }

    def with_base_url(self, base_url: str) -> Renderer:
        """This renderer with the archive at another address (sharing the compiled templates):
        the web app renders its pages for the site it is being served as."""
        archive = self.settings.archive.model_copy(update={"base_url": base_url})
        other = copy.copy(self)
        other.settings = self.settings.model_copy(update={"archive": archive})
        return other

    def view(
        self,
        content: IssueContent,
        lang: str,
        topics: frozenset[str] = frozenset(),
        keep: set[int] | None = None,
        followed: frozenset[int] = frozenset(),
    ) -> IssueView:
        return build_view(content, self.taxonomy, self.settings, lang, topics, keep, followed)

    def render_view(self, view: IssueView, topics: frozenset[str] = frozenset()) -> Rendered:
        html = wrap_lines(mjml2html(self.mjml.render(v=view), disable_comments=True))
        grows = sum(html.count(placeholder) * n for placeholder, n in self.growth.items())
        return Rendered(
            lang=view.lang,
            topics=topics,
            subject=view.subject,
            html=html,
            text=_tidy(self.text.render(v=view)),
            items=len(view.items),
            work_ids=tuple(item.work_id for item in view.items),
            more=view.more_count,
            sent_html_bytes=len(html.encode("utf-8")) + grows,
        )

    def email(
        self,
        content: IssueContent,
        lang: str,
        topics: frozenset[str] = frozenset(),
        followed: frozenset[int] = frozenset(),
    ) -> Rendered:
        """The edition for one language and topic set, under the size limit: past it, the
        lowest-ranked items move to the web page (fewest moved that make it fit). The size is
        the HTML as a reader gets it, with the longest reader's links filled in."""
        full = self.render_view(self.view(content, lang, topics, None, followed), topics)
        if full.sent_html_bytes <= self.limit:
            return full
        ranked = sorted(
            self.view(content, lang, topics, None, followed).items, key=lambda i: -i.rank
        )
        low, high, best = 0, len(ranked), None
        while low < high:  # the most items that still fit
            middle = (low + high + 1) // 2
            keep = {item.work_id for item in ranked[:middle]}
            attempt = self.render_view(self.view(content, lang, topics, keep, followed), topics)
            if attempt.sent_html_bytes <= self.limit:
                low, best = middle, attempt
            else:
                high = middle - 1
        if best is None:
            best = self.render_view(self.view(content, lang, topics, set(), followed), topics)
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
    body can go 8-bit instead of encoded, which keeps it small and cheap to personalize. Lines
    break only between block tags; a block longer than that is encoded (mail/message.py)."""
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

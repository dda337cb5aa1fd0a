"""The web archive: an index of issues, one page per issue with previous and next links, an Atom
feed, and a page at the next issue's address saying when it is due.

`pages()` returns every page as (path, text), from data only, so the same pages can be written
to a folder (`mscwatch archive build`, served by any web server) or served by the web app.
Only published issues (sending or sent) appear; drafts stay private.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from etl.db.states import PUBLISHED_STATES
from etl.digest import i18n
from etl.digest.content import IssueContent
from etl.digest.i18n import LANGS
from etl.digest.render import Renderer
from etl.digest.view import issue_date, issue_url, title_of
from etl.files import write_atomically

PUBLISHED = PUBLISHED_STATES


@dataclass(frozen=True)
class Entry:
    """An issue as the index and the feed list it."""

    number: int
    slug: str
    title: str
    date: str
    iso_date: str
    url: str
    summary: str


def lang_prefix(lang: str) -> str:
    return "" if lang == "zh" else "en/"


class Archive:
    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer
        self.settings = renderer.settings
        self.env = renderer.env

    def plan(
        self, issues: list[dict[str, Any]], load: Callable[[dict[str, Any]], IssueContent]
    ) -> dict[str, Callable[[], str]]:
        """Every page of the archive by path, each rendered only when called: the folder build
        renders them all, the web app only the one asked for. `issues`: all issues, any order;
        `load` reads one issue's content."""
        published = sorted(
            (i for i in issues if i["state"] in PUBLISHED), key=lambda i: i["number"]
        )
        plan: dict[str, Callable[[], str]] = {}
        for position, issue in enumerate(published):
            before = published[position - 1] if position else None
            after = published[position + 1] if position + 1 < len(published) else None
            following = date.fromisoformat(issue["period_end"]).isoformat()
            for lang in LANGS:
                plan[self.issue_path(issue["slug"], lang)] = partial(
                    self._issue_page, issue, before, after, load, lang
                )
                if after is None:
                    plan[self.issue_path(following, lang)] = partial(self.pending_page, issue, lang)
                elif after["slug"] != following:
                    plan[self.issue_path(following, lang)] = partial(
                        self.skipped_page, issue, after, following, lang
                    )
        for lang in LANGS:
            plan[f"{lang_prefix(lang)}index.html"] = partial(self._index, published, lang)
            plan[f"{lang_prefix(lang)}feed.atom"] = partial(self._feed, published, lang)
        return plan

    def pages(
        self, issues: list[dict[str, Any]], load: Callable[[dict[str, Any]], IssueContent]
    ) -> Iterator[tuple[str, str]]:
        for path, render in self.plan(issues, load).items():
            yield path, render()

    def _index(self, published: list[dict[str, Any]], lang: str) -> str:
        return self.index_page([self.entry(i, lang) for i in reversed(published)], lang)

    def _feed(self, published: list[dict[str, Any]], lang: str) -> str:
        return self.feed([self.entry(i, lang) for i in reversed(published)], lang)

    def _issue_page(
        self,
        issue: dict[str, Any],
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        load: Callable[[dict[str, Any]], IssueContent],
        lang: str,
    ) -> str:
        content = load(issue)
        content.previous, content.next = before, after
        return self.issue_page(content, lang)

    def write(self, folder: Path, pages: Iterator[tuple[str, str]]) -> int:
        """Write pages into `folder` (each replaced atomically); returns how many."""
        count = 0
        for path, text in pages:
            write_atomically(folder / path, text.encode("utf-8"))
            count += 1
        return count

    @staticmethod
    def issue_path(slug: str, lang: str) -> str:
        return f"issues/{slug}/{lang_prefix(lang)}index.html"

    def issue_page(self, content: IssueContent, lang: str) -> str:
        view = self.renderer.view(content, lang)
        return self._render("archive/issue.html.j2", lang, v=view, title=view.title)

    def pending_page(self, before: dict[str, Any], lang: str) -> str:
        """The next issue's address before it exists: when it is due, and a link back."""
        end = date.fromisoformat(before["period_end"])
        period = end - date.fromisoformat(before["period_start"])
        due = i18n.format_date(lang, end + period)
        return self._render(
            "archive/pending.html.j2",
            lang,
            title=i18n.text(lang, "pending_title", n=before["number"] + 1),
            body=i18n.text(lang, "pending_body", date=due),
            back=self.entry(before, lang),
        )

    def skipped_page(
        self, before: dict[str, Any], after: dict[str, Any], slug: str, lang: str
    ) -> str:
        """A period with nothing new had no issue; its address leads on to the next one."""
        start = date.fromisoformat(slug)
        end = date.fromisoformat(after["period_start"]) - timedelta(days=1)
        return self._render(
            "archive/pending.html.j2",
            lang,
            title=i18n.text(
                lang,
                "skipped_body",
                start=i18n.format_date(lang, start),
                end=i18n.format_date(lang, end),
            ),  # fmt: skip
            body="",
            back=self.entry(before, lang),
            forward=self.entry(after, lang),
        )

    def index_page(self, entries: list[Entry], lang: str) -> str:
        return self._render(
            "archive/index.html.j2", lang, entries=entries, title=i18n.text(lang, "index_title")
        )

    def feed(self, entries: list[Entry], lang: str) -> str:
        base = self.settings.archive.base_url + lang_prefix(lang)
        updated = entries[0].iso_date if entries else "1970-01-01"
        return self.env.get_template("archive/feed.atom.j2").render(
            entries=entries,
            lang=lang,
            base=base,
            updated=updated,
            name=self.settings.digest.header.name(lang),
            tagline=self.settings.digest.header.tagline(lang),
        )

    def entry(self, issue: dict[str, Any], lang: str) -> Entry:
        day = issue_date(issue["period_end"])
        counts = issue.get("counts") or {}
        summary = (
            f"{i18n.text(lang, 'issue_no', n=issue['number'])} · {counts.get('items', 0)} "
            + ("项" if lang == "zh" else "items")
        )
        return Entry(
            number=issue["number"],
            slug=issue["slug"],
            title=title_of(lang, issue),
            date=i18n.format_date(lang, day),
            iso_date=day.isoformat(),
            url=issue_url(self.settings, issue["slug"], lang),
            summary=summary,
        )

    def render_page(self, template: str, lang: str, **values: Any) -> str:
        """Any page in the archive's frame (header, sign-up link, language switch, disclaimer):
        the evidence map and the study pages use it."""
        return self._render(template, lang, **values)

    def _render(self, template: str, lang: str, **values: Any) -> str:
        header = self.settings.digest.header
        other = "en" if lang == "zh" else "zh"
        frame: dict[str, Any] = dict(
            lang=lang,
            ui=i18n.UI[lang],
            site=header.name(lang),
            tagline=header.tagline(lang),
            home=self.settings.archive.base_url + lang_prefix(lang),
            other_home=self.settings.archive.base_url + lang_prefix(other),
            other_label="English" if lang == "zh" else "中文",
            evidence=self.settings.archive.base_url + "evidence/" + lang_prefix(lang),
            feed=self.settings.archive.base_url + lang_prefix(lang) + "feed.atom",
            subscribe=self.settings.archive.base_url
            + ("subscribe" if lang == "zh" else "subscribe?lang=en"),
            disclaimer=self.settings.digest.disclaimer(lang),
        )
        return self.env.get_template(template).render({**frame, **values})

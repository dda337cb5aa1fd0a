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
from etl.digest import feeds, i18n
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
    content: str = ""  # HTML: in a feed, the issue's items with their titles and leads
    id: str = ""  # the feed entry's id when it is not the address (an item of an issue)


@dataclass(frozen=True)
class Extra:
    """Pages the archive carries beside its issues (full articles, built above the digest):
    each page by path, rendered when called, and the entries the index and the feed list for
    them per language. `gone`: the pages among them that stand for something taken back (a
    withdrawn article's notice), which the web app answers with 410 Gone."""

    pages: dict[str, Callable[[], str]]
    entries: dict[str, list[Entry]]
    gone: frozenset[str] = frozenset()


def lang_prefix(lang: str) -> str:
    return "" if lang == "zh" else "en/"


class Archive:
    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer
        self.settings = renderer.settings
        self.env = renderer.env

    def plan(
        self,
        issues: list[dict[str, Any]],
        load: Callable[[dict[str, Any]], IssueContent],
        extra: Extra | None = None,
    ) -> dict[str, Callable[[], str]]:
        """Every page of the archive by path, each rendered only when called: the folder build
        renders them all, the web app only the one asked for. `issues`: all issues, any order;
        `load` reads one issue's content; `extra`: other pages, listed with the issues."""
        published = sorted(
            (i for i in issues if i["state"] in PUBLISHED), key=lambda i: i["number"]
        )
        loaded: dict[int, IssueContent] = {}

        def load_once(issue: dict[str, Any]) -> IssueContent:
            """Feeds read the same issues again: each is read from the database once."""
            if issue["number"] not in loaded:
                loaded[issue["number"]] = load(issue)
            return loaded[issue["number"]]

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
        recent = published[-feeds.FEED_ISSUES :]
        others = extra.entries if extra else {}
        for lang in LANGS:
            prefix = lang_prefix(lang)
            more = others.get(lang, [])
            plan[f"{prefix}index.html"] = partial(self._index, published, more, lang)
            plan[f"{prefix}feed.atom"] = partial(self._feed, recent, more, load_once, lang)
            plan[f"{prefix}feeds/index.html"] = partial(self.feeds_page, lang)
            for topic in self.topics:
                plan[f"{prefix}feeds/{topic}.atom"] = partial(
                    self._topic_feed, recent, load_once, lang, topic
                )
        if extra:
            plan.update(extra.pages)
        return plan

    @property
    def topics(self) -> dict[str, Any]:
        return feeds.topics(self.renderer.taxonomy)

    def pages(
        self,
        issues: list[dict[str, Any]],
        load: Callable[[dict[str, Any]], IssueContent],
        extra: Extra | None = None,
    ) -> Iterator[tuple[str, str]]:
        for path, render in self.plan(issues, load, extra).items():
            yield path, render()

    def _entries(
        self, published: list[dict[str, Any]], more: list[Entry], lang: str
    ) -> list[Entry]:
        """Issues and the extra entries together, newest first (an issue before an article of
        the same day, as it came first)."""
        entries = [self.entry(i, lang) for i in reversed(published)]
        return sorted(entries + more, key=lambda e: e.iso_date, reverse=True)

    def _index(self, published: list[dict[str, Any]], more: list[Entry], lang: str) -> str:
        return self.index_page(self._entries(published, more, lang), lang)

    def _feed(
        self,
        published: list[dict[str, Any]],
        more: list[Entry],
        load: Callable[[dict[str, Any]], IssueContent],
        lang: str,
    ) -> str:
        """The newest issues, each with its items' titles and leads, and the extra entries
        (articles), newest first."""
        entries = []
        for issue in reversed(published):
            content = load(issue)
            view = self.renderer.view(content, lang)
            entry = self.entry(issue, lang)
            # A feed reader lists titles only: each names its issue, so two issues that kept
            # the generic headline are not one title twice.
            title = f"{view.number_label}{i18n.UI[lang]['colon']}{entry.title}"
            entries.append(
                Entry(
                    **{**entry.__dict__, "title": title,
                       "content": feeds.issue_content(view, content)}
                )
            )  # fmt: skip
        return self.feed(sorted(entries + more, key=lambda e: e.iso_date, reverse=True), lang)

    def _topic_feed(
        self,
        published: list[dict[str, Any]],
        load: Callable[[dict[str, Any]], IssueContent],
        lang: str,
        topic: str,
    ) -> str:
        """One topic's items of the newest issues, newest first: what a reader who chose only
        this topic is mailed."""
        chosen = frozenset({topic})
        views = []
        for issue in reversed(published):
            content = load(issue)
            views.append((self.renderer.view(content, lang, chosen), content))
        items = feeds.topic_items(views, lambda v: v.web_url)
        entries = [
            Entry(
                number=0,
                slug="",
                title=item.title,
                date=item.iso_date,
                iso_date=item.iso_date,
                url=item.url,
                summary="",
                content=item.content,
                id=item.id,
            )
            for item in items
        ]
        name = self.topics[topic](lang)
        return self.feed(entries, lang, f"feeds/{topic}.atom", name)

    def feeds_page(self, lang: str) -> str:
        """Every feed, for people and their feed readers: the issues, trial news, each
        section, cancer type and strategy."""
        base = self.settings.archive.base_url + lang_prefix(lang)
        families = [
            ("sections", [s["id"] for s in self.renderer.taxonomy.sections]),
            ("cancer_types", list(self.renderer.taxonomy.labels.get("cancer_types", {}))),
            ("strategies", list(self.renderer.taxonomy.labels.get("strategies", {}))),
        ]
        groups = [
            (
                i18n.text(lang, f"feeds_{family}"),
                [(self.topics[t](lang), f"{base}feeds/{t}.atom") for t in ids],
            )
            for family, ids in families
        ]
        return self._render(
            "archive/feeds.html.j2",
            lang,
            title=i18n.text(lang, "feeds"),
            intro=i18n.text(lang, "feeds_intro"),
            all_issues=(i18n.text(lang, "feeds_issues"), f"{base}feed.atom"),
            trials=(self.topics[feeds.TRIAL_NEWS](lang), f"{base}feeds/{feeds.TRIAL_NEWS}.atom"),
            groups=groups,
        )

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

    def feed(
        self, entries: list[Entry], lang: str, path: str = "feed.atom", topic: str = ""
    ) -> str:
        base = self.settings.archive.base_url + lang_prefix(lang)
        updated = max((e.iso_date for e in entries), default="1970-01-01")
        name = self.settings.digest.header.name(lang)
        return self.env.get_template("archive/feed.atom.j2").render(
            entries=entries,
            lang=lang,
            base=base,
            self_url=base + path,
            feed_id=base + path if topic else base,
            updated=updated,
            name=name,
            title=f"{name} · {topic}" if topic else name,
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
        the evidence map, the study pages, the search page and the feed list use it."""
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

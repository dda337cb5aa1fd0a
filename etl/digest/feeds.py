"""The archive's Atom feeds: one of issues, one per topic, one of trial news.

Every entry carries what a reader of a feed reader wants without opening the page: the issue
feed lists each issue's items, and a topic feed has one entry per item of that topic, each with
the item's title and lead (the words of the email, in the feed's language). A topic feed holds
what a reader with that one topic is mailed (view.build_view's filter), so the preferences
page can offer it as the same choice; `trials` is the trial-news feed (the 临床试验动态 section).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from markupsafe import escape

from etl.classify.taxonomy import Taxonomy
from etl.digest.content import IssueContent
from etl.digest.view import IssueView, ItemView
from etl.settings import Localized

# Newest issues a feed reads: a feed reader wants the recent news, and a request for a topic
# feed renders these issues only.
FEED_ISSUES = 20
TRIAL_NEWS = "trials"


@dataclass(frozen=True)
class FeedItem:
    """One item of one issue, as a feed entry shows it."""

    id: str
    title: str
    url: str
    iso_date: str
    content: str  # HTML: the lead, and the kind and labels above it


def topics(taxonomy: Taxonomy) -> dict[str, Localized]:
    """Every topic with a feed, by id, in the digest's words: the sections, then each cancer
    type and each strategy (the ids readers choose on the preferences page)."""
    found = {s["id"]: Localized(zh=s["zh"], en=s["en"]) for s in taxonomy.sections}
    for family in ("cancer_types", "strategies"):
        for label_id, label in taxonomy.labels.get(family, {}).items():
            found.setdefault(label_id, Localized(zh=label.zh, en=label.en))
    return found


def item_title(content: IssueContent, work_id: int, lang: str) -> str:
    """The work's title as the edition shows it: the Chinese title in Chinese when the record
    has one."""
    data = content.data.get(work_id, {})
    if lang == "zh" and data.get("vernacular_title"):
        return str(data["vernacular_title"])
    return str(data.get("title") or data.get("official_title") or "")


def item_html(item: ItemView, title: str = "") -> str:
    """An item's title (when given), its kind and labels, and its lead, as escaped HTML."""
    tags = " · ".join([item.kind_label, *item.tags])
    head = f"<p><strong>{escape(title)}</strong></p>" if title else ""
    return f"{head}<p>{escape(tags)}</p><p>{escape(item.lead)}</p>"


def issue_content(view: IssueView, content: IssueContent) -> str:
    """An issue's entry: the intro, then each item's title and lead."""
    parts = [f"<p>{escape(view.intro)}</p>"]
    parts += [item_html(item, item_title(content, item.work_id, view.lang)) for item in view.items]
    return "".join(parts)


def topic_items(
    views: Iterable[tuple[IssueView, IssueContent]], url_of: Callable[[IssueView], str]
) -> list[FeedItem]:
    """The entries of a topic feed from its issues' views (already filtered by the topic)."""
    entries = []
    for view, content in views:
        url = url_of(view)
        for item in view.items:
            entries.append(
                FeedItem(
                    id=f"{url}#work-{item.work_id}",
                    title=item_title(content, item.work_id, view.lang) or item.kind_label,
                    url=url,
                    iso_date=_iso(view, content),
                    content=item_html(item),
                )
            )
    return entries


def _iso(view: IssueView, content: IssueContent) -> str:
    issue: dict[str, Any] = content.issue
    return str(issue["period_end"])[:10]

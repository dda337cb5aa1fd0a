"""Checks an issue must pass before it can be approved, run on what readers will get: the
rendered HTML and text of every edition, not on the data that went into them."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from lxml import html as lxml_html

from etl.digest.content import IssueContent
from etl.digest.render import Rendered
from etl.digest.view import PREFERENCES, UNSUBSCRIBE
from etl.mail.message import LINE_LIMIT, long_lines

PLACEHOLDERS = frozenset({UNSUBSCRIBE, PREFERENCES})  # filled per subscriber, checked there
_SPACE = re.compile(r"\s")


def check_rendered(rendered: Rendered, limit_bytes: int) -> list[str]:
    """Size, links and headings of one edition; each problem is one line a person can act on.
    The size is the HTML a reader gets, links filled in for the longest address."""
    where = f"{rendered.lang} edition"
    problems = []
    if rendered.sent_html_bytes > limit_bytes:
        problems.append(
            f"{where}: HTML is {rendered.sent_html_bytes / 1024:.1f} KB as sent, over the "
            f"{limit_bytes / 1024:.0f} KB limit (Gmail clips it)"
        )
    tree = lxml_html.document_fromstring(rendered.html)
    problems += [f"{where}: {p}" for p in bad_links(tree)]
    problems += [f"{where}: {p}" for p in empty_headings(tree)]
    problems += [f"{where}: text part: {p}" for p in bad_text_links(rendered.text)]
    return problems


def check_message(raw: bytes, lang: str) -> list[str]:
    """The message a reader gets (composed with their links filled in): no line longer than
    SMTP allows, or the relay refuses it mid-send."""
    count = long_lines(raw)
    if not count:
        return []
    return [f"{lang} edition: {count} line(s) of the message are over {LINE_LIMIT} octets"]


def bad_links(tree: Any) -> list[str]:
    """Every href and src absolute and well formed: http(s) with a host, or mailto."""
    problems = []
    for element, attribute in (("a", "href"), ("img", "src")):
        for node in tree.iter(element):
            value = node.get(attribute)
            if value in PLACEHOLDERS:
                continue
            reason = link_problem(value)
            if reason:
                label = (node.text_content() or "").strip()[:40]
                problems.append(f"link {value!r} ({label!r}): {reason}")
    return problems


def link_problem(value: str | None) -> str:
    if not value:
        return "empty"
    if _SPACE.search(value):
        return "contains whitespace"
    parts = urlsplit(value)
    if parts.scheme == "mailto":
        return "" if "@" in parts.path else "mailto without an address"
    if parts.scheme not in ("http", "https"):
        return "not an absolute http(s) or mailto link"
    if not parts.hostname or "." not in parts.hostname:
        return "no proper host name"
    return ""


def bad_text_links(text: str) -> list[str]:
    problems = []
    for url in re.findall(r"<(https?://[^>]*)>", text):
        reason = link_problem(url)
        if reason:
            problems.append(f"link {url!r}: {reason}")
    return problems


def empty_headings(tree: Any) -> list[str]:
    """A section (h2) or group (h3) heading with nothing under it before the next heading."""
    problems = []
    for heading in tree.iter("h2", "h3"):
        ends = ("h2",) if heading.tag == "h2" else ("h2", "h3")
        follower, content = heading.getnext(), False
        while follower is not None and follower.tag not in ends:
            if follower.tag not in ("h2", "h3") and follower.text_content().strip():
                content = True
                break
            follower = follower.getnext()
        if not content:
            problems.append(f"heading {heading.text_content().strip()!r} has nothing under it")
    return problems


def check_dates(content: IssueContent, late_days: int) -> list[str]:
    """No item older than the period presented as new: a "new" item must have happened in
    the period, or at most `late_days` before it (late indexing)."""
    earliest = date.fromisoformat(content.issue["period_start"]) - timedelta(days=late_days)
    end = date.fromisoformat(content.issue["period_end"])
    problems = []
    for row in content.items:
        day = row.get("occurred_on")
        if row["kind"] != "new" or not day:
            continue
        when = date.fromisoformat(day)
        if when < earliest or when >= end:
            title = (content.data.get(row["work_id"], {}).get("title") or "")[:60]
            problems.append(
                f"item {row['position']} (work {row['work_id']}, {title!r}) is shown as new but "
                f"dates from {day}, outside {earliest}..{end - timedelta(days=1)}"
            )
    return problems

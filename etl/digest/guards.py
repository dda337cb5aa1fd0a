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
from etl.problems import Problem

PLACEHOLDERS = frozenset({UNSUBSCRIBE, PREFERENCES})  # filled per subscriber, checked there
_SPACE = re.compile(r"\s")


def check_rendered(rendered: Rendered, limit_bytes: int) -> list[Problem]:
    """Size, links and headings of one edition; each problem is one line a person can act on.
    The size is the HTML a reader gets, links filled in for the longest address."""
    found = []
    if rendered.sent_html_bytes > limit_bytes:
        size, limit = rendered.sent_html_bytes / 1024, limit_bytes / 1024
        found.append(Problem("guard_html_size", size=size, limit=limit))
    tree = lxml_html.document_fromstring(rendered.html)
    found += bad_links(tree) + empty_headings(tree)
    found += [Problem("guard_text_part", problem=p) for p in bad_text_links(rendered.text)]
    edition = Problem(f"edition_of_{rendered.lang}")
    return [Problem("guard_in_edition", edition=edition, problem=p) for p in found]


def check_message(raw: bytes, lang: str) -> list[Problem]:
    """The message a reader gets (composed with their links filled in): no line longer than
    SMTP allows, or the relay refuses it mid-send."""
    count = long_lines(raw)
    if not count:
        return []
    edition = Problem(f"edition_of_{lang}")
    return [Problem("guard_long_lines", edition=edition, count=count, limit=LINE_LIMIT)]


def bad_links(tree: Any) -> list[Problem]:
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
                problems.append(Problem("guard_link", value=value, label=label, reason=reason))
    return problems


def link_problem(value: str | None) -> Problem | None:
    if not value:
        return Problem("link_empty")
    if _SPACE.search(value):
        return Problem("link_whitespace")
    parts = urlsplit(value)
    if parts.scheme == "mailto":
        return None if "@" in parts.path else Problem("link_mailto")
    if parts.scheme not in ("http", "https"):
        return Problem("link_scheme")
    if not parts.hostname or "." not in parts.hostname:
        return Problem("link_host")
    return None


def bad_text_links(text: str) -> list[Problem]:
    problems = []
    for url in re.findall(r"<(https?://[^>]*)>", text):
        reason = link_problem(url)
        if reason:
            problems.append(Problem("guard_text_link", value=url, reason=reason))
    return problems


def empty_headings(tree: Any) -> list[Problem]:
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
            problems.append(Problem("guard_empty_heading", heading=heading.text_content().strip()))
    return problems


def check_dates(content: IssueContent, late_days: int) -> list[Problem]:
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
                Problem(
                    "guard_old_item",
                    position=row["position"],
                    work_id=row["work_id"],
                    title=title,
                    day=day,
                    first=earliest,
                    last=end - timedelta(days=1),
                )
            )
    return problems

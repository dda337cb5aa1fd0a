"""What an issue holds, as read from the database: the renderer's only input besides settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from etl.digest.chart import IssueChart


@dataclass
class IssueContent:
    issue: dict[str, Any]  # the digest_issues row
    items: list[dict[str, Any]]  # digest_items rows in reading order
    data: dict[int, dict[str, Any]]  # work id → the record that speaks for it
    labels: dict[int, dict[str, Any]]  # work id → classification labels
    related: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    events: dict[int, dict[str, Any]] = field(default_factory=dict)  # event id → row
    earlier: dict[int, int] = field(default_factory=dict)  # work id → issue number that had it
    earlier_slugs: dict[int, str] = field(default_factory=dict)  # work id → that issue's slug
    # work id → its study page's slug: every item links to the page that tells the whole story
    # of its study, and a later follow-up of the same work links to the same page.
    study_slugs: dict[int, str] = field(default_factory=dict)
    previous: dict[str, Any] | None = None  # the issue before (by number)
    next: dict[str, Any] | None = None  # the issue after, if built
    # (work id, lang, field) → a writer draft an editor accepted or edited: it replaces the
    # generated lead or highlight in that edition.
    drafts: dict[tuple[int, str, str], str] = field(default_factory=dict)
    # Headlines other issues were built with, per language: a generated one must differ.
    generated: dict[str, set[str]] = field(default_factory=dict)
    # lang → the evidence map's chart the edition shows (none when it is off or cannot load)
    charts: dict[str, IssueChart] = field(default_factory=dict)
    # What is derived from a work's record alone (its lead, key result, outcome figure), made
    # once per work and shared by every edition and topic set rendered from this content.
    derived: dict[tuple[str, int], Any] = field(default_factory=dict, repr=False)

    def once(self, name: str, work_id: int, make: Callable[[], Any]) -> Any:
        key = (name, work_id)
        if key not in self.derived:
            self.derived[key] = make()
        return self.derived[key]

"""What an issue holds, as read from the database: the renderer's only input besides settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
    previous: dict[str, Any] | None = None  # the issue before (by number)
    next: dict[str, Any] | None = None  # the issue after, if built
    # (work id, lang, field) → a writer draft an editor accepted or edited: it replaces the
    # generated lead or highlight in that edition.
    drafts: dict[tuple[int, str, str], str] = field(default_factory=dict)
    # Headlines other issues were built with, per language: a generated one must differ.
    generated: dict[str, set[str]] = field(default_factory=dict)

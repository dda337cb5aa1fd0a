"""Checking what people type as their address, and what topics they may choose."""

from __future__ import annotations

from collections.abc import Collection

from etl.classify.taxonomy import Taxonomy
from etl.mail.addresses import normalize_address
from etl.settings import Localized

__all__ = ["LANGUAGES", "known_topics", "normalize_address", "parse_language", "parse_topics",
           "topic_choices"]  # fmt: skip
LANGUAGES = ("zh", "en")


def topic_choices(taxonomy: Taxonomy) -> dict[str, Localized]:
    """What the forms offer: the cancer-type groups (everything about solid tumours, say, trials
    included), then the sections that are not one of those groups under the same name."""
    choices = {key: Localized(zh=n["zh"], en=n["en"]) for key, n in taxonomy.groups.items()}
    named = {label.zh for label in choices.values()}
    for section in taxonomy.sections:
        if section["zh"] not in named:
            choices.setdefault(section["id"], Localized(zh=section["zh"], en=section["en"]))
    return choices


def known_topics(taxonomy: Taxonomy) -> frozenset[str]:
    """Every topic a reader may hold: section ids and group ids (the digest filters on both)."""
    return frozenset(s["id"] for s in taxonomy.sections) | frozenset(taxonomy.groups)


def parse_topics(value: str | list[str] | None, allowed: Collection[str]) -> list[str]:
    """Topics from a form or a CSV cell ("trials; solid" or a list); ValueError names the
    unknown one. Empty means everything."""
    if value is None:
        return []
    items = value if isinstance(value, list) else value.replace(";", " ").replace(",", " ").split()
    topics = []
    for item in (i.strip().lower() for i in items):
        if not item:
            continue
        if item not in allowed:
            raise ValueError(f"unknown topic {item!r}; allowed: {', '.join(sorted(allowed))}")
        if item not in topics:
            topics.append(item)
    return topics


def parse_language(value: str | None, default: str = "zh") -> str:
    value = (value or "").strip().lower() or default
    if value not in LANGUAGES:
        raise ValueError(f"language {value!r} is not one of {', '.join(LANGUAGES)}")
    return value

"""Checking what people type as their address, and what topics they may choose."""

from __future__ import annotations

from collections.abc import Collection

from etl.classify.taxonomy import Taxonomy
from etl.mail.addresses import normalize_address
from etl.settings import Localized

__all__ = ["LANGUAGES", "known_topics", "normalize_address", "parse_language", "parse_topics",
           "topic_choices", "topic_groups"]  # fmt: skip
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


# The headings of the forms' topic lists, and which taxonomy family each lists.
TOPIC_FAMILIES = (("cancer_types", "cancer_types"), ("strategies", "strategies"))
TOPIC_HEADINGS = {
    "sections": Localized(zh="栏目", en="Sections"),
    "cancer_types": Localized(zh="癌种", en="Cancer types"),
    "strategies": Localized(zh="治疗策略", en="Strategies"),
}


def topic_groups(taxonomy: Taxonomy) -> list[tuple[str, dict[str, Localized]]]:
    """What the forms offer, under three headings: the sections (and cancer-type groups), each
    cancer type and each strategy, named as the digest names them. A reader who ticks lung
    cancer gets lung cancer, whatever section an item of it falls in."""
    groups: list[tuple[str, dict[str, Localized]]] = [("sections", topic_choices(taxonomy))]
    for heading, family in TOPIC_FAMILIES:
        groups.append(
            (
                heading,
                {
                    label_id: Localized(zh=label.zh, en=label.en)
                    for label_id, label in taxonomy.labels.get(family, {}).items()
                },
            )
        )
    return groups


def known_topics(taxonomy: Taxonomy) -> frozenset[str]:
    """Every topic a reader may hold: section ids, cancer-type groups, cancer types and
    strategies (the taxonomy's ids; the digest filters on all of them)."""
    return (
        frozenset(s["id"] for s in taxonomy.sections)
        | frozenset(taxonomy.groups)
        | frozenset(taxonomy.labels.get("cancer_types", {}))
        | frozenset(taxonomy.labels.get("strategies", {}))
    )


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

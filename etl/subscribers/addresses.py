"""Checking what people type as their address, and what topics they may choose."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from etl.classify.taxonomy import Taxonomy
from etl.settings import Localized

LANGUAGES = ("zh", "en")


def normalize_address(text: str) -> str:
    """The address as we store it (lower case), or ValueError saying what is wrong with it.
    Internationalized (SMTPUTF8) addresses are refused: not every relay carries them."""
    try:
        checked = validate_email(text.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return checked.normalized.lower()


def topic_choices(taxonomy: Taxonomy) -> dict[str, Localized]:
    """What a reader can pick: the digest's sections and the cancer-type groups."""
    choices = {s["id"]: Localized(zh=s["zh"], en=s["en"]) for s in taxonomy.sections}
    for key, names in taxonomy.groups.items():
        choices.setdefault(key, Localized(zh=names["zh"], en=names["en"]))
    return choices


def parse_topics(value: str | list[str] | None, allowed: dict[str, Localized]) -> list[str]:
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
            raise ValueError(f"unknown topic {item!r}; allowed: {', '.join(allowed)}")
        if item not in topics:
            topics.append(item)
    return topics


def parse_language(value: str | None, default: str = "zh") -> str:
    value = (value or "").strip().lower() or default
    if value not in LANGUAGES:
        raise ValueError(f"language {value!r} is not one of {', '.join(LANGUAGES)}")
    return value

"""Identifier normalisation: one canonical spelling per scheme, so equal ids compare equal.

Every function returns the canonical string or None for a value that is not an id of that scheme;
all of them are idempotent (normalising a normalised value returns it unchanged).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|doi\s+)", re.I)
_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_IN_TEXT = re.compile(r"\b10\.\d{4,9}/[^\s\"<>]+", re.I)


def normalize_pmid(value: object) -> str | None:
    """PMID as plain digits without leading zeros ("PMID: 0012" -> "12")."""
    text = str(value or "").strip()
    text = re.sub(r"^(?:pmid|pubmed)\s*:?\s*", "", text, flags=re.I)
    if not text.isdigit() or not text.isascii():
        return None
    text = text.lstrip("0")
    return text if 0 < len(text) <= 9 else None


def normalize_doi(value: object) -> str | None:
    """DOI lower-cased, without resolver prefix or trailing punctuation."""
    text = _DOI_PREFIX.sub("", str(value or "").strip()).strip().lower()
    while text and text[-1] in ".,;:'\"]}>":
        text = text[:-1]
    # A closing parenthesis belongs to the DOI only when it closes one opened inside it.
    while text.endswith(")") and text.count(")") > text.count("("):
        text = text[:-1]
    return text if _DOI_SHAPE.match(text) else None


def normalize_pmcid(value: object) -> str | None:
    """PMCID as "PMC" followed by digits."""
    text = str(value or "").strip().upper()
    if text.startswith("PMCID:"):
        text = text[6:].strip()
    digits = text[3:] if text.startswith("PMC") else text
    return f"PMC{digits.lstrip('0')}" if digits.isdigit() and digits.isascii() else None


def normalize_pii(value: object) -> str | None:
    """Publisher item identifier: kept as given, whitespace trimmed."""
    text = str(value or "").strip()
    return text or None


# Trial registries: (scheme, pattern with the id's parts, formatter to the canonical spelling).
_REGISTRIES: list[tuple[str, re.Pattern[str], object]] = [
    ("nct", re.compile(r"\bNCT\s?-?(\d{8})\b", re.I), lambda m: f"NCT{m[1]}"),
    (
        "chictr",
        re.compile(r"\bChiCTR-?((?:[A-Z]{2,4}-)?\d{6,12})\b", re.I),
        lambda m: f"ChiCTR{m[1].upper()}" if m[1][0].isdigit() else f"ChiCTR-{m[1].upper()}",
    ),
    ("isrctn", re.compile(r"\bISRCTN\s?(\d{8})\b", re.I), lambda m: f"ISRCTN{m[1]}"),
    (
        "euct",
        re.compile(r"\b((?:19|20)\d{2}-5\d{5}-\d{2}-\d{2})\b"),
        lambda m: m[1],
    ),
    (
        "eudract",
        re.compile(
            r"\bEudra\s?CT(?:\s*(?:no\.?|number|n[o°]|#))?\s*:?\s*((?:19|20)\d{2}-\d{6}-\d{2})\b",
            re.I,
        ),
        lambda m: m[1],
    ),
    ("actrn", re.compile(r"\bACTRN\s?(\d{14})\b", re.I), lambda m: f"ACTRN{m[1]}"),
    (
        "jprn",
        re.compile(r"\b(?:JPRN-)?((?:UMIN\d{9})|(?:jRCT[a-z]?\d{9,10}))\b", re.I),
        lambda m: (
            "JPRN-" + (m[1].upper() if m[1].upper().startswith("UMIN") else "jRCT" + m[1][4:])
        ),
    ),
    ("drks", re.compile(r"\bDRKS\s?(\d{8})\b", re.I), lambda m: f"DRKS{m[1]}"),
    (
        "ctri",
        re.compile(r"\bCTRI\s?/\s?(\d{4})\s?/\s?(\d{2,3})\s?/\s?(\d{6})\b", re.I),
        lambda m: f"CTRI/{m[1]}/{m[2]}/{m[3]}",
    ),
    ("kct", re.compile(r"\bKCT\s?(\d{7})\b", re.I), lambda m: f"KCT{m[1]}"),
]

REGISTRY_SCHEMES: tuple[str, ...] = tuple(scheme for scheme, _, _ in _REGISTRIES)
# Cheap first pass: most abstracts name no registry, and substring tests on the upper-cased text
# cost a fraction of one case-insensitive regex scan. Each token is the start of a real id
# (NCT and a digit, "CTRI/") so that FUNCTION or ELECTRIC do not trigger the full scan.
_REGISTRY_TOKENS = ("CHICTR", "ISRCTN", "EUDRA", "ACTRN", "UMIN", "JRCT", "DRKS", "CTRI/")
_NUMBERED = re.compile(r"[NK]CT\s?-?\d")
_EU_CT_SHAPE = re.compile(r"\d-5\d{5}-\d\d-\d\d")


def _may_name_a_registry(text: str) -> bool:
    upper = text.upper()
    if any(token in upper for token in _REGISTRY_TOKENS):
        return True
    if ("NCT" in upper or "KCT" in upper) and _NUMBERED.search(upper):
        return True
    return "-5" in text and _EU_CT_SHAPE.search(text) is not None


def find_registry_ids(text: str) -> list[tuple[str, str]]:
    """Trial registry ids in free text, as (scheme, canonical id), first appearance first."""
    if not text or not _may_name_a_registry(text):
        return []
    found: list[tuple[int, str, str]] = []
    for scheme, pattern, fmt in _REGISTRIES:
        for match in pattern.finditer(text):
            found.append((match.start(), scheme, fmt(match)))  # type: ignore[operator]
    seen: set[str] = set()
    result = []
    for _, scheme, value in sorted(found):
        if value not in seen:
            seen.add(value)
            result.append((scheme, value))
    return result


def normalize_registry_id(value: str) -> tuple[str, str] | None:
    """A single registry id in any accepted spelling -> (scheme, canonical id)."""
    found = find_registry_ids(str(value or "").strip())
    return found[0] if len(found) == 1 else None


def find_dois(text: str) -> list[str]:
    """DOIs in free text or links, canonical, first appearance first."""
    seen: dict[str, None] = {}
    for match in _DOI_IN_TEXT.finditer(text or ""):
        doi = normalize_doi(match.group(0))
        if doi:
            seen.setdefault(doi, None)
    return list(seen)


def unique(values: Iterable[str | None]) -> list[str]:
    """Non-empty values in first-seen order, without repeats."""
    return list(dict.fromkeys(v for v in values if v))

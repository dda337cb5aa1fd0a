"""Identifier normalisation: one canonical spelling per scheme, so equal ids compare equal.

Every function returns the canonical string or None for a value that is not an id of that scheme;
all of them are idempotent (normalising a normalised value returns it unchanged).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

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
    if not (digits.isdigit() and digits.isascii()) or not digits.lstrip("0"):
        return None
    return f"PMC{digits.lstrip('0')}"


def normalize_pii(value: object) -> str | None:
    """Publisher item identifier: kept as given, whitespace trimmed."""
    text = str(value or "").strip()
    return text or None


# Trial registries: (scheme, tokens, pattern, formatter to the canonical spelling).
# Patterns run on the upper-cased text, and only when one of their tokens occurs in it: a
# substring test costs a fraction of a regex scan, most abstracts name no registry at all, and a
# case-sensitive pattern that starts with a literal is searched ten times faster than one with re.I
# or a leading \b.
_REGISTRIES: list[tuple[str, tuple[str, ...], re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    ("nct", ("NCT",), re.compile(r"NCT\s?-?(\d{8})\b"), lambda m: f"NCT{m[1]}"),
    (
        "chictr",
        ("CHICTR",),
        re.compile(r"CHICTR-?((?:[A-Z]{2,4}-)?\d{6,12})\b"),
        lambda m: f"ChiCTR{m[1]}" if m[1][0].isdigit() else f"ChiCTR-{m[1]}",
    ),
    ("isrctn", ("ISRCTN",), re.compile(r"ISRCTN\s?(\d{8})\b"), lambda m: f"ISRCTN{m[1]}"),
    (
        "euct",  # EU CT numbers of CTIS, bare or as "CTIS 2023-501234-12-00"
        ("-5",),
        re.compile(r"(?:CTIS\s?-?\s?)?((?:19|20)\d{2}-5\d{5}-\d{2}-\d{2})\b"),
        lambda m: m[1],
    ),
    (
        "eudract",
        ("EUDRA",),
        re.compile(
            r"EUDRA\s?CT(?:\s*(?:NO\.?|NUMBER|N[O°]|#))?\s*:?\s*((?:19|20)\d{2}-\d{6}-\d{2})\b"
        ),
        lambda m: m[1],
    ),
    ("actrn", ("ACTRN",), re.compile(r"ACTRN\s?(\d{14})\b"), lambda m: f"ACTRN{m[1]}"),
    (
        "jprn",
        ("UMIN", "JRCT", "JAPIC"),
        re.compile(r"(?:JPRN-)?((?:UMIN\d{9})|(?:JRCT[A-Z]?\d{9,10})|(?:JAPICCTI-?\d{6}))\b"),
        lambda m: "JPRN-" + _jprn(m[1]),
    ),
    ("drks", ("DRKS",), re.compile(r"DRKS\s?(\d{8})\b"), lambda m: f"DRKS{m[1]}"),
    (
        "ctri",
        ("CTRI",),
        re.compile(r"CTRI\s?/\s?(\d{4})\s?/\s?(\d{2,3})\s?/\s?(\d{6})\b"),
        lambda m: f"CTRI/{m[1]}/{m[2]}/{m[3]}",
    ),
    ("kct", ("KCT",), re.compile(r"KCT\s?(\d{7})\b"), lambda m: f"KCT{m[1]}"),
    # Iran: IRCT + registration date and serial + N + version ("IRCT20180216038783N1")
    ("irct", ("IRCT",), re.compile(r"IRCT\s?(\d{8,14}N\d{1,3})\b"), lambda m: f"IRCT{m[1]}"),
    ("tctr", ("TCTR",), re.compile(r"TCTR\s?(\d{11})\b"), lambda m: f"TCTR{m[1]}"),  # Thailand
    ("pactr", ("PACTR",), re.compile(r"PACTR\s?(\d{15})\b"), lambda m: f"PACTR{m[1]}"),  # Africa
    # Brazil (ReBEC): "RBR-" and 6 to 8 letters and digits, canonically lower case
    (
        "rebec",
        ("RBR",),
        re.compile(r"RBR\s?-\s?([0-9A-Z]{6,8})\b"),
        lambda m: f"RBR-{m[1].lower()}",
    ),
    # Netherlands: the old register's NTR numbers, its NL numbers, and NL-OMON of its successor
    (
        "ntr",
        ("NTR", "NL"),
        re.compile(r"(NTR\s?\d{3,5}|NL\s?-?\s?OMON\s?\d{3,6}|NL\s?\d{4,5})\b"),
        lambda m: _ntr(m[1]),
    ),
    # International Traditional Medicine Clinical Trial Registry (China)
    ("itmctr", ("ITMCTR",), re.compile(r"ITMCTR\s?(\d{10,14})\b"), lambda m: f"ITMCTR{m[1]}"),
]
# Registries whose ids may hold fewer than six digits in a row (NTR, NL, ReBEC's RBR-).
_SHORT_ID = re.compile(r"NTR\s?\d|NL\s?-?\s?(?:OMON\s?)?\d|RBR\s?-")


def short_id_possible(text: str) -> bool:
    """Whether text may hold a registry id with fewer than six digits in a row; the cheap
    substring tests come first (such ids are written in capitals, as registries print them)."""
    return ("NL" in text or "NTR" in text or "RBR" in text) and _SHORT_ID.search(text) is not None


def _jprn(value: str) -> str:
    """The JPRN id after "JPRN-": UMIN as is, jRCT with its lower-case letters, JapicCTI."""
    if value.startswith("UMIN"):
        return value
    if value.startswith("JAPIC"):
        return "JapicCTI-" + value[-6:]
    return "jRCT" + value[4:].lower()


def _ntr(value: str) -> str:
    """ "NTR 1234" -> "NTR1234", "NL 8633" -> "NL8633", "nl-omon 123" -> "NL-OMON123"."""
    compact = re.sub(r"[\s-]", "", value)
    return "NL-OMON" + compact[6:] if compact.startswith("NLOMON") else compact


REGISTRY_SCHEMES: tuple[str, ...] = tuple(entry[0] for entry in _REGISTRIES)


def find_registry_ids(text: str) -> list[tuple[str, str]]:
    """Trial registry ids in free text, as (scheme, canonical id), first appearance first."""
    seen: set[str] = set()
    result = []
    for _, _, scheme, value in registry_matches(text):
        if value not in seen:
            seen.add(value)
            result.append((scheme, value))
    return result


def registry_matches(text: str) -> list[tuple[int, int, str, str]]:
    """Every registry id written in free text, as (start, end, scheme, canonical id) in text
    order, repeats included: what a reader checking a citation needs to point at."""
    if not text:
        return []
    upper = text.upper()
    found: list[tuple[int, int, str, str]] = []
    for scheme, tokens, pattern, fmt in _REGISTRIES:
        if any(token in upper for token in tokens):
            found.extend(
                (m.start(), m.end(), scheme, fmt(m))
                for m in pattern.finditer(upper)
                # the word boundary is checked here: a leading \b would cost the fast search
                if not (m.start() and upper[m.start() - 1].isalnum())
            )
    return sorted(found)


_BARE_EUDRACT = re.compile(r"^(?:EUCTR\s?)?((?:19|20)\d{2}-\d{6}-\d{2})(?:-[A-Z]{2,3})?$", re.I)


def normalize_registry_id(value: str) -> tuple[str, str] | None:
    """A single registry id in any accepted spelling -> (scheme, canonical id).

    A value that is known to be one id (a field, not free text) may be a bare EudraCT number
    ("2014-001234-56", or the WHO form "EUCTR2014-001234-56-FR"), which free text never trusts.
    """
    text = str(value or "").strip()
    found = find_registry_ids(text)
    if len(found) == 1:
        return found[0]
    bare = _BARE_EUDRACT.match(text)
    return ("eudract", bare[1]) if bare and not found else None


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

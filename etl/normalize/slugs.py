"""A study's web address from its best identifier (`nct05432187`, `pmid-38012345`, `doi-…`).

The address is what readers bookmark and cite, and what every issue and email links to, so it is
derived from identifiers alone, never from a row number that a merge or a rebuild would change.
It is also reversible: `parse_slug` gives back the (scheme, canonical value) the slug names, so a
page can be found with one identifier lookup and no slug column. A work that gains a better
identifier later (a feed item's DOI, then PubMed's PMID) gets a new address, and the old one still
resolves to it (the page answers it with a redirect), as does the address of a work merged into
another.

Slugs hold only lower-case letters, digits, `.`, `-`, `_` and `~`, so they need no quoting in a
URL and make safe file names: a `/` of the value is written `_`, and every other character (and
`_` and `~` themselves) as `~` and the two hex digits of each of its UTF-8 bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from etl.normalize.identifiers import (
    REGISTRY_SCHEMES,
    normalize_doi,
    normalize_pmcid,
    normalize_pmid,
    normalize_registry_id,
)

# Which identifier names a study, best first. A trial is known by its registration (the id a
# clinician searches a registry with); a paper by its PMID, else its DOI, else Europe PMC's
# preprint id, else its PMC id.
TRIAL_ORDER: tuple[str, ...] = (
    "nct",
    "chictr",
    *(s for s in REGISTRY_SCHEMES if s not in ("nct", "chictr")),
)
PAPER_ORDER: tuple[str, ...] = ("pmid", "doi", "ppr", "pmcid")
# The prefix of a work that no identifier names (a feed item with a link only).
WORK_PREFIX = "work"

_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")


def _registry(scheme: str) -> Callable[[str], str | None]:
    def canonical(value: str) -> str | None:
        parsed = normalize_registry_id(value)
        return parsed[1] if parsed and parsed[0] == scheme else None

    return canonical


def _ppr(value: str) -> str | None:
    text = value.strip().upper()
    return text if text.startswith("PPR") and text[3:].isdigit() and text[3:].isascii() else None


# Each scheme's canonical spelling, used to turn a slug (lower case) back into the stored value.
_CANONICAL: dict[str, Callable[[str], str | None]] = {
    "pmid": normalize_pmid,
    "doi": normalize_doi,
    "pmcid": normalize_pmcid,
    "ppr": _ppr,
    **{scheme: _registry(scheme) for scheme in REGISTRY_SCHEMES},
}
SCHEMES: tuple[str, ...] = (*TRIAL_ORDER, *PAPER_ORDER)


def escape(value: str) -> str:
    """A value in slug characters, reversibly (see the module's docstring)."""
    out = []
    for char in value.lower():
        if char in _PLAIN:
            out.append(char)
        elif char == "/":
            out.append("_")
        else:
            out.extend(f"~{byte:02x}" for byte in char.encode("utf-8"))
    return "".join(out)


def unescape(text: str) -> str | None:
    """The value `escape` wrote, or None for text it cannot have written."""
    raw = bytearray()
    i = 0
    while i < len(text):
        char = text[i]
        if char in _PLAIN:
            raw += char.encode()
        elif char == "_":
            raw += b"/"
        elif char == "~" and i + 2 < len(text) and _is_hex(text[i + 1 : i + 3]):
            raw.append(int(text[i + 1 : i + 3], 16))
            i += 2
        else:
            return None
        i += 1
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _is_hex(pair: str) -> bool:
    return len(pair) == 2 and all(c in "0123456789abcdef" for c in pair)


def identifier_slug(scheme: str, value: str) -> str:
    """The slug of one identifier: the value itself where it starts with its scheme's name
    (`nct05432187`, `chictr2300071234`, `ppr123456`), else `scheme-value` (`pmid-38012345`,
    `doi-10.1016_j.cell.2023.01.001`, `eudract-2014-001234-56`)."""
    body = escape(value)
    return body if body.startswith(scheme) else f"{scheme}-{body}"


def best_identifier(
    identifiers: Iterable[tuple[str, str]], kind: str = "paper"
) -> tuple[str, str] | None:
    """The (scheme, value) that names the work best, or None when no known scheme names it."""
    by_scheme: dict[str, list[str]] = {}
    for scheme, value in identifiers:
        if scheme in _CANONICAL and value:
            by_scheme.setdefault(scheme, []).append(value)
    order = TRIAL_ORDER + PAPER_ORDER if kind == "trial" else PAPER_ORDER + TRIAL_ORDER
    for scheme in order:
        if scheme in by_scheme:
            # Two ids of one scheme (a trial registered twice in ChiCTR, merged): the smallest,
            # so the choice does not depend on the order rows come back in.
            return scheme, min(by_scheme[scheme])
    return None


def study_slug(identifiers: Iterable[tuple[str, str]], kind: str, work_id: int) -> str:
    """The address of a work's study page: its best identifier's slug, else `work-<id>`."""
    best = best_identifier(identifiers, kind)
    return identifier_slug(*best) if best else f"{WORK_PREFIX}-{work_id}"


def parse_slug(slug: str) -> tuple[str, str] | None:
    """What a slug names: (scheme, canonical value), ("work", "<id>"), or None.

    Case is forgiven (`NCT05432187` is read as `nct05432187`): a caller compares the canonical
    slug with the one asked for and redirects when they differ.
    """
    text = slug.strip().lower()
    head, _, rest = text.partition("-")
    if head == WORK_PREFIX:
        # a row number the database can hold (a 64-bit integer), never a leading zero
        number = rest.isdigit() and rest.isascii() and rest[:1] != "0" and len(rest) <= 19
        number = number and int(rest) < 2**63
        return (WORK_PREFIX, rest) if number else None
    for scheme in sorted(SCHEMES, key=len, reverse=True):
        candidates = []
        if head == scheme and rest:
            candidates.append(rest)
        if text.startswith(scheme):
            candidates.append(text)
        for candidate in candidates:
            value = unescape(candidate)
            canonical = _CANONICAL[scheme](value) if value else None
            if canonical and identifier_slug(scheme, canonical) == text:
                return scheme, canonical
    return None

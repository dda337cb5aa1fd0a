"""Author names from feeds -> display names "First Last", as PubMed records hold them.

Feeds spell authors in every way there is: one `dc:creator` per author ("Xiao Jin"; Cambridge
"Inoda, Toshio"), or all authors in one field: Wiley "Rachel M. Binks, \\nMargaret Heslewood",
Microbiology Society "Suping Wang and Jianguo Xu", Oxford "Brandão S, Saeedi H, Brandt A.",
bioRxiv "LAPALU, N., SIMON, A., O'Connell, R. J.", ScienceDirect "Author(s): …", CNKI
"Guocheng SHU;Ping LIU;". These rules cover those shapes and leave anything else as written.
"""

from __future__ import annotations

import re

from etl.normalize.identifiers import unique
from etl.normalize.text import squash

_SEPARATORS = re.compile(r"\s*(?:[,;\n]|\band\b|&)\s*")
_ET_AL = re.compile(r"^et\.?\s+al\.?$", re.I)
_INITIALS_WITH_DOTS = re.compile(r"^(?:[A-Z]\.(?:\s?-?\s?)?)+$")  # "N.", "P.-L.", "R. J."
_SURNAME_INITIALS = re.compile(r"^(.*\S)\s+([A-Z]{1,4})\.?$")  # "Brandão S", "Brandt A."


def display_names(fields: list[str]) -> list[str]:
    """Author display names from an entry's author fields, first author first.

    Several fields are one author each ("Last, First" is turned round); a single field may pack
    the whole list and is split.
    """
    names = [squash(f) for f in fields if squash(f)]
    if len(names) > 1:
        return unique(_one_person(n) for n in names)
    return split_list(names[0]) if names else []


def split_list(text: str) -> list[str]:
    """One field holding several authors -> their names."""
    parts = [p for p in _SEPARATORS.split(text.strip()) if p and not _ET_AL.match(p)]
    if len(parts) < 2:
        return unique(squash(p) for p in parts)
    if len(parts) % 2 == 0 and all(_INITIALS_WITH_DOTS.match(p) for p in parts[1::2]):
        # bioRxiv: "Surname, Initials., Surname, Initials."
        pairs = zip(parts[0::2], parts[1::2], strict=True)
        return unique(f"{initials} {surname}" for surname, initials in pairs)
    if len(parts) == 2 and (" " not in parts[0] or " " not in parts[1]) and "," in text:
        return [f"{parts[1]} {parts[0]}"]  # one "Last, First" author (Cambridge)
    if all(_SURNAME_INITIALS.match(p) for p in parts) and "," in text:
        return unique(_SURNAME_INITIALS.sub(r"\2 \1", p) for p in parts)  # Oxford: "Brandão S"
    return unique(parts)


def _one_person(name: str) -> str:
    """ "Inoda, Toshio" -> "Toshio Inoda"; a name without one comma stays as written."""
    if name.count(",") == 1:
        last, first = (squash(p) for p in name.split(","))
        return f"{first} {last}".strip()
    return name

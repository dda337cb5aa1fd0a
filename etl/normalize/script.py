"""Superscripts and subscripts as plain text, so numbers keep their meaning without markup.

"5 × 10<sup>6</sup> cells" read as text would be "5 × 106 cells": a dose a thousand-fold wrong.
Every source's text fields are plain text, so raised and lowered runs are written with Unicode's
superscript and subscript characters where each character has one ("10⁶", "CD4⁺", "H₂O"), and
otherwise with the caret and underscore notation of plain-text mathematics ("10^x̄",
"p_trend"), parenthesised when the run is longer than one character ("10^(-q)").
"""

from __future__ import annotations

import re

_SUPERSCRIPT = dict(
    zip(
        "0123456789+-=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWαβγδεθιφχ−",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵅᵝᵞᵟᵋᶿᶥᵠᵡ⁻",
        strict=True,
    )
)
_SUBSCRIPT = dict(
    zip(
        "0123456789+-=()aehijklmnoprstuvxβγρφχ−",
        "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ₋",
        strict=True,
    )
)
_PARENS = frozenset("()")
# Marks that are raised already or read the same either way (GeneReviews<sup>®</sup>, the comma
# of a citation list "<sup>8,9</sup>"), and the shifted characters themselves: kept as they are.
_AS_IS = frozenset("®©™°*†‡§′″,/ ").union(_SUPERSCRIPT.values(), _SUBSCRIPT.values())
_AS_IS_LOW = _AS_IS | {"."}  # "PM<sub>2.5</sub>" is written "PM₂.₅"


def superscript(text: str) -> str:
    """A raised run as plain text: "6" -> "⁶", "+" -> "⁺", "-q" -> "^(-q)"."""
    return _shifted(text, _SUPERSCRIPT, "^")


def subscript(text: str) -> str:
    """A lowered run as plain text: "2" -> "₂", "max" -> "ₘₐₓ", "trend" -> "_trend"."""
    return _shifted(text, _SUBSCRIPT, "_")


def _shifted(text: str, table: dict[str, str], mark: str) -> str:
    run = text.strip()
    if not run:
        return text
    kept = _AS_IS if mark == "^" else _AS_IS_LOW
    if all(char in table or char in kept for char in run) and not _PARENS.issuperset(run):
        return "".join(table.get(char, char) for char in run)
    # Plain-text notation; a run of letters or digits alone needs no brackets ("p_trend").
    if len(run) == 1 or (run.isalnum() and mark == "_"):
        return f"{mark}{run}"
    return f"{mark}({run})"


_TAGGED = re.compile(r"<(sup|sub)\s*>(.{0,40}?)</\1\s*>", re.I | re.S)
_MARKDOWN = re.compile(r"\^([^\s^]{1,20})\^|(?<!~)~([^\s~]{1,20})~(?!~)")


def shift_tags(text: str) -> str:
    """`<sup>`/`<sub>` written into a plain-text field (registries pass them through, often
    escaped once) turned into shifted characters: "10<sup>6</sup>" -> "10⁶"."""
    if "<" not in text:
        return text
    return _TAGGED.sub(
        lambda m: superscript(m[2]) if m[1].lower() == "sup" else subscript(m[2]), text
    )


def shift_markdown(text: str) -> str:
    """ClinicalTrials.gov's markdown for raised and lowered text, "10^6^" and "H~2~O", turned
    into shifted characters ("10⁶", "H₂O"); a lone caret ("mm^3") is already plain notation."""
    if "^" not in text and "~" not in text:
        return text
    return _MARKDOWN.sub(lambda m: superscript(m[1]) if m[1] is not None else subscript(m[2]), text)

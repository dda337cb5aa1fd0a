"""Title matching for records that share no identifier: normalised titles compared only within a
block (kind, year, first author), so the work grows with the number of records, not its square.

The known traps are guarded: a follow-up study ("… Part II", "… phase 3") differs in its numbers,
so two titles whose numbers differ never match, however similar the words.
"""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz

THRESHOLD = 95.0  # token_sort_ratio: near-identical after normalisation
_WORD = re.compile(r"\w+")
# Tokens that tell one study from its follow-up: numbers ("2", "1a"), Roman numerals, ordinals.
_NUMBERS = re.compile(
    r"^(?:\d+[a-z]?|i{1,3}[ab]?|iv|v|vi{1,3}|ix|x|first|second|third|fourth|fifth|"
    r"primary|secondary|1st|2nd|3rd|\d+th)$"
)
_TAG = re.compile(r"</?[a-z]+>")


def title_key(title: str) -> str:
    """Lower-cased words only: punctuation, markup leftovers and spacing do not matter."""
    return " ".join(_WORD.findall(_TAG.sub(" ", title.lower())))


NOTICE_TYPES = frozenset({"Published Erratum", "Retraction of Publication", "Retraction Notice",
                          "Expression of Concern"})  # fmt: skip
NOTICE_REFS = frozenset({"ErratumFor", "RetractionOf", "ExpressionOfConcernFor", "UpdateOf",
                         "CorrectedandRepublishedFrom", "RetractedandRepublishedFrom"})  # fmt: skip
_NOTICE_TITLE = re.compile(r"^\W*(?:correction|erratum|corrigendum|retraction|retracted|"
                           r"expression of concern)\b", re.I)  # fmt: skip


def is_notice(data: dict[str, Any]) -> bool:
    """A correction or retraction notice: it names its paper's title, and is not that paper."""
    return bool(
        NOTICE_TYPES.intersection(data.get("publication_types") or [])
        or any(c.get("type") in NOTICE_REFS for c in data.get("corrections") or [])
        or _NOTICE_TITLE.match(data.get("title") or "")
    )


def block_key(data: dict[str, Any]) -> str | None:
    """(kind, year, first author's last name), or None when a record is not to be title-matched
    (no year or author to block on, a trial, or a notice about another paper)."""
    year = (data.get("published") or data.get("epublished") or "")[:4]
    authors = data.get("authors") or []
    if data.get("kind") != "paper" or not year.isdigit() or not authors or is_notice(data):
        return None
    last = _WORD.findall(authors[0].lower())
    return f"paper|{year}|{last[-1]}" if last else None


def numbers(key: str) -> frozenset[str]:
    return frozenset(token for token in key.split() if _NUMBERS.match(token))


def similarity(a: str, b: str) -> float:
    """0–100; 0 when the titles' numbers differ (a follow-up study is not a duplicate)."""
    if not a or not b or numbers(a) != numbers(b):
        return 0.0
    return fuzz.token_sort_ratio(a, b)


def best_match(key: str, candidates: list[tuple[int, str]]) -> tuple[int, float] | None:
    """The most similar candidate (work id, title key) at or above the threshold."""
    scored = [(work_id, similarity(key, other)) for work_id, other in candidates]
    scored = [item for item in scored if item[1] >= THRESHOLD]
    return max(scored, key=lambda item: (item[1], -item[0])) if scored else None

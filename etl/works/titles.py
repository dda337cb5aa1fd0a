"""Title matching for records that share no identifier: normalised titles compared only within a
block (kind, year, first author), so the work grows with the number of records, not its square.

The key forgives what sources do to one title (case, punctuation, HTML entities and tags left in
by feeds, British or American spelling); the guards refuse what tells two studies apart although
the words are nearly the same:

- numbers: a follow-up ("… Part II", "phase 1b", "second-line") differs in a number, a sub-phase
  or an ordinal, so two titles whose numbers differ (as a multiset: "Part 2" after a title that
  already names "2" counts) never match;
- a swapped word: the same template title for another cancer type or another drug differs in one
  content word ("breast" / "bladder", "cisplatin" / "carboplatin"). Such a long title still scores
  above the threshold, so a word of one title standing where the other has a different word (not
  a spelling of it, not the same word split in two) refuses the match.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

THRESHOLD = 95.0  # token_sort_ratio: near-identical after normalisation
_WORD = re.compile(r"\w+")
# Words that tell one study from its follow-up: Roman numerals and ordinals in words.
_ORDINALS = re.compile(
    r"^(?:i{1,3}[ab]?|iv|v|vi{1,3}|ix|x|first|second|third|fourth|fifth|"
    r"primary|secondary|1st|2nd|3rd|\d+th)$"
)
_SUB_PHASE = re.compile(r"^\d+[a-z]$")  # "1a", "1b": the letter is part of the number
_DIGITS = re.compile(r"\d+")
_TAG = re.compile(r"</?[a-z]+>")

# British spellings as rules, so that words no list names ("haemostasis", "tumourous") meet their
# American form too. Both titles go through the same rules, so a rule that also rewrites an
# unrelated word ("resource" -> "resorce") is harmless: it only has to be consistent.
_SPELLING = (
    (re.compile(r"a+e"), "e"),  # haematological, leukaemia, paediatric, anaemia
    (re.compile(r"^oe|(?<=h)oe(?=a)|^foet|^coel"), lambda m: m[0].replace("o", "", 1)),
    (re.compile(r"(?<=\w\w)our"), "or"),  # tumour, behaviour, favourable (not four, your)
    (re.compile(r"(?<=\w\w)is(?=e$|ed$|es$|ing$|ation|er$|ers$)"), "iz"),  # randomised
    (re.compile(r"ys(?=e$|ed$|es$|ing$)"), "yz"),  # analyse
    (re.compile(r"(?<=[a-z][bt])re(?=s?$)"), "er"),  # centre, fibre
    (re.compile(r"(?<=[a-z]{2}[aeo])ll(?=ed$|ing$|er$|ers$)"), "l"),  # labelled, signalling
    (re.compile(r"ogue(?=s?$)"), "og"),  # analogue
)
_WORDS = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa", "vs": "versus",
    "grey": "gray", "programme": "program", "programmes": "programs", "ageing": "aging",
}  # fmt: skip
_GREEK = re.compile("[" + "".join(k for k in _WORDS if len(k) == 1) + "]")


def title_key(title: str) -> str:
    """Lower-cased words only, in American spelling: punctuation, entities and tags left in by a
    feed, spacing and spelling do not matter."""
    text = _TAG.sub(" ", html.unescape(title).lower())
    text = _GREEK.sub(lambda m: _WORDS[m[0]], text)  # "TGF-β" and "TGF-beta", "NF-κB"
    return " ".join(_american(word) for word in _WORD.findall(text))


@lru_cache(maxsize=8192)
def _american(word: str) -> str:
    if word.isascii() and word.isalpha():
        for pattern, replacement in _SPELLING:
            word = pattern.sub(replacement, word)
    return _WORDS.get(word, word)


NOTICE_TYPES = frozenset({"Published Erratum", "Retraction of Publication", "Retraction Notice",
                          "Expression of Concern"})  # fmt: skip
NOTICE_REFS = frozenset({"ErratumFor", "RetractionOf", "ExpressionOfConcernFor", "UpdateOf",
                         "CorrectedandRepublishedFrom", "RetractedandRepublishedFrom"})  # fmt: skip
_NOTICE_TITLE = re.compile(r"^\W*(?:correction|erratum|corrigendum|retraction|retracted|"
                           r"expression of concern)\b", re.I)  # fmt: skip


def is_notice(data: Mapping[str, Any]) -> bool:
    """A correction or retraction notice: it names its paper's title, and is not that paper."""
    return bool(
        NOTICE_TYPES.intersection(data.get("publication_types") or [])
        or any(c.get("type") in NOTICE_REFS for c in data.get("corrections") or [])
        or _NOTICE_TITLE.match(data.get("title") or "")
    )


def block_key(data: Mapping[str, Any]) -> str | None:
    """(kind, year, first author's last name), or None when a record is not to be title-matched
    (no year or author to block on, a trial, or a notice about another paper).

    The year is the earliest the record gives: a paper online in December and in a January issue
    is blocked with the feed entry that dates it by its online day. A preprint is blocked apart
    from journal articles: a preprint and its article are two works of one thread, linked through
    the preprint's `published_version`, never merged (see identity.py).
    """
    dates = (data.get("published") or "", data.get("epublished") or "")
    years = [date[:4] for date in dates if date[:4].isdigit()]
    authors = data.get("authors") or []
    if data.get("kind") != "paper" or not years or not authors or is_notice(data):
        return None
    last = _WORD.findall(authors[0].lower())
    kind = "preprint" if data.get("preprint") else "paper"
    return f"{kind}|{min(years)}|{last[-1]}" if last else None


@lru_cache(maxsize=65536)
def _tokens(key: str) -> tuple[str, ...]:
    return tuple(key.split())


@lru_cache(maxsize=65536)
def numbers(key: str) -> tuple[tuple[str, int], ...]:
    """The numbers of a title key, counted: digits wherever they stand ("PD-1" and "PD1" both
    give 1), sub-phases ("1a"), Roman numerals and ordinals."""
    found: Counter[str] = Counter()
    for token in _tokens(key):
        if _ORDINALS.match(token) or _SUB_PHASE.match(token):
            found[token] += 1
        else:
            found.update(_DIGITS.findall(token))
    return tuple(sorted(found.items()))


# Words whose swap says nothing about the study ("in" / "with").
_STOP = frozenset({
    "a", "an", "the", "of", "in", "on", "and", "or", "for", "with", "without", "to", "by", "from",
    "at", "as", "via", "versus", "into", "after", "before", "during", "between", "among", "than",
    "is", "are", "be", "was", "were", "this", "that", "these", "those", "its", "their", "our",
})  # fmt: skip
SPELLING_RATIO = 85.0  # fuzz.ratio of two words above which they are one word spelt two ways


def swapped_word(a: str, b: str) -> bool:
    """Whether each title has a content word the other lacks, and the two are not one word
    written two ways: "breast" where the other says "bladder" (another study), not "tumours" /
    "tumors" (a spelling) or "nanoparticles" / "nano particles" (one word split)."""
    ta, tb = _tokens(a), _tokens(b)
    extra_a, extra_b = Counter(ta) - Counter(tb), Counter(tb) - Counter(ta)
    joined_a, parts_b = _joined(extra_a, tb)
    joined_b, parts_a = _joined(extra_b, ta)
    only_a = [w for w in extra_a if _content(w) and w not in joined_a | parts_a]
    only_b = [w for w in extra_b if _content(w) and w not in joined_b | parts_b]
    lone_a = [x for x in only_a if not any(_spelt_alike(x, y) for y in only_b)]
    lone_b = [y for y in only_b if not any(_spelt_alike(x, y) for x in only_a)]
    return bool(lone_a and lone_b)


def _joined(extra: Counter[str], other: tuple[str, ...]) -> tuple[set[str], set[str]]:
    """Words of one title that the other writes as two or three adjacent words, and those words."""
    joins = {"".join(other[i:j]): other[i:j] for i in range(len(other))
             for j in range(i + 2, min(i + 3, len(other)) + 1)}  # fmt: skip
    words = {word for word in extra if word in joins}
    return words, {part for word in words for part in joins[word]}


def _content(word: str) -> bool:
    return len(word) >= 3 and word.isalpha() and word not in _STOP


def _spelt_alike(x: str, y: str) -> bool:
    return fuzz.ratio(x, y) >= SPELLING_RATIO


# The guards cost far more than the score, and only matter for a pair that could match: they look
# at pairs scoring at least this (below every threshold worth trying), and leave the rest alone.
GUARDED_FROM = 80.0


def similarity(a: str, b: str) -> float:
    """0–100; 0 when the titles' numbers differ or a content word is swapped (another study)."""
    if not a or not b:
        return 0.0
    score = fuzz.token_sort_ratio(a, b)
    if score >= GUARDED_FROM and (numbers(a) != numbers(b) or swapped_word(a, b)):
        return 0.0
    return score


def best_match(key: str, candidates: list[tuple[int, str]]) -> tuple[int, float] | None:
    """The most similar candidate (work id, title key) at or above the threshold."""
    scored = [(work_id, similarity(key, other)) for work_id, other in candidates]
    scored = [item for item in scored if item[1] >= THRESHOLD]
    return max(scored, key=lambda item: (item[1], -item[0])) if scored else None


def plan_title_joins(
    newcomers: Iterable[tuple[int, str | None, str]],
    blocks: dict[str, dict[int, str]],
    refuse: Callable[[int, int], bool] | None = None,
) -> dict[int, tuple[int, float]]:
    """Which new works join an older one by title: new work -> (kept work, score).

    `newcomers` are (work, block, title key) in the order the works were made, each id above
    every id of `blocks` (the live works already stored, block -> {work: title key}); `refuse`
    says when a pair must stay apart whatever the title. A newcomer is compared with the stored
    works and with the newcomers before it that stayed on their own, as if the records had come
    one at a time: the kept work is always the oldest live match, so no join points at a work
    that is itself joined, and a batch gives the works that record-by-record loading gives.
    `blocks` is updated with the newcomers that stay.
    """
    joins: dict[int, tuple[int, float]] = {}
    for work, block, key in newcomers:
        if block is None:
            continue
        members = blocks.setdefault(block, {})
        found = best_match(key, list(members.items())) if members else None
        if found and not (refuse and refuse(found[0], work)):
            joins[work] = found
        else:
            members[work] = key
    return joins

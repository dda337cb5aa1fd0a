"""Finding taxonomy terms in text: one tokenisation, then a walk over the tokens.

Terms and text are reduced to the same word tokens (lower case, a plural "s" dropped, hyphens and
punctuation ignored), so "stem-cells" in an abstract meets "stem cell" in the taxonomy. A phrase
index keyed by its first token makes matching one dictionary look-up per word, whatever the number
of terms (bench/README.md, "Classification", has what 100,000 works cost).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache, partial
from typing import NamedTuple

_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_KEEP_S = ("ss", "us", "is", "ys", "as")


@lru_cache(maxsize=200_000)
def fold(token: str) -> str:
    """A word's matching form: a plural dropped (consistently for terms and text), so
    "malignancies" meets "malignancy"."""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token[-1] == "s" and not token.endswith(_KEEP_S):
        return token[:-1]
    return token


# `fold` as two substitutions over a whole text, so a field's words are folded in C rather than
# one function call per word: "-ies" after two letters becomes "-y"; a final "s" after three
# letters goes unless the letter before it is one of s, u, i, y, a (as in `_KEEP_S`).
# Each pattern starts with a literal or a character class, so the engine skips ahead in C to
# the few places where it can match (a leading assertion would make it try every position).
_IES = re.compile(r"ies(?<=\w\wies)\b")
_PLURAL_S = re.compile(r"s(?<=\w\w[^\Wsuiya]s)\b")
# An acronym's plural: a word that starts with a capital, a digit or a letter outside a-z and
# ends in "s"; whether the rest is all capitals is then `isupper`, as `acronym_words` asks.
_ACRONYM_S = re.compile(r"[^\Wa-z](?<!\w[^\Wa-z])\w*s\b")


def _acronym_singular(match: re.Match[str]) -> str:
    word = match.group(0)
    return word[:-1] if len(word) > 2 and word[:-1].isupper() else word


def words(text: str) -> list[str]:
    """Lower-cased, folded word tokens (each as `fold` gives it)."""
    return _WORD.findall(_PLURAL_S.sub("", _IES.sub("y", text.lower())))


def acronym_words(text: str) -> list[str]:
    """Tokens with their case kept (for acronyms); "MSCs" folds to "MSC"."""
    return _WORD.findall(_ACRONYM_S.sub(_acronym_singular, text))


class Hit(NamedTuple):
    """One term found (a tuple: made hundreds of times per record, so it must be cheap)."""

    key: str  # the label that fired, e.g. "cancer_types.aml" or "relevance.msc"
    term: str  # the taxonomy term as written
    field: str  # where: title, abstract, mesh, keywords, conditions, …
    position: int  # token index in that field (for counting distinct mentions)


# A Hit made from a plain tuple, without the named tuple's Python-level __new__
_hit = partial(tuple.__new__, Hit)


class PhraseIndex:
    """Phrases (tuples of tokens): single words by the word, longer phrases by their first two
    words, so a common first word ("cell", "t") does not make every phrase it starts compared."""

    def __init__(self, case_sensitive: bool = False) -> None:
        self.case_sensitive = case_sensitive
        self._single: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self._pairs: dict[tuple[str, str], list[tuple[tuple[str, ...], str, str]]] = defaultdict(
            list
        )
        self._first: set[str] = set()

    def add(self, phrase: str, key: str) -> None:
        tokens = tuple(acronym_words(phrase) if self.case_sensitive else words(phrase))
        if len(tokens) == 1:
            self._single[tokens[0]].append((key, phrase))
        elif tokens:
            self._pairs[tokens[0], tokens[1]].append((tokens, key, phrase))
        if tokens:
            self._first.add(tokens[0])

    def find(self, tokens: list[str], field: str) -> list[Hit]:
        present = self._first.intersection(tokens)  # in C: most fields name no term at all
        if not present:
            return []
        single, pairs = self._single, self._pairs
        found = []
        last = len(tokens) - 1
        for i in [i for i, token in enumerate(tokens) if token in present]:
            token = tokens[i]
            for key, term in single.get(token, ()):
                found.append(_hit((key, term, field, i)))
            if i < last:
                for phrase, key, term in pairs.get((token, tokens[i + 1]), ()):
                    if tuple(tokens[i : i + len(phrase)]) == phrase:
                        found.append(_hit((key, term, field, i)))
        return found


class ChineseTerms:
    """Chinese has no spaces between words: its terms are found as substrings."""

    def __init__(self) -> None:
        self._terms: list[tuple[str, str]] = []

    def add(self, term: str, key: str) -> None:
        self._terms.append((term, key))

    def find(self, text: str, field: str) -> Iterable[Hit]:
        if not self._terms or text.isascii() or not _CJK.search(text):
            return
        for term, key in self._terms:
            position = text.find(term)
            if position >= 0:
                yield Hit(key, term, field, -1 - position)

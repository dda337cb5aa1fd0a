"""Finding taxonomy terms in text: one tokenisation, then a walk over the tokens.

Terms and text are reduced to the same word tokens (lower case, a plural "s" dropped, hyphens and
punctuation ignored), so "stem-cells" in an abstract meets "stem cell" in the taxonomy. A phrase
index keyed by its first token makes matching one dictionary look-up per word, whatever the number
of terms: this is what keeps 100,000 works under a minute.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
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


def words(text: str) -> list[str]:
    """Lower-cased, folded word tokens."""
    return [fold(token) for token in _WORD.findall(text.lower())]


def acronym_words(text: str) -> list[str]:
    """Tokens with their case kept (for acronyms); "MSCs" folds to "MSC"."""
    return [
        token[:-1] if len(token) > 2 and token[-1] == "s" and token[:-1].isupper() else token
        for token in _WORD.findall(text)
    ]


class Hit(NamedTuple):
    """One term found (a tuple: made hundreds of times per record, so it must be cheap)."""

    key: str  # the label that fired, e.g. "cancer_types.aml" or "relevance.msc"
    term: str  # the taxonomy term as written
    field: str  # where: title, abstract, mesh, keywords, conditions, …
    position: int  # token index in that field (for counting distinct mentions)


class PhraseIndex:
    """Phrases (tuples of tokens) grouped by their first token."""

    def __init__(self, case_sensitive: bool = False) -> None:
        self.case_sensitive = case_sensitive
        self._by_first: dict[str, list[tuple[tuple[str, ...], str, str]]] = defaultdict(list)

    def add(self, phrase: str, key: str) -> None:
        tokens = tuple(acronym_words(phrase) if self.case_sensitive else words(phrase))
        if tokens:
            self._by_first[tokens[0]].append((tokens, key, phrase))

    def find(self, tokens: list[str], field: str) -> list[Hit]:
        index = self._by_first
        present = index.keys() & set(tokens)  # in C: most fields name no term at all
        if not present:
            return []
        found = []
        for i, token in enumerate(tokens):
            if token in present:
                for phrase, key, term in index[token]:
                    size = len(phrase)
                    if size == 1 or tuple(tokens[i : i + size]) == phrase:
                        found.append(Hit(key, term, field, i))
        return found


class ChineseTerms:
    """Chinese has no spaces between words: its terms are found as substrings."""

    def __init__(self) -> None:
        self._terms: list[tuple[str, str]] = []

    def add(self, term: str, key: str) -> None:
        self._terms.append((term, key))

    def find(self, text: str, field: str) -> Iterable[Hit]:
        if not self._terms or not _CJK.search(text):
            return
        for term, key in self._terms:
            position = text.find(term)
            if position >= 0:
                yield Hit(key, term, field, -1 - position)

"""Regular expressions behind a literal gate: a pattern is tried only on a text that contains one
of the words it cannot match without.

A taxonomy pattern such as `\\b{cells}\\b[^.;]{0,80}\\b{oncolytic}` starts with a word boundary,
which stops Python's regex engine from skipping ahead to a likely first character: it tries the
pattern at every position of every abstract. Most abstracts hold none of the words the pattern
needs ("oncolytic", "virotherap", "reovirus"…), and `in` on a string finds that out in C at a
fraction of the cost. The needed words are read from the pattern itself (its parse tree), so the
taxonomy file stays the only place where a pattern is written.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from typing import Any

# The parser behind `re.compile`; its tree is the pattern's own account of what it needs.
_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")
_ZERO_WIDTH = {_c.AT, _c.ASSERT, _c.ASSERT_NOT}
MIN_NEEDLE = 3  # shorter needles are in nearly every text: no gate is better than a useless one


def _prefixes(items: list[Any]) -> set[str] | None:
    """Literal strings one of which starts every match of this sequence, or None."""
    prefix = ""
    for op, av in items:
        if op in _ZERO_WIDTH and not prefix:
            continue
        if op is _c.LITERAL:
            prefix += chr(av)
            continue
        if prefix:
            return {prefix}
        if op is _c.SUBPATTERN:
            return _prefixes(list(av[3]))
        if op is _c.BRANCH:
            found: set[str] = set()
            for branch in av[1]:
                inner = _prefixes(list(branch))
                if inner is None:
                    return None
                found |= inner
            return found
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
            return _prefixes(list(av[2]))
        return None
    return {prefix} if prefix else None


def _mandatory(op: Any, av: Any) -> bool:
    return op not in _ZERO_WIDTH and not (op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] == 0)


def _cheaper(found: set[str], best: set[str]) -> bool:
    """Fewer needles cost fewer look-ups on the many texts that hold none; then longer ones."""
    return (len(found), -min(map(len, found))) < (len(best), -min(map(len, best)))


def needles(pattern: str) -> tuple[str, ...] | None:
    """The cheapest set of words the pattern cannot match without: of the literal sets that
    start its mandatory parts (each word at least MIN_NEEDLE long), the one with fewest words."""
    items = list(_parser.parse(pattern))
    best: set[str] | None = None
    for i, (op, av) in enumerate(items):
        if not _mandatory(op, av):
            continue
        found = _prefixes(items[i:])
        if found and min(map(len, found)) >= MIN_NEEDLE and (best is None or _cheaper(found, best)):
            best = found
    return tuple(sorted(best)) if best else None


class GatedPattern:
    """A compiled pattern with `search` and `finditer` that first ask the gate."""

    __slots__ = ("pattern", "needles", "_regex")

    def __init__(self, regex: re.Pattern[str]) -> None:
        self._regex = regex
        self.pattern = regex.pattern
        self.needles = needles(regex.pattern)

    def _open(self, text: str) -> bool:
        return self.needles is None or any(needle in text for needle in self.needles)

    def search(self, text: str) -> re.Match[str] | None:
        return self._regex.search(text) if self._open(text) else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self._regex.finditer(text) if self._open(text) else iter(())

"""The words a document is indexed under and a query asks for, the same on both databases.

Chinese is written without spaces, and neither FTS5's `unicode61` nor PostgreSQL's `simple`
parser can cut it into words, so a run of Chinese characters is indexed as its overlapping
character bigrams ("骨髓瘤" → 骨髓 髓瘤) and a query's run as the same bigrams in a row (a
phrase): a two-character word or longer is then found wherever it stands. The run's last
character is indexed on its own too, so every character starts some token and a one-character
query ("癌") finds it as a prefix. Everything else is cut at anything that is not a letter or
digit, lower-cased, after NFKC (full-width Ｍ and ２ are M and 2): the tokens are plain
letters and digits, so they never need escaping in either query language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_HAN = "\u3400-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_HAN}]+|[^\W_{_HAN}]+")
_IS_HAN = re.compile(rf"[{_HAN}]")
# A query is at most this many terms: enough for any real question, and it bounds the query.
MAX_TERMS = 12


@dataclass(frozen=True)
class Term:
    """One thing a result must contain: tokens in a row, the last one perhaps as a prefix."""

    tokens: tuple[str, ...]
    prefix: bool = False


def _runs(text: str) -> list[str]:
    return _RUN.findall(unicodedata.normalize("NFKC", text or "").lower())


def document_tokens(text: str) -> list[str]:
    """The tokens a document is indexed under, in order (phrases need their positions)."""
    out: list[str] = []
    for run in _runs(text):
        if _IS_HAN.match(run):
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
            out.append(run[-1])
        else:
            out.append(run)
    return out


def document_text(*parts: str) -> str:
    """The indexed text: every part's tokens joined by spaces."""
    return " ".join(" ".join(document_tokens(part)) for part in parts if part)


def query_terms(query: str) -> list[Term]:
    """What a search box's text asks for: every word must be found. A word written as one
    piece ("10.1016/j.jcyt.2020.01.001", "NCT01234567", "骨髓瘤") is one term whose tokens
    stand in a row; an English word of three letters or more also finds its longer forms
    ("myeloma" finds "myelomas"), a single Chinese character every word holding it."""
    terms: list[Term] = []
    for word in (query or "").split():
        for run_group in _query_runs(word):
            if run_group and len(terms) < MAX_TERMS:
                terms.append(run_group)
    return list(dict.fromkeys(terms))


def _query_runs(word: str) -> list[Term]:
    runs = _runs(word)
    if not runs:
        return []
    if all(not _IS_HAN.match(run) for run in runs):
        last = runs[-1]
        prefix = len(runs) == 1 and last.isalpha() and len(last) >= 3
        return [Term(tuple(runs), prefix)]
    # Chinese mixed with Latin ("CAR-T细胞"): each run its own term.
    terms = []
    for run in runs:
        if not _IS_HAN.match(run):
            terms.append(Term((run,), run.isalpha() and len(run) >= 3))
        elif len(run) == 1:
            terms.append(Term((run,), prefix=True))
        else:
            terms.append(Term(tuple(run[i : i + 2] for i in range(len(run) - 1))))
    return terms


def fts5_query(terms: list[Term]) -> str:
    """The terms as an FTS5 MATCH expression: phrases in double quotes, ANDed."""
    return " AND ".join(
        '"' + " ".join(term.tokens) + '"' + ("*" if term.prefix else "") for term in terms
    )


def tsquery(terms: list[Term]) -> str:
    """The terms as PostgreSQL `to_tsquery` text: tokens in a row joined by <->, ANDed."""
    parts = []
    for term in terms:
        tokens = list(term.tokens)
        if term.prefix:
            tokens[-1] += ":*"
        parts.append("(" + " <-> ".join(tokens) + ")")
    return " & ".join(parts)

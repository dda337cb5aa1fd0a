"""Typography of the two editions: full-width punctuation in Chinese text, half-width in Latin
text, numbers and English titles (`digest-style.md`, by code point), and journal names in their
proper case. Pure functions of strings.
"""

from __future__ import annotations

import re
from functools import lru_cache

# ASCII mark → the full-width mark Chinese text takes (，：；（）？！).
FULL_WIDTH = {",": "\uff0c", ":": "\uff1a", ";": "\uff1b", "(": "\uff08", ")": "\uff09",
              "?": "\uff1f", "!": "\uff01"}  # fmt: skip
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_MARKS = re.compile(r"[,:;()?!]")
# Spans that keep their ASCII marks whatever surrounds them: titles in 《》, URLs, DOIs.
_KEPT = re.compile(r"《[^《》]*》|https?://\S+|\b10\.\d{4,9}/\S+")


def has_chinese(text: str) -> bool:
    return bool(_HAN.search(text or ""))


def stray_marks(text: str) -> list[str]:
    """ASCII marks of ，：；（）？！ that touch Chinese text (outside 《》 titles, URLs and DOIs):
    each is a place a full-width mark belongs. Returns the offending marks with their context."""
    found = []
    for part in _KEPT.split(text):
        for match in _MARKS.finditer(part):
            at = match.start()
            before = part[at - 1] if at else ""
            after = part[at + 1] if at + 1 < len(part) else ""
            if _touches_chinese(before, after, match.group()):
                found.append(part[max(0, at - 8) : at + 9])
    return found


@lru_cache(maxsize=8192)
def zh_punctuation(text: str) -> str:
    """ASCII ，：；（）？！ that touch Chinese text made full-width; Latin text, numbers, titles in
    《》, URLs and DOIs keep theirs. Operators type config texts with either; readers get one."""
    if not has_chinese(text):
        return text
    pieces = []
    last = 0
    for kept in _KEPT.finditer(text):
        pieces.append(_convert(text[last : kept.start()]))
        pieces.append(kept.group())
        last = kept.end()
    pieces.append(_convert(text[last:]))
    return "".join(pieces)


def _convert(part: str) -> str:
    out = list(part)
    for match in _MARKS.finditer(part):
        at = match.start()
        before = part[at - 1] if at else ""
        after = part[at + 1] if at + 1 < len(part) else ""
        mark = match.group()
        if mark == "(":  # a bracket opened in Chinese text closes there too
            close = part.find(")", at)
            inner = part[at + 1 : close] if close > 0 else ""
            if _touches_chinese(before, after, mark) or (close > 0 and has_chinese(inner)):
                out[at] = FULL_WIDTH["("]
                if close > 0:
                    out[close] = FULL_WIDTH[")"]
        elif mark == ")" and out[at] == ")":
            if _touches_chinese(before, after, mark):
                out[at] = FULL_WIDTH[")"]
        elif _touches_chinese(before, after, mark):
            out[at] = FULL_WIDTH[mark]
    # No space around a full-width mark.
    return re.sub(r" *([，：；（）？！、。]) *", r"\1", "".join(out))


_HAN_LATIN = re.compile(r"([\u3400-\u9fff])([A-Za-z0-9])|([A-Za-z0-9%])([\u3400-\u9fff])")


@lru_cache(maxsize=4096)
def spaced(text: str) -> str:
    """One space between Chinese and a Latin word or number ("结直肠癌 II 期"), the rule every
    generated Chinese text follows (the article's own "30 例 AML 患者")."""
    return _HAN_LATIN.sub(lambda m: " ".join(g for g in m.groups() if g), text)


def _touches_chinese(before: str, after: str, mark: str) -> bool:
    """A mark belongs to Chinese text when a Chinese character (or full-width mark) is next to
    it; a ":" or "," between digits ("10:1", "1,000") never does."""
    if mark in ",:" and before.isdigit() and after.isdigit():
        return False
    return bool(CJK.match(before or " ") or CJK.match(after or " "))


# Words a journal title keeps in lower case unless they open it.
_SMALL = frozenset(
    ("a", "an", "and", "as", "at", "by", "de", "del", "der", "des", "di", "du", "en", "et",
     "for", "from", "in", "la", "le", "of", "on", "or", "the", "to", "und", "y")
)  # fmt: skip


@lru_cache(maxsize=4096)
def journal_case(name: str, iso_abbreviation: str = "") -> str:
    """A journal name as journals write it: PubMed gives "BMC cancer" and "Stem cell research
    & therapy", the ISO abbreviation "BMC Cancer" and "Stem Cell Res Ther". A lower-case word
    takes the capital of the abbreviation's word it begins with; a word the abbreviation does not
    have is capitalised unless it is a small word ("of", "and") inside the name. Words with a
    capital already (BMC, JAMA, eLife) stay as they are."""
    if not name:
        return name
    abbreviated = {w.rstrip(".").lower(): w.rstrip(".") for w in iso_abbreviation.split()}
    words = name.split(" ")
    out = []
    for index, word in enumerate(words):
        if not word.islower() or not word[:1].isalpha():
            out.append(word)
            continue
        match = next(
            (a for key, a in abbreviated.items() if key and word.startswith(key)),
            None,
        )
        if match is not None:
            out.append(word[0].upper() + word[1:] if match[0].isupper() else word)
        elif index and word in _SMALL:
            out.append(word)
        else:
            out.append(word[0].upper() + word[1:])
    return " ".join(out)

"""The Chinese typography of derived text, in one place: full-width punctuation by code point in
Chinese text, half-width inside Latin text and numbers, and one spacing rule.

The rule: one space between a Chinese character and a Latin letter, digit or a half-width sign
that starts or ends a figure (``<``, ``%``, ``+``); no space next to a full-width mark.
"""

from __future__ import annotations

import re

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
LATIN = "A-Za-z\u00c0-\u024f"  # with accented letters: "Université Paris Cité 团队"
_CJK_THEN_LATIN = re.compile(rf"([{CJK}])(?=[{LATIN}0-9<>≤≥=±~])")
_LATIN_THEN_CJK = re.compile(rf"([{LATIN}0-9%)\]+⁺⁻⁰¹²³⁴⁵⁶⁷⁸⁹])(?=[{CJK}])")
_SPACE_AT_MARK = re.compile(r"\s*([，。：；（）？！、《》“”])\s*")
_HALF_MARKS = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
_MARK_AFTER_CJK = re.compile(rf"(?<=[{CJK}])\s*([,:;?!])(?!\d)")
_PAREN = re.compile(r"\(([^()]*)\)")
_DOUBLE_SPACE = re.compile(r" {2,}")
_BETWEEN_CJK = re.compile(rf"(?<=[{CJK}]) +(?=[{CJK}])")


def space(text: str) -> str:
    """Apply the spacing rule to Chinese text with Latin words and numbers in it."""
    text = _CJK_THEN_LATIN.sub(r"\1 ", text)
    text = _LATIN_THEN_CJK.sub(r"\1 ", text)
    text = _SPACE_AT_MARK.sub(r"\1", text)
    text = _BETWEEN_CJK.sub("", text)
    return _DOUBLE_SPACE.sub(" ", text).strip()


def punctuate(text: str) -> str:
    """Half-width marks that follow Chinese become full-width; parentheses holding Chinese become
    full-width; marks inside Latin text and numbers stay as they are."""
    text = _MARK_AFTER_CJK.sub(lambda m: _HALF_MARKS[m.group(1)], text)
    return _PAREN.sub(
        lambda m: f"（{m.group(1)}）" if re.search(f"[{CJK}]", m.group(1)) else m.group(), text
    )


def tidy(text: str) -> str:
    """`punctuate`, then `space`: what every Chinese derived text goes through."""
    return space(punctuate(text))


def cjk_share(text: str) -> float:
    """CJK characters over CJK characters plus Latin letters (digits, marks and spaces count for
    neither): how Chinese a text reads."""
    cjk = len(re.findall(f"[{CJK}]", text))
    latin = len(re.findall(f"[{LATIN}]", text))
    return cjk / (cjk + latin) if cjk + latin else 1.0

"""The fidelity check: every figure a derived text states must occur in the record it came from.

Leads, highlights, headlines and briefs are written from a record by templates or a writer model.
A reader trusts their figures as the study's own, so a derived text may say less than the record
but never a number the record does not hold: a percentage, a count with its unit, a comparison
("P<0.001" is not "P=0.001"), a dose in scientific notation, a registry id, a DOI or PMID.

Both texts are reduced to *claims* (value, unit class, comparison sign) before comparing, so that
harmless differences of writing do not count: full-width against half-width digits and marks,
``×``/``x``/``*``, thin and no-break spaces, ``10⁶`` = ``10^6`` = ``10<sup>6</sup>``,
"45 %" = "45%", "0.62" = ".62", and Chinese units against English ones where the number is the
same (例 = patients, 个月 = months, 天 = days, 岁 = years old, 倍 = fold). Derived texts write
figures in digits; sources may also spell small counts in words ("twelve patients").
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUP_RUN = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
_SUB_RUN = re.compile(r"[₀₁₂₃₄₅₆₇₈₉₋₊]+")
_SUP_TAG = re.compile(r"<sup>\s*(.*?)\s*</sup>", re.I | re.S)
_TAG = re.compile(r"</?(?:sub|i|b|em|strong|span|inf)\b[^>]*>", re.I)
_PAREN_EXPONENT = re.compile(r"\b10\s*\((\s*[-−]?\d+)\s*\)")  # PubMed's plain "10(6)"
_SPACES = re.compile(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000]")
_TIMES = re.compile(r"(?<=\d)\s*[×xX*✕]\s*(?=10\s*\^)")
_DASHES = str.maketrans({"−": "-", "–": "-", "—": "-", "‐": "-", "‑": "-", "～": "-", "~": "-"})

_DOI = re.compile(r"\b10\.\d{4,9}/[^\s\"<>，。；）、]+", re.I)
_URL = re.compile(r"https?://\S+", re.I)
_REGISTRY = re.compile(
    r"\b(?:NCT\s?\d{8}|ChiCTR[-\w]*\d{6,}|ISRCTN\s?\d{6,}|ACTRN\s?\d{14}|DRKS\s?\d{8}"
    r"|JPRN-\w+|CTRI/\d{4}/\d+/\d+|KCT\d{7}|EudraCT[\s:]*\d{4}-\d{6}-\d{2}|\d{4}-\d{6}-\d{2}"
    r"|\d{4}-5\d{5}-\d{2}-\d{2})\b",
    re.I,
)
_PMID = re.compile(r"\bPMID\s*[:：]?\s*(\d{1,9})\b", re.I)

_SCIENTIFIC = r"(?:(?P<mant>\d+(?:\.\d+)?)\s*[x×]\s*)?10\s*\^\s*(?P<exp>[-+]?\d+)"
_PLAIN = r"(?P<num>\d+(?:,\d{3})+(?!\d)|\d*\.\d+|\d+)"
_NUMBER = re.compile(rf"(?:{_SCIENTIFIC}|{_PLAIN})")
_SIGN = re.compile(
    r"(<=|>=|≤|≥|<|>|=|⩽|⩾|(?i:less than|fewer than|lower than|below|under|more than|greater than"
    r"|higher than|above|over|exceeding|at least|at most|no more than|not exceeding)"
    r"|低于|小于|少于|不足|高于|大于|超过|多于|至少|不低于|不超过|至多)\s*$"
)
_SIGN_WORDS = {
    **dict.fromkeys(
        ("less than", "fewer than", "lower than", "below", "under", "低于", "小于", "少于", "不足"),
        "<",
    ),
    **dict.fromkeys(
        (
            "more than",
            "greater than",
            "higher than",
            "above",
            "over",
            "exceeding",
            "高于",
            "大于",
            "超过",
            "多于",
        ),
        ">",
    ),
    **dict.fromkeys(("at least", "至少", "不低于"), ">="),
    **dict.fromkeys(("at most", "no more than", "not exceeding", "不超过", "至多"), "<="),
}
_RANGE_TAIL = re.compile(r"\s*(?:-|to|至|~|vs\.?|versus|对比)\s*\d+(?:\.\d+)?")

_UNITS: list[tuple[str, str]] = [  # (pattern after a number, unit class); longest forms first
    (r"%|percent\b|per\s?cent\b|个百分点", "%"),
    (r"-?fold\b|倍", "fold"),
    (r"个月|months?\b|mos?\b|月", "month"),
    (r"weeks?\b|wks?\b|周|星期", "week"),
    (r"days?\b|d\b|天|日", "day"),
    (r"hours?\b|hrs?\b|h\b|小时", "hour"),
    (r"minutes?\b|mins?\b|分钟", "minute"),
    (r"-?years?(?:-old)?\b|yrs?\b|岁|周岁|年", "year"),
    (
        r"patients?\b|cases?\b|subjects?\b|participants?\b|individuals?\b|people\b|persons?\b"
        r"|adults?\b|children\b|women\b|men\b|recipients?\b|survivors?\b|mice\b|rats?\b"
        r"|animals?\b|例|名|人|位|只|项|株|篇",
        "count",
    ),
]
_DOSE = re.compile(  # a Latin unit after a number: its own class, compared as written
    r"(?P<pre>个细胞|细胞|个)?\s*(?P<unit>(?:cells?|[mµμun]?g|[mµμ]?l|ml|mL|IU|U|Gy|kg|mm|cm|mmol"
    r"|µmol|μmol|nmol|pfu|PFU|vp|copies)(?:\s*/\s*(?:kg|m\^?2|m²|l|L|ml|mL|d|day|dose|wk|week|h))?"
    r"|/\s*(?:kg|l|L|ml|mL|m\^?2))?(?![A-Za-z])"
)
_UNIT_RULES = [(re.compile(rf"\s*(?:{p})", re.I), name) for p, name in _UNITS]

_WORDS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_WORD_NUMBER = re.compile(
    rf"\b(?:({'|'.join(_TENS)})[- ]?({'|'.join(_WORDS[:9])})?|({'|'.join(_WORDS)}))(?:fold)?\b",
    re.I,
)
_WORD_VALUE = {w: i for i, w in enumerate(_WORDS, 1)} | {w: 10 * i for i, w in enumerate(_TENS, 2)}


@dataclass(frozen=True)
class Claim:
    """One figure a text states: its value, unit class (None = bare) and comparison sign."""

    text: str  # as written in the derived text, for the editor
    value: Decimal
    unit: str | None
    sign: str | None


@dataclass(frozen=True)
class FidelityResult:
    """The verdict on one derived text: the figures the sources do not hold, and why."""

    derived: str
    unsupported: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.unsupported

    @property
    def reason(self) -> str:
        """One line for the editor pages and logs: what the derived text says that no source
        does."""
        if self.ok:
            return ""
        return "not in the source: " + ", ".join(self.unsupported)


def unsupported(derived: str, *sources: str) -> list[str]:
    """The figures, ids and doses of `derived` that occur in none of `sources`, as written in
    `derived` (in order, once each). An empty list means the derived text passes."""
    return list(check(derived, *sources).unsupported)


def check(derived: str, *sources: str) -> FidelityResult:
    """`unsupported` with the verdict as a value to store and show."""
    text = normalize(derived)
    held = _Held(normalize("\n".join(s for s in sources if s)))
    missing: list[str] = []
    for found in _DOI.finditer(text):
        doi = found.group().rstrip(".,;)").lower()
        if doi not in held.dois:
            missing.append(found.group().rstrip(".,;)"))
    rest = _URL.sub(" ", _DOI.sub(" ", text))
    for found in _REGISTRY.finditer(rest):
        if _id_key(found.group()) not in held.ids:
            missing.append(found.group())
    for found in _PMID.finditer(rest):
        if found.group(1) not in held.digits:
            missing.append(found.group())
    rest = _PMID.sub(" ", _REGISTRY.sub(" ", rest))
    for claim in claims(rest):
        if not held.supports(claim):
            missing.append(claim.text)
    return FidelityResult(derived, tuple(dict.fromkeys(missing)))


def normalize(text: str) -> str:
    """One spelling for what is written many ways: HTML superscripts and superscript digits as
    ``^``, full-width forms as ASCII (NFKC, after the superscripts, which NFKC would flatten into
    plain digits: ``10⁶`` must not become ``106``), odd spaces as spaces, dashes as ``-``."""
    text = html.unescape(text or "")
    text = _SUP_TAG.sub(lambda m: "^" + m.group(1), text)
    text = _SUP_RUN.sub(lambda m: "^" + m.group().translate(_SUPERSCRIPT), text)
    text = _SUB_RUN.sub(" ", text)
    text = _TAG.sub("", text)
    text = _SPACES.sub(" ", text)
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    text = _PAREN_EXPONENT.sub(lambda m: "10^" + m.group(1).replace(" ", ""), text)
    return _TIMES.sub("x", text)


def claims(text: str, words: bool = False) -> list[Claim]:
    """The figures of normalised `text`; numbers that are part of a name ("IL-12", "CD4",
    "4T1", "miR-16") are not figures. `words`: also read spelled-out counts ("twelve")."""
    found: list[Claim] = []
    for match in _NUMBER.finditer(text):
        start, end = match.span()
        before = text[
            max(0, start - 40) : start
        ]  # a window: searching the whole prefix is quadratic
        last = before[-1:]
        if last and last.isascii() and (last.isalpha() or last in "^_"):
            continue
        if re.search(r"[A-Za-z]-$", before) or re.search(r"\d[.,]$", before):
            continue
        after = text[end : end + 80]
        if re.match(r"-?[A-Za-z]", after) and not _unit(after):
            continue  # "4T1", "5-FU"
        value = _value(match)
        if value is None:
            continue
        if re.search(r"(?:^|[^\d\s%])\s*-\s*$", before) and not re.search(r"\d\s*-\s*$", before):
            value = -value
        sign = _SIGN.search(before)
        symbol = _sign(sign.group(1)) if sign else None
        unit, width = _unit_span(after)
        written = (sign.group(1) if sign else "") + match.group().strip() + after[:width].rstrip()
        found.append(Claim(written, value, unit, symbol))
    if words:
        for match in _WORD_NUMBER.finditer(text):
            unit = "fold" if match.group().lower().endswith("fold") else _unit(text[match.end() :])
            tens, ones, single = match.group(1), match.group(2), match.group(3)
            number = _WORD_VALUE[(single or tens).lower()] + (
                _WORD_VALUE[ones.lower()] if ones else 0
            )
            value = Decimal(number)
            found.append(Claim(match.group(), value, unit, None))
    return found


class _Held:
    """What the sources hold, indexed for the claims of a derived text."""

    def __init__(self, text: str) -> None:
        self.dois = {m.group().rstrip(".,;)").lower() for m in _DOI.finditer(text)}
        rest = _URL.sub(" ", _DOI.sub(" ", text))
        self.ids = {_id_key(m.group()) for m in _REGISTRY.finditer(rest)}
        self.digits = set(re.findall(r"\d+", text))
        rest = _PMID.sub(" ", _REGISTRY.sub(" ", rest))
        self.claims: dict[tuple[Decimal, str | None], set[str | None]] = {}
        for claim in claims(rest, words=True):
            self.claims.setdefault((claim.value, claim.sign), set()).add(claim.unit)

    def supports(self, claim: Claim) -> bool:
        units = self.claims.get((claim.value, claim.sign))
        if units is None:
            return False
        if claim.unit is None:
            return True
        if claim.unit == "count":  # "120 例" for "120 consecutive patients", "n = 120"
            return bool(units & {"count", None})
        return claim.unit in units


def _value(match: re.Match[str]) -> Decimal | None:
    try:
        if match.group("exp") is not None:
            mantissa = Decimal(match.group("mant") or 1)
            return (mantissa * Decimal(10) ** int(match.group("exp"))).normalize()
        return Decimal(match.group("num").replace(",", "")).normalize()
    except (InvalidOperation, ValueError):
        return None


def _unit(after: str) -> str | None:
    """The unit class after a number (or after a range's second number: "15-20%")."""
    return _unit_span(after)[0]


def _unit_span(after: str) -> tuple[str | None, int]:
    """The unit class after a number and how many characters name it (0 for none)."""
    skip = 0
    if tail := _RANGE_TAIL.match(after):
        skip = tail.end()
    rest = after[skip:]
    for rule, name in _UNIT_RULES:
        if found := rule.match(rest):
            return name, (skip + found.end()) if skip == 0 else 0
    stripped = rest.lstrip()
    dose = _DOSE.match(stripped)
    if dose and (dose.group("pre") or dose.group("unit")):
        unit = (dose.group("unit") or "").lower().replace(" ", "").replace("^", "")
        if "细胞" in (dose.group("pre") or "") and not unit.startswith("cell"):
            unit = "cells" + unit  # "个细胞/kg" is "cells/kg"
        unit = {"cell": "cells", "μg": "µg", "ug": "µg", "ul": "µl", "μl": "µl"}.get(unit, unit)
        width = len(rest) - len(stripped) + dose.end()
        return unit, (skip + width) if skip == 0 else 0
    return None, 0


def _sign(symbol: str) -> str | None:
    symbol = _SIGN_WORDS.get(symbol.lower(), symbol)
    return {"=": None, "≤": "<=", "⩽": "<=", "≥": ">=", "⩾": ">="}.get(symbol, symbol)


def _id_key(value: str) -> str:
    return re.sub(r"[\s:-]|^EudraCT", "", value, flags=re.I).upper()

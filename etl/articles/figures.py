"""The figures of a cited passage, each held against the record of the work it cites.

A reader of the genre takes "30 例", "53.3%", "65%降至33%", "14个月" and "1×10⁶/kg" as the cited
study's own. Each figure is read with the fidelity check's rules (etl/facts/fidelity.py: full- and
half-width forms, 例 = patients, 个月 = months, 10⁶ = 10^6), and judged:

- `supported`: the record states it (same value, comparison and unit class);
- `contradicted`: the record states the same quantity of the same subject with another value:
  the number of patients (the study's size, or a trial's enrolment) when the passage gives a
  patient count, or the same outcome (objective response, complete response, GVHD, survival…)
  named within the figure's clause and in a sentence of the record with a value of the same unit;
- `not_in_source`: neither; what the record does not say cannot be checked against it.

Dates ("2025年") and bare numbers without a unit ("Ⅲ-Ⅳ度", "≥3级", scores) are not figures here:
they carry no quantity a record would state the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from etl.facts.abstract import patients as patients_in
from etl.facts.abstract import sentences
from etl.facts.extract import record_text
from etl.facts.fidelity import Claim, claims, normalize, unsupported


class FigureVerdict(StrEnum):
    SUPPORTED = "supported"
    NOT_IN_SOURCE = "not_in_source"
    CONTRADICTED = "contradicted"


@dataclass(frozen=True)
class CheckedFigure:
    """One figure of a passage: as written, what kind of quantity, where, and its verdict
    (with what the record says when it is contradicted)."""

    text: str
    kind: str  # patients, percent, duration, dose, age, count
    value: str
    unit: str | None
    span: tuple[int, int] | None  # in the document, when the figure was found there verbatim
    verdict: FigureVerdict
    source_says: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "kind": self.kind,
            "value": self.value,
            "unit": self.unit,
            "span": list(self.span) if self.span else None,
            "verdict": str(self.verdict),
            "source_says": self.source_says,
        }


_DURATIONS = {"month", "week", "day", "hour", "minute"}
_PATIENT_WORDS = re.compile(r"(?:patients?|participants?|subjects?|cases?)\b", re.I)
_PATIENT_AFTER = re.compile(
    r"^[^，。,;；:：\n]{0,24}?(?:患者|病人|病例|受试者|patients?|participants?)", re.I
)
_AGED = re.compile(r"(?:\baged?\b|年龄|年纪)[^\d]{0,10}$", re.I)
_AGE = re.compile(r"(?:岁|周岁|-?years?[- ]old)", re.I)
_SCALE = re.compile(r"[\d.,]+")
# Outcomes named alike in Chinese and English: a figure's clause and a record sentence naming the
# same one speak of the same quantity.
OUTCOMES: dict[str, tuple[str, ...]] = {
    "orr": ("客观缓解率", "总缓解率", "ORR", "objective response", "overall response"),
    "cr": ("完全缓解", "complete response", "complete remission", "CR"),
    "dcr": ("疾病控制率", "disease control", "DCR"),
    "agvhd": ("急性GVHD", "aGVHD", "急性移植物抗宿主病", "acute GVHD", "acute graft-versus-host"),
    "cgvhd": ("慢性GVHD", "cGVHD", "chronic GVHD", "chronic graft-versus-host"),
    "pfs": ("无进展生存", "PFS", "progression-free survival"),
    "os": ("总生存", "overall survival", "OS"),
    "trm": ("移植相关死亡", "TRM", "transplant-related mortality", "non-relapse mortality", "NRM"),
    "relapse": ("复发率", "relapse", "recurrence"),
    "mrd": ("MRD 转阴", "MRD转阴", "MRD negativity", "MRD-negative"),
    "infection": ("感染", "infection"),
}


def figure_kind(claim: Claim, after: str, before: str = "") -> str | None:
    """The kind of quantity a claim is, or None when it is no figure (a year, a bare number)."""
    if claim.unit == "%":
        return "percent"
    if claim.unit in _DURATIONS:
        return "duration"
    if claim.unit == "year":
        if _AGE.search(claim.text) or _AGE.match(after) or _AGED.search(before[-16:]):
            return "age"
        if claim.value >= 1900:
            return None  # "2025年": a date
        return "duration"
    if claim.unit == "count":
        named = _PATIENT_WORDS.search(claim.text) or _PATIENT_AFTER.match(after)
        return "patients" if named else "count"
    if claim.unit == "fold":
        return "count"
    if claim.unit:
        return "dose"
    return None


def check_figures(passage: str, offset: int, data: Mapping[str, Any] | None) -> list[CheckedFigure]:
    """The figures of `passage` (which starts at `offset` in the document), each judged against
    the record `data` (None: nothing to hold them against, every figure `not_in_source`)."""
    text = normalize(passage)
    source = record_text(data) if data else ""
    size = _study_size(data) if data else None
    source_sentences = _outcome_sentences(source)
    held = claims(normalize(source)) if source else []
    found: list[CheckedFigure] = []
    cursor = 0
    sized = False  # only the passage's first patient count is the study's size
    for claim, after, clause in _figures(text):
        kind = figure_kind(claim, after, clause[0])
        if kind is None:
            continue
        span, cursor = _locate(passage, claim, cursor, offset)
        verdict, says = FigureVerdict.NOT_IN_SOURCE, None
        if source and _supported(claim, kind, source, held):
            verdict = FigureVerdict.SUPPORTED
        elif kind == "patients" and not sized and size is not None and Decimal(size) != claim.value:
            verdict, says = FigureVerdict.CONTRADICTED, f"{size} patients"
        elif source:
            other = _other_value(claim, *clause, source_sentences)
            if other:
                verdict, says = FigureVerdict.CONTRADICTED, other
        sized = sized or kind == "patients"
        written = passage[span[0] - offset : span[1] - offset] if span else claim.text
        found.append(
            CheckedFigure(written, kind, _plain(claim.value), claim.unit, span, verdict, says)
        )
    return found


def _figures(text: str) -> list[tuple[Claim, str, tuple[str, str]]]:
    """Each claim of normalised text with the text right after it, and its clause: the part
    before the figure and the part after it."""
    result = []
    position = 0
    for claim in claims(text):
        digits = _SCALE.search(claim.text)
        at = text.find(claim.text, position)
        if at < 0 and digits:
            at = text.find(digits.group(), position)
        at = max(at, position)
        end = at + len(claim.text)
        position = end
        start = max(text.rfind(mark, 0, at) for mark in "。；;，,\n")
        stop = min(
            (i for i in (text.find(m, end) for m in "。；;，,\n") if i >= 0), default=len(text)
        )
        result.append((claim, text[end : end + 30], (text[start + 1 : at], text[end:stop])))
    return result


def _locate(
    passage: str, claim: Claim, cursor: int, offset: int
) -> tuple[tuple[int, int] | None, int]:
    """The figure's span in the document, searched from the last one: as written (through the
    spellings normalisation forgives), else its number alone."""
    written = _as_written(claim.text).search(passage, cursor)
    if written:
        return (offset + written.start(), offset + written.end()), written.end()
    number = _SCALE.search(claim.text)
    at = passage.find(number.group(), cursor) if number else -1
    if number is None or at < 0:
        return None, cursor
    end = at + len(number.group())
    return (offset + at, offset + end), end


def _supported(claim: Claim, kind: str, source: str, held: list[Claim]) -> bool:
    """The fidelity check's verdict, and a dose whose unit the record writes out in full."""
    return not unsupported(_signed(claim), source) or (kind == "dose" and _dose_held(claim, held))


def _dose_held(claim: Claim, held: list[Claim]) -> bool:
    """A dose the record states with its unit written out: "1×10⁶/kg" is "1 × 10⁶ cells/kg"."""
    unit = claim.unit or ""
    return any(
        other.value == claim.value
        and other.sign == claim.sign
        and bool(other.unit)
        and (str(other.unit).endswith(unit) or unit.endswith(str(other.unit)))
        for other in held
    )


_SUPERSCRIPTS = dict(zip("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", strict=True))


def _as_written(normalised: str) -> re.Pattern[str]:
    """A pattern that finds a figure's normalised text as a writer typed it: "1x10^6/kg" as
    "1×10⁶/kg", "45%" as "45％", a space where there was none."""
    parts = []
    at = 0
    while at < len(normalised):
        char = normalised[at]
        if char == "^":
            exponent = re.match(r"\^([-+]?\d+)", normalised[at:])
            if exponent:
                digits = exponent[1]
                shifted = "".join(_SUPERSCRIPTS[d] for d in digits)
                parts.append(f"(?:\\^{re.escape(digits)}|{shifted}|\\({re.escape(digits)}\\))")
                at += len(exponent[0])
                continue
        if char == "x":
            parts.append(r"\s*[x×X*✕]\s*")
        elif char == " ":
            parts.append(r"\s*")
        elif char == "%":
            parts.append("[%％]")
        elif char == "-":
            parts.append("[-−–]")
        elif char.isdigit():
            parts.append(f"[{char}{chr(ord(char) + 0xFEE0)}]")
        else:
            parts.append(re.escape(char))
        at += 1
    return re.compile("".join(parts))


def _study_size(data: Mapping[str, Any]) -> int | None:
    """The number of patients the record says the study had: a trial's enrolment, else the
    patients its abstract names."""
    if data.get("kind") == "trial" and isinstance(data.get("enrollment"), int):
        return int(data["enrollment"])
    return patients_in(str(data.get("abstract") or ""))


def _outcome_sentences(source: str) -> list[tuple[str, str]]:
    """(outcome key, sentence) for each record sentence naming one outcome."""
    found = []
    for sentence in sentences(normalize(source)):
        for key in _outcomes_named(sentence):
            found.append((key, sentence))
    return found


def _outcomes_named(text: str) -> set[str]:
    named = set()
    for key, words in OUTCOMES.items():
        for word in words:
            pattern = rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])"
            if re.search(pattern, text, 0 if word.isupper() else re.I):
                named.add(key)
                break
    return named


def _other_value(claim: Claim, before: str, after: str, named: list[tuple[str, str]]) -> str | None:
    """What the record gives for the outcome named last before the figure in its clause, when it
    is one other value of the same unit. A figure with another of its unit between it and that
    name, or after it in the clause ("从65%降至33%"), is left alone: which arm or time point
    each stands for is not for a checker to guess."""
    mentions = _outcome_mentions(before)
    if not mentions:
        return None
    at, key = max(mentions)
    between = [c for c in claims(before[at:]) if c.unit == claim.unit]
    if between or [c for c in claims(after) if c.unit == claim.unit]:
        return None
    values = []
    for outcome, sentence in named:
        if outcome == key:
            values += [c for c in claims(sentence) if c.unit == claim.unit and c.sign == claim.sign]
    if len({c.value for c in values}) != 1 or values[0].value == claim.value:
        return None  # the record gives none, several (arms, time points) or the same value
    return values[0].text


def _outcome_mentions(text: str) -> list[tuple[int, str]]:
    """(end of the mention, outcome key) for every outcome named in a text."""
    found = []
    for key, words in OUTCOMES.items():
        for word in words:
            pattern = rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])"
            flags = 0 if word.isupper() else re.I
            found += [(match.end(), key) for match in re.finditer(pattern, text, flags)]
    return found


def _signed(claim: Claim) -> str:
    """The claim as a text that reads back as the same claim: "−1.2%" keeps its minus, which
    the written form leaves out when it stands before the number ("(−1.2% vs −4.7%)")."""
    return f"-{claim.text}" if claim.value < 0 and not claim.text.startswith("-") else claim.text


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text

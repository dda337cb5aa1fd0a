"""What a study's record states, as plain frozen data: the digest, the brief, the editor pages and
the export all read the same `Facts`, so a figure is read from the record once and shown the same
way everywhere. Every string figure is copied verbatim from the record."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Study designs, most specific first where a record could claim several.
DESIGNS = (
    "meta_analysis", "review", "rct", "single_arm", "clinical_trial", "retrospective", "cohort",
    "case_report", "animal", "in_vitro", "trial_registration", "trial_results",
)  # fmt: skip


@dataclass(frozen=True)
class Figure:
    """One outcome with its figures: `value` (and `comparator`) verbatim with their unit."""

    measure: str  # a key of the outcome table ("orr", "pfs", "cgvhd"…) or "other"
    label: str  # the outcome as the record names it
    value: str  # "45%", "14.2 months", "21.4" (a registry's number, see `unit`)
    comparator: str | None = None  # the comparator arm's value, verbatim
    unit: str | None = None  # a registry's unit of measure when `value` is a bare number
    group: str | None = None  # the arm `value` belongs to, when the record names it
    comparator_group: str | None = None
    hr: str | None = None  # "0.53"
    p: str | None = None  # "P = 0.003", verbatim
    direction: str | None = None  # "down" / "up" when the record says reduced / increased
    n: str | None = None  # participants analysed in `group` (registry results)
    comparator_n: str | None = None


@dataclass(frozen=True)
class Facts:
    """The facts of one paper or trial. A fact the record does not state plainly is None or
    empty: a missing fact is better than a wrong one."""

    kind: str  # "paper" or "trial"
    design: str | None = None
    phase: str | None = None  # "I", "I/II", "II", "III", "IV"
    randomized: bool = False
    patients: int | None = None  # patients or participants (enrolment for a trial)
    animals: int | None = None
    animal_model: str | None = None  # "mice", "rats"
    cell_lines: tuple[str, ...] = ()
    studies: int | None = None  # for a review or meta-analysis
    age: int | None = None  # a case report's patient
    sex: str | None = None  # "male" / "female"
    cancer: str | None = None  # taxonomy cancer-type id
    cancer_name: str | None = None  # as the record names it
    cancer_zh: str | None = None
    setting: str | None = None  # "advanced", "relapsed/refractory"… as written
    msc_source: str | None = None  # taxonomy msc_sources id
    product: str | None = None  # "cells" / "exosomes"
    strategy: str | None = None  # taxonomy strategies id
    engineered_with: str | None = None  # "TRAIL", "miR-4731-5p", "paclitaxel"
    intervention: str | None = None  # the product as the title names it
    combined_with: str | None = None  # "PD-1 inhibitor", "temozolomide", verbatim
    route: str | None = None  # verbatim
    dose: str | None = None  # verbatim
    comparator: str | None = None  # verbatim
    outcomes: tuple[Figure, ...] = ()
    safety: tuple[str, ...] = ()  # keys of the safety table
    safety_text: tuple[str, ...] = ()  # the sentences they come from
    institution: str | None = None
    country: str | None = None
    # trials
    status: str | None = None
    enrollment_type: str | None = None  # ACTUAL / ESTIMATED
    sponsor: str | None = None
    countries: tuple[str, ...] = ()
    arms: str | None = None  # the arms in one line
    has_results: bool = False
    sentences: tuple[str, ...] = field(default=())  # outcome sentences, for the brief

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: tuples as lists, figures as objects."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Facts:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for name in ("cell_lines", "safety", "safety_text", "countries", "sentences"):
            values[name] = tuple(values.get(name) or ())
        values["outcomes"] = tuple(Figure(**f) for f in values.get("outcomes") or ())
        return cls(**values)

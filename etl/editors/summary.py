"""A work's facts and proposed lead as the review queue shows them beside the decision buttons.

Deciding about a work should need no other page: the queue row carries what `etl.facts` read
from the record (design, patients, cancer, MSC source, intervention, outcome figures,
institution; a trial's status, enrolment, sponsor and arms) as short labelled lines, and the
lead the digest would print for it, with any fuller draft the fidelity check turned down. Plain
functions of the record; the words are the catalog's (etl/digest/i18n.py) and the taxonomy's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from etl.classify.taxonomy import Taxonomy
from etl.digest import i18n
from etl.digest.typography import zh_punctuation
from etl.facts.extract import extract
from etl.facts.leads import item_lead
from etl.facts.model import Facts, Figure

DESIGNS = {
    "rct": ("随机对照试验", "randomised controlled trial"),
    "single_arm": ("单臂临床试验", "single-arm trial"),
    "clinical_trial": ("临床试验", "clinical trial"),
    "retrospective": ("回顾性研究", "retrospective study"),
    "cohort": ("队列研究", "cohort study"),
    "cross_sectional": ("横断面研究", "cross-sectional study"),
    "case_report": ("病例报告", "case report"),
    "animal": ("动物实验", "animal study"),
    "in_vitro": ("体外实验", "in vitro study"),
    "review": ("综述", "review"),
    "meta_analysis": ("荟萃分析", "meta-analysis"),
    "notice": ("撤稿或更正声明", "retraction or correction notice"),
    "trial_registration": ("注册试验", "registered trial"),
    "trial_results": ("已公布结果的试验", "trial with posted results"),
}


@dataclass(frozen=True)
class Summary:
    facts: list[tuple[str, str]]  # (label, value) in the page's language
    lead: str
    rejected: list[tuple[str, str]]  # (draft, why the fidelity check turned it down)


def summarize(data: Mapping[str, Any], lang: str, taxonomy: Taxonomy) -> Summary:
    """The facts lines and the lead of one record, in `lang`."""
    found = extract(data)
    lead = item_lead(data, lang)
    return Summary(
        fact_lines(found, lang, taxonomy), lead.text, [(d, why) for d, why in lead.rejected]
    )


def fact_lines(found: Facts, lang: str, taxonomy: Taxonomy) -> list[tuple[str, str]]:
    """The facts a record states, each with its label; what it does not state is left out."""
    zh = lang == "zh"

    def name(family: str, key: str | None) -> str:
        label = taxonomy.labels.get(family, {}).get(key or "")
        if label is None:
            return ""
        return zh_punctuation(label.zh) if zh else label.en

    design = DESIGNS.get(found.design or "")
    phase = (
        f"{found.phase} 期" if zh and found.phase else f"phase {found.phase}" if found.phase else ""
    )
    lines = [
        (
            "fact_design",
            " ".join(p for p in (phase, design[0 if zh else 1] if design else "") if p),
        ),
        (
            "fact_patients",
            i18n.label(lang, "fact_patients_n", n=found.patients) if found.patients else "",
        ),
        ("fact_cancer", name("cancer_types", found.cancer) or found.cancer_name or ""),
        ("fact_source", name("msc_sources", found.msc_source)),
        (
            "fact_intervention",
            "；".join(_intervention(found)) if zh else "; ".join(_intervention(found)),
        ),
        (
            "fact_outcomes",
            ("；" if zh else "; ").join(_figure(f, lang) for f in found.outcomes[:4]),
        ),
        ("fact_institution", ", ".join(p for p in (found.institution, found.country) if p)),
    ]
    if found.kind == "trial":
        lines += [
            ("fact_status", i18n.status_label(lang, found.status)),
            ("fact_enrollment", str(found.patients or "")),
            ("fact_sponsor", found.sponsor or ""),
            ("fact_arms", found.arms or ""),
        ]
        lines = [line for line in lines if line[0] not in ("fact_patients",)]
    return [(i18n.label(lang, key), value) for key, value in lines if value]


def _intervention(found: Facts) -> list[str]:
    """The product as named, what it was engineered with or combined with, route and dose."""
    parts = [found.intervention if found.kind != "trial" else None, found.engineered_with,
             found.combined_with, found.route, found.dose]  # fmt: skip
    return [p for p in parts if p]


def _figure(figure: Figure, lang: str) -> str:
    """ "ORR 45%（对照组 20%，HR 0.53，P = 0.003）": the record's own figures, verbatim."""
    value = f"{figure.value} {figure.unit}" if figure.unit else figure.value
    said = f"{figure.label} {value}"
    extra = []
    if figure.comparator:
        extra.append(("对照组 " if lang == "zh" else "comparator ") + figure.comparator)
    if figure.hr:
        extra.append(f"HR {figure.hr}")
    if figure.p:
        extra.append(figure.p)
    if not extra:
        return said
    return f"{said}（{'，'.join(extra)}）" if lang == "zh" else f"{said} ({', '.join(extra)})"

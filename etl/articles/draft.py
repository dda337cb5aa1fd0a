"""A new article's first text: the seed article's structure (headline, 引言, numbered sections
for mechanisms, clinical progress by cancer type with the trial table 表：…, safety and risk,
outlook, 结论, the disclaimer) with each picked work's facts and citation line in the section
its classification places it.

The blocks of each work are the article brief's (`etl/digest/brief.py`): the same facts, the
same escaped text and the same citation lines, so a brief and a draft never disagree about a
work. Only where a work goes differs: a brief sorts by cancer type and strategy, an article by
what kind of evidence the work is (a mechanism, a clinical result, a safety signal, an outlook).
"""

from __future__ import annotations

from typing import Any

from etl.classify.taxonomy import Taxonomy
from etl.digest import i18n
from etl.digest.brief import WORDS as BRIEF_WORDS
from etl.digest.brief import group_title, place, table_row, work_lines

Work = tuple[dict[str, Any], dict[str, Any]]  # (record data, labels)

PRECLINICAL = frozenset({"in_vitro", "animal"})
OUTLOOK = frozenset({"review"})

# The sections in the seed's order; `clinical` is split by cancer group and type.
SECTIONS = ("mechanisms", "clinical", "safety", "outlook")

WORDS = {
    "zh": {
        "mechanisms": "间充质干细胞抗癌的作用机制",
        "clinical": "临床研究进展",
        "safety": "安全性与风险",
        "outlook": "未来方向与展望",
        "empty": "〔编辑撰写：本节可写{what}；所选研究中暂无归入本节者。〕",
        "trials": "临床试验一览",
        "conclusion": "结论：〔编辑撰写：理性看待本文所述研究的意义与局限。〕",
        "future": "未来展望：〔编辑撰写〕",
        "other": "其他",
    },
    "en": {
        "mechanisms": "How MSCs act against cancer",
        "clinical": "Clinical progress",
        "safety": "Safety and risk",
        "outlook": "Outlook",
        "empty": "[editor: {what}; none of the picked works belongs here.]",
        "trials": "Trials at a glance",
        "conclusion": "Conclusion: [editor: what these studies mean, and their limits.]",
        "future": "Outlook: [editor]",
        "other": "Other",
    },
}


# What an empty section is for, so the editor knows what to write there.
EMPTY_WHAT = {
    "zh": {
        "mechanisms": "归巢、免疫调节、药物载体等机制",
        "clinical": "各癌种的临床结果",
        "safety": "不良事件、促瘤争议与风险控制",
        "outlook": "基因工程、联合治疗等方向",
    },
    "en": {
        "mechanisms": "homing, immune modulation, drug delivery",
        "clinical": "clinical results by cancer type",
        "safety": "adverse events, tumour promotion, risk control",
        "outlook": "engineering, combinations",
    },
}


def section_of(labels: dict[str, Any]) -> str:
    """Where a work belongs: a safety signal under safety (a retraction too); preclinical work
    under mechanisms; a review under the outlook; everything clinical under clinical progress."""
    if labels.get("safety") or labels.get("section") == "safety":
        return "safety"
    stage = labels.get("stage") or ""
    if stage in PRECLINICAL:
        return "mechanisms"
    if stage in OUTLOOK:
        return "outlook"
    return "clinical"


def draft_markdown(works: list[Work], taxonomy: Taxonomy, disclaimer: str, lang: str = "zh") -> str:
    """The draft for `works` (in the editor's order); the editor writes the prose around it."""
    words, brief = WORDS[lang], BRIEF_WORDS[lang]
    placed: dict[str, list[Work]] = {name: [] for name in SECTIONS}
    for data, labels in works:
        placed[section_of(labels)].append((data, labels))
    lines = [brief["headline"], "", brief["intro"].format(n=len(works)), ""]
    for number, name in enumerate(SECTIONS, 1):
        lines += [f"## {i18n.section_number(lang, number)}{words[name]}", ""]
        chosen = placed[name]
        if name == "clinical":
            lines += _clinical(chosen, taxonomy, lang, number)
        elif chosen:
            for group, (key, members) in enumerate(_by_group(chosen, taxonomy), 1):
                title = group_title(key, taxonomy, lang)
                lines += [f"### {i18n.group_number(lang, number, group)}{title}", ""]
                for data, labels in members:
                    lines += work_lines(data, labels, taxonomy, lang)
        else:
            lines += [words["empty"].format(what=EMPTY_WHAT[lang][name]), ""]
    lines += [words["conclusion"], "", words["future"], "", disclaimer, ""]
    return "\n".join(lines)


def _clinical(works: list[Work], taxonomy: Taxonomy, lang: str, number: int) -> list[str]:
    """Clinical progress as the seed writes it: 2.1 solid tumours, 2.2 haematological ones,
    each cancer type a numbered part (2.2.1、…), then the trial table."""
    words = WORDS[lang]
    lines: list[str] = []
    by_kind: dict[str, list[Work]] = {}
    for data, labels in works:
        by_kind.setdefault(_cancer_group(labels, taxonomy), []).append((data, labels))
    order = [g for g in taxonomy.groups if g in by_kind] + [
        g for g in by_kind if g not in taxonomy.groups
    ]
    part = 0
    for part, group in enumerate(order, 1):
        name = taxonomy.groups[group][lang] if group in taxonomy.groups else words["other"]
        lines += [f"### {number}.{part}{_mark(lang)}{name}", ""]
        for sub, (key, members) in enumerate(_by_group(by_kind[group], taxonomy), 1):
            lines += [
                f"#### {number}.{part}.{sub}{_mark(lang)}{group_title(key, taxonomy, lang)}",
                "",
            ]
            for data, labels in members:
                lines += work_lines(data, labels, taxonomy, lang)
    trials = [(d, lab) for d, lab in works if d.get("kind") == "trial"]
    if trials:
        head = i18n.UI[lang]["table_head"]
        lines += [
            f"### {number}.{part + 1}{_mark(lang)}{words['trials']}",
            "",
            BRIEF_WORDS[lang]["table"].format(n=len(trials)),
            "",
            "| " + " | ".join(head) + " |",
            "|" + "---|" * len(head),
        ]
        lines += [table_row(d, lab, taxonomy, lang) for d, lab in trials]
        lines.append("")
    if not works:
        lines += [words["empty"].format(what=EMPTY_WHAT[lang]["clinical"]), ""]
    return lines


def _mark(lang: str) -> str:
    return "、" if lang == "zh" else " "


def _cancer_group(labels: dict[str, Any], taxonomy: Taxonomy) -> str:
    """solid or hematologic, from the first cancer type the work names; "other" without one."""
    for key in labels.get("cancer_types") or []:
        label = taxonomy.labels["cancer_types"].get(key)
        if label is not None:
            return label.group or "solid"
    return "other"


def _by_group(works: list[Work], taxonomy: Taxonomy) -> list[tuple[str, list[Work]]]:
    """Works by their cancer type (else strategy), in the taxonomy's order, as the brief groups."""
    groups: dict[tuple[int, str], list[Work]] = {}
    for data, labels in works:
        groups.setdefault(place(labels, taxonomy), []).append((data, labels))
    return [(key, groups[(order, key)]) for order, key in sorted(groups)]

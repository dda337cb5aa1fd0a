"""The article brief: a Markdown draft in the seed article's structure for works an editor picked,
so writing a full article starts from the facts and the exact citation lines, not a blank page.
A pure function of the works' records and labels.

Everything taken from an upstream record is escaped (`text`): a brief is pasted into editors
and Markdown renderers that pass raw HTML through, so a title or abstract carrying `<script>`,
`<img onerror=…>` or a Markdown link must arrive as the characters it holds, never as markup.
"""

from __future__ import annotations

import re
from typing import Any

from etl.classify.taxonomy import Label, Taxonomy
from etl.digest import i18n
from etl.digest.view import citation, trial_identifier
from etl.facts.extract import extract
from etl.facts.leads import item_lead, key_result, paper_lead
from etl.facts.model import Facts

WORDS = {
    "zh": {
        "headline": "# 〔标题：以问句写出本文回答的问题，如“间充质干细胞能否……？”〕",
        "intro": "引言：〔编辑撰写：这一领域的困境，以及本文要讲的 {n} 项研究。〕",
        "facts": "要点",
        "institution": "机构",
        "patients": "患者",
        "patients_n": "{n} 例",
        "lead": "导语",
        "intervention": "干预",
        "stage": "研究阶段",
        "outcomes": "结果",
        "conclusion": "结论",
        "highlight": "研究亮点：〔编辑撰写，可参考：{text}〕",
        "trials": "临床试验一览",
        "table": "表：{n} 项相关临床试验",
        "platforms": "技术平台与其他",
        "closing": "结论：〔编辑撰写〕\n\n未来展望：〔编辑撰写〕",
    },
    "en": {
        "headline": "# [Headline: the question this article answers, e.g. “Can MSCs …?”]",
        "intro": "Introduction: [editor: the problem, and the {n} studies this piece covers.]",
        "facts": "Key facts",
        "institution": "Institution",
        "patients": "Patients",
        "patients_n": "{n}",
        "lead": "Lead",
        "intervention": "Intervention",
        "stage": "Stage",
        "outcomes": "Outcomes",
        "conclusion": "Conclusion",
        "highlight": "Highlight: [editor; a start: {text}]",
        "trials": "Trials at a glance",
        "table": "Table: {n} related trials",
        "platforms": "Platforms and other work",
        "closing": "Conclusion: [editor]\n\nOutlook: [editor]",
    },
}


def brief_markdown(
    works: list[tuple[dict[str, Any], dict[str, Any]]],
    taxonomy: Taxonomy,
    disclaimer: str,
    lang: str = "zh",
) -> str:
    """`works`: (record data, labels) pairs in the editor's order."""
    words = WORDS[lang]
    lines = [words["headline"], "", words["intro"].format(n=len(works)), ""]
    groups: dict[tuple[int, str], list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for data, labels in works:
        groups.setdefault(place(labels, taxonomy), []).append((data, labels))
    sections: dict[str, list[str]] = {}
    for _, key in sorted(groups):
        sections.setdefault(_section_of(key, taxonomy), []).append(key)
    for number, (section, keys) in enumerate(sections.items(), 1):
        lines += [
            f"## {i18n.section_number(lang, number)}{_section_title(section, taxonomy, lang)}",
            "",
        ]
        for group_number, key in enumerate(keys, 1):
            title = group_title(key, taxonomy, lang)
            lines += [f"### {i18n.group_number(lang, number, group_number)}{title}", ""]
            order = min(o for o, k in groups if k == key)
            for data, labels in groups[(order, key)]:
                lines += work_lines(data, labels, taxonomy, lang)
    trials = [(d, lab) for d, lab in works if d.get("kind") == "trial"]
    if trials:
        number = len(sections) + 1
        lines += [
            f"## {i18n.section_number(lang, number)}{words['trials']}",
            "",
            words["table"].format(n=len(trials)),
            "",
        ]
        head = i18n.UI[lang]["table_head"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for data, labels in trials:
            lines.append(table_row(data, labels, taxonomy, lang))
        lines.append("")
    lines += [words["closing"], "", disclaimer, ""]
    return "\n".join(lines)


# HTML's three, and the characters that open Markdown links, images, emphasis and code.
_MARKUP = re.compile(r"([\\`*_\[\]<>&|])")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def text(value: Any) -> str:
    """Upstream text as Markdown that renders to exactly that text: `<`, `>` and `&` become
    entities (no raw HTML), Markdown's punctuation is backslash-escaped (no links, images or
    emphasis made by a record), and line breaks become spaces (no headings or list items)."""
    flat = " ".join(str(value).split())
    return _MARKUP.sub(lambda m: _ENTITIES.get(m.group(1), "\\" + m.group(1)), flat)


def place(labels: dict[str, Any], taxonomy: Taxonomy) -> tuple[int, str]:
    """A work's group: its first cancer type, else its first strategy, in taxonomy order."""
    order = list(taxonomy.labels["cancer_types"]) + list(taxonomy.labels["strategies"])
    for key in [*(labels.get("cancer_types") or []), *(labels.get("strategies") or [])]:
        if key in order:
            return order.index(key), key
    return len(order), "other"


def _section_of(key: str, taxonomy: Taxonomy) -> str:
    if key in taxonomy.labels["cancer_types"]:
        return taxonomy.labels["cancer_types"][key].group or "solid"
    return "platforms"


def _section_title(section: str, taxonomy: Taxonomy, lang: str) -> str:
    if section in taxonomy.groups:
        return taxonomy.groups[section][lang]
    return WORDS[lang]["platforms"]


def group_title(key: str, taxonomy: Taxonomy, lang: str) -> str:
    for family in ("cancer_types", "strategies"):
        label = taxonomy.labels[family].get(key)
        if label:
            return label_name(label, lang)
    return i18n.GROUPS[lang]["other"]


def work_lines(
    data: dict[str, Any], labels: dict[str, Any], taxonomy: Taxonomy, lang: str
) -> list[str]:
    """One work's block: lead, facts, outcomes, the highlight's start and its citation line
    (the full article's draft places the same blocks in its own sections)."""
    words = WORDS[lang]
    found = extract(data)
    sep = "：" if lang == "zh" else ": "  # full-width in Chinese, by code point
    where = text(", ".join(p for p in (found.institution, found.country) if p))
    stage = taxonomy.labels["stages"].get(labels.get("stage") or "")
    rows = [
        (words["institution"], where),
        (
            words["patients"],
            words["patients_n"].format(n=found.patients) if found.patients else "",
        ),
        (words["intervention"], text(_intervention(found))),
        (words["stage"], label_name(stage, lang) if stage else ""),
    ]
    lines = [f"**{words['facts']}**", ""]
    lead = item_lead(data, lang).text
    if lead and lang == "zh":
        lines += [f"{words['lead']}{sep}{text(lead)}", ""]
    lines += [f"- {name}{sep}{value}" for name, value in rows if value]
    outcomes = list(found.sentences)
    if outcomes:
        lines += [f"- {words['outcomes']}{sep}"] + [f"  - {text(line)}" for line in outcomes]
    if data.get("kind") != "trial":
        lead = paper_lead(data)
        if lead:
            lines.append(f"- {words['conclusion']}{sep}{text(lead)}")
        result = key_result(data)
        if result:
            lines += ["", words["highlight"].format(text=text(result))]
    lines += ["", text(i18n.plain(citation(data, lang))), ""]
    return lines


def _intervention(found: Facts) -> str:
    """The product as named, with the route and dose when the record states them."""
    parts = [found.intervention or (found.arms if found.kind == "trial" else None)]
    parts += [found.route, found.dose]
    return "; ".join(p for p in parts if p)


def table_row(
    data: dict[str, Any], labels: dict[str, Any], taxonomy: Taxonomy, lang: str
) -> str:
    """A trial's row of the table 表：…: strategy, study (linked to its registry), cancer, stage."""
    scheme, trial_id = trial_identifier(data)
    url = i18n.registry_url(scheme, trial_id)
    name = text(data.get("acronym") or trial_id)
    study = f"[{name}]({url})" if url else name
    strategy = taxonomy.labels["strategies"].get((labels.get("strategies") or [""])[0])
    types = [
        taxonomy.labels["cancer_types"][t]
        for t in labels.get("cancer_types") or []
        if t in taxonomy.labels["cancer_types"]
    ][:2]
    stage = " · ".join(
        p
        for p in (
            i18n.phase_label(lang, data.get("phases")),
            i18n.status_label(lang, data.get("status")),
        )
        if p
    )
    cells = [
        label_name(strategy, lang) if strategy else "—",
        study,
        ("、" if lang == "zh" else ", ").join(label_name(t, lang) for t in types) or "—",
        stage or "—",
    ]
    return "| " + " | ".join(cells) + " |"


def label_name(label: Label, lang: str) -> str:
    return label.zh if lang == "zh" else label.en

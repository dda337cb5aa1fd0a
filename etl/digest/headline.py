"""An issue's generated headline, in the article's question style ("脐带间充质干细胞联合 CAR-T：
多发性骨髓瘤缓解率达 80%？"): its leading item's MSC source and product, cancer type and the
outcome figure the record states. The figure is copied from the record, never computed, and
must pass the fidelity check; a headline another issue already carries gets the issue number,
so no two issues share one. Pure functions of the item's record and labels.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from etl.digest import i18n
from etl.digest.typography import spaced
from etl.facts.leads import sentences

# Outcome wording in an abstract → (pattern, Chinese metric, verb before the figure, English
# metric); the first that fits wins. A rate that is better high "达", one better low "为".
_METRICS: list[tuple[re.Pattern[str], str, str, str]] = [
    (
        re.compile(r"objective response|overall response|\bORR\b", re.I),
        "客观缓解率",
        "达",
        "response",
    ),
    (re.compile(r"complete (?:remission|response)|\bCR\b", re.I), "完全缓解率", "达", "complete"),
    (re.compile(r"disease control", re.I), "疾病控制率", "达", "disease control"),
    (re.compile(r"effusion control", re.I), "积液控制率", "达", "effusion control"),
    (re.compile(r"progression-free survival|\bPFS\b", re.I), "无进展生存率", "为", "PFS"),
    (re.compile(r"overall survival|\bOS\b", re.I), "总生存率", "为", "overall survival"),
    (re.compile(r"GVHD|graft-versus-host", re.I), "GVHD 发生率", "为", "GVHD"),
    (re.compile(r"\bresponse|remission", re.I), "缓解率", "达", "response"),
]
# Between the metric and its figure: no other number, and nothing saying the figure is
# something else ("unchanged", "versus", "not").
_NOT_THE_VALUE = re.compile(r"\d|\b(?:unchanged|vs|versus|not|no|similar|compared|than)\b", re.I)
_PERCENT = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d+)?\s?%")


def outcome_figure(data: Mapping[str, Any]) -> tuple[str, str, str, str] | None:
    """(Chinese metric, English metric, percentage, Chinese verb) from the first abstract
    sentence that names an outcome and gives a percentage right after it, as the record
    writes it."""
    for sentence in sentences(data.get("abstract") or ""):
        for pattern, zh, verb, en in _METRICS:
            match = pattern.search(sentence)
            if not match:
                continue
            figure = _PERCENT.search(sentence, match.end(), match.end() + 40)
            between = sentence[match.end() : figure.start()] if figure else ""
            if figure and not _NOT_THE_VALUE.search(between):
                return zh, en, figure.group().replace(" ", ""), verb
    return None


def generate(
    lang: str,
    number: int,
    data: Mapping[str, Any] | None,
    labels: Mapping[str, Any],
    name: Callable[[str, str | None], str],
    taken: Collection[str],
    fallback: str,
    check: Callable[[str, str], list[str]] | None = None,
) -> str:
    """The headline of issue `number` from its leading item. `name(family, key)` gives a label
    in this language; `taken` holds headlines other issues carry; `check(derived, source)`
    returns the figures of `derived` the source lacks (the fidelity check)."""
    if data is None:
        return _unique(fallback, number, lang, taken)
    zh = lang == "zh"
    source = name("msc_sources", (labels.get("msc_sources") or [None])[0])
    strategies = labels.get("strategies") or []
    cancer = name("cancer_types", (labels.get("cancer_types") or [None])[0])
    if zh:
        subject = f"{source if source and source != '其他来源' else ''}间充质干细胞"
        if "exosome" in strategies:
            subject += "外泌体"
        elif "combination_immunotherapy" in strategies:
            subject += "联合免疫治疗"
    else:
        subject = f"{source} MSCs" if source and source != "Other sources" else "MSCs"
        if "exosome" in strategies:
            subject = subject.replace("MSCs", "MSC exosomes")
    found = outcome_figure(data) if data.get("kind") != "trial" else None
    if found is not None and check is not None:
        text = " ".join(str(data.get(k) or "") for k in ("title", "abstract"))
        if check(found[2], text):
            found = None
    trial = data.get("kind") == "trial"
    phase = i18n.phase_label(lang, data.get("phases")) if trial else ""
    if zh:
        where = cancer or "肿瘤"
        if found:
            title = f"{subject}：{where}{found[0]}{found[3]} {found[2]}？"
        elif trial:
            title = f"{subject}：{where}{phase}试验有何进展？"
        else:
            title = f"{subject}治疗{where}：有哪些新进展？"
        title = spaced(title)
    else:
        where = cancer.lower() if cancer else "cancer"
        if found:
            title = f"{subject} in {where}: {found[1]} {found[2]}?"
        elif trial:
            title = f"{subject} in {where}: where does the {phase} trial stand?".replace(
                "the  trial", "the trial"
            )
        else:
            title = f"{subject} in {where}: what is new?"
    return _unique(title, number, lang, taken)


def _unique(title: str, number: int, lang: str, taken: Collection[str]) -> str:
    if title not in taken:
        return title
    return f"{title}（第 {number} 期）" if lang == "zh" else f"{title} (issue {number})"

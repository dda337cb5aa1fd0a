"""What the writer model is given: the record's facts and its own sentences, and the rule that it
may add nothing. Only the record's text goes out (title, abstract, registry fields), never
anything about readers. Pure functions of the record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from etl.facts.abstract import sentences
from etl.facts.extract import extract
from etl.facts.leads import key_result, paper_lead
from etl.facts.model import Facts

FIELDS = ("lead", "highlight")

SYSTEM = {
    "zh": (
        "你是医学科普周报的编辑。请根据用户给出的研究事实和原文句子，用简体中文写作，"
        "语气参照科普文章中的案例介绍：谁（机构）、多少患者、用了什么（干预，含间充质干细胞来源）、"
        "结果如何（数字，有对照时写对照）。只能使用给出的事实和句子，不得补充任何其他知识；"
        "每个数字、单位、剂量和编号必须与原文完全一致；原文没有的数字一律不写。"
        "中文标点用全角（，：；（）？！），数字和英文保持半角。只输出正文，不要标题或解释。"
    ),
    "en": (
        "You edit a research newsletter. Write from the facts and source sentences the user gives, "
        "in plain English: who (institution), how many patients, what was given (with the MSC "
        "source), what came out (figures, against the comparator when there is one). Use nothing "
        "but what is given; copy every number, unit, dose and id exactly; write no figure the "
        "source lacks. Output the text only."
    ),
}
TASK = {
    ("zh", "lead"): "请写一段一到两句的导语（不超过 120 字）。",
    ("zh", "highlight"): "请写一段“研究亮点”（不超过 80 字），点出最重要的结果及其数字。",
    ("en", "lead"): "Write a lead of one or two sentences (at most 60 words).",
    (
        "en",
        "highlight",
    ): "Write a highlight (at most 40 words) naming the key result with its figures.",
}


def record_key(data: Mapping[str, Any]) -> str:
    """The record's stable name in requests and logs: pmid:N, nct:NCT…, doi:…, or its source id."""
    ids = data.get("identifiers") or {}
    for scheme in ("pmid", "nct", "doi"):
        if ids.get(scheme):
            return f"{scheme}:{ids[scheme]}"
    return f"{data.get('source', 'record')}:{data.get('source_id', '')}"


def source_sentences(data: Mapping[str, Any]) -> list[str]:
    """The sentences a draft may draw on: the title, the outcome sentences the facts came from,
    the key result and the conclusion; for a trial its registry fields. The editor sees these
    beside the draft."""
    found: list[str] = [str(data.get("title") or "").strip()]
    if data.get("kind") == "trial":
        for key in ("phases", "status", "enrollment", "sponsor", "countries", "conditions",
                    "interventions", "why_stopped"):  # fmt: skip
            value = data.get(key)
            if value not in (None, "", []):
                shown = ", ".join(map(str, value)) if isinstance(value, list) else value
                found.append(f"{key}: {shown}")
        return [s for s in found if s]
    found += list(extract(data).sentences)
    for sentence in (key_result(data), paper_lead(data)):
        for part in sentences(sentence):
            if part not in found:
                found.append(part)
    return [s for s in found if s]


def fact_lines(facts: Facts) -> list[str]:
    """The extracted facts, one "name: value" a line, as the model is to use them."""
    lines = []
    for name in ("institution", "country", "design", "phase", "patients", "animals",
                 "cancer_name", "msc_source", "product", "engineered_with", "intervention",
                 "combined_with", "route", "dose", "comparator", "sponsor", "status"):  # fmt: skip
        value = getattr(facts, name, None)
        if value not in (None, "", ()):
            lines.append(f"{name}: {value}")
    for figure in facts.outcomes:
        said = f"outcome: {figure.label} {figure.value}"
        if figure.comparator:
            said += f" (comparator {figure.comparator})"
        if figure.p:
            said += f", {figure.p}"
        lines.append(said)
    return lines


def messages(data: Mapping[str, Any], lang: str, field: str) -> list[dict[str, str]]:
    """The chat messages for one draft; the first user line names the record and the field, so
    logs (and the loopback server's recorded answers) can tell requests apart."""
    key = f"{record_key(data)} {field}"
    lines = [f"记录：{key}" if lang == "zh" else f"record: {key}"]
    lines += fact_lines(extract(data))
    lines.append("sentences:")
    lines += [f"- {sentence}" for sentence in source_sentences(data)]
    lines.append(TASK[(lang, field)])
    return [
        {"role": "system", "content": SYSTEM[lang]},
        {"role": "user", "content": "\n".join(lines)},
    ]

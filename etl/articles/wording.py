"""The check report in the editor's language: verdict names, what the record says, and why an
article may not be approved yet. The report itself keeps `article check`'s JSON names (an
interface for scripts); only what a person reads on the editor pages is put into words here,
from the same catalog as every other editor page (etl/digest/i18n.py), so a verdict reads
"已核实" or "与原文矛盾" in Chinese and "found" or "contradicted" in English.
"""

from __future__ import annotations

import re
from typing import Any

from etl.digest.i18n import EDITOR, label
from etl.digest.typography import zh_punctuation

PATIENTS = re.compile(r"^(\d[\d,.]*) patients$")  # the figure check's "58 patients"


def verdict(lang: str, name: str) -> str:
    """A citation's verdict (`found`, `not_found`, …) as the editor reads it."""
    return label(lang, f"cite_{name}")


def figure_verdict(lang: str, name: str) -> str:
    """A figure's verdict (`supported`, `not_in_source`, `contradicted`)."""
    return label(lang, f"figure_{name}")


def source_says(lang: str, says: str) -> str:
    """What the record holds instead of a figure: a patient count in the language's own words
    (58 例), any other value (a percentage, a duration) as the record writes it."""
    found = PATIENTS.match(says)
    return label(lang, "art_patients", n=found.group(1)) if found else says


def citation_name(item: dict[str, Any]) -> str:
    """The citation by its ids, else the start of its title (as `article check` names it)."""
    ids = ", ".join(
        f"{scheme.upper()} {value}" for scheme, value in (item.get("ids") or {}).items()
    )
    return ids or str(item.get("title") or "")[:60]


def blocking_reasons(lang: str, report: dict[str, Any]) -> list[str]:
    """Why the checked version may not be approved, one line per citation not found or figure
    contradicted: the same reasons as the report's `blocking_reasons`, in `lang`."""
    reasons = []
    for number, item in enumerate(report.get("citations") or [], 1):
        name = citation_name(item)
        if item.get("verdict") == "not_found":
            reasons.append(label(lang, "art_reason_not_found", n=number, name=name))
        for figure in item.get("figures") or []:
            if figure.get("verdict") == "contradicted":
                says = source_says(lang, str(figure.get("source_says") or ""))
                line = label(
                    lang, "art_reason_contradicted", n=number, name=name, figure=figure["text"],
                    says=says,
                )  # fmt: skip
                reasons.append(zh_punctuation(line) if lang == "zh" else line)
    return reasons


_NOTES = (
    (re.compile(r"^drafted from the picked works$"), "art_note_drafted", ""),
    (re.compile(r"^restored from version (\d+)$"), "art_note_restored", "n"),
    (re.compile(r"^inserted the citation of (.+)$"), "art_note_cited", "ref"),
)


def version_note(lang: str, note: str) -> str:
    """A saved version's note in `lang`: the notes the service writes itself (drafted, restored,
    a citation inserted) are kept in English with the version; an editor's own note as typed."""
    for pattern, key, name in _NOTES:
        found = pattern.match(note or "")
        if found:
            return label(lang, key, **({name: found.group(1)} if name else {}))
    return note or ""


# The check's own sentences about a citation (etl/articles/resolve.py writes them in English,
# into the report's JSON), as a Chinese editor reads them. A sentence of another form is shown
# as it is: better English than a guess.
_DIFFERENCES = tuple(
    (re.compile(pattern), chinese)
    for pattern, chinese in (
        (r"^title: the record says “(.*)”$", "标题：记录为「{0}」"),
        (r"^journal: the record says (.*)$", "期刊：记录为 {0}"),
        (r"^year: the record says (.*)$", "年份：记录为 {0}"),
        (r"^retracted \((.*)\)$", "已撤稿（{0}）"),
        (r"^corrected \((.*)\)$", "有更正（{0}）"),
        (r"^phase: the passage says (.*), the record (.*)$", "分期：文中为 {0}，记录为 {1}"),
        (
            r"^enrolment: the passage says (\d+) patients, the record (\d+) \((.*)\)$",
            "入组人数：文中为 {0} 例，记录为 {1} 例（{2}）",
        ),
        (
            r"^enrolment: the passage says (\d+) patients, the record (\d+)$",
            "入组人数：文中为 {0} 例，记录为 {1} 例",
        ),
        (r"^condition: the passage says (.*?), the record (.*)$", "适应证：文中为 {0}，记录为 {1}"),
        (
            r"^intervention: the passage says (.*?), the record (.*)$",
            "干预措施：文中为 {0}，记录为 {1}",
        ),
        (r"^the id is “(.*)”; the cited title is (.*)$", "该编号对应「{0}」；所引标题对应 {1}"),
        (r"^(.*): not in the database nor the sources$", "{0}：数据库与各数据源中均未找到"),
        (
            r"^(.*): not in the database; a source could not be asked \((.*)\)$",
            "{0}：数据库中没有；未能查询数据源（{1}）",
        ),
    )
)


def finding(lang: str, sentence: str) -> str:
    """One of the check's sentences about a citation (a difference, a notice, why it was not
    found) in `lang`."""
    if lang != "zh" or not sentence:
        return sentence or ""
    found = _matched(_DIFFERENCES, sentence)
    return found[0].format(*found[1]) if found else sentence


# What the service says when it refuses (etl/articles/service.py raises ArticleError in English,
# for the command line), as the editor pages say it in Chinese: the message, then its hint.
_REFUSALS = tuple(
    (re.compile(pattern), chinese)
    for pattern, chinese in (
        (r"^article (\d+) is (\w+), not a draft$", "文章 {0} 当前为「{1}」，不是草稿"),
        (r"^article (\d+) is (\w+), not approved$", "文章 {0} 当前为「{1}」，尚未批准"),
        (r"^article (\d+) is (\w+), not published$", "文章 {0} 当前为「{1}」，尚未发布"),
        (r"^article (\d+): version (\d+) has not been checked$", "文章 {0} 的第 {1} 版尚未核查"),
        (
            r"^article (\d+) cannot be approved: .*$",
            "文章 {0} 不能批准：核查发现未找到的引文或与原文矛盾的数据",
        ),
        (r"^article (\d+) cannot be mailed: (\d+) problem\(s\)$", "文章 {0} 无法发送：{1} 个问题"),
        (r"^a withdrawal needs a reason$", "撤回文章须填写原因"),
        (r"^say why with --note .*$", "请填写撤回原因，读者将看到它"),
        (r"^only a published article is withdrawn$", "只有已发布的文章可以撤回"),
        (r"^no works to write about$", "没有可写的研究"),
        (r"^no id to cite$", "没有填写要引用的编号"),
        (r"^no work '(.*)': (.*)$", "找不到 {0}：{1}"),
        (
            r"^fix the text and check again, or approve with --override .*$",
            "请修改正文后重新核查，或填写放行理由（将保留并显示）后批准",
        ),  # fmt: skip
        (r"^run the check first: .*$", "请先核查当前版本"),
        (r"^approve it first: .*$", "请先批准"),
        (r"^publish it first: .*$", "请先发布到往期回顾"),
        (r"^pick works in the review queue first.*$", "请先在审阅队列中选入研究"),
        (r"^give a PMID, DOI, PMCID or trial id$", "请填写 PMID、DOI、PMCID 或试验注册号"),
    )
)


def refusal(lang: str, sentence: str) -> str:
    """A refusal's message or hint in `lang`; states in it by their Chinese names."""
    if lang != "zh" or not sentence:
        return sentence or ""
    found = _matched(_REFUSALS, sentence)
    if found is None:
        return finding(lang, sentence)
    chinese, values = found
    named = [label(lang, f"art_state_{v}") if f"art_state_{v}" in EDITOR else v for v in values]
    return chinese.format(*named)


def _matched(
    table: tuple[tuple[re.Pattern[str], str], ...], sentence: str
) -> tuple[str, tuple[str, ...]] | None:
    """The Chinese of the first pattern the sentence matches, and the values it caught."""
    for pattern, chinese in table:
        found = pattern.match(sentence)
        if found:
            return chinese, found.groups()
    return None

"""The digest's words in each edition: numbering, dates, labels, and the citation lines.

Chinese follows the article (`digest-style.md`): sections "一、", groups "1.1、", dates
"2025年6月9日", citation lines `论文：《…》（《…》，2024 年，DOI：…）`. English keeps the same
structure with English labels. Everything here is a pure function of its arguments.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

# The article's table heads are the evidence map's first columns: one set of words for both.
from etl.evidence.words import article_heads

# A trial's status and phase and where an identifier leads are words the evidence map uses too,
# below the digest: they live with the facts they name, one catalog for both.
from etl.facts.words import PHASES as PHASES
from etl.facts.words import REGISTRIES as REGISTRIES
from etl.facts.words import STATUS as STATUS
from etl.facts.words import doi_url as doi_url
from etl.facts.words import phase_label as phase_label
from etl.facts.words import pubmed_url as pubmed_url
from etl.facts.words import registry_url as registry_url
from etl.facts.words import status_label as status_label

LANGS = ("zh", "en")
NUMERALS = "零一二三四五六七八九十"

UI = {
    "zh": {
        "issue_no": "第 {n} 期",
        "intro": "引言",
        "headline": "间充质干细胞抗癌研究：本期有哪些新进展？",
        "nothing_headline": "间充质干细胞抗癌研究：本期暂无新进展",
        "highlight": "研究亮点",
        "table_caption": "表：本期临床试验一览",
        "table_head": article_heads("zh"),  # 治疗策略 · 代表研究 · 癌种 · 研发阶段
        "closing": "结语",
        "previous": "« 上一篇",
        "next": "下一篇 »",
        "next_due": "下一期预计 {date} 发布",
        "more": "版面所限，另有 {n} 项内容请在网页版查看",
        "web": "在网页中阅读",
        "unsubscribe": "退订",
        "preferences": "订阅偏好",
        "archive": "往期回顾",
        "evidence": "临床证据图",
        "subscribe": "订阅",
        "related": "相关",
        "study": "研究档案",
        "cite_issue": "引用本期",
        "period": "收录时间：{start} 至 {end}",
        "pending_title": "第 {n} 期尚未发布",
        "pending_body": "本期预计于 {date} 发布，届时本页将显示全文。",
        "skipped_body": "{start} 至 {end} 期间没有新的研究进展，本期未出版。",
        "back": "返回上一期",
        "index_title": "往期目录",
        "no_change": "—",
        "colon": "：",
        "open": "（",
        "close": "）",
    },
    "en": {
        "issue_no": "Issue {n}",
        "intro": "Introduction",
        "headline": "MSCs in cancer: what is new this time?",
        "nothing_headline": "MSCs in cancer: nothing new this time",
        "highlight": "Highlight",
        "table_caption": "Table: trials in this issue",
        "table_head": article_heads("en"),
        "closing": "Closing note",
        "previous": "« Previous",
        "next": "Next »",
        "next_due": "next issue due {date}",
        "more": "{n} more items did not fit in this email: read them on the web",
        "web": "Read on the web",
        "unsubscribe": "Unsubscribe",
        "preferences": "Preferences",
        "archive": "Archive",
        "evidence": "Evidence map",
        "subscribe": "Subscribe",
        "related": "Related",
        "study": "Study page",
        "cite_issue": "Cite this issue",
        "period": "Covers {start} to {end}",
        "pending_title": "Issue {n} is not out yet",
        "pending_body": "It is due on {date}; this page will show it then.",
        "skipped_body": "Nothing new was found from {start} to {end}, so no issue came out.",
        "back": "Back to the previous issue",
        "index_title": "All issues",
        "no_change": "—",
        "colon": ": ",
        "open": " (",
        "close": ")",
    },
}

KINDS = {
    "zh": {"new": "新研究", "results": "结果公布", "update": "状态更新", "published": "正式发表",
           "retraction": "撤稿", "correction": "更正", "earlier": "补录"},
    "en": {"new": "New", "results": "Results posted", "update": "Update",
           "published": "Now published", "retraction": "Retraction", "correction": "Correction",
           "earlier": "Earlier work"},
}  # fmt: skip

# Groups that are not taxonomy labels (those come from config/taxonomy.yaml).
GROUPS = {
    "zh": {"hsct": "造血干细胞移植与 GVHD", "other_solid": "其他实体瘤",
           "other_hematologic": "其他血液肿瘤", "registered": "新注册试验",
           "results": "结果公布", "changes": "状态变更", "notices": "撤稿与更正",
           "risks": "不良事件与风险信号", "other": "其他"},
    "en": {"hsct": "HSCT and GVHD", "other_solid": "Other solid tumours",
           "other_hematologic": "Other haematological malignancies",
           "registered": "New registrations", "results": "Results posted",
           "changes": "Status changes", "notices": "Retractions and corrections",
           "risks": "Adverse events and risk signals", "other": "Other"},
}  # fmt: skip

FIELDS = {
    "status": ("状态", "status"),
    "phases": ("分期", "phase"),
    "enrollment": ("入组人数", "enrolment"),
    "primary_completion_date": ("主要完成日期", "primary completion"),
    "has_results": ("结果", "results"),
    "why_stopped": ("终止原因", "why stopped"),
    "arms": ("研究组", "arms"),
}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip


def text(lang: str, key: str, **values: object) -> str:
    template = UI[lang][key]
    if not isinstance(template, str):  # "table_head" is a row of cells, read from UI directly
        raise TypeError(f"UI[{lang!r}][{key!r}] is not a text")
    return template.format(**values) if values else template


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (sections never run past 99)."""
    if n <= 10:
        return NUMERALS[n]
    tens, ones = divmod(n, 10)
    return (NUMERALS[tens] if tens > 1 else "") + "十" + (NUMERALS[ones] if ones else "")


def section_number(lang: str, n: int) -> str:
    return f"{chinese_number(n)}、" if lang == "zh" else f"{n}. "


def group_number(lang: str, section: int, group: int) -> str:
    return f"{section}.{group}、" if lang == "zh" else f"{section}.{group} "


def format_date(lang: str, day: date | str | None) -> str:
    """ "2025年6月9日" / "9 June 2025"; a partial ISO date keeps only what it has."""
    if day is None or day == "":
        return ""
    parts = [int(p) for p in (day.isoformat() if isinstance(day, date) else day).split("-")]
    if lang == "zh":
        return "".join(f"{v}{u}" for v, u in zip(parts, "年月日", strict=False))
    if len(parts) == 1:
        return str(parts[0])
    month = MONTHS[parts[1] - 1]
    return f"{parts[2]} {month} {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"


def field_label(lang: str, field: str) -> str:
    pair = FIELDS.get(field, (field, field))
    return pair[0 if lang == "zh" else 1]


class Segment(NamedTuple):
    """A piece of a citation line: text, and the address it links to (if any)."""

    text: str
    href: str | None = None


def paper_citation(
    lang: str, title: str, journal: str, year: str, doi: str | None, pmid: str | None,
    preprint: bool = False,
) -> list[Segment]:  # fmt: skip
    """`论文：《Title》（《Journal》，2024 年，DOI：10.…）`, title and identifier linked."""
    link = doi_url(doi) if doi else pubmed_url(pmid) if pmid else None
    if doi:
        ident = [Segment("DOI：" if lang == "zh" else "DOI: "), Segment(doi, doi_url(doi))]
    elif pmid:
        ident = [Segment("PMID：" if lang == "zh" else "PMID: "), Segment(pmid, pubmed_url(pmid))]
    else:
        ident = []
    if lang == "zh":
        head = [Segment(("预印本" if preprint else "论文") + "：《"), Segment(title, link)]
        tail = [Segment(f"》（《{journal}》，{year} 年" + ("，" if ident else "")), *ident]
        return _joined([*head, *tail, Segment("）")])
    head = [Segment(("Preprint" if preprint else "Paper") + ": “"), Segment(title, link)]
    tail = [Segment(f"” ({journal}, {year}" + (", " if ident else "")), *ident]
    return _joined([*head, *tail, Segment(")")])


def trial_citation(lang: str, title: str, scheme: str, trial_id: str) -> list[Segment]:
    """`临床试验：《Title》（ClinicalTrials.gov 注册号：NCT…）`, title and id linked."""
    registry, _ = REGISTRIES.get(scheme, (scheme.upper(), ""))
    link = registry_url(scheme, trial_id)
    if lang == "zh":
        opening, middle, closing = "临床试验：《", f"》（{registry} 注册号：", "）"
    else:
        opening, middle, closing = "Trial: “", f"” ({registry}: ", ")"
    return [Segment(opening), Segment(title, link), Segment(middle), Segment(trial_id, link),
            Segment(closing)]  # fmt: skip


def plain(segments: list[Segment]) -> str:
    return "".join(segment.text for segment in segments)


def _joined(segments: list[Segment]) -> list[Segment]:
    """Neighbouring plain segments merged, so templates loop over few pieces."""
    out: list[Segment] = []
    for segment in segments:
        if out and out[-1].href is None and segment.href is None:
            out[-1] = Segment(out[-1].text + segment.text)
        else:
            out.append(segment)
    return out

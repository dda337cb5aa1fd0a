"""The digest's words in each edition: numbering, dates, labels, and the citation lines.

Chinese follows the article (`digest-style.md`): sections "一、", groups "1.1、", dates
"2025年6月9日", citation lines `论文：《…》（《…》，2024 年，DOI：…）`. English keeps the same
structure with English labels. Everything here is a pure function of its arguments.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

# The article's table heads are the evidence map's first columns: one set of words for both.
from etl.db.states import ArticleState, DeliveryState, IssueState, Verdict
from etl.evidence.words import article_heads

# A trial's status and phase and where an identifier leads are words the evidence map uses too,
# below the digest: they live with the facts they name, one catalog for both.
from etl.facts.words import PHASES as PHASES
from etl.facts.words import REGISTRIES as REGISTRIES
from etl.facts.words import STATUS as STATUS
from etl.facts.words import doi_url as doi_url
from etl.facts.words import phase_label as phase_label
from etl.facts.words import pubmed_url as pubmed_url
from etl.facts.words import registry_name as registry_name
from etl.facts.words import registry_url as registry_url
from etl.facts.words import status_label as status_label
from etl.problems import ENGLISH as PROBLEMS_EN
from etl.problems import Problem

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
        # The evidence map's chart under the items (etl/digest/chart.py), captioned as the
        # article captions its tables; the text part gives the map's address instead.
        "chart_caption": "图：{title}；临床证据图共收录 {n} 项临床研究，点击图片查看",
        "chart_text": "图：{title}，见临床证据图（共收录 {n} 项临床研究）",
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
        "search": "检索",
        "feeds": "订阅源",
        "feeds_intro": (
            "用 RSS 阅读器订阅：全部期刊，或只看某一栏目、癌种或治疗策略的新内容。"
            "每条都附有标题和摘要。"
        ),
        "feeds_issues": "全部期刊",
        "feeds_hint": "按栏目、癌种或治疗策略，用 RSS 阅读器追踪新内容",
        "feeds_sections": "栏目",
        "feeds_cancer_types": "癌种",
        "feeds_strategies": "治疗策略",
        "related": "相关",
        "study": "研究档案",
        "cite_issue": "引用本期",
        "articles": "本刊文章",
        "cited_studies": "本文引用的研究",
        # A withdrawn article's address (410 Gone): what a reader following an old link reads.
        "withdrawn_title": "已撤回：{title}",
        "withdrawn_when": "本文发布于 {published}，已于 {withdrawn} 撤回。",
        "withdrawn_why": "撤回原因：{note}",
        "withdrawn_back": "返回往期回顾",
        # An old address of a study page in the static archive: where the page is now.
        "moved_title": "研究档案已迁至新地址",
        "moved": "本研究档案的地址已更新，请访问：",
        "in_zh": "中文",
        "in_en": "英文",
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
        "chart_caption": "Figure: {title}; the evidence map holds {n} clinical studies (click "
        "the chart)",
        "chart_text": "Figure: {title}, on the evidence map ({n} clinical studies in all)",
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
        "search": "Search",
        "feeds": "Feeds",
        "feeds_intro": (
            "Follow us in a feed reader: every issue, or only the news of one section, cancer "
            "type or strategy. Each entry has its title and lead."
        ),
        "feeds_issues": "Every issue",
        "feeds_hint": "follow a section, a cancer type or a strategy in a feed reader",
        "feeds_sections": "Sections",
        "feeds_cancer_types": "Cancer types",
        "feeds_strategies": "Strategies",
        "related": "Related",
        "study": "Study page",
        "cite_issue": "Cite this issue",
        "articles": "Our articles citing it",
        "cited_studies": "Studies cited in this article",
        "withdrawn_title": "Withdrawn: {title}",
        "withdrawn_when": "This article, published {published}, was withdrawn on {withdrawn}.",
        "withdrawn_why": "Reason: {note}",
        "withdrawn_back": "Back to the archive",
        "moved_title": "This study page has moved",
        "moved": "This study page has a new address: ",  # the link follows
        "in_zh": "in Chinese",
        "in_en": "in English",
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
    registry = registry_name(lang, scheme)
    link = registry_url(scheme, trial_id)
    if lang == "zh":
        space = " " if registry[-1].isascii() else ""  # 中国临床试验注册中心注册号, ISRCTN 注册号
        opening, middle, closing = "临床试验：《", f"》（{registry}{space}注册号：", "）"
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


# The editor pages' words, each key in both languages (Chinese first). The pages reach them
# through `label`, which falls back to the digest's own words above (UI), so a page and an issue
# call a thing by the same name ("往期回顾", "研究亮点", statuses, phases and fields).
EDITOR: dict[str, tuple[str, str]] = {
    "editor_pages": ("编辑工作台", "Editor pages"),
    "nav_queue": ("审阅队列", "Queue"),
    "nav_add": ("手动添加", "Add by hand"),
    "nav_duplicates": ("疑似重复", "Duplicates"),
    "nav_issues": ("各期简报", "Issues"),
    "nav_briefs": ("文章提纲", "Briefs"),
    "nav_articles": ("专题文章", "Articles"),
    "nav_operators": ("运行状态", "Operators"),
    "log_out": ("退出登录", "Log out"),
    "language": ("界面语言", "Language"),
    "switch_language": ("English", "中文"),
    "switch_language_title": ("Switch the editor pages to English", "切换为中文界面"),
    "logged_in_as": ("当前登录：", "Logged in as "),
    "home_queue": (
        "自上一期以来的新内容：纳入、排除、设为重点、更正标签、选入专题文章",
        "what came in since the last issue: include, exclude, feature, correct "
        "labels, pick for an article",
    ),
    "home_add": (
        "粘贴 PMID、DOI 或试验注册号，抓取并分类后加入队列",
        "paste a PMID, DOI or trial id: fetched, classified and queued",
    ),
    "home_duplicates": (
        "按标题合并的记录：确认或拆分；手动合并两条记录",
        "works joined by title: confirm or split; merge two works by hand",
    ),
    "home_issues": (
        "各期草稿：标题与引言、排序、预览、测试邮件、批准",
        "the drafts: headline and intro, order, preview, test copy, approve",
    ),
    "home_briefs": (
        "已选入专题文章的研究及其 Markdown 提纲",
        "the picked works and their Markdown brief",
    ),
    "home_articles": (
        "由选入的研究撰写专题文章：预览、插入引文、逐条核查、批准、发布与发送",
        "full articles from the picked works: preview, citations, the check, approve, publish, "
        "mail",
    ),
    "home_operators": (
        "各任务与数据源的运行情况：最近运行、失败、错误、下次运行",
        "the health of every job and source: last runs, failures, errors, what is next",
    ),
    "login_title": ("编辑登录", "Editor login"),
    "login_name": ("用户名或邮箱", "User name or email"),
    "password": ("密码", "Password"),
    "log_in": ("登录", "Log in"),
    "login_wrong": ("用户名或密码不正确。", "The user name or password is not right."),
    "login_too_many": (
        "您所在网络的登录失败次数过多。请等待 {minutes} 分钟，或请运维人员检查您的账号。",
        "Too many failed logins from your network. Please wait {minutes} minutes, or "
        "ask an operator to check your account.",
    ),
    "logged_out": ("您已退出登录。", "You are logged out."),
    "login_accounts": (
        "账号由运维人员创建（mscwatch editors add）；忘记密码请联系他们重置。",
        "Accounts are created by the operators (mscwatch editors add); ask them to "
        "reset a forgotten password.",
    ),
    "form_expired": ("表单已过期", "This form has expired"),
    "form_expired_body": (
        "未作任何更改。请重新打开页面后再提交。",
        "Nothing was changed. Please open the page again and resubmit.",
    ),
    "open_login": ("打开登录页", "Open the login page"),
    "did_not_work": ("操作未完成", "That did not work"),
    "back_to_queue": ("返回审阅队列", "Back to the queue"),
    "queue_title": ("审阅队列", "Review queue"),
    "queue_count": ("共 {n} 项", "{n} works"),
    "count_sep": ("：", " "),
    "queue_news": (
        "自 {since} 起、下一期将报道的新内容（{why}）",
        "with news for the next issue since {since} ({why})",
    ),
    "queue_news_why_issue": ("上一期收录时间截止于此", "where the last issue that went out ended"),
    "queue_news_why_first": (
        "尚无已发出的简报：最近两期的时间",
        "no issue has gone out yet: the last two periods",
    ),
    "queue_since": ("自 {since} 以来有动态的全部研究", "with news since {since}"),
    "queue_all": ("全部动态", "all news"),
    "queue_keys": (
        "快捷键：j/k 上下移动，x 选中，i 纳入，e 排除，f 设为重点，p 选"
        "入文章，u 撤销决定；选中多行时对所有选中行生效。",
        "Keys: j/k move, x select, i include, e exclude, f feature, p pick, u "
        "undecide; with rows selected, the key acts on all of them.",
    ),
    "queue_news_link": ("只看下一期的新内容", "only the next issue's news"),
    "since": ("起始日期", "since"),
    "section": ("栏目", "section"),
    "cancer_type": ("癌种", "cancer type"),
    "strategy": ("治疗策略", "strategy"),
    "stage": ("研究阶段", "stage"),
    "source": ("来源", "source"),
    "relevance": ("相关性", "relevance"),
    "state": ("状态", "state"),
    "order": ("排序", "order"),
    "any": ("不限", "any"),
    "filter": ("筛选", "Filter"),
    "rel_relevant": ("相关", "relevant"),
    "rel_not_relevant": ("不相关", "not relevant"),
    "rel_all": ("全部", "all"),
    "st_all": ("全部", "all"),
    "st_undecided": ("未决定", "undecided"),
    "st_included": ("已纳入", "included"),
    "st_excluded": ("已排除", "excluded"),
    "st_featured": ("重点推荐", "featured"),
    "st_picked": ("已选入文章", "picked"),
    "st_include": ("已纳入", "included"),
    "st_exclude": ("已排除", "excluded"),
    "order_newest": ("最新在前", "newest first"),
    "order_relevance": ("最相关在前", "most relevant first"),
    "order_uncertain": ("最不确定在前", "least sure first"),
    "selected": ("选中的行：", "Selected:"),
    "include": ("纳入", "Include"),
    "exclude": ("排除", "Exclude"),
    "pick": ("选入文章", "Pick for article"),
    "unpick": ("取消选入", "Unpick"),
    "undecide": ("撤销决定", "Undecide"),
    "feature": ("设为重点", "Feature"),
    "note": ("备注", "Note"),
    "select_work": ("选中第 {id} 项", "select work {id}"),
    "col_work": ("研究", "work"),
    "col_labels": ("标签及依据", "labels and why"),
    "col_about": ("摘要、要点与导语", "abstract, facts and lead"),
    "col_decision": ("决定", "decision"),
    "work_no": ("编号 {id}", "work {id}"),
    "kind_paper": ("论文", "paper"),
    "kind_trial": ("临床试验", "trial"),
    "probable_duplicate": ("疑似重复", "probable duplicate"),
    "relevance_score": ("相关性 {score}", "relevance {score}"),
    "is_relevant": ("相关", "relevant"),
    "is_not_relevant": ("不相关", "not relevant"),
    "safety_signal": ("安全性信号", "safety signal"),
    "corrected_by_editor": ("编辑已更正：{families}", "corrected by an editor: {families}"),
    "events": ("动态", "What happened"),
    "news_mark": ("本期新内容", "news"),
    "links": ("关联", "Linked"),
    "link_reports_trial": ("报道试验", "reports trial"),
    "link_reported_by": ("报道该试验的论文", "reported by"),
    "link_retracted_by": ("撤稿声明", "retracted by"),
    "link_retraction_of": ("所撤论文", "retraction of"),
    "link_corrected_by": ("勘误", "corrected by"),
    "link_erratum_for": ("所更正论文", "erratum for"),
    "link_concern_in": ("关注声明", "expression of concern"),
    "link_concern_for": ("关注声明所涉论文", "concern for"),
    "link_updated_by": ("更新版本", "updated by"),
    "link_update_of": ("所更新论文", "update of"),
    "link_published_as": ("正式发表版本", "published as"),
    "link_has_preprint": ("预印本", "preprint"),
    "abstract": ("摘要", "Abstract"),
    "no_abstract": ("记录没有摘要。", "The record has no abstract."),
    "facts": ("提取的要点", "Extracted facts"),
    "lead": ("拟用导语", "Proposed lead"),
    "lead_rejected": ("未采用（{reason}）：{text}", "not used ({reason}): {text}"),
    "fact_design": ("研究设计", "design"),
    "fact_patients": ("患者", "patients"),
    "fact_patients_n": ("{n} 例", "{n}"),
    "fact_cancer": ("癌种", "cancer"),
    "fact_source": ("MSC 来源", "MSC source"),
    "fact_intervention": ("干预", "intervention"),
    "fact_outcomes": ("结果", "outcomes"),
    "fact_institution": ("机构", "institution"),
    "fact_status": ("状态", "status"),
    "fact_enrollment": ("入组人数", "enrolment"),
    "fact_sponsor": ("申办方", "sponsor"),
    "fact_arms": ("研究组", "arms"),
    "no_facts": ("规则未能从记录中提取要点。", "The rules found no facts in the record."),
    "correct_labels": ("更正标签", "Correct labels"),
    "cancer_types": ("癌种", "cancer types"),
    "strategies": ("治疗策略", "strategies"),
    "no_stage": ("无", "none"),
    "save_labels": ("保存标签", "Save labels"),
    "highlight_placeholder": ("研究亮点", "highlight"),
    "highlight_for": ("第 {id} 项的研究亮点", "highlight for work {id}"),
    "note_for": ("第 {id} 项的备注", "note for work {id}"),
    "note_shown": ("备注：{text}", "note: {text}"),
    "nothing_matches": ("没有符合筛选条件的研究。", "Nothing matches these filters."),
    "pages": ("页码：", "Pages:"),
    "done_action": ("{action}：{n} 项", "{action}: {n} work(s)"),
    "corrected": ("第 {id} 项：已更正 {families}", "work {id}: corrected {families}"),
    "nothing_changed": ("没有改动", "nothing changed"),
    "choose_work_action": (
        "请至少选择一项研究和一个操作。",
        "Choose at least one work and an action.",
    ),
    "not_work_id": (
        "work={value} 不是研究编号（应为整数）。",
        "work={value} is not a work id (a whole number).",
    ),
    "add_title": ("手动添加研究", "Add a work by hand"),
    "add_about": (
        "粘贴一个 PMID、DOI 或临床试验注册号（NCT、ChiCTR 等）：系"
        "统通过常规数据源抓取、存储并分类，然后放入审阅队列。",
        "Paste a PMID, DOI or trial registry id (NCT, ChiCTR…): it is fetched "
        "through the normal sources, stored, classified and queued.",
    ),
    "add_field": ("PMID、DOI 或试验注册号", "PMID, DOI or trial id"),
    "add_button": ("抓取并加入队列", "Fetch and queue"),
    "add_empty": ("请粘贴一个 PMID、DOI 或试验注册号。", "Paste a PMID, DOI or trial id."),
    "add_unknown": (
        "无法识别「{value}」：应为 PMID（纯数字，如 41000480）、"
        "DOI（如 10.1000/xyz）或试验注册号（如 NCT06571092"
        "、ChiCTR2400081234）。",
        "“{value}” is not one we can read: give a PMID (digits, e.g. 41000480), a "
        "DOI (e.g. 10.1000/xyz) or a trial registry id (e.g. NCT06571092, "
        "ChiCTR2400081234).",
    ),
    "add_not_found": (
        "{scheme} {value} 在数据源中未找到：{reason}",
        "{scheme} {value} was not found at the source: {reason}",
    ),
    "add_failed": (
        "{scheme} {value} 抓取失败：{reason}",
        "{scheme} {value} could not be fetched: {reason}",
    ),
    "add_done": ("已添加并加入队列：{title}（编号 {id}）", "added and queued: {title} (work {id})"),
    "add_known": (
        "已在库中，已加入队列：{title}（编号 {id}）",
        "already stored, now queued: {title} (work {id})",
    ),
    "add_open": ("在队列中查看", "See it in the queue"),
    "add_unavailable": (
        "手动添加需要单条抓取功能，当前版本尚未提供。",
        "Adding by hand needs the one-record lookup, which this version lacks.",
    ),
    "dup_title": ("疑似重复", "Probable duplicates"),
    "dup_about": (
        "这些记录因标题相同（同一年份、同一第一作者）而合并，但没有共同的标识符。在编"
        "辑拆分之前它们视为同一项研究：确认属于同一研究的，拆分不是的。",
        "Works joined because their titles matched (same year and first author), "
        "with no identifier in common. They are one work until an editor splits "
        "them: confirm the ones that are one study, split the ones that are not.",
    ),
    "dup_match": ("标题匹配", "Title match"),
    "dup_kept": ("保留", "Kept"),
    "dup_joined": ("并入", "Joined"),
    "dup_no_record": ("没有有效记录", "no live record"),
    "dup_confirm": ("同一研究：保持合并", "One study: keep merged"),
    "dup_split": ("两项研究：拆分", "Two studies: split"),
    "dup_none": ("目前没有待编辑处理的疑似重复。", "No probable duplicates wait for an editor."),
    "dup_merge_title": ("合并两项研究", "Merge two works"),
    "dup_merge_about": (
        "两项研究实为同一研究、但系统未能合并时使用（没有共同标识符，标题差别太大）。"
        "用编号、pmid:N、DOI 或试验注册号指明；PMID 或试验注册号不同的"
        "研究不能合并。",
        "When two works are one study that nothing joined (no shared identifier, "
        "titles too different). Name them by id, pmid:N, DOI or trial id; works with "
        "different PMIDs or trial ids cannot be merged.",
    ),
    "dup_keep": ("保留", "keep"),
    "dup_into": ("并入其中", "merge into it"),
    "dup_merge": ("合并", "Merge"),
    "issues_title": ("各期简报", "Issues"),
    "issues_about": (
        "草稿由 mscwatch digest build（或定时任务）生成；打开一"
        "期即可修改文字、调整顺序、预览、给自己发送测试邮件并批准。",
        "Drafts are built by mscwatch digest build (or the scheduler); open one to "
        "edit its texts, reorder it, preview it, mail yourself a test copy and "
        "approve it.",
    ),
    "col_number": ("期号", "number"),
    "col_period": ("收录时间", "period"),
    "col_state": ("状态", "state"),
    "col_items": ("条目", "items"),
    "col_approved": ("批准人", "approved by"),
    "no_issue": ("还没有任何一期。", "No issue yet."),
    "issue_state_draft": ("草稿", "draft"),
    "issue_state_approved": ("已批准", IssueState.APPROVED.value),
    "issue_state_sending": ("发送中", IssueState.SENDING.value),
    "issue_state_sent": ("已发送", "sent"),
    "briefs_title": ("文章提纲", "Article briefs"),
    "briefs_about": (
        "在审阅队列中选入专题文章的研究。提纲是按范文结构写好的 Markdown 草"
        "稿：按癌种和策略分节，每项研究的要点、准确的引文行、试验一览表和免责声明（与"
        " mscwatch article brief 相同）。",
        "Works picked in the review queue for a full article like the seed article. "
        "The brief is a Markdown draft in its structure: sections by cancer type and "
        "strategy, each work's facts, the exact citation lines, a trial table, the "
        "disclaimer (the same as mscwatch article brief).",
    ),
    "briefs_download": ("下载提纲（{language}）", "Download the brief ({language})"),
    "col_title": ("标题", "title"),
    "col_picked": ("选入时间", "picked"),
    "nothing_picked": (
        "尚未选入任何研究：请在审阅队列中选入。",
        "Nothing picked yet: pick works in the review queue.",
    ),
    "operators_title": ("运行状态", "Operators"),
    "ops_about": (
        "与 mscwatch status 所示相同，截至 {now}（时区 {zone}）。本页只读：调度与数据源在配置文"
        "件中设置。",
        "What mscwatch status shows, as of {now} (times in {zone}). Read-only: the schedule "
        "and the sources are configured in files.",
    ),
    "ops_jobs": ("定时任务", "Jobs"),
    "ops_sources": ("数据源", "Sources"),
    "ops_issues": ("各期及其投递", "Issues and their deliveries"),
    "ops_job": ("任务", "job"),
    "ops_health": ("健康状况", "health"),
    "ops_why": ("原因", "why"),
    "ops_last_run": ("最近运行", "last run"),
    "ops_outcome": ("结果", "outcome"),
    "ops_last_success": ("最近成功", "last success"),
    "ops_last_failure": ("最近失败", "last failure"),
    "ops_last_error": ("最近错误", "last error"),
    "ops_next_run": ("下次运行", "next run"),
    "ops_alert": ("告警", "alert"),
    "ops_source": ("数据源", "source"),
    "ops_watermark": ("水位线", "watermark"),
    "ops_next_due": ("下次应运行", "next due"),
    "ops_issue": ("期号", "issue"),
    "ops_approved_by": ("批准人", "approved by"),
    "ops_in_doubt": ("待确认", "in doubt"),
    "ops_next_retry": ("下次重试", "next retry"),
    "ops_sent_at": ("发送时间", "sent at"),
    "ops_never": ("从未", "never"),
    "ops_not_scheduled": ("未排程", "not scheduled"),
    "count_new": ("新增", "new"),
    "count_updated": ("更新", "updated"),
    "count_unchanged": ("未变", "unchanged"),
    "count_quarantined": ("隔离", "quarantined"),
    "count_failed": ("失败", "failed"),
    "delivery_sent": ("已发送", "sent"),
    "delivery_queued": ("排队中", DeliveryState.QUEUED.value),
    "delivery_claimed": ("发送中", DeliveryState.CLAIMED.value),
    "delivery_retry": ("待重试", "retry"),
    "delivery_failed": ("失败", "failed"),
    "delivery_skipped": ("已跳过", "skipped"),
    "outcome_ok": ("成功", "ok"),
    "outcome_quiet": ("无新内容", "quiet"),
    "outcome_partial": ("部分成功", "partial"),
    "outcome_failed": ("失败", "failed"),
    "outcome_skipped": ("已跳过", "skipped"),
    "outcome_stopped": ("已停止", "stopped"),
    "outcome_running": ("运行中", "running"),
    "verdict_ok": ("正常", "ok"),
    "verdict_quiet": ("正常（无新内容）", "quiet"),
    "verdict_partial": ("部分记录未入库", "partial"),
    "verdict_failing": ("失败", Verdict.FAILING.value),
    "verdict_broken": ("连续失败", Verdict.BROKEN.value),
    "verdict_late": ("逾期未运行", "late"),
    "verdict_stale": ("长期无新内容", Verdict.STALE.value),
    "verdict_disabled": ("已停用", "disabled"),
    "verdict_never run": ("从未运行", Verdict.NEVER_RUN.value),
    "issue_title": ("第 {n} 期（{slug}）", "Issue {n} ({slug})"),
    "issue_meta_period": ("收录时间 {start} – {end}", "Period {start} – {end}"),
    "issue_meta_state": ("状态", "state"),
    "issue_meta_approved": ("批准人：{name}", "approved by {name}"),
    "issue_meta_items": ("{n} 条", "{n} items"),
    "preview": ("预览", "Preview"),
    "problems_stop": ("{n} 个问题阻止批准：", "{n} problem(s) stop approval:"),
    "approve": ("批准", "Approve"),
    "rebuild": ("按最新决定重新生成", "Rebuild from the latest decisions"),
    "unapprove": ("撤回批准（退回草稿）", "Unapprove (back to draft)"),
    "test_copy_to": ("发送测试邮件至", "Send a test copy to"),
    "test_copy_address": ("测试邮件地址", "test copy address"),
    "send_test_copy": ("发送测试邮件", "Send test copy"),
    "texts_title": ("标题、引言与结语", "Headline, introduction and closing"),
    "text_headline": ("标题", "headline"),
    "text_intro": ("引言", "introduction"),
    "text_closing": ("结语", "closing"),
    "empty_generated": ("留空：{what}", "empty: {what}"),
    "generated_headline": ("自动生成的问句标题", "the generated question headline"),
    "generated_intro": ("自动生成的引言", "the generated 引言"),
    "none": ("无", "none"),
    "save_texts": ("保存文字", "Save texts"),
    "items_title": ("条目（按阅读顺序）", "Items, in reading order"),
    "items_about": (
        "上移、下移只在同一小节内调整；重新生成草稿时保留该顺序。",
        "Up and down move an item within its group; the order is kept when the draft is rebuilt.",
    ),
    "col_section_group": ("栏目 · 小节", "section · group"),
    "col_item": ("条目", "item"),
    "col_kind": ("类型", "kind"),
    "col_order": ("顺序", "order"),
    "move_up": ("上移", "move up"),
    "move_down": ("下移", "move down"),
    "no_items": ("本期没有条目", "This issue has no items"),
    "nothing_new_notice": ("（本期无新进展的通知）", " (a nothing-new notice)"),
    "writer_drafts": ("写作模型草稿", "Writer drafts"),
    "no_writer_drafts": (
        "这些条目没有机器草稿{why}。读者看到的是模板生成的文字。",
        "No machine drafts for these items{why}. Readers get the template's texts.",
    ),
    "writer_off": (
        "（写作模型未开启：config/digest.toml 的 [writer]）",
        " (the writer is off: [writer] in config/digest.toml)",
    ),
    "writer_about": (
        "机器草稿须经编辑采用或修改后才会发给读者，在此之前沿用模板文字。每份草稿旁列出其依据的"
        "原文句子。",
        "A machine draft reaches readers only once accepted or edited; until then the "
        "template's text stands. Each draft is shown beside the sentences it was written from.",
    ),
    "draft_state_draft": ("机器草稿", "machine draft"),
    "draft_state_accepted": ("已采用", "accepted"),
    "draft_state_edited": ("编辑已修改", "edited by an editor"),
    "draft_state_rejected": ("已拒绝", "rejected"),
    "draft_state_failed": ("生成失败", "failed"),
    "by": ("，操作人 {name}", " by {name}"),
    "not_used": ("未采用：{reason}", "Not used: {reason}"),
    "draft": ("草稿", "draft"),
    "from_sentences": ("依据的句子", "from these sentences"),
    "accept": ("采用", "Accept"),
    "reject": ("拒绝", "Reject"),
    "save_edited": ("保存为修改稿", "Save as edited"),
    "edited_text_of": ("草稿 {id} 的修改文字", "edited text of draft {id}"),
    "preview_title": ("第 {n} 期预览（{language}）", "Preview of issue {n} ({language})"),
    "back_to_issue": ("返回本期", "Back to the issue"),
    "back_to_issues": ("返回各期列表", "Back to the issues"),
    "text_part": ("纯文本部分", "plain-text part"),
    "preview_about": (
        "读者收到的邮件原样：分别以手机宽度和桌面宽度显示，其中的个人链接以本页链接代替。",
        "Exactly what readers get: the rendered email, at a phone's width and at the desktop "
        "width, with the reader's own links in place of these.",
    ),
    "no_edition": ("没有这个版本", "No such edition"),
    "cannot_be_done": ("无法执行", "That cannot be done"),
    "nothing_sent": ("没有发送或更改任何内容。", "Nothing was sent or changed."),
    "flash_texts_saved": ("文字已保存", "texts saved"),
    "flash_first_last": (
        "该条目已在本小节的最前或最后",
        "that item is already first or last in its group",
    ),
    "flash_removed": (
        "本期没有新内容：草稿已删除（digest.empty = skip）",
        "nothing new in this period: the draft was removed (digest.empty = skip)",
    ),
    "flash_rebuilt": (
        "已重新生成：{n} 条，采用最新的决定与动态",
        "rebuilt: {n} items, with the latest decisions and events",
    ),
    "flash_test_copy": (
        "测试邮件（{edition}）已通过 {how} 发送至 {address}",
        "test copy ({edition}) sent to {address} through {how}",
    ),
    "flash_approved": ("第 {n} 期已由 {name} 批准", "issue {n} approved by {name}"),
    "flash_unapproved": ("第 {n} 期已退回草稿", "issue {n} is a draft again"),
    "flash_draft_done": ("草稿 {id}：{what}", "draft {id}: {what}"),
    "flash_pick_first": (
        "请先在审阅队列中选入研究：提纲由选入的研究生成",
        "pick works in the queue first: the brief is made from the picked works",
    ),
    "bad_address": (
        "测试邮件地址不可用：{problem}",
        "The address for the test copy is not usable: {problem}",
    ),
    "bad_edition": (
        "lang={value}：请选择版本 zh 或 en。",
        "lang={value}: choose an edition, zh or en.",
    ),
    "edition_zh": ("中文", "中文"),
    "edition_en": ("English", "English"),
    # the full-article pages (etl/web/articles.py); verdict names follow `article check`'s JSON
    "art_about": (
        "与范文同一体裁的专题文章：由审阅队列中选入的研究生成草稿，用 Markdown 撰写，逐条核查引文与"
        "数据，批准后发布到往期回顾，并作为专题邮件发送给读者（与 mscwatch article … 相同）。",
        "Full articles in the seed article's genre: a draft from the works picked in the review "
        "queue, written in Markdown, checked citation by citation, approved, published in the "
        "archive and mailed as a feature (the same as mscwatch article …).",
    ),
    "art_picked": ("已选入 {n} 项研究", "{n} picked work(s)"),
    "art_lang": ("文章语言", "Language"),
    "art_new": ("用选入的研究新建文章", "New article from the picked works"),
    "art_col_id": ("编号", "id"),
    "art_col_check": ("核查", "check"),
    "art_col_updated": ("更新时间", "updated"),
    "art_no_headline": ("（尚无标题）", "(no headline yet)"),
    "art_none": ("还没有文章。", "No articles yet."),
    "art_state_draft": ("草稿", "draft"),
    "art_state_approved": ("已批准", ArticleState.APPROVED.value),
    "art_state_published": ("已发布", "published"),
    "art_state_withdrawn": ("已撤回", ArticleState.WITHDRAWN.value),
    "art_not_checked": ("未核查", "not checked"),
    "art_blocking": ("未通过", "blocking"),
    "art_passed": ("已通过", "passed"),
    "art_overridden": ("已备注放行", "overridden"),
    "art_title": ("文章 {id}", "Article {id}"),
    "art_all": ("全部文章", "All articles"),
    "art_version": ("第 {n} 版", "version {n}"),
    "art_unsaved": ("未保存文字的预览", "preview of unsaved text"),
    "art_public_page": ("已发布的页面", "the published page"),
    "art_override_shown": (
        "核查未通过，{name} 仍予批准（{when}）：{note}",
        "Approved despite its check by {name} ({when}): {note}",
    ),
    "art_save": ("保存", "Save"),
    "art_cite_label": (
        "插入引文（PMID、DOI、PMCID、NCT/ChiCTR 等注册号）",
        "Insert a citation (PMID, DOI, PMCID, NCT/ChiCTR…)",
    ),
    "art_cite": ("插入引文", "Insert citation"),
    "art_check_title": ("引文与数据核查", "Citation and claim check"),
    "art_run_check": ("核查已保存的文字", "Run the check on the saved text"),
    "art_checked_at": ("第 {n} 版，核查于 {when}：", "Version {n}, checked {when}: "),
    "art_changed_since": (
        "（此后文字已改动，请重新核查）",
        "(the text has changed since: check again)",
    ),
    "art_citations_n": ("引文 {n} 条：", "{n} citation(s): "),
    "art_figures": ("数据：", "figures: "),
    "art_not_asked": ("未能查询：{what}", "Not asked: {what}"),
    "art_col_citation": ("引文", "citation"),
    "art_col_verdict": ("结论", "verdict"),
    "art_col_record": ("记录所载", "the record"),
    "art_col_figures": ("数据", "figures"),
    "art_checked_text": ("核查的文字", "The checked text"),
    "art_record_says": ("记录为 {what}", "the record says {what}"),
    "art_reason_not_found": ("引文 {n}（{name}）：未找到", "citation {n} ({name}): not found"),
    "art_reason_contradicted": (
        "引文 {n}（{name}）：{figure}与原文矛盾（记录为 {says}）",
        "citation {n} ({name}): {figure} contradicted (the record says {says})",
    ),
    "art_patients": ("{n} 例", "{n} patients"),
    "cite_found": ("已核实", "found"),
    "cite_not_found": ("未找到", "not found"),
    "cite_mismatch": ("信息不符", "mismatch"),
    "cite_wrong_study": ("指向其他研究", "wrong study"),
    "cite_retracted": ("已撤稿", "retracted"),
    "cite_corrected": ("有更正", "corrected"),
    "cite_trial_disagrees": ("试验信息不符", "trial disagrees"),
    "figure_supported": ("有据", "supported"),
    "figure_not_in_source": ("原文未见", "not in the source"),
    "figure_contradicted": ("与原文矛盾", "contradicted"),
    "art_workflow": ("批准、发布与发送", "Approve, publish, mail"),
    "art_blocked": (
        "本版核查发现未找到的引文或与原文矛盾的数据：请修改后重新核查，或填写放行理由后批准"
        "（理由将保留并显示）。",
        "The check of this version reports a citation not found or a contradicted figure: fix "
        "the text and check again, or approve with a note saying why (kept and shown).",
    ),
    "art_override": ("放行理由", "Override note"),
    "art_check_first": (
        "请先核查此版本，再批准。",
        "Run the check on this version before approving.",
    ),
    "art_approved_by": ("已由 {name} 批准。", "Approved by {name}."),
    "art_publish": ("发布到往期回顾", "Publish in the archive"),
    "art_back_to_draft": ("退回草稿", "Back to draft"),
    "art_published_at": ("发布于 {when}", "Published {when}"),
    "art_mailed_at": ("；邮件发送于 {when}", "; mailed {when}"),
    "art_send": ("作为专题邮件发送给读者", "Mail to the readers as a feature"),
    "art_withdraw_note": ("撤回原因（读者可见）", "Reason (readers see it)"),
    "art_withdraw": ("撤回文章", "Withdraw the article"),
    "art_withdraw_about": (
        "撤回后，文章从往期回顾、订阅源、相邻文章的链接和研究档案中移除；原地址返回「已撤回」"
        "说明（HTTP 410），注明日期与原因。已发出的邮件无法收回。",
        "Withdrawn, the article leaves the archive index, the feed, its neighbours' links and "
        "the study pages; its address answers a notice of the withdrawal with its date and "
        "reason (HTTP 410). Mail already sent cannot be recalled.",
    ),
    "art_withdrawn_shown": (
        "{name} 于 {when} 撤回本文，原因：{note}",
        "Withdrawn by {name} on {when}: {note}",
    ),
    "art_withdrawn_gone": (
        "原地址 {url} 现显示撤回说明。",
        "Its address {url} shows the notice of withdrawal.",
    ),
    "art_withdrawn_again": (
        "可直接再次批准并发布，或修改正文（保存后转为草稿）后重新核查。再次发布时以新的日期发布。",
        "Approve and publish it again as it stands, or edit the text (saving makes it a draft) "
        "and check it again. Published again, it is dated anew.",
    ),
    "art_versions": ("版本", "Versions"),
    "art_col_version": ("版本", "version"),
    "art_col_saved": ("保存时间", "saved"),
    "art_col_by": ("操作人", "by"),
    "art_col_note": ("说明", "note"),
    "art_restore": ("恢复", "Restore"),
    "art_mail": ("专题邮件", "The feature mail"),
    "art_mail_frame": ("邮件中的文章", "the article as mailed"),
    "art_note_drafted": ("由选入的研究生成", "drafted from the picked works"),
    "art_note_cited": ("插入 {ref} 的引文", "inserted the citation of {ref}"),
    "art_note_restored": ("由第 {n} 版恢复", "restored from version {n}"),
    "flash_art_new": (
        "已由 {n} 项选入的研究生成文章 {id} 的草稿",
        "article {id} drafted from {n} picked works",
    ),
    "flash_art_saved": ("已保存为第 {n} 版", "saved as version {n}"),
    "flash_art_saved_note": ("已保存为第 {n} 版（{note}）", "saved as version {n} ({note})"),
    "flash_art_checked": ("第 {n} 版已核查：{outcome}", "version {n} checked: {outcome}"),
    "art_outcome_blocking": ("有问题，暂不能批准", "blocking"),
    "art_outcome_clear": ("没有阻止批准的问题", "nothing blocking"),
    "flash_art_restored": ("第 {n} 版已恢复为第 {m} 版", "version {n} restored as version {m}"),
    "flash_art_approved": ("文章 {id} 已批准", "article {id} approved"),
    "flash_art_overridden": (
        "文章 {id} 已批准（核查未通过，放行理由已记录）",
        "article {id} approved despite its check (noted)",
    ),
    "flash_art_unapproved": ("文章 {id} 已退回草稿", "article {id} is a draft again"),
    "flash_art_published": ("文章 {id} 已发布：{url}", "article {id} published at {url}"),
    "flash_art_withdrawn": (
        "文章 {id} 已撤回：{url} 现显示撤回说明；{recall}",
        "article {id} withdrawn: {url} now shows the notice of withdrawal; {recall}",
    ),
    "art_withdrawn_mailed": (
        "本文已通过邮件发给 {n} 位读者，已发出的邮件无法收回",
        "it was mailed to {n} reader(s): mail already sent cannot be recalled",
    ),
    "art_withdrawn_not_mailed": ("本文未曾通过邮件发送", "it was not mailed to readers"),
    "flash_art_sent": (
        "本次发送 {n} 封；全部投递：{states}",
        "{n} sent in this run; all deliveries: {states}",
    ),
    "art_no_readers": ("暂无读者", "no readers"),
    "flash_art_test": ("测试邮件已发送至 {address}", "a test copy went to {address}"),
    "art_cite_failed": ("未能插入引文：{problem}", "The citation was not inserted: {problem}"),
    "art_too_long": (
        "正文超过 {n} 个字符，未保存。",
        "The text is over {n} characters: nothing was saved.",
    ),
}

# What core code reports (etl/problems.py) in Chinese: the English is the command line's own.
PROBLEMS_ZH: dict[str, str] = {
    "guard_in_edition": "{edition}：{problem}",
    "edition_of_zh": "中文版",
    "edition_of_en": "英文版",
    "guard_text_part": "纯文本部分：{problem}",
    "guard_html_size": "邮件 HTML 为 {size:.1f} KB，超过 {limit:.0f} KB 上限（Gmail 会截断）",
    "guard_long_lines": "{edition}：邮件中有 {count} 行超过 {limit} 字节",
    "guard_link": "链接“{value}”（“{label}”）：{reason}",
    "guard_text_link": "链接“{value}”：{reason}",
    "guard_empty_heading": "标题“{heading}”下没有内容",
    "guard_old_item": (
        "第 {position} 条（编号 {work_id}，“{title}”）标为新内容，但日期为 {day}，"
        "不在 {first} 至 {last} 之间"
    ),
    "link_empty": "地址为空",
    "link_whitespace": "地址含空白字符",
    "link_mailto": "mailto 链接缺少邮箱地址",
    "link_scheme": "不是以 http(s) 或 mailto 开头的完整地址",
    "link_host": "缺少有效的主机名",
    "health_never_run": "尚无完成的运行",
    "health_late": "应于 {due:%Y-%m-%d %H:%M %Z} 运行，至今未运行：`mscwatch run` 是否在运行？",
    "health_partial": "运行成功，但有记录被搁置：请查看本次运行的计数",
    "health_quiet_since": "服务有应答；自 {since:%Y-%m-%d} 起没有新内容",
    "health_quiet_yet": "服务有应答；尚无新内容",
    "health_ok": "运行正常",
    "health_stale": (
        "服务有应答，但自 {since:%Y-%m-%d} 起没有新内容（已 {silence}），而此前 {runs} 次运行"
        "至少每 {gap}就有新内容：检索式、服务的索引或时间窗口可能卡住了"
    ),
    "health_days": "{n:.0f} 天",
    "health_hours": "{n:.0f} 小时",
    "health_failed": "运行失败：{error}",
    "health_failed_silently": "运行失败：未记录原因",
    "health_empty": (
        "应答中没有任何记录，而此前 {runs} 次运行抓取数的中位数为 {median:g}："
        "检索式或服务可能已有变化"
    ),
    "health_streak": "连续 {streak} 次；最近一次{reason}",
    "health_disabled": (
        "{feeds}；已停止抓取：请在 config/sources.toml 中修正其地址，或删除该订阅源"
    ),
    "health_disabled_feed": "订阅源 {name}：{reason}",
    "health_said": "{text}",
    "separator": "；",
    "name_separator": "、",
    "alert_open_mailed": "自 {since} 起未解决（已邮件通知运维人员）",
    "alert_open_unmailed": "自 {since} 起未解决（未发邮件）",
    "lookup_not_asked": "数据库中没有（未查询数据源）",
    "lookup_no_source": "数据库中没有，且没有数据源能按 {scheme} 编号抓取",
    "lookup_nowhere": "数据库中没有，{sources} 也没有",
}
EDITOR.update({code: (zh, PROBLEMS_EN[code]) for code, zh in PROBLEMS_ZH.items()})


def label(lang: str, key: str, **values: object) -> str:
    """An editor page's word in `lang`: the editor catalog first, then the digest's own words,
    so both speak of a thing alike. An unknown key is an error, not a blank on a page."""
    if key in EDITOR:
        template = label_template(lang, key)
        return template.format(**values) if values else template
    return text(lang, key, **values)


def label_template(lang: str, key: str) -> str:
    return EDITOR[key][0 if lang == "zh" else 1]


class Words:
    """`t` in every editor template: `t("key", n=3)` or `t.key`, in the page's language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else LANGS[0]

    def __call__(self, key: str, **values: object) -> str:
        return label(self.lang, key, **values)

    def __getitem__(self, key: str) -> str:
        return label(self.lang, key)

    def __getattr__(self, key: str) -> str:
        """`t.archive`; a name the catalogs lack is no attribute (Jinja and copy probe some)."""
        if key not in EDITOR and key not in UI.get(self.lang, {}):
            raise AttributeError(key)
        return label(self.lang, key)

    def problem(self, found: str) -> str:
        """A problem core code reported, in the page's language; a plain text as it is."""
        if not isinstance(found, Problem):
            return found
        return found.worded(lambda code: label_template(self.lang, code))

    def get(self, key: str, default: str) -> str:
        """The word for a key built from data (a verdict, a state), else `default` as it is."""
        return label(self.lang, key) if key in EDITOR or key in UI[self.lang] else default

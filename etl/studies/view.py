"""A study page as one language reads it: title, citation line, lead, facts, labels, the
timeline in words, the issues that carried it, related works and the citation downloads. Plain
data for the template; the words are here or in the digest's `i18n`, the labels the taxonomy's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etl.classify.taxonomy import Taxonomy
from etl.digest import i18n
from etl.digest.i18n import Segment
from etl.digest.typography import has_chinese, zh_punctuation
from etl.digest.view import (
    citation,
    clean_title,
    journal_name,
    study_url,
    title_of,
    trial_identifier,
)
from etl.digest.zh_names import ZhNames
from etl.facts.extract import extract
from etl.facts.leads import item_lead
from etl.facts.terms import Terms, load_terms
from etl.studies.cite import open_access_url
from etl.studies.store import Related, StudyContent
from etl.studies.timeline import Step, source_url, timeline

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "paper": "论文", "trial": "临床试验", "preprint": "预印本", "lead": "概要",
        "facts": "研究要点", "labels": "分类", "timeline": "研究进程", "issues": "本刊报道",
        "related": "相关研究", "cite": "引用", "ids": "标识符", "retracted": "该论文已被撤稿",
        "source": "来源", "study_page": "研究档案", "open_access": "免费全文",
        "design": "研究设计", "phase": "分期", "patients": "病例数", "enrollment": "计划入组",
        "cancer": "癌种", "intervention": "干预措施", "comparator": "对照",
        "outcomes": "主要结果", "safety": "安全性", "institution": "研究机构",
        "sponsor": "申办方", "countries": "国家/地区", "status": "状态",
        "cancer_types": "癌种", "strategies": "治疗策略", "msc_sources": "MSC 来源",
        "stage": "证据级别", "safety_signal": "安全性信号", "yes": "有",
        "registered": "注册", "first_posted": "在 {registry} 首次公开", "started": "研究开始",
        "preprint_step": "预印本发布", "published": "论文发表",
        "published_in": "论文发表于《{journal}》",
        "status_step": "状态变更：{old} → {new}", "results": "公布结果",
        "correction": "发布更正", "retraction": "论文被撤稿", "deleted": "记录被来源删除",
        "issue": "本刊第 {n} 期报道",
        "reports_trial": "本文报告的试验", "reported_by": "报告该试验的论文",
        "has_preprint": "预印本", "published_as": "正式发表版本",
        "same_trial": "同一试验的其他论文",
        "retracted_by": "撤稿声明", "retraction_of": "被撤稿的论文", "corrected_by": "更正声明",
        "erratum_for": "被更正的论文", "concern_in": "关注声明", "concern_for": "受关注的论文",
        "updated_by": "更新版本", "update_of": "原版本", "other_lang": "English",
        "cite_note": "下载引用（可导入 Zotero、EndNote 等文献管理软件）：",
        "none": "暂无",
    },
    "en": {
        "paper": "Paper", "trial": "Clinical trial", "preprint": "Preprint", "lead": "Summary",
        "facts": "Key facts", "labels": "Classification", "timeline": "Timeline",
        "issues": "In our issues", "related": "Related studies", "cite": "Cite",
        "ids": "Identifiers", "retracted": "This paper has been retracted", "source": "source",
        "study_page": "Study page", "open_access": "Free full text",
        "design": "Design", "phase": "Phase", "patients": "Patients", "enrollment": "Enrolment",
        "cancer": "Cancer", "intervention": "Intervention", "comparator": "Comparator",
        "outcomes": "Main results", "safety": "Safety", "institution": "Institution",
        "sponsor": "Sponsor", "countries": "Countries", "status": "Status",
        "cancer_types": "Cancer types", "strategies": "Strategies", "msc_sources": "MSC sources",
        "stage": "Level of evidence", "safety_signal": "Safety signal", "yes": "yes",
        "registered": "Registered", "first_posted": "First posted on {registry}",
        "started": "Study start", "preprint_step": "Preprint posted", "published": "Published",
        "published_in": "Published in {journal}", "status_step": "Status: {old} → {new}",
        "results": "Results posted", "correction": "Correction published",
        "retraction": "Retracted", "deleted": "Removed by its source", "issue": "In issue {n}",
        "reports_trial": "Trial this paper reports", "reported_by": "Paper reporting this trial",
        "has_preprint": "Preprint", "published_as": "Journal version",
        "same_trial": "Other papers of the same trial", "retracted_by": "Retraction notice",
        "retraction_of": "Retracted paper", "corrected_by": "Correction notice",
        "erratum_for": "Corrected paper", "concern_in": "Expression of concern",
        "concern_for": "Paper of concern", "updated_by": "Updated version",
        "update_of": "Earlier version", "other_lang": "中文",
        "cite_note": "Download the citation (Zotero, EndNote and other reference managers): ",
        "none": "none yet",
    },
}  # fmt: skip
DESIGNS = {
    "rct": ("随机对照试验", "randomised controlled trial"),
    "single_arm": ("单臂临床试验", "single-arm trial"),
    "clinical_trial": ("临床试验", "clinical trial"),
    "retrospective": ("回顾性研究", "retrospective study"),
    "cohort": ("队列研究", "cohort study"),
    "cross_sectional": ("横断面研究", "cross-sectional study"),
    "case_report": ("病例报告", "case report"),
    "animal": ("动物实验", "animal study"),
    "in_vitro": ("体外研究", "in vitro study"),
    "review": ("综述", "review"),
    "meta_analysis": ("荟萃分析", "meta-analysis"),
    "notice": ("撤稿或更正声明", "retraction or correction notice"),
}
SOURCES = {"pubmed": "PubMed", "ctgov": "ClinicalTrials.gov", "ictrp": "WHO ICTRP",
           "europepmc": "Europe PMC", "feed": "RSS", "digest": ""}  # fmt: skip
ID_NAMES = {"pmid": "PMID", "doi": "DOI", "pmcid": "PMCID", "ppr": "Europe PMC", "nct": "NCT"}


@dataclass
class StepView:
    iso: str
    date: str
    text: str
    about: list[Segment]  # the related work the step concerns, linked to its page
    source: str
    url: str | None
    kind: str


@dataclass
class RelatedView:
    relation: str
    title: str
    ident: str
    url: str | None  # its study page, else its source
    source_url: str | None


@dataclass
class ArticleView:
    title: str
    date: str
    url: str
    lang_label: str  # "" for the page's own language, else "英文" / "in Chinese"


@dataclass
class StudyView:
    lang: str
    words: dict[str, str]
    kind_label: str
    title: str
    original_title: str  # the English title beside a Chinese one
    retracted: bool
    citation: list[Segment]
    lead: str
    facts: list[tuple[str, str]]
    labels: list[tuple[str, str]]
    identifiers: list[tuple[str, str, str | None]]
    steps: list[StepView]
    issues: list[tuple[str, str, str, str]]  # (number label, why it was carried, title, url)
    articles: list[ArticleView]  # the page's language first
    related: list[RelatedView]
    open_access: str | None
    cite: dict[str, str] = field(default_factory=dict)  # format → address
    url: str = ""
    other_url: str = ""


def build_view(
    content: StudyContent,
    taxonomy: Taxonomy,
    lang: str,
    base: str,
    zh: ZhNames | None = None,
    config_dir: Path | None = None,
) -> StudyView:
    words = WORDS[lang]
    data = content.data
    zh_edition = lang == "zh"
    kind = (
        "trial" if data.get("kind") == "trial" else "preprint" if data.get("preprint") else "paper"
    )
    title = clean_title(data.get("title") or content.work.get("title") or "")
    original = ""
    if zh_edition and data.get("vernacular_title"):
        original, title = title, clean_title(data["vernacular_title"])
    lead = item_lead(data, lang, config_dir).text if data else ""
    here = study_url(base, content.slug, lang)
    return StudyView(
        lang=lang,
        words=words,
        kind_label=words[kind],
        title=title,
        original_title=original,
        retracted=bool(content.work.get("retracted") or data.get("retracted")),
        citation=citation(data, lang, zh) if data else [],
        lead=lead,
        facts=_facts(data, lang, config_dir),
        labels=_labels(content.labels, taxonomy, lang),
        identifiers=_identifiers(content.identifiers),
        steps=[_step(s, lang, base, zh) for s in timeline(content)],
        issues=[
            (
                i18n.text(lang, "issue_no", n=issue["number"]),
                i18n.KINDS[lang].get(issue["kind"], ""),
                title_of(lang, issue),
                f"{base}issues/{issue['slug']}/{'' if zh_edition else 'en/'}",
            )
            for issue in content.issues
        ],
        articles=_articles(content.articles, lang, base),
        related=[_related(r, lang, base) for r in content.related if r.data or r.value],
        open_access=open_access_url(data),
        cite={
            fmt: f"{study_url(base, content.slug, 'zh')}cite.{fmt}"
            for fmt in ("ris", "bib", "json")
        },
        url=here,
        other_url=study_url(base, content.slug, "en" if zh_edition else "zh"),
    )


def _articles(articles: list[dict[str, Any]], lang: str, base: str) -> list[ArticleView]:
    """The published articles citing the study: those a reader of this page reads first, then
    the others, each said to be in its language. An article has one address, whatever the
    page's language (`etl/articles/publish.py`)."""
    mine = [a for a in articles if a["lang"] == lang]
    others = [a for a in articles if a["lang"] != lang]
    return [
        ArticleView(
            title=a["title"],
            date=i18n.format_date(lang, a["published_at"].date() if a["published_at"] else None),
            url=f"{base}articles/{a['slug']}/",
            lang_label="" if a["lang"] == lang else i18n.text(lang, f"in_{a['lang']}"),
        )
        for a in mine + others
    ]


def _facts(data: dict[str, Any], lang: str, config_dir: Path | None) -> list[tuple[str, str]]:
    """The study's facts, each as the record states it (empty ones left out)."""
    if not data:
        return []
    words, zh = WORDS[lang], lang == "zh"
    terms = load_terms(config_dir)
    f = extract(data, terms)
    sep = "、" if zh else ", "
    design = DESIGNS.get(f.design or "")
    given = (f.intervention or (f.arms if f.kind == "trial" else None), f.route, f.dose)
    rows = [
        (words["design"], (design[0] if zh else design[1]) if design else ""),
        (words["phase"], i18n.phase_label(lang, data.get("phases")) if f.kind == "trial"
         else (f"{f.phase} 期" if zh else f"Phase {f.phase}") if f.phase else ""),
        (words["status"], i18n.status_label(lang, f.status) if f.status else ""),
        (words["enrollment"] if f.kind == "trial" else words["patients"],
         (f"{f.patients} 例" if zh else str(f.patients)) if f.patients else ""),
        (words["cancer"], (f.cancer_zh or f.cancer_name or "") if zh else (f.cancer_name or "")),
        (words["intervention"], ("；" if zh else "; ").join(p for p in given if p)),
        (words["comparator"], f.comparator or ""),
        (words["institution"], _where(f.institution, f.country, terms) if zh
         else ", ".join(p for p in (f.institution, f.country) if p)),
        (words["sponsor"], (terms.institution_zh(f.sponsor) if zh else None) or f.sponsor or ""),
        (words["countries"], sep.join((terms.countries.get(c) if zh else None) or c
                                      for c in f.countries)),
    ]  # fmt: skip
    outcomes = " ".join(f.sentences)
    # The record's own outcome sentences are English: the Chinese page says them in the lead,
    # from the same facts, and leaves the sentences to the English page and the source.
    if outcomes and (not zh or has_chinese(outcomes)):
        rows.append((words["outcomes"], outcomes))
    return [(name, value) for name, value in rows if value]


def _where(institution: str | None, country: str | None, terms: Terms) -> str:
    """The institution as the Chinese lead names it (its Chinese name where the table has
    one), with the country in Chinese."""
    chinese = terms.institution_zh(institution)
    place = terms.countries.get(country or "") or country or ""
    if chinese:
        return chinese
    return "，".join(p for p in (institution, place) if p)


def _labels(labels: dict[str, Any], taxonomy: Taxonomy, lang: str) -> list[tuple[str, str]]:
    """The classifier's labels in the digest's words (the taxonomy's names)."""
    words, zh = WORDS[lang], lang == "zh"
    sep = "、" if zh else ", "

    def named(family: str, keys: list[str]) -> str:
        found = [taxonomy.labels.get(family, {}).get(k) for k in keys]
        return sep.join(zh_punctuation(x.zh) if zh else x.en for x in found if x)

    rows = [
        (words["cancer_types"], named("cancer_types", labels.get("cancer_types") or [])),
        (words["strategies"], named("strategies", labels.get("strategies") or [])),
        (words["msc_sources"], named("msc_sources", labels.get("msc_sources") or [])),
        (words["stage"], named("stages", [labels["stage"]] if labels.get("stage") else [])),
        (words["safety_signal"], words["yes"] if labels.get("safety") else ""),
    ]
    return [(name, value) for name, value in rows if value]


ID_ORDER = ("nct", "chictr", "pmid", "doi", "pmcid", "ppr")


def _identifiers(pairs: list[tuple[str, str]]) -> list[tuple[str, str, str | None]]:
    """Each identifier with its page, the ones readers look up first (registration, PMID)
    first."""
    out = []
    order = {scheme: n for n, scheme in enumerate(ID_ORDER)}
    for scheme, value in sorted(pairs, key=lambda p: (order.get(p[0], len(order)), p)):
        if scheme == "pmid":
            url: str | None = i18n.pubmed_url(value)
        elif scheme == "doi":
            url = i18n.doi_url(value)
        elif scheme == "pmcid":
            url = f"https://pmc.ncbi.nlm.nih.gov/articles/{value}/"
        elif scheme == "ppr":
            url = f"https://europepmc.org/article/PPR/{value}"
        else:
            url = i18n.registry_url(scheme, value)
        out.append((ID_NAMES.get(scheme, scheme.upper()), value, url))
    return out


def _short_name(r: Related, lang: str) -> str:
    """How a step names the related work it concerns: "临床试验 NCT…", "预印本", "论文 PMID …"."""
    words = WORDS[lang]
    data = r.data
    if data.get("kind") == "trial":
        return f"{words['trial']} {trial_identifier(data)[1]}"
    if data.get("preprint"):
        return words["preprint"]
    ids = data.get("identifiers") or {}
    ident = f"PMID {ids['pmid']}" if ids.get("pmid") else ids.get("doi") or r.value
    return f"{words['paper']} {ident}"


def _step(step: Step, lang: str, base: str, zh: ZhNames | None) -> StepView:
    words = WORDS[lang]
    d = step.detail
    if step.kind == "first_posted":
        text = words["first_posted"].format(registry=d.get("registry") or "")
    elif step.kind == "preprint":
        server = d.get("server") or ""
        text = words["preprint_step"]
        if server and step.about is not None:  # "预印本：发布于 medRxiv", said once
            text = f"发布于 {server}" if lang == "zh" else f"Posted on {server}"
        elif server:
            text += f"（{server}）" if lang == "zh" else f" ({server})"
    elif step.kind == "published":
        named = {"journal": d.get("journal"), "journal_abbrev": d.get("abbrev")}
        journal = journal_name(named, lang, zh)
        text = words["published_in"].format(journal=journal) if journal else words["published"]
        if step.about is not None:  # "论文 PMID …：发表于《…》", not "论文…：论文发表于"
            text = text.removeprefix("论文")
    elif step.kind == "status":
        text = words["status_step"].format(
            old=i18n.status_label(lang, d.get("old")) or "—",
            new=i18n.status_label(lang, d.get("new")) or "—",
        )
    elif step.kind == "change":
        name = i18n.field_label(lang, str(d.get("field") or ""))
        sep = "：" if lang == "zh" else ": "
        if d.get("field") in ("arms", "has_results"):
            text = name + ("：已更新" if lang == "zh" else ": updated")
        else:
            old, new = _value(lang, d, "old"), _value(lang, d, "new")
            # A value given for the first time (a why-stopped text) reads as the value itself,
            # not as "— → value".
            text = f"{name}{sep}{new}" if old == "—" else f"{name}{sep}{old} → {new}"
    elif step.kind == "issue":
        text = words["issue"].format(n=d["number"])
    else:
        text = words.get(step.kind, step.kind)
    about: list[Segment] = []
    if step.about is not None:
        page = step.about.public and step.about.slug
        url = study_url(base, step.about.slug or "", lang) if page else None
        about = [Segment(_short_name(step.about, lang), url)]
    url = step.url
    if step.kind == "issue":
        url = f"{base}issues/{d['slug']}/{'' if lang == 'zh' else 'en/'}"
    return StepView(
        iso=step.date,
        date=i18n.format_date(lang, step.date),
        text=text,
        about=about,
        source=SOURCES.get(step.source, step.source),
        url=url,
        kind=step.kind,
    )


def _value(lang: str, detail: dict[str, Any], key: str) -> str:
    value = detail.get(key)
    if value in (None, "", []):
        return "—"
    if detail.get("field") == "phases":
        return i18n.phase_label(lang, value) or "—"
    if detail.get("field") == "primary_completion_date":
        return i18n.format_date(lang, value)
    if detail.get("field") == "enrollment" and lang == "zh":
        return f"{value} 人"
    return str(value)


def _related(r: Related, lang: str, base: str) -> RelatedView:
    words = WORDS[lang]
    data = r.data
    title = ""
    if data:
        title = clean_title(
            (data.get("vernacular_title") if lang == "zh" else None) or data.get("title") or ""
        )
    if data.get("kind") == "trial":
        ident = trial_identifier(data)[1]
    else:
        ids = data.get("identifiers") or {}
        ident = f"PMID {ids['pmid']}" if ids.get("pmid") else ids.get("doi") or ids.get("ppr") or ""
        if not ident and r.value:
            ident = f"{ID_NAMES.get(r.scheme, r.scheme.upper())} {r.value}"
    source = source_url(data.get("source", ""), data) if data else _id_url(r.scheme, r.value)
    page = study_url(base, r.slug, lang) if r.public and r.slug else None
    return RelatedView(
        relation=words.get(r.type, r.type),
        title=title,
        ident=ident,
        url=page or source,
        source_url=source,
    )


def _id_url(scheme: str, value: str) -> str | None:
    found = _identifiers([(scheme, value)])
    return found[0][2] if found else None

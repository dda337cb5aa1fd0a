"""An issue as one edition reads it: numbered sections and groups, leads, citation lines, the
trial table, neighbours. Plain data for the templates; every word comes from `i18n` or the
taxonomy, every fact from the records, and nothing here knows HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from etl.classify.taxonomy import Taxonomy
from etl.db.states import PUBLISHED_STATES
from etl.digest import headline, i18n
from etl.digest.chart import IssueChart
from etl.digest.content import IssueContent
from etl.digest.i18n import Segment
from etl.digest.typography import has_chinese, journal_case, spaced, zh_punctuation
from etl.digest.zh_names import ZhNames, load_zh_names
from etl.facts.leads import is_retraction_notice, item_lead, key_result
from etl.normalize.identifiers import normalize_registry_id
from etl.settings import Settings

# Placeholders the per-subscriber pass replaces (see render.personalize).
UNSUBSCRIBE = "%%UNSUBSCRIBE_URL%%"
PREFERENCES = "%%PREFERENCES_URL%%"
MAIL_TOKEN = "%%UNSUBSCRIBE_TOKEN%%"  # in the List-Unsubscribe mailto: subject
TRIAL_SCHEMES = tuple(i18n.REGISTRIES)  # every registry the id helpers know (a test holds them)
# Retractions and corrections reach a reader whose topics hold the work, and every reader who
# was sent the work before, whatever topics they hold now (deliveries keep what was sent).
NOTICES = frozenset({"retraction", "correction"})


@dataclass
class ItemView:
    work_id: int
    kind: str
    kind_label: str
    tags: list[str]
    lead: str
    changes: list[str]
    citation: list[Segment]
    related: list[list[Segment]]
    featured: bool
    highlight: str
    rank: float
    date: str
    # "本刊曾在第 1 期报道": a follow-up's link to the issue that carried the work.
    earlier: list[Segment] = field(default_factory=list)
    # The study page: the whole story of the study (timeline, related works, citations).
    study_url: str = ""


@dataclass
class GroupView:
    key: str
    number: str
    title: str
    items: list[ItemView]


@dataclass
class TableRow:
    strategy: str
    study: Segment
    cancer: str
    stage: str


@dataclass
class SectionView:
    id: str
    number: str
    title: str
    groups: list[GroupView]
    table: list[TableRow] = field(default_factory=list)


@dataclass
class NavLink:
    title: str
    date: str
    url: str
    published: bool  # False: the address exists but the issue is still due


@dataclass
class IssueView:
    lang: str
    ui: dict[str, Any]
    number: int
    slug: str
    title: str
    subject: str
    preview: str
    number_label: str
    date: str
    period_label: str
    intro: str
    sections: list[SectionView]
    closing: str
    disclaimer: str
    header: dict[str, Any]
    previous: NavLink | None
    next: NavLink
    web_url: str
    archive_url: str
    more_count: int
    nothing_new: bool
    unsubscribe_url: str = UNSUBSCRIBE
    preferences_url: str = PREFERENCES
    cite_url: str = ""  # the issue's citation files, without their suffix (.ris, .bib, .json)
    chart: IssueChart | None = None  # the evidence map's chart, under the items

    @property
    def items(self) -> list[ItemView]:
        return [item for s in self.sections for g in s.groups for item in g.items]


def issue_url(settings: Settings, slug: str, lang: str) -> str:
    """The stable web address of an issue, known as soon as its period is."""
    suffix = "" if lang == "zh" else "en/"
    return f"{settings.archive.base_url}issues/{slug}/{suffix}"


def issue_date(period_end: str) -> date:
    """An issue is dated the day after its period, when it is built and sent."""
    return date.fromisoformat(period_end)


def generated_title(lang: str, issue: dict[str, Any]) -> str:
    return i18n.text(lang, "nothing_headline" if issue["nothing_new"] else "headline")


def title_of(lang: str, issue: dict[str, Any]) -> str:
    """The editor's headline, else the one generated when the issue was built, else the
    generic one (an issue built before headlines were generated)."""
    return (
        _own_language(lang, (issue.get("headline") or {}).get(lang) or "")
        or (issue.get("generated") or {}).get(lang)
        or generated_title(lang, issue)
    )


def headline_for(
    content: IssueContent,
    taxonomy: Taxonomy,
    lang: str,
    check: Callable[[str, str], list[str]] | None = None,
) -> str:
    """The generated headline of an issue in one language: from its leading item (featured
    first, then rank), unlike any headline another issue carries."""
    issue = content.issue
    names = _Names(taxonomy, lang)
    rows = [r for r in content.items if r["kind"] not in NOTICES] or content.items
    taken = content.generated.get(lang, set())
    if issue.get("nothing_new") or not rows:
        return headline.generate(
            lang, issue["number"], None, {}, names.label, taken, generated_title(lang, issue)
        )
    lead = _leading(rows)[0]
    return headline.generate(
        lang,
        issue["number"],
        content.data.get(lead["work_id"], {}),
        content.labels.get(lead["work_id"], {}),
        names.label,
        taken,
        generated_title(lang, issue),
        check,
    )


def build_view(
    content: IssueContent,
    taxonomy: Taxonomy,
    settings: Settings,
    lang: str,
    topics: frozenset[str] = frozenset(),
    keep: set[int] | None = None,
    followed: frozenset[int] = frozenset(),
) -> IssueView:
    """The view of one edition for one topic set. `keep`: the work ids that fit in the email
    (the rest are counted and left to the web page); None keeps everything. `followed`: works
    of this issue's retractions and corrections that the reader was sent before."""
    issue = content.issue
    names = _Names(
        taxonomy,
        lang,
        load_zh_names(settings.config_dir),
        settings.archive.base_url,
        settings.config_dir,
    )
    wanted = [row for row in _as_read(content) if _wanted(row, content, topics, followed)]
    shown = [row for row in wanted if keep is None or row["work_id"] in keep]
    sections = _sections(shown, content, names, lang)
    period_days = (
        date.fromisoformat(issue["period_end"]) - date.fromisoformat(issue["period_start"])
    ).days
    title = title_of(lang, issue)
    intro = _intro(issue, wanted, content, names, lang)
    header = settings.digest.header
    ui = i18n.UI[lang]
    number_label = i18n.text(lang, "issue_no", n=issue["number"])
    return IssueView(
        lang=lang,
        ui=ui,
        number=issue["number"],
        slug=issue["slug"],
        title=title,
        subject=f"{header.name(lang)} · {number_label}：{title}"
        if lang == "zh"
        else f"{header.name(lang)} · {number_label}: {title}",
        preview=intro[:140],
        number_label=number_label,
        date=i18n.format_date(lang, issue_date(issue["period_end"])),
        period_label=i18n.text(
            lang,
            "period",
            start=i18n.format_date(lang, issue["period_start"]),
            end=i18n.format_date(lang, issue_date(issue["period_end"]) - timedelta(days=1)),
        ),
        intro=intro,
        sections=sections,
        closing=_own_language(lang, (issue.get("closing") or {}).get(lang, "")),
        disclaimer=_typeset(lang, settings.digest.disclaimer(lang)),
        header={
            "name": header.name(lang),
            "tagline": _typeset(lang, header.tagline(lang)),
            "address": _typeset(lang, header.address(lang)),
            "contacts": [_typeset(lang, c(lang)) for c in header.contacts],
            "logo_url": header.logo_url,
        },
        previous=_previous(content, settings, lang),
        next=_next(content, settings, lang, period_days),
        web_url=issue_url(settings, issue["slug"], lang),
        archive_url=settings.archive.base_url + ("" if lang == "zh" else "en/"),
        more_count=len(wanted) - len(shown),
        nothing_new=bool(issue["nothing_new"]),
        cite_url=issue_url(settings, issue["slug"], "zh") + "cite",
        chart=_chart(content, settings, lang),
    )


def _chart(content: IssueContent, settings: Settings, lang: str) -> IssueChart | None:
    """The edition's chart at the site's address (the served pages' own, the mail's absolute)."""
    found = content.charts.get(lang)
    return found.at(settings.archive.base_url, lang) if found else None


def _as_read(content: IssueContent) -> list[dict[str, Any]]:
    """The items as readers take them: a retraction notice that came as a work of its own (its
    first record) is a retraction, among the retractions and corrections, never a new paper."""
    rows = []
    for row in content.items:
        if row["kind"] == "new" and is_retraction_notice(content.data.get(row["work_id"], {})):
            row = {**row, "kind": "retraction", "section": "safety", "group_key": "notices"}
        rows.append(row)
    sections = {row["section"]: n for n, row in reversed(list(enumerate(rows)))}
    notices_first = {"notices": 0, "risks": 1}
    return sorted(
        rows,
        key=lambda r: (sections[r["section"]], notices_first.get(r["group_key"], 0)),
    )


def notice_work_ids(content: IssueContent) -> set[int]:
    """The works this issue retracts or corrects: the ones to look up in readers' deliveries."""
    return {row["work_id"] for row in _as_read(content) if row["kind"] in NOTICES}


def _wanted(
    row: dict[str, Any],
    content: IssueContent,
    topics: frozenset[str],
    followed: frozenset[int] = frozenset(),
) -> bool:
    """A subscriber's topics are section ids, cancer-type groups, cancer types or strategies;
    none means everything. A retraction or correction also reaches whoever was sent the work."""
    if not topics or row["section"] in topics:
        return True
    if row["kind"] in NOTICES and row["work_id"] in followed:
        return True
    labels = content.labels.get(row["work_id"], {})
    held = set(labels.get("cancer_types") or []) | set(labels.get("strategies") or [])
    return bool(held & topics) or bool(topics & set(labels.get("groups") or []))


def _typeset(lang: str, text: str) -> str:
    """Operator and editor texts typed with ASCII marks get the edition's punctuation."""
    return zh_punctuation(text) if lang == "zh" else text


def _own_language(lang: str, text: str) -> str:
    """An editor's text for this edition, typeset; a Chinese text never reaches the English
    edition (a text stored before texts were kept per language may sit under the wrong key)."""
    if lang == "en" and has_chinese(text):
        return ""
    return _typeset(lang, text)


class _Names:
    """Label names in one language, from the taxonomy (the classifier's own vocabulary), and
    the Chinese names of journals, countries and stop reasons (config/zh_names.toml)."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        lang: str,
        zh: ZhNames | None = None,
        base_url: str = "",
        config_dir: Path | None = None,
    ) -> None:
        self.taxonomy, self.lang, self.config_dir = taxonomy, lang, config_dir
        self.zh = zh or ZhNames()
        self.base_url = base_url  # the archive's, for links to earlier issues

    def label(self, family: str, key: str | None) -> str:
        found = self.taxonomy.labels.get(family, {}).get(key or "")
        if not found:
            return ""
        return zh_punctuation(found.zh) if self.lang == "zh" else found.en

    def section(self, key: str) -> str:
        for section in self.taxonomy.sections:
            if section["id"] == key:
                return section[self.lang]
        return key

    def group(self, key: str) -> str:
        return (
            self.label("cancer_types", key)
            or self.label("strategies", key)
            or i18n.GROUPS[self.lang].get(key, key)
        )


def _sections(
    rows: list[dict[str, Any]], content: IssueContent, names: _Names, lang: str
) -> list[SectionView]:
    """Sections in order, empty ones left out and the numbering closed up."""
    sections: list[SectionView] = []
    for row in rows:
        if not sections or sections[-1].id != row["section"]:
            number = len(sections) + 1
            sections.append(
                SectionView(
                    row["section"],
                    i18n.section_number(lang, number),
                    names.section(row["section"]),
                    [],
                )
            )
        section = sections[-1]
        if not section.groups or section.groups[-1].key != row["group_key"]:
            section_no = len(sections)
            group_no = len(section.groups) + 1
            section.groups.append(
                GroupView(
                    row["group_key"],
                    i18n.group_number(lang, section_no, group_no),
                    names.group(row["group_key"]),
                    [],
                )
            )
        item = _item(row, content, names, lang)
        section.groups[-1].items.append(item)
        if section.id == "trials" and content.data.get(row["work_id"], {}).get("kind") == "trial":
            section.table.append(_table_row(row, content, names, lang))
    return sections


def _item(row: dict[str, Any], content: IssueContent, names: _Names, lang: str) -> ItemView:
    data = content.data.get(row["work_id"], {})
    labels = content.labels.get(row["work_id"], {})
    trial = data.get("kind") == "trial"
    tags = [names.label("cancer_types", t) for t in labels.get("cancer_types") or []][:2]
    if not trial and labels.get("stage"):
        tags.append(names.label("stages", labels["stage"]))
    tags += [names.label("strategies", s) for s in labels.get("strategies") or []][:2]
    kind = row["kind"]
    return ItemView(
        work_id=row["work_id"],
        kind=kind,
        kind_label=i18n.KINDS[lang].get(kind, kind),
        tags=[t for t in tags if t],
        lead=_lead(row, data, content, names, lang),
        changes=_changes(row, content, names, lang),
        citation=content.once(
            f"citation-{lang}", row["work_id"], lambda: citation(data, lang, names.zh)
        ),
        related=_related(row["work_id"], content, lang),
        featured=bool(row["featured"]),
        highlight=_highlight(row, data, content, lang),
        rank=row["rank"],
        date=i18n.format_date(lang, row["occurred_on"]),
        earlier=_earlier(row, content, names.base_url, lang),
        study_url=study_url(names.base_url, content.study_slugs.get(row["work_id"]), lang),
    )


def study_url(base: str, slug: str | None, lang: str) -> str:
    """A study page's address under the archive's (empty when the work has no slug yet)."""
    if not slug or not base:
        return ""
    return f"{base}studies/{slug}/{'' if lang == 'zh' else 'en/'}"


def _highlight(row: dict[str, Any], data: dict[str, Any], content: IssueContent, lang: str) -> str:
    """The edition's own 研究亮点: the editor's text in this language, else a writer draft an
    editor accepted, else (featured items) the key result in this language; never the other
    edition's text."""
    written = row.get("highlight" if lang == "zh" else "highlight_en") or ""
    if written:
        return _own_language(lang, written)
    accepted = content.drafts.get((row["work_id"], lang, "highlight"))
    if accepted:
        return accepted
    if not row["featured"]:
        return ""
    return generated_highlight(
        data, lang, content.once("key_result", row["work_id"], lambda: key_result(data))
    )


def generated_highlight(data: dict[str, Any], lang: str, found: str | None = None) -> str:
    """A featured item's key result when no editor wrote one: the abstract's sentence richest
    in figures in English; the Chinese edition takes it only where the record is Chinese."""
    found = key_result(data) if found is None else found
    if lang == "zh" and not has_chinese(found):
        return ""
    return found




def journal_name(data: dict[str, Any], lang: str, zh: ZhNames | None = None) -> str:
    """The journal as a citation names it: the Chinese name of a Chinese journal in the zh
    edition, else PubMed's title without its subtitle (" : official journal of …", " = …",
    "(Weinheim…)") in the journal's own capitals."""
    raw = data.get("journal") or ""
    abbreviation = data.get("journal_abbrev") or ""
    if lang == "zh" and zh is not None:
        chinese = zh.journal(raw, abbreviation)
        if chinese:
            return chinese
    name = re.split(r" : | = ", raw)[0].strip()
    name = re.sub(r"\s*\([^()]*\)$", "", name) or name
    return journal_case(name, abbreviation)


def citation(data: dict[str, Any], lang: str, zh: ZhNames | None = None) -> list[Segment]:
    """The item's citation line: the paper or trial as `digest-style.md` spells it; a Chinese
    paper in the zh edition with its Chinese title and journal name."""
    ids = data.get("identifiers") or {}
    title = _clean_title(data.get("title") or "")
    if lang == "zh" and data.get("vernacular_title"):
        title = _clean_title(data["vernacular_title"])
    if data.get("kind") == "trial":
        scheme, trial_id = trial_identifier(data)
        return i18n.trial_citation(lang, title, scheme, trial_id)
    journal = journal_name(data, lang, zh) or data.get("preprint_server") or data.get("source", "")
    return i18n.paper_citation(
        lang,
        title,
        journal,
        (data.get("published") or "")[:4],
        ids.get("doi"),
        ids.get("pmid"),
        preprint=bool(data.get("preprint")),
    )


def trial_identifier(data: dict[str, Any]) -> tuple[str, str]:
    """The registry id a reader can look up: the NCT number, else the first other registry's."""
    ids = data.get("identifiers") or {}
    if ids.get("nct"):
        return "nct", ids["nct"]
    for value in [data.get("source_id", ""), *(ids.get("registry_ids") or [])]:
        parsed = normalize_registry_id(value)
        if parsed:
            return parsed
    return "registry", str(data.get("source_id", ""))


def _clean_title(title: str) -> str:
    """PubMed brackets translated titles and ends titles with a full stop; 《》 needs neither."""
    title = title.strip()
    if title.startswith("[") and title.endswith("]."):
        title = title[1:-2]
    elif title.startswith("[") and title.endswith("]"):
        title = title[1:-1]
    return title[:-1] if title.endswith((".", "。")) else title


clean_title = _clean_title  # the study pages title their works the same way


def _lead(
    row: dict[str, Any], data: dict[str, Any], content: IssueContent, names: _Names, lang: str
) -> str:
    zh = lang == "zh"
    kind = row["kind"]
    accepted = content.drafts.get((row["work_id"], lang, "lead"))
    if kind == "retraction":
        notices = [n for e in _events(row, content) for n in (e["data"] or {}).get("notices", [])]
        if is_retraction_notice(data):
            return _notice_lead(row["work_id"], data, content, lang)
        said = "该论文已被撤稿" if zh else "This paper has been retracted"
        if notices:
            said += (
                f"（撤稿声明 PMID：{'、'.join(notices)}）"
                if zh
                else f" (notice: PMID {', '.join(notices)})"
            )
        return said + ("。" if zh else ".")
    if kind == "correction":
        notes = [e["data"] for e in _events(row, content) if e["data"]]
        pmids = [n.get("pmid", "") for n in notes if n.get("pmid")]
        said = "该论文发布了更正" if zh else "A correction to this paper was published"
        if pmids:
            said += f"（PMID：{'、'.join(pmids)}）" if zh else f" (PMID {', '.join(pmids)})"
        return said + ("。" if zh else ".")
    if accepted:
        return accepted
    lead: str = content.once(
        f"lead-{lang}", row["work_id"], lambda: item_lead(data, lang, names.config_dir).text
    )
    if kind == "published":
        journal = _published_in(row["work_id"], content, lang, names)
        if journal:
            prefix = (
                f"预印本已正式发表于《{journal}》。"
                if zh
                else f"The preprint is now published in {journal}. "
            )
        else:
            prefix = "预印本已正式发表。" if zh else "The preprint is now published. "
        return prefix + lead
    return lead


def _notice_lead(work_id: int, data: dict[str, Any], content: IssueContent, lang: str) -> str:
    """A retraction notice that arrived as a work of its own: the retracted paper, by title."""
    zh = lang == "zh"
    target = next(
        (
            link
            for link in content.related.get(work_id, [])
            if link.get("type") == "retraction_of" and link.get("title")
        ),
        None,
    )
    pmids = [
        c.get("pmid") for c in data.get("corrections") or [] if c.get("type") == "RetractionOf"
    ]
    if target is not None:
        title = _clean_title(target.get("title", ""))
        return f"论文《{title}》已被撤稿。" if zh else f"The paper “{title}” has been retracted."
    title = _clean_title(
        re.sub(
            r"^(?:Retraction(?: notice)?(?: to| of)?:?\s*)", "", data.get("title") or "", flags=re.I
        )
    )
    if title:
        return f"论文《{title}》已被撤稿。" if zh else f"The paper “{title}” has been retracted."
    if pmids:
        joined = "、".join(p for p in pmids if p) if zh else ", ".join(p for p in pmids if p)
        return (
            f"PMID {joined} 的论文已被撤稿。"
            if zh
            else f"The paper PMID {joined} has been retracted."
        )
    return "一篇论文已被撤稿。" if zh else "A paper has been retracted."


def _published_in(work_id: int, content: IssueContent, lang: str, names: _Names) -> str:
    """The journal a preprint's published version appeared in (never the preprint server)."""
    for link in content.related.get(work_id, []):
        if link.get("type") == "published_as" and link.get("journal") and not link.get("preprint"):
            return journal_name(link, lang, names.zh)
    return ""


def _earlier(row: dict[str, Any], content: IssueContent, base: str, lang: str) -> list[Segment]:
    """ "本刊曾在第 1 期报道", linked to that issue's page."""
    number = content.earlier.get(row["work_id"])
    if number is None:
        return []
    slug = content.earlier_slugs.get(row["work_id"])
    url = f"{base}issues/{slug}/{'' if lang == 'zh' else 'en/'}" if slug and base else None
    if lang == "zh":
        return [Segment("本刊曾在"), Segment(f"第 {number} 期", url), Segment("报道。")]
    return [Segment("We reported it in "), Segment(f"issue {number}", url), Segment(".")]


def _events(row: dict[str, Any], content: IssueContent) -> list[dict[str, Any]]:
    return [content.events[e] for e in row["event_ids"] if e in content.events]


def _changes(row: dict[str, Any], content: IssueContent, names: _Names, lang: str) -> list[str]:
    """A trial's material changes, old → new, as the registry reported them."""
    lines = []
    zh = lang == "zh"
    sep = "：" if zh else ": "
    for event in _events(row, content):
        data = event["data"] or {}
        if "field" not in data:
            continue
        name = i18n.field_label(lang, data["field"])
        old, new = (
            _value(lang, data["field"], data.get("old")),
            _value(lang, data["field"], data.get("new")),
        )
        if data["field"] in ("has_results", "arms"):
            lines.append(name + ("：已更新" if zh else ": updated"))
        elif data["field"] == "why_stopped":
            lines.append(f"{name}{sep}{_stop_reason(names, lang, str(data.get('new') or ''))}")
        else:
            lines.append(f"{name}{sep}{old} → {new}")
    return lines


def _stop_reason(names: _Names, lang: str, text: str) -> str:
    """Why a trial stopped: the Chinese of the registry's reason where the table has it, else
    the registry's English in quotes (never bare in a Chinese sentence)."""
    if lang != "zh":
        return text
    chinese = names.zh.stop_reason(text)
    return chinese if chinese else f"“{text}”"


def _value(lang: str, field: str, value: Any) -> str:
    if value in (None, "", []):
        return i18n.text(lang, "no_change")
    if field == "status":
        return i18n.status_label(lang, value)
    if field == "phases":
        return i18n.phase_label(lang, value)
    if field == "primary_completion_date":
        return i18n.format_date(lang, value)
    if field == "enrollment" and lang == "zh":
        return f"{value} 人"
    return str(value)


def _related(work_id: int, content: IssueContent, lang: str) -> list[list[Segment]]:
    """Linked works a reader can follow: the trial a paper reports, a preprint's journal
    version, a retraction notice; each with its title when the work is known."""
    out = []
    zh = lang == "zh"
    for link in content.related.get(work_id, [])[:4]:
        scheme, value = link["scheme"], link["value"]
        if scheme in TRIAL_SCHEMES:
            name = "临床试验" if zh else "Trial"
            url = i18n.registry_url(scheme, value)
        elif scheme == "pmid":
            name, url = "PMID", i18n.pubmed_url(value)
        elif scheme == "doi":
            name, url = "DOI", i18n.doi_url(value)
        else:
            continue
        sep = "：" if zh else ": "
        line = [Segment(f"{i18n.UI[lang]['related']}{sep}{name} "), Segment(value, url)]
        title = link.get("vernacular_title") if zh and link.get("vernacular_title") else None
        title = _clean_title(title or link.get("title") or "")
        if title:
            line.append(Segment(f"《{title}》" if zh else f" “{title}”"))
        out.append(line)
    return out


def _table_row(row: dict[str, Any], content: IssueContent, names: _Names, lang: str) -> TableRow:
    data = content.data.get(row["work_id"], {})
    labels = content.labels.get(row["work_id"], {})
    scheme, trial_id = trial_identifier(data)
    study = data.get("acronym") or trial_id
    stage = " · ".join(
        p
        for p in (
            i18n.phase_label(lang, data.get("phases")),
            i18n.status_label(lang, data.get("status")),
        )
        if p
    )
    sep = "、" if lang == "zh" else ", "
    return TableRow(
        strategy=names.label("strategies", (labels.get("strategies") or [None])[0]) or "—",
        study=Segment(study, i18n.registry_url(scheme, trial_id)),
        cancer=sep.join(
            names.label("cancer_types", t) for t in (labels.get("cancer_types") or [])[:2]
        )
        or "—",
        stage=stage or "—",
    )


def _intro(
    issue: dict[str, Any],
    rows: list[dict[str, Any]],
    content: IssueContent,
    names: _Names,
    lang: str,
) -> str:
    """The editor's 引言, else one generated paragraph: what the issue holds, then its most
    important findings (the highest-ranked items, each by its cancer type and the figure or
    event that makes it news)."""
    written = _own_language(lang, (issue.get("intro") or {}).get(lang) or "")
    if written:
        return written
    zh = lang == "zh"
    if not rows:
        return (
            "本期没有发现新的相关文献或临床试验动态。我们会继续追踪，下一期见。"
            if zh
            else "We found no new papers or trial updates this time. We keep watching."
        )
    trials = sum(content.data.get(r["work_id"], {}).get("kind") == "trial" for r in rows)
    notices = sum(r["kind"] in NOTICES for r in rows)
    papers = len(rows) - trials - notices
    found = (_finding(r, content, names, lang) for r in _leading(rows))
    findings = list(islice(filter(None, found), 3))
    if zh:
        counted = [
            f"{papers} 篇新文献" if papers else "",
            f"{trials} 项临床试验动态" if trials else "",
            f"{notices} 篇撤稿或更正" if notices else "",
        ]
        said = "本期收录 " + "、".join(c for c in counted if c) + "。"
        if findings:
            said += "值得关注的是：" + "；".join(findings) + "。"
        if notices:
            said += "撤稿与更正请见安全性与风险一节。"
        return said
    counted = [
        _count(papers, "new paper"),
        _count(trials, "trial update"),
        _count(notices, "retraction or correction", "retractions or corrections"),
    ]
    said = "This issue brings " + _and([c for c in counted if c]) + "."
    if findings:
        said += " Most notable: " + "; ".join(findings) + "."
    return said


def _leading(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items by importance: featured first, then rank, retractions last among equals."""
    return sorted(rows, key=lambda r: (not r["featured"], -r["rank"], r["position"]))


def _finding(row: dict[str, Any], content: IssueContent, names: _Names, lang: str) -> str:
    """One finding for the 引言: the cancer type and what happened, with the record's figure."""
    found = _finding_words(row, content, names, lang)
    return spaced(found) if lang == "zh" else found


def _finding_words(row: dict[str, Any], content: IssueContent, names: _Names, lang: str) -> str:
    from etl.digest.headline import outcome_figure

    zh = lang == "zh"
    data = content.data.get(row["work_id"], {})
    labels = content.labels.get(row["work_id"], {})
    cancer = names.label("cancer_types", (labels.get("cancer_types") or [None])[0])
    kind = row["kind"]
    if kind == "retraction":
        return f"{cancer}领域一篇论文被撤稿" if zh else f"a {cancer.lower() or 'paper'} retraction"
    if kind == "correction":
        return ""
    if data.get("kind") == "trial":
        status = i18n.status_label(lang, data.get("status"))
        phase = i18n.phase_label(lang, data.get("phases"))
        if kind == "results":
            return (
                f"{cancer}{phase}试验公布结果"
                if zh
                else f"results of a {phase} {cancer.lower()} trial".replace("  ", " ")
            )
        if kind == "update" and status:
            return (
                f"{cancer}{phase}试验{status}"
                if zh
                else f"a {phase} {cancer.lower()} trial is now {status}".replace("  ", " ")
            )
        return (
            f"{cancer}新注册{phase}试验"
            if zh
            else f"a new {phase} {cancer.lower()} trial".replace("  ", " ")
        )
    found = content.once("outcome", row["work_id"], lambda: outcome_figure(data))
    stage = names.label("stages", labels.get("stage"))
    stage = stage.removesuffix("研究") if zh else stage.removesuffix(" study")
    if zh:
        if found:
            return f"{cancer}{stage}研究{found[0]}{found[3]} {found[2]}"
        return f"{cancer}{stage}研究" if cancer else ""
    stage = stage[:1].lower() + stage[1:]
    where = " ".join(w for w in ("a", stage, cancer.lower(), "study") if w)
    if found:
        return f"{found[1]} {found[2]} in {where}"
    return where if cancer else ""


def _and(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _count(n: int, one: str, many: str = "") -> str:
    if not n:
        return ""
    return f"{n} {one}" if n == 1 else f"{n} {many or one + 's'}"


def _previous(content: IssueContent, settings: Settings, lang: str) -> NavLink | None:
    before = content.previous
    if before is None:
        return None
    return NavLink(
        title=title_of(lang, before),
        date=i18n.format_date(lang, issue_date(before["period_end"])),
        url=issue_url(settings, before["slug"], lang),
        published=True,
    )


def _next(content: IssueContent, settings: Settings, lang: str, period_days: int) -> NavLink:
    """The next issue's stable address; until it is built, the date it is due."""
    after = content.next
    if after is not None:
        return NavLink(
            title=title_of(lang, after),
            date=i18n.format_date(lang, issue_date(after["period_end"])),
            url=issue_url(settings, after["slug"], lang),
            published=after["state"] in PUBLISHED_STATES,
        )
    end = date.fromisoformat(content.issue["period_end"])
    due = end + timedelta(days=period_days)
    return NavLink(
        title=i18n.text(lang, "next_due", date=i18n.format_date(lang, due)),
        date=i18n.format_date(lang, due),
        url=issue_url(settings, end.isoformat(), lang),
        published=False,
    )

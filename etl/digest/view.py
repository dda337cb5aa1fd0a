"""An issue as one edition reads it: numbered sections and groups, leads, citation lines, the
trial table, neighbours. Plain data for the templates; every word comes from `i18n` or the
taxonomy, every fact from the records, and nothing here knows HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from etl.classify.taxonomy import Taxonomy
from etl.digest import i18n
from etl.digest.content import IssueContent
from etl.digest.i18n import Segment
from etl.digest.leads import item_lead, key_result
from etl.normalize.identifiers import normalize_registry_id
from etl.settings import Settings

# Placeholders the per-subscriber pass replaces (see render.personalize).
UNSUBSCRIBE = "%%UNSUBSCRIBE_URL%%"
PREFERENCES = "%%PREFERENCES_URL%%"
MAIL_TOKEN = "%%UNSUBSCRIBE_TOKEN%%"  # in the List-Unsubscribe mailto: subject
TRIAL_SCHEMES = ("nct", "chictr", "isrctn", "euct", "eudract", "actrn", "drks")
# Retractions and corrections reach every reader, whatever topics they chose.
ALWAYS_SHOWN = frozenset({"retraction", "correction"})


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
    return (issue.get("headline") or {}).get(lang) or generated_title(lang, issue)


def build_view(
    content: IssueContent,
    taxonomy: Taxonomy,
    settings: Settings,
    lang: str,
    topics: frozenset[str] = frozenset(),
    keep: set[int] | None = None,
) -> IssueView:
    """The view of one edition for one topic set. `keep`: the work ids that fit in the email
    (the rest are counted and left to the web page); None keeps everything."""
    issue = content.issue
    names = _Names(taxonomy, lang, settings.config_dir)
    wanted = [row for row in content.items if _wanted(row, content, topics)]
    shown = [row for row in wanted if keep is None or row["work_id"] in keep]
    sections = _sections(shown, content, names, lang)
    period_days = (
        date.fromisoformat(issue["period_end"]) - date.fromisoformat(issue["period_start"])
    ).days
    title = title_of(lang, issue)
    header = settings.digest.header
    ui = i18n.UI[lang]
    number_label = i18n.text(lang, "issue_no", n=issue["number"])
    return IssueView(
        lang=lang,
        ui=ui,
        number=issue["number"],
        slug=issue["slug"],
        title=title,
        subject=f"{header.name(lang)} · {number_label}:{title}"
        if lang == "zh"
        else f"{header.name(lang)} · {number_label}: {title}",
        preview=_intro(issue, wanted, content, names, lang)[:140],
        number_label=number_label,
        date=i18n.format_date(lang, issue_date(issue["period_end"])),
        period_label=i18n.text(
            lang,
            "period",
            start=i18n.format_date(lang, issue["period_start"]),
            end=i18n.format_date(lang, issue_date(issue["period_end"]) - timedelta(days=1)),
        ),
        intro=_intro(issue, wanted, content, names, lang),
        sections=sections,
        closing=(issue.get("closing") or {}).get(lang, ""),
        disclaimer=settings.digest.disclaimer(lang),
        header={
            "name": header.name(lang),
            "tagline": header.tagline(lang),
            "address": header.address(lang),
            "contacts": [c(lang) for c in header.contacts],
            "logo_url": header.logo_url,
        },
        previous=_previous(content, settings, lang),
        next=_next(content, settings, lang, period_days),
        web_url=issue_url(settings, issue["slug"], lang),
        archive_url=settings.archive.base_url + ("" if lang == "zh" else "en/"),
        more_count=len(wanted) - len(shown),
        nothing_new=bool(issue["nothing_new"]),
    )


def _wanted(row: dict[str, Any], content: IssueContent, topics: frozenset[str]) -> bool:
    """A subscriber's topics are section ids, cancer-type ids or cancer-type groups."""
    if not topics or row["kind"] in ALWAYS_SHOWN or row["section"] in topics:
        return True
    labels = content.labels.get(row["work_id"], {})
    types = set(labels.get("cancer_types") or [])
    return bool(types & topics) or bool(topics & set(labels.get("groups") or []))


class _Names:
    """Label names in one language, from the taxonomy (the classifier's own vocabulary)."""

    def __init__(self, taxonomy: Taxonomy, lang: str, config_dir: Path | None = None) -> None:
        self.taxonomy, self.lang, self.config_dir = taxonomy, lang, config_dir

    def label(self, family: str, key: str | None) -> str:
        found = self.taxonomy.labels.get(family, {}).get(key or "")
        return (found.zh if self.lang == "zh" else found.en) if found else ""

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
    highlight = row["highlight"] or (key_result(data) if row["featured"] else "")
    return ItemView(
        work_id=row["work_id"],
        kind=row["kind"],
        kind_label=i18n.KINDS[lang].get(row["kind"], row["kind"]),
        tags=[t for t in tags if t],
        lead=_lead(row, data, content, lang, names.config_dir),
        changes=_changes(row, content, lang),
        citation=citation(data, lang),
        related=_related(row["work_id"], content, lang),
        featured=bool(row["featured"]),
        highlight=highlight,
        rank=row["rank"],
        date=i18n.format_date(lang, row["occurred_on"]),
    )


def citation(data: dict[str, Any], lang: str) -> list[Segment]:
    """The item's citation line: the paper or trial as `digest-style.md` spells it."""
    ids = data.get("identifiers") or {}
    title = _clean_title(data.get("title") or "")
    if data.get("kind") == "trial":
        scheme, trial_id = trial_identifier(data)
        return i18n.trial_citation(lang, title, scheme, trial_id)
    journal = data.get("journal") or data.get("preprint_server") or data.get("source", "")
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
    return title[:-1] if title.endswith(".") else title


def _lead(
    row: dict[str, Any],
    data: dict[str, Any],
    content: IssueContent,
    lang: str,
    config: Path | None = None,
) -> str:
    zh = lang == "zh"
    kind = row["kind"]
    if kind == "retraction":
        notices = [n for e in _events(row, content) for n in (e["data"] or {}).get("notices", [])]
        said = "该论文已被撤稿" if zh else "This paper has been retracted"
        if notices:
            said += (
                f"(撤稿声明 PMID:{', '.join(notices)})"
                if zh
                else f" (notice: PMID {', '.join(notices)})"
            )
        return said + _earlier(row, content, lang) + ("。" if zh else ".")
    if kind == "correction":
        notes = [e["data"] for e in _events(row, content) if e["data"]]
        pmids = ", ".join(n.get("pmid", "") for n in notes if n.get("pmid"))
        said = "该论文发布了更正" if zh else "A correction to this paper was published"
        if pmids:
            said += f"(PMID:{pmids})" if zh else f" (PMID {pmids})"
        return said + _earlier(row, content, lang) + ("。" if zh else ".")
    lead = item_lead(data, lang, config).text
    if kind == "published":
        journal = data.get("journal") or ""
        prefix = (
            f"预印本已正式发表于《{journal}》。"
            if zh
            else f"The preprint is now published in {journal}. "
        )
        return prefix + lead
    return lead


def _earlier(row: dict[str, Any], content: IssueContent, lang: str) -> str:
    number = content.earlier.get(row["work_id"])
    if number is None:
        return ""
    return f",本刊曾在第 {number} 期报道" if lang == "zh" else f"; we reported it in issue {number}"


def _events(row: dict[str, Any], content: IssueContent) -> list[dict[str, Any]]:
    return [content.events[e] for e in row["event_ids"] if e in content.events]


def _changes(row: dict[str, Any], content: IssueContent, lang: str) -> list[str]:
    """A trial's material changes, old → new, as the registry reported them."""
    lines = []
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
            lines.append(name + (":已更新" if lang == "zh" else ": updated"))
        elif data["field"] == "why_stopped":
            lines.append(f"{name}:{new}" if lang == "zh" else f"{name}: {new}")
        else:
            sep = ":" if lang == "zh" else ": "
            lines.append(f"{name}{sep}{old} → {new}")
    return lines


def _value(lang: str, field: str, value: Any) -> str:
    if value in (None, "", []):
        return i18n.UI[lang]["no_change"]
    if field == "status":
        return i18n.status_label(lang, value)
    if field == "phases":
        return i18n.phase_label(lang, value)
    if field == "primary_completion_date":
        return i18n.format_date(lang, value)
    return str(value)


def _related(work_id: int, content: IssueContent, lang: str) -> list[list[Segment]]:
    """Linked works a reader can follow: the trial a paper reports, a preprint's journal
    version, a retraction notice."""
    out = []
    for link in content.related.get(work_id, [])[:4]:
        scheme, value = link["scheme"], link["value"]
        if scheme in TRIAL_SCHEMES:
            name = "临床试验" if lang == "zh" else "Trial"
            url = i18n.registry_url(scheme, value)
        elif scheme == "pmid":
            name, url = "PMID", i18n.pubmed_url(value)
        elif scheme == "doi":
            name, url = "DOI", i18n.doi_url(value)
        else:
            continue
        sep = ":" if lang == "zh" else ": "
        out.append([Segment(f"{i18n.UI[lang]['related']}{sep}{name} "), Segment(value, url)])
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
    """The editor's 引言, else one generated paragraph that says what the issue holds."""
    written = (issue.get("intro") or {}).get(lang)
    if written:
        return written
    zh = lang == "zh"
    if not rows:
        return (
            "本期没有发现新的相关文献或临床试验动态。我们会继续追踪,下一期见。"
            if zh
            else "We found no new papers or trial updates this time. We keep watching."
        )
    trials = sum(content.data.get(r["work_id"], {}).get("kind") == "trial" for r in rows)
    notices = sum(r["kind"] in ALWAYS_SHOWN for r in rows)
    papers = len(rows) - trials - notices
    per_section: dict[str, int] = {}
    for row in rows:
        if row["section"] in ("solid_tumors", "hematologic", "platforms"):
            per_section[row["section"]] = per_section.get(row["section"], 0) + 1
    if zh:
        counted = [
            f"{papers} 篇新文献" if papers else "",
            f"{trials} 项临床试验动态" if trials else "",
        ]
        said = "本期收录 " + "、".join(c for c in counted if c) if papers or trials else "本期"
        if per_section:
            said += ",其中" + "、".join(
                f"{names.section(k)} {v} 篇" for k, v in per_section.items()
            )
        if notices:
            said += f"{';' if papers or trials else ''}另有 {notices} 篇撤稿或更正,请留意"
        return said + "。"
    counted = [_count(papers, "new paper"), _count(trials, "trial update")]
    said = "This issue brings " + " and ".join(c for c in counted if c) if papers or trials else ""
    if per_section:
        said += " (" + ", ".join(f"{names.section(k).lower()}: {v}" for k, v in per_section.items())
        said += ")"
    if notices:
        note = _count(notices, "retraction or correction", "retractions or corrections")
        said += f", and {note} to note" if said else f"This issue brings {note} to note"
    return said + "."


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
            published=after["state"] in ("sending", "sent"),
        )
    end = date.fromisoformat(content.issue["period_end"])
    due = end + timedelta(days=period_days)
    return NavLink(
        title=i18n.text(lang, "next_due", date=i18n.format_date(lang, due)),
        date=i18n.format_date(lang, due),
        url=issue_url(settings, end.isoformat(), lang),
        published=False,
    )

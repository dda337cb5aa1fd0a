"""Each citation held against the record it names: the verdict, and what the record says.

The rules are plain functions over a citation and what a `Resolver` hands back; the resolver is
the edge (the database, and through `etl.pipeline.lookup` the sources), so the rules can be
tested on records written by hand and the database code on records stored by the crawl code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import httpx
from rapidfuzz import fuzz
from sqlalchemy import Engine, select

from etl.articles.citations import Citation
from etl.db.models import Link
from etl.digest.zh_names import load_zh_names
from etl.errors import SourceError
from etl.facts.terms import Terms, load_terms
from etl.facts.zh import cjk_share
from etl.pipeline.lookup import Reference, lookup
from etl.settings import Settings
from etl.works.titles import similarity, title_key

links = Link.__table__


def is_cjk_text(text: str) -> bool:
    """Mostly Chinese: a title that cannot be compared with an English record's words."""
    return cjk_share(text) > 0.3


class Verdict(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    MISMATCH = "mismatch"
    WRONG_STUDY = "wrong_study"
    RETRACTED = "retracted"
    CORRECTED = "corrected"
    TRIAL_DISAGREES = "trial_disagrees"


@dataclass(frozen=True)
class Resolved:
    """A work as the checker needs it: its id, the record that speaks for it, and the notices
    that retract or correct it (link targets, e.g. "pmid:123")."""

    work_id: int
    data: Mapping[str, Any]
    retracted_by: tuple[str, ...] = ()
    corrected_by: tuple[str, ...] = ()
    source: str = "database"


class Resolver(Protocol):
    """Where the checker finds works: by one identifier, or by a title."""

    def find(self, reference: Reference) -> Resolved | None: ...


@dataclass
class Resolution:
    """A citation's verdict, the record's own words for what differs, and the work."""

    verdict: Verdict
    resolved: Resolved | None = None
    differences: list[str] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)
    other_work: dict[str, Any] | None = None
    note: str = ""


TITLE_SAME = 85.0  # similarity of title keys at or above which a cited title is the record's
JOURNAL_SAME = 85.0


def resolve(citation: Citation, resolver: Resolver, config_dir: Path | None = None) -> Resolution:
    """The verdict on one citation (see `Verdict`); the first id that resolves decides which
    work is meant, in the order PMID, DOI, registry ids, then the cited title."""
    refs = [Reference(scheme, value) for scheme, value in _ordered(citation.ids)]
    resolved = next((found for ref in refs if (found := resolver.find(ref))), None)
    if resolved is not None:
        split = _ids_apart(refs, resolved, resolver)
        if split:
            return Resolution(Verdict.MISMATCH, resolved, split, record_summary(resolved.data))
    if resolved is None:
        by_title = _by_title(citation, resolver)
        if by_title is None:
            what = ", ".join(str(ref) for ref in refs) or "the title"
            failures: dict[Reference, str] = getattr(resolver, "failures", {})
            unasked = [failures[ref] for ref in refs if ref in failures]
            note = f"{what}: not in the database nor the sources"
            if unasked:
                note = f"{what}: not in the database; a source could not be asked ({unasked[0]})"
            return Resolution(Verdict.NOT_FOUND, note=note)
        if not refs:
            return _compare(citation, by_title, resolver, config_dir)
        return Resolution(
            Verdict.MISMATCH,
            by_title,
            [f"id: {', '.join(map(str, refs))} not found; the title is {_ids_text(by_title)}"],
            record_summary(by_title.data),
        )
    return _compare(citation, resolved, resolver, config_dir)


def _compare(
    citation: Citation, resolved: Resolved, resolver: Resolver, config_dir: Path | None
) -> Resolution:
    data = resolved.data
    summary = record_summary(data)
    differences: list[str] = []
    if citation.title and not same_title(citation.title, data):
        other = _by_title(citation, resolver)
        if other is not None and other.work_id != resolved.work_id:
            return Resolution(
                Verdict.WRONG_STUDY,
                resolved,
                [f"the id is “{summary['title']}”; the cited title is {_ids_text(other)}"],
                summary,
                {"work_id": other.work_id, **record_summary(other.data)},
            )
        differences.append(f"title: the record says “{summary['title']}”")
    if (
        citation.journal
        and summary["journal"]
        and not same_journal(citation.journal, data, config_dir)
    ):
        differences.append(f"journal: the record says {summary['journal']}")
    years = record_years(data)
    if citation.year and years and citation.year not in years:
        differences.append(f"year: the record says {min(years)}")
    if resolved.retracted_by or data.get("retracted"):
        notice = ", ".join(resolved.retracted_by) or "PubMed marks it retracted"
        return Resolution(Verdict.RETRACTED, resolved, [f"retracted ({notice})", *differences],
                          summary)  # fmt: skip
    if differences:
        return Resolution(Verdict.MISMATCH, resolved, differences, summary)
    trial = trial_differences(citation, data, load_terms(config_dir))
    if trial:
        return Resolution(Verdict.TRIAL_DISAGREES, resolved, trial, summary)
    if resolved.corrected_by:
        notice = ", ".join(resolved.corrected_by)
        return Resolution(Verdict.CORRECTED, resolved, [f"corrected ({notice})"], summary)
    return Resolution(Verdict.FOUND, resolved, [], summary)


def _ids_apart(refs: list[Reference], resolved: Resolved, resolver: Resolver) -> list[str]:
    """A citation's ids that name another work than the first one does ("PMID 1; DOI of
    another paper"): each is a difference, with the work it names."""
    apart = []
    for ref in refs[1:]:
        other = resolver.find(ref)
        if other is not None and other.work_id != resolved.work_id:
            title = other.data.get("title") or ""
            apart.append(f"{ref} is another work: {_ids_text(other)}, “{title}”")
    return apart


def _ordered(ids: Mapping[str, str]) -> list[tuple[str, str]]:
    order = {"pmid": 0, "doi": 1, "pmcid": 2}
    return sorted(ids.items(), key=lambda item: order.get(item[0], 3))


def _by_title(citation: Citation, resolver: Resolver) -> Resolved | None:
    if not citation.title or is_cjk_text(citation.title):
        return None
    found = resolver.find(Reference("title", citation.title))
    return found if found is not None and same_title(citation.title, found.data) else None


def _ids_text(resolved: Resolved) -> str:
    ids = resolved.data.get("identifiers") or {}
    named = [
        f"{scheme.upper()} {ids[scheme]}" for scheme in ("pmid", "doi", "nct") if ids.get(scheme)
    ]
    return f"work {resolved.work_id} ({', '.join(named) or 'no id'})"


def record_summary(data: Mapping[str, Any]) -> dict[str, Any]:
    """What the record says, in the report: title, journal, year, and for a trial its phases,
    conditions, interventions and enrolment."""
    years = record_years(data)
    summary: dict[str, Any] = {
        "kind": data.get("kind"),
        "title": data.get("title") or "",
        "journal": data.get("journal") or None,
        "year": min(years) if years else None,
        "identifiers": {k: v for k, v in (data.get("identifiers") or {}).items() if v},
    }
    if data.get("kind") == "trial":
        summary |= {
            "phases": list(data.get("phases") or []),
            "conditions": list(data.get("conditions") or []),
            "interventions": list(data.get("interventions") or []),
            "enrollment": data.get("enrollment"),
        }
    return summary


def same_title(cited: str, data: Mapping[str, Any]) -> bool:
    """Whether a cited title is the record's (its title, vernacular or official title), by the
    project's title rules; a Chinese title cited for an English record cannot be compared and
    is taken as the same."""
    titles = [data.get(k) or "" for k in ("title", "vernacular_title", "official_title")]
    if is_cjk_text(cited) and not any(is_cjk_text(t) for t in titles if t):
        return True
    key = title_key(cited)
    return any(similarity(key, title_key(t)) >= TITLE_SAME for t in titles if t)


def _journal_key(name: str) -> str:
    words = re.findall(r"\w+", name.lower().replace("&", " and "))
    return " ".join(word for word in words if word not in ("the", "and", "of", "journal"))


def _bare_journal(name: str) -> str:
    """PubMed's journal title without its subtitle or place ("Journal of clinical oncology :
    official journal of …", "Advanced science (Weinheim, Baden-Wurttemberg, Germany)")."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", name.split(" : ")[0])


def same_journal(cited: str, data: Mapping[str, Any], config_dir: Path | None = None) -> bool:
    """ "Lancet Haematology" is "The Lancet. Haematology", and "J Clin Oncol" is the Journal of
    Clinical Oncology when PubMed's abbreviation says so. A Chinese name is compared with the
    journal's Chinese name (config/zh_names.toml), and taken as the same when the table has
    none: a checker cannot translate it."""
    names = (data.get("journal"), data.get("journal_abbrev"))
    if is_cjk_text(cited):
        chinese = load_zh_names(config_dir).journal(*(str(n) for n in names if n))
        return chinese is None or chinese.replace(" ", "") == cited.replace(" ", "")
    key = _journal_key(cited)
    for name in names:
        other = _journal_key(_bare_journal(str(name or "")))
        if other and (key == other or fuzz.ratio(key, other) >= JOURNAL_SAME):
            return True
    return False


def record_years(data: Mapping[str, Any]) -> set[int]:
    """The years a citation may give: the issue's, the online one (December online is
    January in print), a trial's first posting or start."""
    years = set()
    for key in ("published", "epublished", "first_posted", "start_date"):
        value = str(data.get(key) or "")
        if value[:4].isdigit():
            years.add(int(value[:4]))
    return years


_ROMAN = {"Ⅰ": "1", "Ⅱ": "2", "Ⅲ": "3", "Ⅳ": "4", "IV": "4", "III": "3", "II": "2", "I": "1"}
_PHASE_ZH = re.compile(
    r"((?:[ⅠⅡⅢⅣ]|IV|III|II|I|[1-4])[abAB]?(?:\s*[/／~-]\s*(?:[ⅠⅡⅢⅣ]|IV|III|II|I|[1-4])[abAB]?)?)\s*期"
)  # noqa: E501
_PHASE_EN = re.compile(
    r"\bphase\s*((?:IV|III|II|I|[1-4])[abAB]?(?:\s*[/-]\s*(?:IV|III|II|I|[1-4])[abAB]?)?)\b", re.I
)  # noqa: E501


def passage_phases(text: str) -> set[str]:
    """The trial phases a passage names ("Ⅰ/Ⅱ 期", "II期", "phase 1/2"), as PHASE1…PHASE4."""
    found: set[str] = set()
    for match in [*_PHASE_ZH.finditer(text), *_PHASE_EN.finditer(text)]:
        for part in re.split(r"\s*[/／~-]\s*", match[1]):
            part = part.rstrip("abAB").upper()
            number = _ROMAN.get(part, part)
            if number in "1234":
                found.add(f"PHASE{number}")
    return found


def trial_differences(
    citation: Citation, data: Mapping[str, Any], terms: Terms | None = None
) -> list[str]:
    """What the passage says of a trial that its record does not: the phase, the enrolment
    (the passage's first patient count), the cancer (one the passage names where the record's
    conditions and titles name others) and the cells given (umbilical cord where the record's
    interventions say adipose tissue)."""
    if data.get("kind") != "trial":
        return []
    terms = terms or load_terms()
    passage = citation.passage
    differences = []
    said = passage_phases(passage)
    recorded = {str(p).upper() for p in data.get("phases") or [] if str(p).upper() != "NA"}
    if said and recorded and said != recorded:
        differences.append(
            f"phase: the passage says {_phase_text(said)}, the record {_phase_text(recorded)}"
        )
    enrolled = data.get("enrollment")
    count = passage_patients(passage)
    if isinstance(enrolled, int) and count is not None and count != enrolled:
        kind = str(data.get("enrollment_type") or "").lower()
        differences.append(
            f"enrolment: the passage says {count} patients, the record {enrolled}"
            + (f" ({kind})" if kind else "")
        )
    conditions = [str(c) for c in data.get("conditions") or []]
    titles = [str(data.get(k) or "") for k in ("title", "official_title")]
    named = _cancers(passage, terms, chinese=True)
    held = _cancers("\n".join(conditions + titles), terms, chinese=False)
    if named and held and not set(named) & set(held):
        differences.append(
            f"condition: the passage says {'、'.join(named.values())}, the record "
            + ("; ".join(conditions) or titles[0])
        )
    interventions = [str(i) for i in data.get("interventions") or []]
    given = _sources(passage, terms, chinese=True)
    listed = _sources("\n".join(interventions + titles), terms, chinese=False)
    if given and listed and not set(given) & set(listed):
        differences.append(
            f"intervention: the passage says {'、'.join(given.values())}, the record "
            + ("; ".join(interventions) or titles[0])
        )
    return differences


# Where the cells come from, as Chinese passages say it ("脐带MSCs", "脂肪来源"); 骨髓 alone is
# the marrow the cells act in ("骨髓微环境"), not where they come from.
SOURCES_ZH = {
    "umbilical_cord": re.compile(r"脐带|华通氏胶"),
    "adipose": re.compile(r"脂肪(?:来源|间充质|干细胞|基质|\s*MSC)"),
    "placenta": re.compile(r"胎盘|羊膜"),
    "bone_marrow": re.compile(r"骨髓(?:来源|间充质|基质细胞|\s*MSC)"),
    "dental_pulp": re.compile(r"牙髓"),
}


def _cancers(text: str, terms: Terms, chinese: bool) -> dict[str, str]:
    """Cancer-type keys a text names, with the name as it reads there (the terms table's
    Chinese names in a passage, its English patterns in both)."""
    found: dict[str, str] = {}
    for term in terms.cancer:
        if term.key in found:
            continue
        name = term.zh.replace(" ", "")
        if chinese and name in text.replace(" ", ""):
            if not any(name in other.replace(" ", "") for other in found.values()):
                found[term.key] = term.zh  # "白血病" inside "急性髓系白血病" is the same cancer
        elif match := term.pattern.search(text):
            found[term.key] = match[0]
    return found


def _sources(text: str, terms: Terms, chinese: bool) -> dict[str, str]:
    """MSC sources (the terms table's, less "other") a text says the cells come from."""
    found: dict[str, str] = {}
    for term in terms.source:
        if term.key not in SOURCES_ZH or term.key in found:
            continue
        if chinese and (match := SOURCES_ZH[term.key].search(text)):
            found[term.key] = term.zh
        elif match := term.pattern.search(text):
            found[term.key] = match[0]
    return found


_PATIENT_COUNT = re.compile(
    r"(\d+)\s*(?:例|名)[^，。,;；]{0,20}?(?:患者|病人)|(\d+)\s+patients", re.I
)


def passage_patients(text: str) -> int | None:
    """The first number of patients a passage names ("对 10 例 … 患者", "10 patients")."""
    found = _PATIENT_COUNT.search(text)
    return int(found[1] or found[2]) if found else None


def _phase_text(phases: set[str]) -> str:
    return "/".join(sorted(p.replace("PHASE", "") for p in phases)) or "none"


class DatabaseResolver:
    """The works of a database, and (unless offline) the sources through `lookup`, which
    stores and classifies what it fetches: a citation checked once is found at home next time."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        now: datetime,
        *,
        online: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.now = now
        self.online = online
        self.transport = transport
        self.errors: list[str] = []
        self.failures: dict[Reference, str] = {}  # what a source answered when it failed
        self._answers: dict[Reference, Resolved | None] = {}

    def find(self, reference: Reference) -> Resolved | None:
        """The work, once per reference and check: an article that cites a work twice, or a
        title searched again, asks the database and the sources once."""
        if reference not in self._answers:
            self._answers[reference] = self._find(reference)
        return self._answers[reference]

    def _find(self, reference: Reference) -> Resolved | None:
        try:
            looked = lookup(self.engine, self.settings, reference, self.now,
                            transport=self.transport, online=self.online)  # fmt: skip
        except SourceError as exc:  # the source is down: said in the report, the check goes on
            self.errors.append(f"{reference}: {exc.message}")
            self.failures[reference] = exc.message
            looked = lookup(self.engine, self.settings, reference, self.now, online=False)
        if looked.work_id is None or looked.data is None:
            return None
        retracted, corrected = self._notices(looked.work_id)
        return Resolved(looked.work_id, looked.data, retracted, corrected, looked.source or "")

    def _notices(self, work_id: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        query = select(links.c.type, links.c.target_scheme, links.c.target_value).where(
            links.c.work_id == work_id, links.c.type.in_(("retracted_by", "corrected_by"))
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        retracted = tuple(f"{s}:{v}" for t, s, v in rows if t == "retracted_by")
        corrected = tuple(f"{s}:{v}" for t, s, v in rows if t == "corrected_by")
        return tuple(dict.fromkeys(retracted)), tuple(dict.fromkeys(corrected))

"""A study's story in dated steps, across every source that told part of it: the registration
and first posting, the start, status changes, the preprint, the journal article, results,
corrections, a retraction, and the issues that carried it. A plain function of a
`StudyContent`; the words are the view's.

The study is more than one work: a paper's page shows the registration and status changes of
the trial it reports, and the trial's page the papers and preprint that report it, so a reader
who arrives from either end sees the whole thread. Each step keeps the source it came from and
a link to it; a step without a date is left out (a timeline cannot place it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from etl.db.states import EventKind
from etl.digest import i18n
from etl.studies.store import Related, StudyContent

# Order of steps on one day: what happens first in a study's life comes first.
ORDER = (
    "registered", "first_posted", "started", "preprint", "published", "change", "status",
    "results", "correction", "retraction", "deleted", "issue",
)  # fmt: skip
# The relations whose work's own steps belong to this study's story.
THREAD = frozenset({"reports_trial", "reported_by", "has_preprint", "published_as", "same_trial"})
NOTICES = {"retracted_by": "retraction", "corrected_by": "correction"}


@dataclass(frozen=True)
class Step:
    """One dated step. `about`: None for the study itself, else the related work it concerns
    (its relation, its record's kind and its names, for the view's words and links)."""

    date: str  # ISO, partial allowed ("2024", "2024-05")
    kind: str  # one of ORDER
    source: str  # the source that said it (pubmed, ctgov, europepmc, …, or "digest")
    url: str | None  # where a reader can check it
    detail: dict[str, Any] = field(default_factory=dict)
    about: Related | None = None

    @property
    def sort_key(self) -> tuple[str, int]:
        parts = (self.date.split("-") + ["00", "00"])[:3]
        return "-".join(parts), ORDER.index(self.kind)


def source_url(source: str, data: dict[str, Any]) -> str | None:
    """The record's page at its source."""
    ids = data.get("identifiers") or {}
    if source == "pubmed" and ids.get("pmid"):
        return i18n.pubmed_url(ids["pmid"])
    if source == "ctgov":
        nct = ids.get("nct") or data.get("source_id")
        return i18n.registry_url("nct", nct) if nct else None
    if source == "europepmc":
        if ids.get("ppr"):
            return f"https://europepmc.org/article/PPR/{ids['ppr']}"
        if ids.get("pmid"):
            return f"https://europepmc.org/article/MED/{ids['pmid']}"
    if data.get("url"):
        return str(data["url"])
    if ids.get("doi"):
        return i18n.doi_url(ids["doi"])
    return None


def history_url(source: str, data: dict[str, Any]) -> str | None:
    """Where a registry keeps a record's versions: a status change is checked there."""
    url = source_url(source, data)
    if source == "ctgov" and url:
        return url + "?tab=history"
    return url


def results_url(source: str, data: dict[str, Any]) -> str | None:
    """Where a registry shows a trial's posted results."""
    url = source_url(source, data)
    return url + "?tab=results" if source == "ctgov" and url else url


def record_steps(source: str, data: dict[str, Any], about: Related | None = None) -> list[Step]:
    """The dated milestones one record states about itself."""
    url = source_url(source, data)
    steps: list[Step] = []

    def add(kind: str, day: Any, link: str | None = url, **detail: Any) -> None:
        if isinstance(day, str) and day[:4].isdigit():
            steps.append(Step(day, kind, source, link, detail, about))

    if data.get("kind") == "trial":
        # ICTRP's date is the registration in the study's own registry (ChiCTR, …);
        # ClinicalTrials.gov's is the day the record was first posted.
        if source == "ictrp":
            add("registered", data.get("first_posted"))
        else:
            add("first_posted", data.get("first_posted"), registry=_registry(source))
        add("started", data.get("start_date"))
        add("results", data.get("results_first_posted"), results_url(source, data))
    elif data.get("preprint"):
        add("preprint", data.get("published") or data.get("created"),
            server=data.get("preprint_server") or data.get("journal") or "")  # fmt: skip
    elif not _is_notice(data):
        day = data.get("epublished") or data.get("published")
        add("published", day, journal=data.get("journal") or "", abbrev=data.get("journal_abbrev"))
    return steps


def _is_notice(data: dict[str, Any]) -> bool:
    types = {str(t).lower() for t in data.get("publication_types") or []}
    return bool(types & {"retraction of publication", "published erratum"})


def _registry(source: str) -> str:
    return "ClinicalTrials.gov" if source == "ctgov" else "ICTRP" if source == "ictrp" else source


def event_steps(
    found: list[dict[str, Any]], records: dict[str, dict[str, Any]], about: Related | None = None
) -> list[Step]:
    """Steps from a work's events: `records` (source → that source's record) gives each event's
    link. A work's first appearance is not a step: the record's own dates say when it was
    registered or published."""
    steps = []
    for event in found:
        day = event.get("occurred_on")
        if not day:
            continue
        kind, data = event["type"], event.get("data") or {}
        source = event.get("source") or ""
        record = records.get(source, {})
        if kind == EventKind.STATUS_CHANGED:
            steps.append(Step(day, "status", source, history_url(source, record), data, about))
        elif kind == EventKind.RESULTS_POSTED:
            steps.append(Step(day, "results", source, results_url(source, record), data, about))
        elif kind in (
            EventKind.PHASE_CHANGED,
            EventKind.ENROLLMENT_CHANGED,
            EventKind.COMPLETION_DATE_CHANGED,
            EventKind.STOPPED,
            EventKind.ARMS_CHANGED,
        ):
            steps.append(Step(day, "change", source, history_url(source, record), data, about))
        elif kind == EventKind.RETRACTED:
            notices = [n for n in data.get("notices") or [] if n]
            url = i18n.pubmed_url(notices[0]) if notices else source_url(source, record)
            steps.append(Step(day, "retraction", source, url, data, about))
        elif kind == EventKind.CORRECTED:
            pmid = data.get("pmid")
            url = i18n.pubmed_url(pmid) if pmid else source_url(source, record)
            steps.append(Step(day, "correction", source, url, data, about))
        elif kind == EventKind.DELETED:
            steps.append(Step(day, "deleted", source, source_url(source, record), data, about))
    return steps


def timeline(content: StudyContent) -> list[Step]:
    """Every dated step of the study, oldest first."""
    by_source = {r["source"]: r["data"] for r in content.records if r["deleted_at"] is None}
    steps: list[Step] = []
    for row in content.records:
        if row["deleted_at"] is None:
            steps += record_steps(row["source"], row["data"])
    steps += event_steps(content.events, by_source)
    retracted = any(s.kind == "retraction" for s in steps)
    for other in content.related:
        if other.work_id is None or not other.data:
            continue
        source = other.data.get("source", "")
        if other.type in THREAD:
            steps += record_steps(source, other.data, other)
            steps += event_steps(other.events, {source: other.data}, other)
        elif other.type in NOTICES and not (other.type == "retracted_by" and retracted):
            day = other.data.get("epublished") or other.data.get("published")
            if isinstance(day, str) and day[:4].isdigit():
                url = source_url(source, other.data)
                steps.append(Step(day, NOTICES[other.type], source, url, {"notice": True}, other))
    for issue in content.issues:
        steps.append(Step(issue["period_end"], "issue", "digest", None, issue))
    return _without_repeats(sorted(steps, key=lambda s: s.sort_key))


def _without_repeats(steps: list[Step]) -> list[Step]:
    """One step per (date, kind, work): two sources saying a paper came out on the same day
    (PubMed and Europe PMC) are one step, linked to the first (the preferred source)."""
    seen: set[tuple[str, str, int | None, str]] = set()
    kept = []
    for step in steps:
        work = step.about.work_id if step.about else None
        extra = repr(sorted(step.detail.items())) if step.kind in ("status", "change") else ""
        key = (step.date, step.kind, work, extra)
        if key not in seen:
            seen.add(key)
            kept.append(step)
    return kept

"""One evidence row per clinical study: what its trial and its clinical papers say, merged.

A study's registration knows its phase, status, enrolment, sponsor and countries; its papers know
the result. The row takes each fact from the member that states it best (the registry for what a
registry holds, the newest paper still standing for a result) and the union of the labels of its
clinical members. Laboratory and animal work is never a member of a row, even when a trial's
reference list names it: the map counts evidence in patients. Plain functions over data; the
database edge is `load.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from etl.facts.affiliation import country as country_name
from etl.facts.model import Facts, Figure
from etl.facts.words import REGISTRIES, doi_url, pubmed_url, registry_url
from etl.normalize.slugs import study_slug

# Classification stages of studies in patients (the taxonomy's `stages`); in_vitro, animal and
# review are not.
CLINICAL_STAGES = (
    "phase1", "phase1_2", "phase2", "phase3", "phase4", "observational", "retrospective",
    "case_report",
)  # fmt: skip


@dataclass(frozen=True)
class Member:
    """One work of a study, as the row needs it."""

    work_id: int
    kind: str
    title: str
    identifiers: Mapping[str, Sequence[str]]
    published: str | None
    retracted: bool
    labels: Mapping[str, Any]  # the classification's labels ({} when not classified)
    facts: Facts
    updated: str | None = None  # the newest upstream date known for it (ISO)
    decision: str | None = None  # an editor's include / exclude
    title_zh: str | None = None  # a Chinese paper's own title (PubMed's vernacular title)

    @property
    def clinical(self) -> bool:
        """A study in patients the map counts: relevant (or included by an editor, whose say
        wins) and a trial or a paper of a clinical stage."""
        if self.decision == "exclude":
            return False
        if self.decision != "include" and not self.labels.get("relevant"):
            return False
        return self.kind == "trial" or self.labels.get("stage") in CLINICAL_STAGES


@dataclass(frozen=True)
class EvidenceRow:
    """Language-free: ids and values. `names.py` turns it into words of one edition."""

    key: str  # the study's best identifier: "NCT06218473", "ChiCTR2400086123", "PMID 41000052"
    work_id: int  # the member that speaks for the study
    kind: str  # "trial" when a registration is among its members, else "paper"
    title: str
    url: str | None
    identifiers: tuple[str, ...]  # every member's best identifier, the speaker's first
    cancers: tuple[str, ...] = ()
    strategies: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    product: str | None = None
    phase: str | None = None  # a taxonomy stage id
    status: str | None = None  # a registry status (RECRUITING…), or "published" / "retracted"
    patients: int | None = None
    planned: bool = False  # `patients` is a registration's target enrolment, not yet reached
    countries: tuple[str, ...] = ()
    sponsor: str | None = None
    outcome: Figure | None = None
    safety: tuple[str, ...] = ()
    year: int | None = None
    updated: str | None = None
    papers: int = 0  # clinical papers beside the speaker
    title_zh: str | None = None  # the Chinese edition's title, for a Chinese paper
    slug: str = ""  # the speaker's study page: /studies/<slug>/
    work_ids: tuple[int, ...] = field(default=())


def build_row(members: Sequence[Member]) -> EvidenceRow | None:
    """The row of one study, or None when no member is a clinical study of MSCs in cancer."""
    clinical = [member for member in members if member.clinical]
    if not clinical:
        return None
    trials = [member for member in clinical if member.kind == "trial"]
    papers = sorted(
        (member for member in clinical if member.kind != "trial"),
        key=lambda member: member.published or "",
        reverse=True,
    )
    standing = [paper for paper in papers if not paper.retracted]
    speaker = trials[0] if trials else (standing or papers)[0]
    key, url = best_identifier(speaker)
    facts = [member.facts for member in (*trials, *standing)]
    return EvidenceRow(
        key=key,
        work_id=speaker.work_id,
        kind="trial" if trials else "paper",
        title=speaker.title,
        url=url,
        identifiers=tuple(dict.fromkeys(best_identifier(m)[0] for m in (speaker, *clinical))),
        cancers=_union(clinical, "cancer_types", lambda f: f.cancer),
        strategies=_union(clinical, "strategies", lambda f: f.strategy),
        sources=_union(clinical, "msc_sources", lambda f: f.msc_source),
        product=next((f.product for f in facts if f.product), None),
        phase=_phase(trials, papers),
        status=_status(trials, papers),
        patients=_first(f.patients for f in facts),
        planned=bool(trials)
        and trials[0].facts.patients is not None
        and trials[0].facts.enrollment_type == "ESTIMATED",
        countries=_countries(trials or papers),
        sponsor=_first(trial.facts.sponsor for trial in trials),
        outcome=_first(
            f.outcomes[0] if f.outcomes else None
            for f in [p.facts for p in standing] + [t.facts for t in trials]
        ),  # fmt: skip
        safety=tuple(dict.fromkeys(key for f in facts for key in f.safety)),
        year=min((y for m in clinical if (y := _year(m.published))), default=None),
        updated=max((m.updated or m.published or "" for m in members), default="") or None,
        papers=len(papers) - (0 if trials else 1),
        work_ids=tuple(sorted(member.work_id for member in members)),
        title_zh=speaker.title_zh,
        slug=study_slug(
            [(scheme, value) for scheme, found in speaker.identifiers.items() for value in found],
            speaker.kind,
            speaker.work_id,
        ),
    )


def best_identifier(member: Member) -> tuple[str, str | None]:
    """The identifier a reader would look the study up by, and where it leads: a registry id for
    a trial, else PMID, DOI, PMCID, a preprint id."""
    ids = member.identifiers
    for scheme in REGISTRIES:
        if ids.get(scheme):
            return ids[scheme][0], registry_url(scheme, ids[scheme][0])
    for scheme in sorted(set(ids) - set(REGISTRIES)):
        if scheme not in ("pmid", "doi", "pmcid", "ppr") and ids.get(scheme):
            return ids[scheme][0], None  # a registry the catalogue has no address for
    if ids.get("pmid"):
        return f"PMID {ids['pmid'][0]}", pubmed_url(ids["pmid"][0])
    if ids.get("doi"):
        return f"DOI {ids['doi'][0]}", doi_url(ids["doi"][0])
    for scheme in ("pmcid", "ppr"):
        if ids.get(scheme):
            return ids[scheme][0], None
    return f"#{member.work_id}", None


def _union(members: Iterable[Member], family: str, fact: Any) -> tuple[str, ...]:
    found: list[str] = []
    for member in members:
        found += member.labels.get(family) or []
        if not member.labels.get(family) and fact(member.facts):
            found.append(fact(member.facts))
    return tuple(dict.fromkeys(found))


def _phase(trials: list[Member], papers: list[Member]) -> str | None:
    """The registration's stage; a study without one takes its furthest clinical paper's."""
    for member in trials:
        if member.labels.get("stage") in CLINICAL_STAGES:
            stage: str = member.labels["stage"]
            return stage
    stages = [p.labels.get("stage") for p in papers if p.labels.get("stage") in CLINICAL_STAGES]
    return max(stages, key=CLINICAL_STAGES.index) if stages else None


def _status(trials: list[Member], papers: list[Member]) -> str | None:
    if trials:
        return trials[0].facts.status
    return "retracted" if all(paper.retracted for paper in papers) else "published"


def _countries(members: list[Member]) -> tuple[str, ...]:
    found: list[str] = []
    for member in members:
        named = member.facts.countries or ((member.facts.country,) if member.facts.country else ())
        found += [country_name(name) or name for name in named]
    return tuple(dict.fromkeys(found))


def _first(values: Iterable[Any]) -> Any:
    return next((value for value in values if value is not None), None)


def _year(published: str | None) -> int | None:
    return int(published[:4]) if published and published[:4].isdigit() else None

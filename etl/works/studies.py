"""Works grouped into clinical studies: a trial with the papers that report it or name it (and
their preprints), or a paper that names no trial, on its own.

A paper and a trial stay two works (they are two publications), but a reader asking "where does
this therapy stand" counts studies, not publications: the registration, the preprint and the
journal article of one trial are one line of evidence. The grouping is plain functions over
works and links; `load_studies` is its one database edge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from etl.db.models import Identifier, Link, Work

# A paper naming a trial joins that trial's study, whichever end stored the link.
TRIAL_LINKS = frozenset({"reports_trial", "reported_by"})
# A preprint and its journal article are one publication thread.
PREPRINT_LINKS = frozenset({"published_as", "has_preprint"})
# How strongly a link's evidence ties a paper to a trial, strongest first: when a paper names
# several trials it joins the one its authors named in their own text (a pooled analysis names
# many; PubMed's data-bank list may carry a trial the paper only cites).
EVIDENCE_RANK = ("trial id in the title or abstract", "trial references")
CHUNK = 500


@dataclass(frozen=True)
class StudyWork:
    id: int
    kind: str  # "paper" or "trial" (a preprint is a paper)


@dataclass(frozen=True)
class StudyLink:
    """A link between two known works, as stored from `source` (its type read from that end)."""

    source: int
    target: int
    type: str
    evidence: str = ""


@dataclass(frozen=True)
class Study:
    """One clinical study: its trials (usually one) and its papers, each sorted by work id."""

    trials: tuple[int, ...]
    papers: tuple[int, ...]

    @property
    def work_ids(self) -> tuple[int, ...]:
        return self.trials + self.papers

    @property
    def key(self) -> int:
        """A stable handle: the trial's work id, else the lowest paper's."""
        return self.trials[0] if self.trials else self.papers[0]


def group_studies(works: Iterable[StudyWork], links: Iterable[StudyLink]) -> list[Study]:
    """Every work in exactly one study, studies ordered by key. A paper (with its preprints)
    joins the trial it is most plainly tied to; a trial no paper names is a study alone."""
    kinds = {work.id: work.kind for work in works}
    threads = _Threads(paper for paper, kind in kinds.items() if kind != "trial")
    ties: dict[int, list[tuple[int, int]]] = defaultdict(list)  # paper -> [(rank, trial)]
    for link in links:
        if link.source not in kinds or link.target not in kinds or link.source == link.target:
            continue
        kind = (kinds[link.source], kinds[link.target])
        if link.type in PREPRINT_LINKS and kind == ("paper", "paper"):
            threads.join(link.source, link.target)
        elif link.type in TRIAL_LINKS and "trial" in kind and "paper" in kind:
            paper, trial = (
                (link.source, link.target) if kind[0] == "paper" else (link.target, link.source)
            )
            ties[paper].append((_rank(link.evidence), trial))
    members: dict[int, list[int]] = defaultdict(list)  # trial (or a thread's root) -> papers
    for root, papers in threads.groups().items():
        found = [tie for paper in papers for tie in ties.get(paper, [])]
        members[min(found)[1] if found else -root].extend(papers)
    studies = [
        Study(trials=(trial,), papers=tuple(sorted(members.get(trial, []))))
        for trial, kind in kinds.items()
        if kind == "trial"
    ]
    studies += [Study(trials=(), papers=tuple(sorted(papers)))
                for owner, papers in members.items() if owner < 0]  # fmt: skip
    return sorted(studies, key=lambda study: study.key)


def _rank(evidence: str) -> int:
    return EVIDENCE_RANK.index(evidence) if evidence in EVIDENCE_RANK else len(EVIDENCE_RANK)


class _Threads:
    """Union-find over papers: a preprint and its article, and their other versions."""

    def __init__(self, papers: Iterable[int]) -> None:
        self.parent = {paper: paper for paper in papers}

    def find(self, paper: int) -> int:
        while self.parent[paper] != paper:
            self.parent[paper] = self.parent[self.parent[paper]]
            paper = self.parent[paper]
        return paper

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = defaultdict(list)
        for paper in self.parent:
            found[self.find(paper)].append(paper)
        return found


def load_studies(conn: Connection, work_ids: Sequence[int] | None = None) -> list[Study]:
    """The studies of the live works (not merged away, not deleted); with `work_ids`, only the
    studies holding any of them, whole (a paper brings its trial and the trial's other papers).
    Those are read by following links out from `work_ids` until nothing new turns up, so a map
    of a few hundred clinical studies reads a few hundred works, not the whole database."""
    if work_ids is None:
        w = Work.__table__.c
        live = select(w.id, w.kind).where(w.merged_into.is_(None), w.deleted_at.is_(None))
        works = [StudyWork(id, kind) for id, kind in conn.execute(live)]
        return group_studies(works, _links(conn, None))
    seen, frontier = set(work_ids), set(work_ids)
    links: set[StudyLink] = set()
    while frontier:
        ids = sorted(frontier)
        found = {link for start in range(0, len(ids), CHUNK)
                 for link in _links(conn, ids[start : start + CHUNK])}  # fmt: skip
        links |= found
        frontier = {end for link in found for end in (link.source, link.target)} - seen
        seen |= frontier
    studies = group_studies(_live(conn, sorted(seen)), links)
    wanted = set(work_ids)
    return [study for study in studies if wanted.intersection(study.work_ids)]


def _links(conn: Connection, ids: Sequence[int] | None) -> list[StudyLink]:
    """Study links between known works: all of them, or those from or to `ids`."""
    identifiers, link_table = Identifier.__table__, Link.__table__
    i, lk = identifiers.c, link_table.c
    query = (
        select(lk.work_id, lk.type, lk.evidence, i.work_id.label("target"))
        .select_from(link_table)
        .join(identifiers, (i.scheme == lk.target_scheme) & (i.value == lk.target_value))
        .where(lk.type.in_(TRIAL_LINKS | PREPRINT_LINKS))
    )
    if ids is None:
        rows = list(conn.execute(query))
    else:
        # Two indexed lookups (links by work, identifiers by work then links by target), not
        # one OR across the join, which PostgreSQL answers by scanning every link (~80 ms at
        # 100,000 works, twice per study page).
        rows = list(conn.execute(query.where(lk.work_id.in_(ids))))
        rows += conn.execute(query.where(i.work_id.in_(ids)))
    return list(dict.fromkeys(StudyLink(row.work_id, row.target, row.type, row.evidence or "")
                              for row in rows))  # fmt: skip


def _live(conn: Connection, ids: Sequence[int]) -> list[StudyWork]:
    w = Work.__table__.c
    found = []
    for start in range(0, len(ids), CHUNK):
        query = select(w.id, w.kind).where(
            w.id.in_(ids[start : start + CHUNK]), w.merged_into.is_(None), w.deleted_at.is_(None)
        )
        found += [StudyWork(id, kind) for id, kind in conn.execute(query)]
    return found

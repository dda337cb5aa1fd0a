"""One study told by several sources, stored through the real store on SQLite and PostgreSQL:
a trial that was registered, started, completed and posted results; its preprint; the journal
article that reports it (with a PMC copy), later retracted by a notice; a second paper of the
same trial; a Chinese paper; a work merged from two; and an off-topic paper with no page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from etl.classify.service import Classifier, classify_works
from etl.db.models import DigestIssue, DigestItem, Identifier
from etl.digest.service import Digest
from etl.records import SourceRecord
from etl.settings import Settings
from etl.works import store
from tests.conftest import make_settings

FIRST = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
LATER = datetime(2025, 9, 20, 8, 0, tzinfo=UTC)
NCT = "NCT09000001"
ABSTRACT = (
    "Umbilical cord mesenchymal stromal cells (UC-MSCs) were given to 40 patients with "
    "steroid-refractory acute graft-versus-host disease after allogeneic haematopoietic stem "
    "cell transplantation for acute myeloid leukaemia. The overall response rate was 70% at "
    "day 28. Trial registration: NCT09000001."
)


def trial(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": "ctgov", "source_id": NCT, "kind": "trial", "deleted": False,
        "identifiers": {"nct": NCT, "org_study_id": "SZ-UCMSC-01", "registry_ids": [NCT],
                        "secondary_ids": []},
        "title": "Umbilical Cord MSCs for Steroid-refractory Acute GVHD in Acute Myeloid Leukemia",
        "official_title": "A Phase II Trial of Umbilical Cord Mesenchymal Stromal Cells for "
                          "Steroid-refractory Acute GVHD After Transplantation for AML",
        "acronym": "UC-GVHD", "abstract": ABSTRACT, "status": "RECRUITING", "why_stopped": None,
        "phases": ["PHASE2"], "study_type": "INTERVENTIONAL",
        "conditions": ["Graft-versus-host Disease", "Acute Myeloid Leukemia"],
        "keywords": ["mesenchymal stromal cells"], "mesh_terms": [],
        "interventions": ["Biological: Umbilical cord mesenchymal stromal cells"], "arms": [],
        "sponsor": "The First Affiliated Hospital of Soochow University", "collaborators": [],
        "enrollment": 40, "enrollment_type": "ESTIMATED", "countries": ["China"],
        "start_date": "2023-04-10", "primary_completion_date": "2025-03-01",
        "completion_date": "2025-06-01", "first_posted": "2023-03-01",
        "last_update_posted": "2024-01-05", "has_results": False, "results_first_posted": None,
        "primary_results": [], "reference_pmids": [], "published": "2023-04-10",
        "revised": "2024-01-05", "retracted": False, "corrections": [],
    }  # fmt: skip
    return {**data, **changes}


def paper(pmid: str, title: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": "pubmed", "source_id": pmid, "kind": "paper", "deleted": False,
        "identifiers": {"pmid": pmid, "doi": f"10.5555/gvhd.{pmid}", "pmcid": None, "pii": None,
                        "registry_ids": [NCT]},
        "title": title, "vernacular_title": None, "abstract": ABSTRACT,
        "journal": "Bone marrow transplantation", "journal_abbrev": "Bone Marrow Transplant",
        "published": "2025-01", "epublished": "2024-11-03", "created": "2024-11-04",
        "revised": "2024-11-10", "status": "MEDLINE", "language": "eng", "languages": ["eng"],
        "publication_types": ["Journal Article", "Clinical Trial, Phase II"],
        "mesh_terms": ["Mesenchymal Stem Cell Transplantation", "Graft vs Host Disease"],
        "keywords": ["mesenchymal stromal cells"],
        "authors": ["Wei Zhang", "Li-Na Chen", "John A Smith Jr", "UC-GVHD Study Group"],
        "affiliations": ["Department of Hematology, The First Affiliated Hospital of Soochow "
                         "University, Suzhou, China."],
        "retracted": False, "corrections": [],
    }  # fmt: skip
    return {**data, **changes}


ARTICLE = paper(
    "39000001",
    "Umbilical cord mesenchymal stromal cells for steroid-refractory acute GVHD in acute "
    "myeloid leukaemia: a phase II trial (NCT09000001) & its 70% response.",
    identifiers={
        "pmid": "39000001",
        "doi": "10.5555/gvhd.39000001",
        "pmcid": "PMC11000001",
        "pii": None,
        "registry_ids": [NCT],
    },  # fmt: skip
)
PREPRINT: dict[str, Any] = {
    **paper("", "Umbilical cord MSCs for steroid-refractory acute GVHD: interim results"),
    "source": "europepmc", "source_id": "PPR:PPR900001",
    "identifiers": {"pmid": None, "doi": "10.1101/2024.05.01.900001", "pmcid": None,
                    "pii": None, "ppr": "PPR900001", "registry_ids": []},
    "journal": "medRxiv", "journal_abbrev": "", "published": "2024-05-02", "epublished": None,
    "created": "2024-05-03", "preprint": True, "preprint_server": "medRxiv",
    "published_version": {"pmid": "39000001", "note": "Preprint of"}, "preprints": [],
}  # fmt: skip
SECOND = paper(
    "39000002",
    "Long-term follow-up of umbilical cord mesenchymal stromal cells for acute GVHD in acute "
    "myeloid leukaemia",
    published="2025-08",
    epublished="2025-07-20",
    created="2025-07-21",
)
NOTICE = paper(
    "39000099",
    "Retraction notice to: Umbilical cord mesenchymal stromal cells for steroid-refractory "
    "acute GVHD in acute myeloid leukaemia",
    identifiers={"pmid": "39000099", "doi": None, "pmcid": None, "pii": None,
                 "registry_ids": []},
    publication_types=["Retraction of Publication"], published="2025-09", epublished=None,
    created="2025-09-10", corrections=[{"type": "RetractionOf", "pmid": "39000001", "ref": ""}],
)  # fmt: skip
CHINESE = paper(
    "39000004",
    "[Umbilical cord mesenchymal stem cells for poor graft function after transplantation in "
    "leukemia].",
    vernacular_title="脐带间充质干细胞治疗白血病移植后植入功能不良的临床研究",
    language="chi", languages=["chi"], journal="Zhonghua xue ye xue za zhi",
    journal_abbrev="Zhonghua Xue Ye Xue Za Zhi",
    identifiers={"pmid": "39000004", "doi": None, "pmcid": None, "pii": None,
                 "registry_ids": []},
)  # fmt: skip
# Two works that a third record shows to be one: a feed item known by its DOI only, and the
# PubMed record known by its PMID only, joined by Europe PMC's record naming both.
BY_DOI = {
    **paper("", "Bone marrow mesenchymal stromal cells in myelodysplastic syndrome: a cohort"),
    "source": "feed", "source_id": "https://journal.example.org/mds", "url":
    "https://journal.example.org/mds",
    "identifiers": {"pmid": None, "doi": "10.5555/mds.1", "pmcid": None, "pii": None,
                    "registry_ids": []},
}  # fmt: skip
BY_PMID = paper(
    "39000005",
    "Bone marrow mesenchymal stromal cells in myelodysplastic syndrome: a prospective cohort",
    identifiers={"pmid": "39000005", "doi": None, "pmcid": None, "pii": None,
                 "registry_ids": []},
)  # fmt: skip
JOINING = {
    **paper("39000005", BY_PMID["title"]),
    "source": "europepmc", "source_id": "MED:39000005",
    "identifiers": {"pmid": "39000005", "doi": "10.5555/mds.1", "pmcid": None, "pii": None,
                    "ppr": None, "registry_ids": []},
}  # fmt: skip
OFF_TOPIC = paper(
    "39000006",
    "Mechanosensitive channels (MSC) in bacterial osmotic shock",
    abstract="MscL and MscS channels open under membrane tension in Escherichia coli.",
    mesh_terms=["Escherichia coli", "Ion Channels"], keywords=[],
    identifiers={"pmid": "39000006", "doi": None, "pmcid": None, "pii": None,
                 "registry_ids": []},
)  # fmt: skip


@dataclass
class Thread:
    engine: Engine
    settings: Settings
    digest: Digest
    merged_away: int  # the id of the work the join folded into another

    def work_of(self, scheme: str, value: str) -> int:
        table = Identifier.__table__
        with self.engine.connect() as conn:
            found: int = conn.execute(
                select(table.c.work_id).where(table.c.scheme == scheme, table.c.value == value)
            ).scalar_one()
        return found


def put(engine: Engine, classifier: Classifier, datas: list[dict[str, Any]], now: datetime) -> None:
    with engine.begin() as conn:
        touched: set[int] = set()
        store.store_records(conn, [SourceRecord(dict(d)) for d in datas], now, touched)  # type: ignore[arg-type]
        classify_works(conn, touched, classifier, now)


def publish_issue(
    engine: Engine, number: int, slug: str, work_ids: list[int], kinds: list[str] | None = None
) -> None:
    """An issue sent to readers, carrying these works (as `digest build` and `send` leave it),
    each for its kind (by default the first for its retraction, the others as new)."""
    with engine.begin() as conn:
        issue_id = conn.execute(
            insert(DigestIssue.__table__).values(
                number=number,
                slug=slug,
                period_start=slug,
                period_end=(date.fromisoformat(slug) + timedelta(days=7)).isoformat(),
                state="sent",
                headline={},
                intro={},
                closing={},
                nothing_new=False,
                generated={
                    "zh": "脐带间充质干细胞治疗 GVHD：有何进展？",
                    "en": "UC-MSCs for GVHD: what is new?",
                },
                counts={"items": len(work_ids)},
                built_at=LATER,
                sent_at=LATER,
            )  # fmt: skip
        ).inserted_primary_key[0]
        for position, work_id in enumerate(work_ids):
            conn.execute(
                insert(DigestItem.__table__).values(
                    issue_id=issue_id,
                    work_id=work_id,
                    section="hematologic",
                    group_key="hsct",
                    kind=kinds[position] if kinds else "retraction" if position == 0 else "new",
                    position=position,
                    rank=1.0,
                    featured=False,
                    highlight="",
                    event_ids=[],
                    occurred_on=None,
                )  # fmt: skip
            )


def build_thread(engine: Engine, settings: Settings) -> Thread:
    classifier = Classifier.from_settings(settings)
    put(engine, classifier, [trial(), PREPRINT, ARTICLE, CHINESE, BY_DOI, BY_PMID, OFF_TOPIC],
        FIRST)  # fmt: skip
    doi_work = Thread(engine, settings, None, 0).work_of("doi", "10.5555/mds.1")  # type: ignore[arg-type]
    pmid_work = Thread(engine, settings, None, 0).work_of("pmid", "39000005")  # type: ignore[arg-type]
    completed = trial(
        status="COMPLETED", enrollment=40, enrollment_type="ACTUAL", has_results=True,
        results_first_posted="2025-06-01", last_update_posted="2025-06-01", revised="2025-06-01",
    )  # fmt: skip
    retracted = {
        **ARTICLE, "retracted": True, "revised": "2025-09-10",
        "corrections": [{"type": "RetractionIn", "pmid": "39000099", "ref": ""}],
    }  # fmt: skip
    put(engine, classifier, [completed, retracted, SECOND, NOTICE, JOINING], LATER)
    thread = Thread(engine, settings, Digest.open(settings, engine), 0)
    kept = thread.work_of("pmid", "39000005")
    thread.merged_away = doi_work if kept == pmid_work else pmid_work
    publish_issue(engine, 1, "2025-09-22", [thread.work_of("pmid", "39000001"),
                                            thread.work_of("nct", NCT)])  # fmt: skip
    return thread


@pytest.fixture
def thread(engine: Engine, tmp_path: Path) -> Iterator[Thread]:
    settings = make_settings(
        str(engine.url.render_as_string(hide_password=False)),
        **{"paths.var": str(tmp_path / "var"), "SECRET_KEY": "k" * 40},
    )
    yield build_thread(engine, settings)


@pytest.fixture
def sqlite_thread(sqlite_engine: Engine, tmp_path: Path) -> Thread:
    """The same study on SQLite only: for browser tests, whose subject is the page."""
    settings = make_settings(
        str(sqlite_engine.url), **{"paths.var": str(tmp_path / "var"), "SECRET_KEY": "k" * 40}
    )
    return build_thread(sqlite_engine, settings)


class _Head(HTMLParser):
    """The redirect page's parts a browser and a search engine act on."""

    def __init__(self) -> None:
        super().__init__()
        self.refresh = self.canonical = self.robots = self.lang = ""
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.lang = found.get("lang", "")
        elif tag == "meta" and found.get("http-equiv", "").lower() == "refresh":
            self.refresh = found.get("content", "")
        elif tag == "meta" and found.get("name") == "robots":
            self.robots = found.get("content", "")
        elif tag == "link" and found.get("rel") == "canonical":
            self.canonical = found.get("href", "")
        elif tag == "a":
            self.links.append(found.get("href", ""))


def moved_to(page: Path) -> str | None:
    """Where a written page sends its reader at once, or None for a page of its own."""
    head = _Head()
    head.feed(page.read_text())
    if not head.refresh:
        return None
    delay, _, target = head.refresh.partition(";")
    assert delay.strip() == "0"
    url = target.strip().removeprefix("url=")
    assert head.canonical == url and url in head.links and head.robots == "noindex"
    return url

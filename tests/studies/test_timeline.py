"""The timeline as a plain function of what the store read: which steps, in which order, with
which links, from records of several sources."""

from __future__ import annotations

from typing import Any

from etl.studies.store import Related, StudyContent
from etl.studies.timeline import timeline
from tests.studies.conftest import ARTICLE, PREPRINT, trial


def content(records: list[tuple[str, dict[str, Any]]], **extra: Any) -> StudyContent:
    values: dict[str, Any] = {
        "work": {"id": 1, "kind": "paper", "title": "", "retracted": False},
        "slug": "pmid-39000001",
        "data": records[0][1] if records else {},
        "labels": {},
        "identifiers": [],
        "records": [
            {"source": s, "source_id": d.get("source_id"), "data": d, "deleted_at": None}
            for s, d in records
        ],
        "events": [],
        "related": [],
        "issues": [],
    }
    values.update(extra)
    return StudyContent(**values)


def test_a_chictr_trial_from_ictrp_is_registered_on_its_registration_date() -> None:
    ictrp = {
        **trial(), "source": "ictrp", "source_id": "ChiCTR2300071234",
        "identifiers": {"registry_ids": ["ChiCTR2300071234"]}, "first_posted": "2023-05-08",
        "url": "https://www.chictr.org.cn/showproj.html?proj=1", "start_date": None,
    }  # fmt: skip
    (step,) = timeline(content([("ictrp", ictrp)]))
    assert (step.kind, step.date, step.url) == (
        "registered", "2023-05-08", "https://www.chictr.org.cn/showproj.html?proj=1",
    )  # fmt: skip


def test_two_sources_telling_the_same_publication_make_one_step_and_undated_ones_none() -> None:
    europepmc = {**ARTICLE, "source": "europepmc", "source_id": "MED:39000001"}
    undated = {**ARTICLE, "source": "feed", "epublished": None, "published": None, "url": "x"}
    steps = timeline(content([("pubmed", ARTICLE), ("europepmc", europepmc), ("feed", undated)]))
    assert [(s.kind, s.source, s.url) for s in steps] == [
        ("published", "pubmed", "https://pubmed.ncbi.nlm.nih.gov/39000001/"),
    ]


def test_events_become_steps_and_a_retraction_links_to_its_notice() -> None:
    events = [
        {"type": "new", "source": "pubmed", "occurred_on": "2024-11-04", "data": {}},
        {"type": "retracted", "source": "pubmed", "occurred_on": "2025-09-10",
         "data": {"notices": ["39000099"]}},
        {"type": "corrected", "source": "pubmed", "occurred_on": "2025-02-01",
         "data": {"type": "ErratumIn", "pmid": "39000050"}},
        {"type": "status_changed", "source": "pubmed", "occurred_on": None, "data": {}},
    ]  # fmt: skip
    preprint = Related("has_preprint", "ppr", "PPR900001", 7, "doi-x", "paper", PREPRINT, True)
    steps = timeline(content([("pubmed", ARTICLE)], events=events, related=[preprint]))
    assert [(s.kind, s.date) for s in steps] == [
        ("preprint", "2024-05-02"),
        ("published", "2024-11-03"),
        ("correction", "2025-02-01"),
        ("retraction", "2025-09-10"),
    ]
    assert steps[0].about is preprint
    assert steps[2].url == "https://pubmed.ncbi.nlm.nih.gov/39000050/"
    assert steps[3].url == "https://pubmed.ncbi.nlm.nih.gov/39000099/"


def test_partial_dates_sort_before_the_days_of_their_month() -> None:
    early = {**ARTICLE, "epublished": None, "published": "2024-11"}
    later = {**trial(), "first_posted": "2024-11-02", "start_date": None}
    steps = timeline(
        content(
            [("pubmed", early)],
            related=[
                Related(
                    "reports_trial", "nct", "NCT09000001", 2, "nct09000001", "trial", later, True
                )
            ],
        )  # fmt: skip
    )
    assert [s.date for s in steps] == ["2024-11", "2024-11-02"]

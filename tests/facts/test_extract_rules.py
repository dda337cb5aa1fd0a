"""The facts extractor's plain-wording rules (institution, country, patients, the product named
in the title, outcome sentences), on the demo records and one case per rule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from etl.facts.extract import extract
from etl.facts.model import Facts
from tests.digest.test_leads import every_record, from_abstract, paper


def facts(record: dict[str, Any]) -> dict[str, Any]:
    found = extract(record)
    return {
        "institution": found.institution,
        "country": found.country,
        "patients": found.patients,
        "intervention": found.intervention,
        "outcomes": list(found.sentences),
    }


def test_facts_are_json_and_come_back_equal() -> None:
    for record in every_record():
        found = extract(record)
        assert Facts.from_dict(json.loads(json.dumps(found.to_dict()))) == found


def test_facts_have_their_shape_for_every_record() -> None:
    for record in every_record():
        found = facts(record)
        assert set(found) == {"institution", "country", "patients", "intervention", "outcomes"}
        assert found["patients"] is None or isinstance(found["patients"], int)
        assert len(found["outcomes"]) <= 3
        assert all(from_abstract(s, record["abstract"]) for s in found["outcomes"])
        if record["kind"] == "trial":
            assert found["patients"] == record["enrollment"]
            assert found["intervention"] and ":" not in found["intervention"][:12]


def test_facts_of_named_demo_records() -> None:
    by_id = {record["source_id"]: facts(record) for record in every_record()}
    assert (
        by_id["41000012"]["institution"] == "The Sixth Affiliated Hospital, Sun Yat-sen University"
    )
    assert (
        by_id["41000012"]["intervention"] == "Umbilical cord mesenchymal stem cell-derived exosomes"
    )
    assert by_id["41000052"]["patients"] == 312
    assert any("21.4%" in s for s in by_id["41000052"]["outcomes"])
    assert by_id["41000516"]["patients"] == 90  # "Ninety patients were randomised"
    assert by_id["41000031"]["country"] == "United Kingdom"
    assert by_id["41000104"]["country"] == "United States"  # "Houston, Texas, USA"
    assert by_id["41000226"]["intervention"] is None  # MSC there is a multiple sclerosis centre
    assert by_id["NCT07032218"]["country"] == "South Korea"  # "Korea, Republic of"
    assert by_id["NCT06126650"]["intervention"] == "AD-MSC-TK"  # "Genetic: AD-MSC-TK"


# One rule at a time.


@pytest.mark.parametrize(
    "affiliation, country",
    [
        ("Dept of Surgery, Fudan University, Shanghai 200032, P.R. China.", "China"),
        ("Zhongshan Hospital, Shanghai, PR China", "China"),
        ("Peking University, Beijing, People's Republic of China", "China"),
        ("Mayo Clinic, Rochester, MN 55902, USA. someone@example.org", "United States"),
        ("Harvard Medical School, Boston, United States of America", "United States"),
        ("University of Colorado, Aurora, Colorado.", "United States"),
        ("Brookside Hospital, San Pablo, CA 94806", "United States"),
        ("UCSD, San Diego, California U.S.", "United States"),
        ("Monsall Hospital, Manchester, UK.", "United Kingdom"),
        ("Asan Medical Center, Seoul, Korea", "South Korea"),
        ("Seoul St. Mary's Hospital, Seoul 06591, Republic of Korea.", "South Korea"),
        ("AMC, 1780 CA, Den Helder, The Netherlands", "Netherlands"),
        ("Okayama University, Okayama, 700-8558, Japan, someone@example.org.", "Japan"),
        ("Royal Free London NHS Foundation Trust, London NW3 2QH.", None),
        ("Israel Naval Medical Institute, Haifa.", None),
    ],
)
def test_country_of_the_first_affiliation(affiliation: str, country: str | None) -> None:
    assert facts(paper(affiliations=[affiliation, "Elsewhere, France"]))["country"] == country


def test_country_is_unknown_without_affiliations() -> None:
    assert facts(paper())["country"] is None and facts(paper())["institution"] is None
    trial = {"kind": "trial", "countries": ["Iran, Islamic Republic of", "France"]}
    assert facts(trial)["country"] == "Iran"
    assert facts({"kind": "trial", "countries": ["Denmark"]})["country"] == "Denmark"


@pytest.mark.parametrize(
    "affiliation, institution",
    [
        (
            "Department of Colorectal Surgery, The Sixth Affiliated Hospital, Sun Yat-sen "
            "University, Guangzhou 510655, China.",
            "The Sixth Affiliated Hospital, Sun Yat-sen University",
        ),
        (
            "Department of Hematology, Seoul St. Mary's Hospital, College of Medicine, The "
            "Catholic University of Korea, Seoul, Republic of Korea.",
            "Seoul St. Mary's Hospital, The Catholic University of Korea",
        ),
        (
            "Dept of Orthopaedics, Peking University Third Hospital",
            "Peking University Third Hospital",
        ),
        (
            "Department of Biomedical Engineering, School of Medicine, Sun Yat-sen University",
            "School of Medicine, Sun Yat-sen University",
        ),
        (
            "Division of Neurology, Department of Medicine, University of Toronto",
            "University of Toronto",
        ),
        (
            "Department of Immunology, MD Anderson Cancer Center, Houston",
            "MD Anderson Cancer Center",
        ),
        (
            "Israel Naval Medical Institute, IDF Medical Corps, Haifa.",
            "Israel Naval Medical Institute",
        ),
        ("Department of Hyperbaric Medicine, Puerto Rico Medical Services Administration.", None),
    ],
)
def test_institution_of_the_first_affiliation(affiliation: str, institution: str | None) -> None:
    assert facts(paper(affiliations=[affiliation]))["institution"] == institution


@pytest.mark.parametrize(
    "abstract, patients",
    [
        ("We enrolled 30 patients with AML.", 30),
        ("A total of 120 participants were followed.", 120),
        ("Outcomes of the cohort (n = 45) were poor.", 45),
        ("METHODS: Children (n = 11) were treated.\n\nRESULTS: Twenty patients received MSCs.", 20),
        ("Ninety patients were randomised (60 MSC, 30 placebo).", 90),
        ("Twenty-four patients (cervical cancer 15) were treated.", 24),
        ("The authors reviewed 1,046 women after mastectomy.", 1046),
        ("Of 180 randomised patients, 168 completed follow-up.", 180),
        ("Fever occurred in 6.4% of patients.", None),
        ("We report a 34-year-old man with lymphoma.", None),
        ("", None),
    ],
)
def test_patients_stated_in_the_abstract(abstract: str, patients: int | None) -> None:
    assert facts(paper(abstract))["patients"] == patients


def test_trial_facts_come_from_the_registry_fields() -> None:
    trial = {
        "kind": "trial",
        "sponsor": "Nanfang Hospital",
        "countries": ["United States"],
        "enrollment": 24,
        "interventions": ["Biological: Umbilical cord MSCs", "Other: Placebo"],
    }
    found = facts(trial)
    assert found["institution"] == "Nanfang Hospital" and found["country"] == "United States"
    assert found["patients"] == 24 and found["intervention"] == "Umbilical cord MSCs"
    assert facts({"kind": "trial"})["intervention"] is None


@pytest.mark.parametrize(
    "title, intervention",
    [
        (
            "TRAIL-expressing cord mesenchymal stem cells kill GBM.",
            "TRAIL-expressing cord mesenchymal stem cells",
        ),
        ("Co-transplantation of umbilical cord MSCs in haplo-HSCT.", "umbilical cord MSCs"),
        (
            "Exosomes from marrow mesenchymal stromal cells confer resistance.",
            "Exosomes from marrow mesenchymal stromal cells",
        ),
        (
            "Placenta-derived mesenchymal stem cell extracellular vesicles deliver miR-124.",
            "Placenta-derived mesenchymal stem cell extracellular vesicles",
        ),
        ("Intrapleural hUC-MSCs for malignant effusion.", "Intrapleural hUC-MSCs"),
        ("Screening at a multiple sclerosis center (MSC): a cohort study.", None),
        ("LGR5+ cancer stem cells drive epithelial–mesenchymal transition.", None),
    ],
)
def test_intervention_is_the_msc_product_named_in_the_title(
    title: str, intervention: str | None
) -> None:
    assert facts(paper(title=title))["intervention"] == intervention


def test_outcomes_prefer_figures_and_outcome_words() -> None:
    abstract = (
        "METHODS: 20 patients (n = 20).\n\nRESULTS: Cells were infused. Remission was 40% "
        "(P = 0.02). Survival was 12 months. Platelets recovered. GVHD occurred in 2 of 20."
        "\n\nCONCLUSIONS: MSCs reduced relapse."
    )
    assert facts(paper(abstract))["outcomes"] == [
        "Remission was 40% (P = 0.02).",
        "Survival was 12 months.",
        "GVHD occurred in 2 of 20.",
    ]

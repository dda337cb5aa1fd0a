"""The CT.gov API v2 parser against every real sample: fields, ids, paging, bad input."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest

from etl.records import Quarantined, SourceRecord
from etl.sources.ctgov.parse import page_token, parse_studies, total_count
from tests.conftest import SAMPLES

CTGOV = SAMPLES / "ctgov-v2"
ALL_FILES = sorted(CTGOV.glob("*.json"))
TRIAL_KEYS = {
    "source",
    "source_id",
    "kind",
    "deleted",
    "identifiers",
    "title",
    "official_title",
    "acronym",
    "abstract",
    "status",
    "why_stopped",
    "phases",
    "study_type",
    "conditions",
    "keywords",
    "interventions",
    "arms",
    "sponsor",
    "collaborators",
    "enrollment",
    "enrollment_type",
    "countries",
    "start_date",
    "primary_completion_date",
    "completion_date",
    "first_posted",
    "last_update_posted",
    "has_results",
    "results_first_posted",
    "primary_results",
    "reference_pmids",
    "mesh_terms",
    "published",
    "revised",
    "retracted",
    "corrections",
}
IDENTIFIER_KEYS = {"nct", "org_study_id", "registry_ids", "secondary_ids"}
DATE_KEYS = (
    "start_date",
    "primary_completion_date",
    "completion_date",
    "first_posted",
    "last_update_posted",
    "results_first_posted",
    "published",
    "revised",
)
ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")

# NCT ids per file, in page order: every sample, every study.
EXPECTED_IDS = {
    "aact-NCT00763412.json": ["NCT00763412"],
    "aact-NCT02210780.json": ["NCT02210780"],
    "aact-NCT06171568.json": ["NCT06171568"],
    "biomcp-get_nct02576665_fields.json": ["NCT02576665"],
    "biomcp-search_melanoma_recruiting_limit3.json": ["NCT06970236", "NCT04114136", "NCT04318717"],
    "biomcp-search_nsclc_egfr_l858r_lastpage.json": ["NCT06382129", "NCT06604689"],
    "biomcp-search_phelan_limit5_page1.json": [
        "NCT02710084",
        "NCT05105685",
        "NCT01525901",
        "NCT03493607",
        "NCT07119606",
    ],
    "biomcp-search_phelan_next_page2.json": [
        "NCT05187377",
        "NCT03836300",
        "NCT07014020",
        "NCT05025241",
        "NCT07281079",
    ],
}

# (nextPageToken, totalCount) per file: the page-2 file has a token but no count (countTotal is
# reported on the first page only), the last page has a count but no token.
EXPECTED_PAGING = {
    "aact-NCT00763412.json": (None, None),
    "aact-NCT02210780.json": (None, None),
    "aact-NCT06171568.json": (None, None),
    "biomcp-get_nct02576665_fields.json": (None, None),
    "biomcp-search_melanoma_recruiting_limit3.json": (
        "ZVt07cGHkvI2wRk2CJf6_LLq14bEL8swd7KrgP4ZmTmRvvE",
        480,
    ),
    "biomcp-search_nsclc_egfr_l858r_lastpage.json": (None, 2),
    "biomcp-search_phelan_limit5_page1.json": (
        "ZVt07cGHkvI2wRk2CJf6_LLq14bEL8swd7KrgP4dnDeTsPkw",
        21,
    ),
    "biomcp-search_phelan_next_page2.json": (
        "ZVt07cGHkvI2wRk2CJf6_LLq14bEL8swd7KrgP4bmjeauvk_IQ",
        None,
    ),
}


def records(path: Path) -> list[SourceRecord]:
    items = list(parse_studies(path))
    assert not [i for i in items if isinstance(i, Quarantined)], path.name
    return items  # type: ignore[return-value]


def one(name: str, nct: str | None = None) -> dict[str, Any]:
    found = [r.data for r in records(CTGOV / name)]
    return next(d for d in found if nct is None or d["source_id"] == nct)


def studies_in(path: Path) -> list[Any]:
    document = json.loads(path.read_bytes())
    return document.get("studies", [document])


def page(*studies: Any, **extra: Any) -> bytes:
    return json.dumps({"studies": list(studies), **extra}).encode()


def study(nct: str | None = "NCT01234567", **modules: Any) -> dict[str, Any]:
    ident = {"nctId": nct, "briefTitle": "A study"} if nct is not None else {"briefTitle": "x"}
    ident.update(modules.pop("ident", {}))
    return {"protocolSection": {"identificationModule": ident, **modules}}


def test_the_sample_folder_is_the_one_these_tests_know() -> None:
    assert [p.name for p in ALL_FILES] == sorted(EXPECTED_IDS)


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_sample_yields_one_complete_record_per_study(path: Path) -> None:
    items = records(path)
    assert [r.source_id for r in items] == EXPECTED_IDS[path.name]
    for item, original in zip(items, studies_in(path), strict=True):
        data = item.data
        assert set(data) == TRIAL_KEYS, set(data) ^ TRIAL_KEYS
        assert set(data["identifiers"]) == IDENTIFIER_KEYS
        assert (data["source"], data["kind"], data["deleted"]) == ("ctgov", "trial", False)
        assert data["identifiers"]["nct"] == data["source_id"]
        assert data["identifiers"]["registry_ids"][0] == data["source_id"]
        assert data["title"] and data["status"] and data["sponsor"]
        assert isinstance(data["phases"], list) and isinstance(data["has_results"], bool)
        assert data["enrollment"] is None or isinstance(data["enrollment"], int)
        assert all(data[k] is None or ISO.match(data[k]) for k in DATE_KEYS)
        assert data["published"] == data["start_date"]
        assert data["revised"] == data["last_update_posted"]
        assert (data["retracted"], data["corrections"]) == (False, [])
        assert item.location == path.name
        # raw = the study re-serialised compactly, nothing lost
        assert item.raw == json.dumps(original, separators=(",", ":"), ensure_ascii=False).encode()
        assert json.loads(item.raw) == original


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_page_token_and_total_count_of_every_sample(path: Path) -> None:
    body = path.read_bytes()
    assert (page_token(body), total_count(body)) == EXPECTED_PAGING[path.name]


def test_pages_of_one_walk_carry_different_tokens() -> None:
    first = (CTGOV / "biomcp-search_phelan_limit5_page1.json").read_bytes()
    second = (CTGOV / "biomcp-search_phelan_next_page2.json").read_bytes()
    assert page_token(first) != page_token(second)
    ids = {r.source_id for body in (first, second) for r in parse_studies(body)}
    assert len(ids) == 10  # no study repeated across the two pages


def test_an_empty_page_with_a_token_is_not_the_last_page() -> None:
    body = page(nextPageToken="abc123")
    assert list(parse_studies(body)) == []
    assert page_token(body) == "abc123"
    assert page_token(page(nextPageToken="")) is None
    assert page_token(page(study())) is None
    assert total_count(page(totalCount=True)) is None  # a boolean is not a count


def test_paging_helpers_refuse_a_body_that_is_not_a_page() -> None:
    # "None" would read as "last page" and end a crawl early
    with pytest.raises(ValueError):
        page_token(b"<html>Service unavailable</html>")
    with pytest.raises(ValueError):
        total_count(b"[1, 2]")


def test_completed_study_with_results_grant_id_and_collaborators() -> None:
    data = one("aact-NCT00763412.json")
    assert data["identifiers"] == {
        "nct": "NCT00763412",
        "org_study_id": "05-1109",
        "registry_ids": ["NCT00763412"],
        "secondary_ids": ["P60DK020579"],  # an NIH grant: not a registry id
    }
    assert data["status"] == "COMPLETED" and data["phases"] == ["NA"]
    assert data["sponsor"] == "Arbelaez, Ana Maria"
    assert data["collaborators"] == [
        "Washington University School of Medicine",
        "National Institutes of Health (NIH)",
        "Novo Nordisk A/S",
        "National Institute of Diabetes and Digestive and Kidney Diseases (NIDDK)",
    ]
    assert (data["enrollment"], data["enrollment_type"]) == (31, "ACTUAL")
    assert data["has_results"] is True and data["results_first_posted"] == "2017-06-05"
    assert data["start_date"] == "2006-11" and data["published"] == "2006-11"
    assert data["first_posted"] == "2008-10-01" and data["revised"] == "2017-06-05"
    assert data["interventions"] == ["Drug: placebo", "Drug: repaglinide"]
    assert data["arms"][0] == {
        "label": "1 Placebo",
        "type": "PLACEBO_COMPARATOR",
        "description": "1 pill before each meal 3-4 times a day for 2 years. All subjects had "
        "abnormal glucose tolerance. Subjects were randomized to placebo or drug.",
        "interventions": ["Drug: placebo"],
    }
    # condition MeSH first, then intervention MeSH
    assert data["mesh_terms"][0] == "Cystic Fibrosis" and data["mesh_terms"][-1] == "Repaglinide"
    assert data["countries"] == ["United States"]


def test_countries_are_unique_across_many_sites() -> None:
    data = one("aact-NCT02210780.json")
    assert data["countries"] == ["United States"]  # 42 sites, one country
    assert data["sponsor"] == "Regeneron Pharmaceuticals" and data["collaborators"] == ["Sanofi"]
    assert data["phases"] == ["PHASE2"] and data["enrollment"] == 194
    assert data["has_results"] is True and data["mesh_terms"] == [
        "Dermatitis, Atopic",
        "Dermatitis",
        "Eczema",
    ]


def test_observational_study_with_references_and_accented_text() -> None:
    data = one("aact-NCT06171568.json")
    assert data["title"] == "Lariboisière Cognitive Assessment: Evaluation of the 1-year Outcomes"
    assert data["acronym"] == "ECOG"
    assert data["status"] == "NOT_YET_RECRUITING"
    assert (data["study_type"], data["phases"]) == ("OBSERVATIONAL", [])
    assert (data["enrollment"], data["enrollment_type"]) == (400, "ESTIMATED")
    assert data["reference_pmids"] == [
        "26269030",
        "29016402",
        "16983222",
        "27323708",
        "22460612",
        "30031892",
        "31073378",
        "24102622",
    ]
    # a French IDRCB number (type OTHER) is no registry id even though it looks like EudraCT's
    assert data["identifiers"]["secondary_ids"] == ["2023-A00386-39"]
    assert data["identifiers"]["registry_ids"] == ["NCT06171568"]
    assert data["countries"] == ["France"] and data["has_results"] is False
    assert data["sponsor"] == "Assistance Publique - Hôpitaux de Paris"
    raw = next(iter(parse_studies(CTGOV / "aact-NCT06171568.json"))).raw
    assert "Lariboisière".encode() in raw  # raw bytes are UTF-8, not \u escapes


def test_partial_module_record_without_has_results() -> None:
    data = one("biomcp-get_nct02576665_fields.json")
    assert "hasResults" not in studies_in(CTGOV / "biomcp-get_nct02576665_fields.json")[0]
    assert data["has_results"] is False and data["results_first_posted"] is None
    assert data["status"] == "TERMINATED" and data["phases"] == ["PHASE1"]
    assert data["sponsor"] == "Tocagen Inc." and data["collaborators"] == []
    assert (data["enrollment"], data["enrollment_type"]) == (21, None)
    assert data["interventions"] == ["Toca 511", "Toca FC"]  # no type requested, none shown
    assert data["mesh_terms"] == [] and data["reference_pmids"] == []
    assert data["countries"] == ["United States"]
    assert data["start_date"] == "2016-07" and data["completion_date"] == "2019-12-20"
    assert data["first_posted"] is None and data["revised"] is None
    assert data["official_title"] is None and data["identifiers"]["org_study_id"] is None
    # markdown escapes undone, paragraphs squashed into one line
    assert "(including recurrent high grade glioma [rHGG])" in data["abstract"]
    assert "\\" not in data["abstract"] and "\n" not in data["abstract"]


def test_search_pages_statuses_phases_and_sponsors() -> None:
    melanoma = records(CTGOV / "biomcp-search_melanoma_recruiting_limit3.json")
    assert {r.data["status"] for r in melanoma} == {"RECRUITING"}
    assert [r.data["phases"] for r in melanoma] == [["NA"], ["PHASE2"], ["PHASE2"]]
    assert melanoma[0].data["sponsor"] == "University of Valencia"
    last_page = records(CTGOV / "biomcp-search_nsclc_egfr_l858r_lastpage.json")
    nsclc = {r.source_id: r.data for r in last_page}
    assert nsclc["NCT06382129"]["status"] == "ACTIVE_NOT_RECRUITING"
    assert nsclc["NCT06382129"]["phases"] == ["PHASE3"]
    assert nsclc["NCT06382129"]["sponsor"] == "Sichuan Baili Pharmaceutical Co., Ltd."
    assert nsclc["NCT06604689"]["study_type"] == "OBSERVATIONAL"
    assert nsclc["NCT06604689"]["phases"] == []
    growth = one("biomcp-search_phelan_limit5_page1.json", "NCT05105685")
    assert growth["phases"] == ["PHASE1", "PHASE2"]
    assert growth["sponsor"] == "Affiliated Hospital of Jiangnan University"
    pixi = one("biomcp-search_phelan_next_page2.json", "NCT03836300")
    assert pixi["status"] == "ENROLLING_BY_INVITATION" and pixi["enrollment"] == 120


def test_registry_ids_from_secondary_ids_and_aliases() -> None:
    infos = [
        {"id": "2014-001234-56", "type": "EUDRACT_NUMBER"},
        {"id": "2023-501234-12-00", "type": "CTIS"},
        {"id": "ChiCTR2000029308", "type": "REGISTRY", "domain": "Chinese Clinical Trial Registry"},
        {"id": "ISRCTN 12345678", "type": "REGISTRY", "domain": "ISRCTN"},
        {"id": "jRCTs041190009", "type": "REGISTRY", "domain": "jRCT"},
        {"id": "UMIN000012345", "type": "OTHER"},
        {"id": "DRKS00012345", "type": "REGISTRY"},
        {"id": "CTRI/2020/05/025123", "type": "REGISTRY"},
        {"id": "KCT0001234", "type": "REGISTRY"},
        {"id": "ACTRN12620000123456", "type": "REGISTRY"},
        {"id": "EudraCT 2015-000123-45", "type": "OTHER"},
        {"id": "R01CA123456", "type": "NIH"},
        {"id": "2016-000999-11", "type": "NIH"},  # EudraCT-shaped, but a grant type says otherwise
        {"id": "MSC-ONC-01", "type": "OTHER", "domain": "Sponsor"},
        {"id": "NCT01234567"},  # the study itself, repeated
    ]
    ident = {
        "nctIdAliases": ["NCT00000102"],
        "orgStudyIdInfo": {"id": "MSC-2020"},
        "secondaryIdInfos": infos,
    }
    (item,) = parse_studies(json.dumps(study(ident=ident)).encode())
    assert item.data["identifiers"] == {
        "nct": "NCT01234567",
        "org_study_id": "MSC-2020",
        "registry_ids": [
            "NCT01234567",
            "NCT00000102",
            "2014-001234-56",
            "2023-501234-12-00",
            "ChiCTR2000029308",
            "ISRCTN12345678",
            "JPRN-jRCTs041190009",
            "JPRN-UMIN000012345",
            "DRKS00012345",
            "CTRI/2020/05/025123",
            "KCT0001234",
            "ACTRN12620000123456",
            "2015-000123-45",
        ],
        "secondary_ids": ["R01CA123456", "2016-000999-11", "MSC-ONC-01"],
    }


def test_intervention_types_are_written_as_the_api_writes_arm_groups() -> None:
    arms = {
        "interventions": [
            {"type": "BIOLOGICAL", "name": "UC-MSC infusion"},
            {"type": "DIETARY_SUPPLEMENT", "name": "Vitamin D"},
            {"type": "COMBINATION_PRODUCT", "name": "MSC + scaffold"},
            {"name": "Untyped"},
            {"type": "DRUG"},  # no name: nothing to show
        ],
        "armGroups": [{"label": "MSC", "interventionNames": ["Biological: UC-MSC infusion"]}],
    }
    (item,) = parse_studies(json.dumps(study(armsInterventionsModule=arms)).encode())
    assert item.data["interventions"] == [
        "Biological: UC-MSC infusion",
        "Dietary Supplement: Vitamin D",
        "Combination Product: MSC + scaffold",
        "Untyped",
    ]
    assert item.data["arms"] == [
        {
            "label": "MSC",
            "type": None,
            "description": None,
            "interventions": ["Biological: UC-MSC infusion"],
        }
    ]


def test_wrongly_typed_fields_are_skipped_not_fatal() -> None:
    odd = study(
        statusModule={"overallStatus": 3, "startDateStruct": {"date": "March 2020"}},
        designModule={"phases": "PHASE2", "enrollmentInfo": {"count": "40"}},
        conditionsModule={"conditions": ["Glioma", None, "", "Glioma"]},
        referencesModule={"references": [{"pmid": "PMID: 0012345"}, {"pmid": "x"}, "junk"]},
    )
    (item,) = parse_studies(json.dumps(odd).encode())
    data = item.data
    assert (data["status"], data["phases"], data["enrollment"]) == (None, [], None)
    assert data["start_date"] is None and data["conditions"] == ["Glioma"]
    assert data["reference_pmids"] == ["12345"]


def test_body_that_is_not_json_is_one_quarantined_entry() -> None:
    body = b"<html><body>502 Bad Gateway</body></html>"
    (item,) = parse_studies(body, location="studies-page-7.json")
    assert isinstance(item, Quarantined)
    assert item.source == "ctgov" and item.location == "studies-page-7.json"
    assert item.reason.startswith("not JSON:") and item.raw == body
    assert item.describe().startswith("studies-page-7.json: not JSON:")


def test_study_without_nct_id_is_quarantined_by_its_position() -> None:
    body = page(study("NCT00000001"), study(None), study("NCT00000003"))
    items = list(parse_studies(body, location="p1.json"))
    assert [type(i).__name__ for i in items] == ["SourceRecord", "Quarantined", "SourceRecord"]
    bad = items[1]
    assert isinstance(bad, Quarantined)
    assert bad.reason == (
        "study 2 of 3 (studies[1]): no NCT id (protocolSection.identificationModule.nctId)"
    )
    assert json.loads(bad.raw) == study(None)


def test_malformed_nct_and_non_object_studies_are_quarantined() -> None:
    items = list(parse_studies(page(study("NCT123"), "NCT00000002", None, study())))
    assert isinstance(items[0], Quarantined) and items[0].record_key == "NCT123"
    assert items[0].reason == "study 1 of 4 (studies[0]): malformed NCT id: 'NCT123'"
    assert isinstance(items[1], Quarantined)
    assert items[1].reason == "study 2 of 4 (studies[1]) is not a JSON object (got string)"
    assert isinstance(items[2], Quarantined) and "(got null)" in items[2].reason
    assert isinstance(items[3], SourceRecord) and items[3].source_id == "NCT01234567"


def test_json_that_is_neither_a_page_nor_a_study() -> None:
    (item,) = parse_studies(b'{"message": "Bad Request"}')
    assert isinstance(item, Quarantined) and "neither a /studies page nor a study" in item.reason
    (item,) = parse_studies(b'{"studies": {"nctId": "NCT01234567"}}')
    assert isinstance(item, Quarantined) and item.reason == (
        '"studies" is not a JSON array (got object)'
    )


def test_single_study_bytes_and_lower_case_nct() -> None:
    (item,) = parse_studies(json.dumps(study("nct01234567")).encode())
    assert isinstance(item, SourceRecord)
    assert item.source_id == "NCT01234567" and item.location == "<response>"


def test_gzipped_and_missing_files(tmp_path: Path) -> None:
    packed = tmp_path / "page.json.gz"
    packed.write_bytes(
        gzip.compress((CTGOV / "biomcp-search_phelan_limit5_page1.json").read_bytes())
    )
    assert len(records(packed)) == 5
    (item,) = parse_studies(tmp_path / "missing.json")
    assert isinstance(item, Quarantined) and item.reason.startswith("cannot read the file")


def test_a_lone_surrogate_does_not_stop_the_page() -> None:
    body = b'{"studies": [{"protocolSection": {"identificationModule": {"nctId": "NCT01234567",'
    body += b' "briefTitle": "Bad \\ud800 char"}}}, ' + json.dumps(study("NCT00000002")).encode()
    body += b"]}"
    first, second = parse_studies(body)
    assert isinstance(first, SourceRecord) and isinstance(second, SourceRecord)
    assert json.loads(first.raw) == json.loads(body)["studies"][0]


def test_posted_primary_outcomes_keep_their_measured_values() -> None:
    """What a results lead reports: each primary outcome's arms, participants analysed and
    values, as the registry posted them."""
    (result,) = one("aact-NCT02210780.json")["primary_results"]
    assert result["title"].startswith("Percentage of Participants With a Positive Response")
    assert result["unit"] == "Percentage of participants"
    assert result["groups"] == [
        {"title": "Placebo qw", "n": "92", "value": "83.7"},
        {"title": "Dupilumab 300 mg qw", "n": "90", "value": "83.3"},
    ]
    assert one("aact-NCT06171568.json")["primary_results"] == []

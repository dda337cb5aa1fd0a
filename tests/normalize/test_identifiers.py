"""Identifier normalisation: canonical spellings, ids in free text, idempotence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl.normalize.identifiers import (
    find_dois,
    find_registry_ids,
    normalize_doi,
    normalize_pmcid,
    normalize_pmid,
    normalize_registry_id,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.1038/S41586-020-2649-2", "10.1038/s41586-020-2649-2"),
        ("https://doi.org/10.1038/nature12373.", "10.1038/nature12373"),
        ("http://dx.doi.org/10.1016/j.cell.2020.01.001", "10.1016/j.cell.2020.01.001"),
        ("doi: 10.1002/ijc.33000;", "10.1002/ijc.33000"),
        ("10.1016/S0140-6736(20)30183-5", "10.1016/s0140-6736(20)30183-5"),
        ("(10.1016/S0140-6736(20)30183-5)", None),
        ("not a doi", None),
        ("", None),
    ],
)
def test_normalize_doi(raw: str, expected: str | None) -> None:
    assert normalize_doi(raw) == expected


def test_doi_found_in_text_keeps_its_parentheses_but_not_the_sentence_end() -> None:
    text = "See https://doi.org/10.1016/S0140-6736(20)30183-5). Also doi:10.1002/ijc.33000."
    assert find_dois(text) == ["10.1016/s0140-6736(20)30183-5", "10.1002/ijc.33000"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12345", "12345"),
        ("PMID: 0012", "12"),
        (" 35649368 ", "35649368"),
        ("12a", None),
        ("0", None),
        ("１２３", None),
    ],
)
def test_normalize_pmid(raw: str, expected: str | None) -> None:
    assert normalize_pmid(raw) == expected


def test_normalize_pmcid() -> None:
    assert normalize_pmcid("pmc1165577") == "PMC1165577"
    assert normalize_pmcid("1165577") == "PMC1165577"
    assert normalize_pmcid("PMCID: PMC42") == "PMC42"
    assert normalize_pmcid("PMCx") is None
    assert normalize_pmcid("0") is None and normalize_pmcid("PMC000") is None


def test_registry_ids_in_free_text_every_scheme() -> None:
    text = (
        "Trial registration: ClinicalTrials.gov NCT 01245062; ChiCTR2300071234 and "
        "ChiCTR-IOR-17011234; EudraCT No. 2015-001234-56; EU CT 2022-500014-26-00; "
        "jRCT2031200001; UMIN000012345; CTRI/2020/05/025101; KCT0001234; ISRCTN12345678; "
        "ACTRN12617000123456; DRKS00012345."
    )
    assert find_registry_ids(text) == [
        ("nct", "NCT01245062"),
        ("chictr", "ChiCTR2300071234"),
        ("chictr", "ChiCTR-IOR-17011234"),
        ("eudract", "2015-001234-56"),
        ("euct", "2022-500014-26-00"),
        ("jprn", "JPRN-jRCT2031200001"),
        ("jprn", "JPRN-UMIN000012345"),
        ("ctri", "CTRI/2020/05/025101"),
        ("kct", "KCT0001234"),
        ("isrctn", "ISRCTN12345678"),
        ("actrn", "ACTRN12617000123456"),
        ("drks", "DRKS00012345"),
    ]


def test_registry_lookalikes_are_not_ids() -> None:
    assert find_registry_ids("NCT0124506 (7 digits), phone 2015-001234-56 without context") == []


@given(st.text())
def test_doi_normalization_is_idempotent(text: str) -> None:
    once = normalize_doi(text)
    assert once is None or normalize_doi(once) == once


@given(st.from_regex(r"10\.\d{4,6}/[A-Za-z0-9.()\-_;/]{1,30}", fullmatch=True))
def test_doi_ignores_case_and_resolver_prefix(doi: str) -> None:
    canonical = normalize_doi(doi)
    if canonical is not None:
        assert normalize_doi("https://doi.org/" + doi.upper()) == canonical
        assert normalize_doi(canonical) == canonical


@given(st.text())
def test_pmid_and_pmcid_normalization_are_idempotent(text: str) -> None:
    for normalize in (normalize_pmid, normalize_pmcid):
        once = normalize(text)
        assert once is None or normalize(once) == once


@given(st.from_regex(r"(NCT\d{8}|ChiCTR\d{10}|ISRCTN\d{8}|DRKS\d{8}|KCT\d{7})", fullmatch=True))
def test_registry_normalization_is_idempotent(value: str) -> None:
    scheme, canonical = normalize_registry_id(value.lower())
    assert normalize_registry_id(canonical) == (scheme, canonical)


def test_a_field_may_hold_a_bare_eudract_number() -> None:
    assert normalize_registry_id("2014-001234-56") == ("eudract", "2014-001234-56")
    assert normalize_registry_id("EUCTR2014-001234-56-FR") == ("eudract", "2014-001234-56")
    assert normalize_registry_id("2014-001234-56") == normalize_registry_id(
        normalize_registry_id("2014-001234-56")[1]
    )
    assert find_registry_ids("measured 2014-001234-56 units") == []  # free text stays strict


def test_more_registries_in_text_with_their_canonical_forms() -> None:
    text = (
        "Registered at IRCT (IRCT20180216038783N1), TCTR20200101001, PACTR 201905538849361, "
        "ReBEC rbr-7XYZ8k, the Netherlands Trial Register NTR 1234 and NL8633 (NL-OMON 54321), "
        "ITMCTR2024000123, jRCTs041190009, JapicCTI-123456 and CTIS 2023-501234-12-00."
    )
    assert find_registry_ids(text) == [
        ("irct", "IRCT20180216038783N1"),
        ("tctr", "TCTR20200101001"),
        ("pactr", "PACTR201905538849361"),
        ("rebec", "RBR-7xyz8k"),
        ("ntr", "NTR1234"),
        ("ntr", "NL8633"),
        ("ntr", "NL-OMON54321"),
        ("itmctr", "ITMCTR2024000123"),
        ("jprn", "JPRN-jRCTs041190009"),
        ("jprn", "JPRN-JapicCTI-123456"),
        ("euct", "2023-501234-12-00"),
    ]


def test_more_registries_as_secondary_ids_and_lookalikes() -> None:
    for value, expected in (
        ("irct20180216038783n1", ("irct", "IRCT20180216038783N1")),
        ("JPRN-jRCT2031210123", ("jprn", "JPRN-jRCT2031210123")),
        ("CTIS2023-501234-12-00", ("euct", "2023-501234-12-00")),
        ("NL-OMON12345", ("ntr", "NL-OMON12345")),
        ("RBR-10xyv7yb", ("rebec", "RBR-10xyv7yb")),
    ):
        assert normalize_registry_id(value) == expected
        assert normalize_registry_id(expected[1]) == expected  # canonical forms are stable
    assert find_registry_ids("NTRK1 fusions, NLRP3 and an NLR of 12345 in CONTR1234") == []


def test_registry_ids_of_other_registries_in_trial_secondary_ids() -> None:
    import json

    from etl.sources.ctgov.parse import parse_studies

    ident = {
        "nctId": "NCT01234567",
        "briefTitle": "t",
        "secondaryIdInfos": [
            {"id": "IRCT20180216038783N1", "type": "REGISTRY", "domain": "IRCT"},
            {"id": "jRCT2031210123", "type": "REGISTRY"},
            {"id": "NL-OMON12345", "type": "OTHER"},
            {"id": "2023-501234-12-00", "type": "CTIS"},
        ],
    }
    (record,) = parse_studies(
        json.dumps({"protocolSection": {"identificationModule": ident}}).encode()
    )
    ids = record.data["identifiers"]["registry_ids"]
    assert {
        "IRCT20180216038783N1",
        "JPRN-jRCT2031210123",
        "NL-OMON12345",
        "2023-501234-12-00",
    } <= set(ids)

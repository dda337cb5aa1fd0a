"""A paper's link to a trial says where the paper names it: in its own words (title or abstract)
or only in PubMed's data-bank list."""

from __future__ import annotations

from etl.works.identity import link_targets


def paper(source: str, abstract: str, registry_ids: list[str]) -> dict:
    return {"source": source, "kind": "paper", "title": "MSCs in pancreatic cancer",
            "abstract": abstract, "identifiers": {"registry_ids": registry_ids}}  # fmt: skip


def evidence(data: dict) -> dict[str, str]:
    return {value: why for kind, _, value, why in link_targets(data) if kind == "reports_trial"}


def test_an_id_in_the_abstract_and_one_only_in_the_data_bank_list() -> None:
    data = paper(
        "pubmed",
        "Trial registration: ClinicalTrials.gov NCT 01245062.",
        ["NCT01245062", "ChiCTR2300071234"],
    )
    assert evidence(data) == {
        "NCT01245062": "trial id in the title or abstract",
        "ChiCTR2300071234": "PubMed DataBankList",
    }


def test_other_sources_say_the_record_names_it() -> None:
    data = paper("europepmc", "No registration given here.", ["NCT01245062"])
    assert evidence(data) == {"NCT01245062": "registry id in the record"}

"""Citation files read back by the readers reference managers use: RIS by rispy, BibTeX by
bibtexparser (LaTeX decoded, names split), CSL-JSON as JSON; each carries authors, title,
journal, year, DOI and PMID, and awkward characters arrive as they were."""

from __future__ import annotations

import json
from typing import Any

import bibtexparser
import pytest
import rispy
from bibtexparser import middlewares

from etl.studies.cite import FORMATS, Cited, export, split_name
from tests.studies.conftest import ARTICLE, CHINESE, PREPRINT, trial

PAGE = "https://mscwatch.example.org/studies/"
AWKWARD = {
    **ARTICLE,
    "title": "MSC-derived {exosomes} & 5×10⁶ cells/kg: 45% ORR in $pecial_cases #1 ~ \\ 间充质.",
}
ITEMS = [
    Cited(ARTICLE, "pmid-39000001", PAGE + "pmid-39000001/"),
    Cited(AWKWARD, "pmid-39000007", PAGE + "pmid-39000007/"),
    Cited(CHINESE, "pmid-39000004", PAGE + "pmid-39000004/"),
    Cited(PREPRINT, "doi-10.1101_2024.05.01.900001", PAGE + "doi-10.1101_2024.05.01.900001/"),
    Cited(trial(), "nct09000001", PAGE + "nct09000001/"),
]
TITLE = (
    "Umbilical cord mesenchymal stromal cells for steroid-refractory acute GVHD in acute "
    "myeloid leukaemia: a phase II trial (NCT09000001) & its 70% response"
)


def bib_entries(text: str) -> list[Any]:
    library = bibtexparser.parse_string(
        text,
        append_middleware=[
            middlewares.LatexDecodingMiddleware(),
            middlewares.SeparateCoAuthors(),
            middlewares.SplitNameParts(),
        ],
    )
    assert library.failed_blocks == []
    return list(library.entries)


def test_ris_reads_back_with_every_field() -> None:
    records = rispy.loads(export("ris", ITEMS))
    assert len(records) == 5
    first = records[0]
    assert first["type_of_reference"] == "JOUR"
    assert first["title"] == TITLE
    assert first["authors"] == ["Zhang, Wei", "Chen, Li-Na", "Smith, John A, Jr",
                                "UC-GVHD Study Group"]  # fmt: skip
    assert first["journal_name"] == "Bone Marrow Transplantation"
    assert first["year"] == "2025"
    assert first["doi"] == "10.5555/gvhd.39000001"
    assert first["accession_number"] == "39000001" and "PMID: 39000001" in first["notes"]
    assert "https://pmc.ncbi.nlm.nih.gov/articles/PMC11000001/" in first["urls"]  # open access
    assert PAGE + "pmid-39000001/" in first["urls"]
    assert records[1]["title"] == AWKWARD["title"].rstrip(".")
    assert records[3]["journal_name"] == "medRxiv"
    assert "https://europepmc.org/article/PPR/PPR900001" in records[3]["urls"]  # a preprint is free
    assert records[4]["type_of_reference"] == "DBASE"
    assert records[4]["accession_number"] == "NCT09000001"
    assert records[4]["year"] == "2023"  # first posted


def test_bibtex_reads_back_with_every_field_and_its_characters() -> None:
    entries = bib_entries(export("bib", ITEMS))
    assert [e.entry_type for e in entries] == ["article", "article", "article", "misc", "misc"]
    assert len({e.key for e in entries}) == 5
    first = entries[0].fields_dict
    assert first["title"].value.strip("{}") == TITLE
    names = first["author"].value
    assert [(n.last, n.first) for n in names[:2]] == [(["Zhang"], ["Wei"]), (["Chen"], ["Li-Na"])]
    assert names[2].jr == ["Jr"]
    assert first["journal"].value == "Bone Marrow Transplantation"
    assert first["year"].value == "2025"
    assert first["doi"].value == "10.5555/gvhd.39000001"
    assert first["pmid"].value == "39000001"
    awkward = entries[1].fields_dict["title"].value.strip("{}")
    assert awkward == AWKWARD["title"].rstrip(".")
    assert entries[4].fields_dict["number"].value == "NCT09000001"


def test_csl_json_items_carry_what_citeproc_needs() -> None:
    items = json.loads(export("json", ITEMS))
    first = items[0]
    assert first["type"] == "article-journal" and first["id"] == "pmid-39000001"
    assert first["title"] == TITLE
    assert first["author"][0] == {"family": "Zhang", "given": "Wei"}
    assert first["author"][3] == {"literal": "UC-GVHD Study Group"}
    assert first["container-title"] == "Bone Marrow Transplantation"
    assert first["issued"] == {"date-parts": [[2025, 1]]}
    assert (first["DOI"], first["PMID"], first["PMCID"]) == (
        "10.5555/gvhd.39000001", "39000001", "PMC11000001",
    )  # fmt: skip
    assert items[2]["language"] == "zh"
    assert items[3]["type"] == "article"  # a preprint
    assert items[4]["type"] == "webpage" and items[4]["number"] == "NCT09000001"


@pytest.mark.parametrize(
    ("display", "family", "given", "suffix", "literal"),
    [
        ("Wei Zhang", "Zhang", "Wei", "", ""),
        ("MS Lee", "Lee", "MS", "", ""),
        ("John A Smith Jr", "Smith", "John A", "Jr", ""),
        ("UC-GVHD Study Group", "", "", "", "UC-GVHD Study Group"),
        ("Madonna", "", "", "", "Madonna"),
    ],
)
def test_display_names_split_as_records_write_them(
    display: str, family: str, given: str, suffix: str, literal: str
) -> None:
    name = split_name(display)
    assert (name.family, name.given, name.suffix, name.literal) == (family, given, suffix, literal)


def test_every_format_has_its_content_type_and_an_unknown_one_is_refused() -> None:
    assert FORMATS == {
        "ris": "application/x-research-info-systems; charset=utf-8",
        "bib": "application/x-bibtex; charset=utf-8",
        "json": "application/vnd.citationstyles.csl+json; charset=utf-8",
    }
    with pytest.raises(ValueError, match="no citation format 'docx'"):
        export("docx", ITEMS)

"""The Europe PMC search parser against every real sample: ids, preprints, paging, bad input."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from etl.records import Quarantined, SourceRecord
from etl.sources.europepmc.links import ref_type
from etl.sources.europepmc.parse import hit_count, next_cursor, parse_search
from tests.conftest import SAMPLES, sample_files

EPMC = SAMPLES / "europepmc"
ALL_FILES = sample_files("europepmc", "*")
PAPER_KEYS = {
    "source",
    "source_id",
    "kind",
    "deleted",
    "identifiers",
    "title",
    "vernacular_title",
    "abstract",
    "journal",
    "journal_abbrev",
    "published",
    "epublished",
    "created",
    "revised",
    "status",
    "language",
    "languages",
    "publication_types",
    "mesh_terms",
    "keywords",
    "authors",
    "affiliations",
    "retracted",
    "corrections",
    "preprint",
    "preprint_server",
    "published_version",
    "preprints",
}
IDENTIFIER_KEYS = {"pmid", "doi", "pmcid", "pii", "ppr", "registry_ids"}
DATE_KEYS = ("published", "epublished", "created", "revised")
ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
SOURCE_ID = re.compile(r"^(MED:\d+|PMC:PMC\d+|PPR:PPR\d+)$")
CURSOR = "AoIIP4ZawSg1MzEyODI1MA=="

# Per file: (results, first source_id, last source_id, next_cursor, hit_count).
EXPECTED = {
    "biomcp-search_pmid_20516115.json": (1, "MED:20516115", "MED:20516115", None, 1),
    "pyeuropepmc-search_1000results_cancer.json": (
        1000,
        "MED:39709209",
        "MED:40457873",
        "AoIIP4HN8ig1MzEwOTI4OQ==",
        5059039,
    ),
    "pyeuropepmc-search_cancer.xml": (25, "MED:39709209", "MED:40476859", CURSOR, 5059039),
    "pyeuropepmc-search_cancer_core.json": (25, "MED:39709209", "MED:40476859", CURSOR, 5059039),
    "pyeuropepmc-search_cancer_lite.json": (25, "MED:39709209", "MED:40476859", CURSOR, 5059039),
    "pyeuropepmc-search_no_results.json": (0, None, None, None, 0),
}

# The 24 preprints of the 1000-result page and the server each was posted on.
PREPRINT_SERVERS = {"Research Square": 11, "bioRxiv": 6, "Preprints.org": 5, "medRxiv": 2}


def records(source: Path | bytes, location: str | None = None) -> list[SourceRecord]:
    items = list(parse_search(source, location))
    assert not [i for i in items if isinstance(i, Quarantined)], items
    return items  # type: ignore[return-value]


def by_id(name: str) -> dict[str, dict[str, Any]]:
    return {r.source_id: r.data for r in records(EPMC / name)}


def results_in(path: Path) -> list[Any]:
    return json.loads(path.read_bytes())["resultList"]["result"]


def page(*results: Any, **extra: Any) -> bytes:
    document = {"hitCount": len(results), "resultList": {"result": list(results)}, **extra}
    return json.dumps(document).encode()


def result(ident: str = "PPR123456", source: str = "PPR", **fields: Any) -> dict[str, Any]:
    return {"id": ident, "source": source, "title": "A title", **fields}


def one(*results: Any) -> dict[str, Any]:
    (item,) = records(page(*results))
    return item.data


@pytest.mark.usefixtures("samples")  # the recorded corpus
def test_the_sample_folder_is_the_one_these_tests_know() -> None:
    assert [p.name for p in ALL_FILES] == sorted(EXPECTED)


@pytest.mark.usefixtures("samples")  # the recorded corpus
@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_sample_yields_one_complete_record_per_result(path: Path) -> None:
    count, first, last, _, _ = EXPECTED[path.name]
    items = records(path)
    assert len(items) == count
    if count:
        assert (items[0].source_id, items[-1].source_id) == (first, last)
    assert len({r.source_id for r in items}) == count  # source + id are unique together
    for item in items:
        data = item.data
        assert set(data) == PAPER_KEYS, set(data) ^ PAPER_KEYS
        assert set(data["identifiers"]) == IDENTIFIER_KEYS
        assert (data["source"], data["kind"], data["deleted"]) == ("europepmc", "paper", False)
        assert SOURCE_ID.match(data["source_id"]), data["source_id"]
        assert data["title"] and data["created"] and data["published"]
        assert "<" not in data["title"] or "< " in data["title"]  # markup gone, a bare "<" kept
        assert all(data[k] is None or ISO.match(data[k]) for k in DATE_KEYS)
        assert data["identifiers"]["pii"] is None and data["status"] is None
        assert data["preprint"] is (data["identifiers"]["ppr"] is not None)
        assert item.location == path.name


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_cursor_and_hit_count_of_every_sample(path: Path) -> None:
    body = path.read_bytes()
    *_, cursor, hits = EXPECTED[path.name]
    assert (next_cursor(body), hit_count(body)) == (cursor, hits)


@pytest.mark.usefixtures("samples")  # the recorded corpus
@pytest.mark.parametrize("name", [p.name for p in sample_files("europepmc", "*.json")])
def test_raw_bytes_are_each_result_reserialised_compactly(name: str) -> None:
    for item, original in zip(records(EPMC / name), results_in(EPMC / name), strict=True):
        assert json.loads(item.raw) == original
        assert item.raw == json.dumps(original, separators=(",", ":"), ensure_ascii=False).encode()


def test_xml_and_json_of_the_same_page_give_the_same_records() -> None:
    xml = records(EPMC / "pyeuropepmc-search_cancer.xml")
    lite = records(EPMC / "pyeuropepmc-search_cancer_lite.json")
    assert [r.data for r in xml] == [r.data for r in lite]
    assert xml[0].raw.startswith(b"<result") and b"<id>39709209</id>" in xml[0].raw


def test_small_lite_record_ids_authors_and_types() -> None:
    data = by_id("biomcp-search_pmid_20516115.json")["MED:20516115"]
    assert data["identifiers"] == {
        "pmid": "20516115",
        "doi": "10.1158/0008-5472.can-09-4563",
        "pmcid": "PMC3040717",
        "pii": None,
        "ppr": None,
        "registry_ids": [],
    }
    assert data["title"].startswith("Comprehensive analysis of missense variations in the BRCT")
    assert data["authors"][:3] == ["MS Lee", "R Green", "SM Marsillac"]  # "Lee MS, Green R, …"
    assert data["authors"][-1] == "JN Glover" and len(data["authors"]) == 11
    assert data["publication_types"] == [
        "research support, non-u.s. gov't",
        "research-article",
        "journal article",
        "research support, n.i.h., extramural",
    ]
    # lite: the journal title is the MEDLINE abbreviation; no issue date, so the first publication
    assert (data["journal"], data["journal_abbrev"]) == ("Cancer Res", None)
    assert (data["published"], data["created"]) == ("2010-06-01", "2010-07-28")
    assert data["abstract"] == "" and data["language"] is None


def test_core_record_has_issue_date_names_affiliations_mesh_and_keywords() -> None:
    core = by_id("pyeuropepmc-search_cancer_core.json")
    lancet = core["MED:39709209"]
    assert lancet["journal"] == "Lancet (London, England)" and lancet["journal_abbrev"] == "Lancet"
    assert lancet["published"] == "2025-12"  # "2025 Dec", not the estimated printPublicationDate
    assert (lancet["created"], lancet["revised"]) == ("2024-12-22", "2024-12-21")
    assert lancet["authors"] == [
        "Jonathan D Schoenfeld",
        "Daphne A Haas-Kogan",
        "Allison F O'Neill",
    ]
    assert len(lancet["affiliations"]) == 3 and lancet["affiliations"][0].startswith(
        "Department of Radiation Oncology, Brigham and Women's Hospital"
    )
    assert (lancet["language"], lancet["languages"]) == ("eng", ["eng"])
    assert lancet["publication_types"] == ["Journal Article"]
    ovarian = core["MED:40511629"]
    assert ovarian["mesh_terms"][:3] == ["Cell Line, Tumor", "Animals", "Mice"]
    assert "Paclitaxel" in ovarian["mesh_terms"] and len(ovarian["mesh_terms"]) == 17
    assert ovarian["keywords"] == [
        "Apoptosis",
        "Paclitaxel",
        "Ovarian cancer",
        "Hydrogen sulfide",
        "Id8 Cells",
    ]
    assert ovarian["authors"][0] == "Gökçe Sevim Öztürk Fincan"
    epub = core["MED:40464630"]
    assert (epub["published"], epub["epublished"]) == ("2025-08", "2025-08-22")
    assert core["MED:39038316"]["identifiers"]["doi"] is None
    assert len(core["MED:40377773"]["affiliations"]) == 20  # capped, as for PubMed


def test_core_abstracts_become_labelled_paragraphs_without_markup() -> None:
    core = by_id("pyeuropepmc-search_cancer_core.json")
    ovarian = core["MED:40511629"]["abstract"]
    assert ovarian.startswith("Background: Paclitaxel is a potent agent against ovarian cancer.")
    assert "Hydrogen sulfide (H₂S) is of particular interest" in ovarian  # <sub>2</sub> kept as ₂
    assert "\n\nObjectives: We aimed to examine" in ovarian
    pancreas = core["MED:40245290"]["abstract"]
    assert "median overall survival of <1 year.\n\nConclusions: This research" in pancreas
    assert core["MED:40516981"]["abstract"].startswith("The management of prostate cancer")
    assert all("<h4>" not in d["abstract"] and "<i>" not in d["abstract"] for d in core.values())


def test_lite_titles_lose_markup_that_was_escaped_twice() -> None:
    big = by_id("pyeuropepmc-search_1000results_cancer.json")
    assert big["MED:40505930"]["title"].startswith("circADARB1 enhances ZEB1 expression in an m⁶A-")
    assert big["MED:40520280"]["title"].endswith("satellite-derived PM₂.₅ in China.")
    assert big["MED:40519579"]["title"].startswith("EZH2: A Crucial Competing Endogenous RNA")
    assert big["MED:40450633"]["title"].startswith(
        "Breast imaging recommendations for young females (age < 40 years) with ≥ 20% lifetime"
    )
    assert "ATM c.7271T>G and cancer risk" in big["MED:40451289"]["title"]


def test_preprints_are_detected_with_their_ppr_ids_and_servers() -> None:
    big = by_id("pyeuropepmc-search_1000results_cancer.json")
    assert Counter(key.split(":")[0] for key in big) == {"MED": 923, "PMC": 53, "PPR": 24}
    preprints = {k: d for k, d in big.items() if d["preprint"]}
    assert Counter(d["preprint_server"] for d in preprints.values()) == PREPRINT_SERVERS
    medrxiv = preprints["PPR:PPR1036674"]
    assert medrxiv["identifiers"] == {
        "pmid": None,
        "doi": "10.1101/2025.06.13.25329599",
        "pmcid": None,  # its fullTextIdList names the preprint itself, not a PMCID
        "pii": None,
        "ppr": "PPR1036674",
        "registry_ids": [],
    }
    assert (medrxiv["journal"], medrxiv["preprint_server"]) == ("medRxiv", "medRxiv")
    assert (medrxiv["published"], medrxiv["created"]) == ("2025-06-16", "2025-06-18")
    assert medrxiv["publication_types"] == ["preprint"]
    square = preprints["PPR:PPR1037166"]
    assert square["identifiers"]["doi"] == "10.21203/rs.3.rs-6664819/v1"
    assert square["preprint_server"] == "Research Square"
    # lite results carry no comment/correction links: no published version is known for any
    assert all(d["published_version"] is None and d["preprints"] == [] for d in big.values())
    assert not any(d["preprint_server"] for d in big.values() if not d["preprint"])


def test_pmc_only_records_and_book_chapters() -> None:
    big = by_id("pyeuropepmc-search_1000results_cancer.json")
    pmc = big["PMC:PMC12175493"]
    assert pmc["identifiers"]["pmcid"] == "PMC12175493" and pmc["identifiers"]["pmid"] is None
    assert pmc["journal"] == "Oncology Letters" and pmc["published"] == "2025-06-10"
    book = big["MED:40440438"]  # a GeneReviews chapter: the book stands in for the journal
    assert (book["journal"], book["preprint"], book["preprint_server"]) == (
        "GeneReviews®",
        False,
        None,
    )
    assert book["publication_types"] == ["book", "review"]


def test_erratum_links_are_corrections_in_pubmed_spelling() -> None:
    core = by_id("pyeuropepmc-search_cancer_core.json")
    assert core["MED:39709208"]["corrections"] == [
        {
            "type": "ErratumFor",
            "pmid": "39293462",
            "ref": "Lancet. 2024 Sep 28;404(10459):1227-1239. doi: 10.1016/S0140-6736(24)01653-2.",
        }
    ]
    assert core["MED:39709208"]["retracted"] is False
    assert sum(bool(d["corrections"]) for d in core.values()) == 2


def test_a_retraction_notice_is_not_a_retracted_paper() -> None:
    notice = by_id("pyeuropepmc-search_1000results_cancer.json")["MED:40517245"]
    assert notice["title"].startswith("Retraction Note:")
    assert "retraction of publication" in notice["publication_types"]
    assert notice["retracted"] is False


def test_retracted_by_type_by_title_or_by_retraction_link() -> None:
    by_type = one(result("1", "MED", pubTypeList={"pubType": ["Retracted Publication"]}))
    by_lite_type = one(result("2", "MED", pubType="retracted publication; journal article"))
    by_title = one(result("3", "MED", title="RETRACTED: MSCs promote glioma"))
    notice_title = one(result("4", "MED", title="Retracted: MSCs promote glioma"))
    link = {"id": "99", "source": "MED", "type": "Retraction in", "reference": "X. 2024"}
    by_link = one(result("5", "MED", commentCorrectionList={"commentCorrection": [link]}))
    assert [d["retracted"] for d in (by_type, by_lite_type, by_title, by_link)] == [True] * 4
    assert notice_title["retracted"] is False  # Hindawi titles its notices "Retracted: …"
    assert by_link["corrections"] == [{"type": "RetractionIn", "pmid": "99", "ref": "X. 2024"}]


def test_a_preprint_names_its_published_version_and_the_article_its_preprints() -> None:
    note = "Link created based on a title-first author match"
    preprint = one(
        result(
            bookOrReportDetails={"publisher": "bioRxiv", "yearOfPublication": 2024},
            firstPublicationDate="2024-01-05",
            commentCorrectionList={
                "commentCorrection": {  # a list of one, as the bare object
                    "id": "38289242",
                    "source": "MED",
                    "type": "Preprint of",
                    "note": note,
                    "reference": "Cell Rep. 2024;43(2):113700. doi: 10.1016/j.celrep.2024.113700",
                }
            },
        )
    )
    assert preprint["preprint"] is True and preprint["preprint_server"] == "bioRxiv"
    assert preprint["published_version"] == {
        "source_id": "MED:38289242",
        "pmid": "38289242",
        "pmcid": None,
        "doi": "10.1016/j.celrep.2024.113700",
        "note": note,
    }
    assert preprint["corrections"] == [] and preprint["preprints"] == []
    link = {"id": "PPR654321", "source": "PPR", "type": "Preprint in", "note": "CrossRef loader"}
    article = one(result("38289242", "MED", commentCorrectionList={"commentCorrection": [link]}))
    assert article["preprint"] is False and article["published_version"] is None
    assert article["preprints"] == [
        {"source_id": "PPR:PPR654321", "ppr": "PPR654321", "note": "CrossRef loader"}
    ]
    assert article["corrections"] == []


def test_registry_ids_from_title_and_abstract() -> None:
    data = one(
        result(
            "7",
            "MED",
            title="UC-MSCs in glioma (ChiCTR2000029308)",
            abstractText="<h4>Methods</h4>Registered as NCT 01234567.",
        )
    )
    assert data["identifiers"]["registry_ids"] == ["ChiCTR2000029308", "NCT01234567"]
    assert data["abstract"] == "Methods: Registered as NCT 01234567."


def test_ref_types_are_spelt_as_pubmed_spells_them() -> None:
    assert ref_type("Erratum for") == "ErratumFor"
    assert ref_type("Retracted and republished in") == "RetractedandRepublishedIn"
    assert ref_type("Expression of concern in") == "ExpressionOfConcernIn"


def test_xml_core_results_with_single_items_and_markup() -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><responseWrapper xmlns:slx="http://www.scholix.org">'
        b"<version>6.9</version><hitCount>1</hitCount><nextCursorMark>AoE=</nextCursorMark>"
        b"<request><cursorMark>AoD=</cursorMark></request><resultList><result>"
        b"<id>PPR1</id><source>PPR</source><doi>10.1101/2024.01.01.1</doi>"
        b"<title>m<sup>6</sup>A in <i>MSC</i>s</title>"
        b"<authorList><author><firstName>Ada</firstName><lastName>Byron</lastName></author>"
        b"</authorList><pubTypeList><pubType>preprint</pubType></pubTypeList>"
        b"<abstractText>&lt;h4&gt;Aim&lt;/h4&gt;Test &amp; see.</abstractText>"
        b"<bookOrReportDetails><publisher>bioRxiv</publisher></bookOrReportDetails>"
        b"<firstPublicationDate>2024-01-02</firstPublicationDate>"
        b"</result></resultList></responseWrapper>"
    )
    (item,) = records(body)
    data = item.data
    assert (data["source_id"], data["title"]) == ("PPR:PPR1", "m⁶A in MSCs")
    assert data["authors"] == ["Ada Byron"] and data["publication_types"] == ["preprint"]
    assert data["abstract"] == "Aim: Test & see."
    assert (data["preprint_server"], data["published"]) == ("bioRxiv", "2024-01-02")
    assert (next_cursor(body), hit_count(body)) == ("AoE=", 1)


def test_the_last_page_repeats_the_cursor_it_was_sent() -> None:
    assert next_cursor(page(nextCursorMark="AoE=", request={"cursorMark": "AoE="})) is None
    first = page(nextCursorMark="*", request={"cursorMark": "%2A"})  # the echo is URL-encoded
    assert next_cursor(first) is None
    assert next_cursor(page(nextCursorMark="AoE+/x==", request={"cursorMark": "*"})) == "AoE+/x=="
    assert next_cursor(page(nextCursorMark="")) is None
    assert hit_count(page(hitCount=True)) is None  # a boolean is not a count


def test_paging_helpers_refuse_a_body_that_is_not_a_page() -> None:
    # "None" would read as "last page" and end a crawl early
    with pytest.raises(ValueError):
        next_cursor(b"<html><body>502 Bad Gateway</body></html>")
    with pytest.raises(ValueError):
        hit_count(b'{"errCode": 500, "errMsg": "internal error"}')
    with pytest.raises(ValueError):
        next_cursor(b"<responseWrapper><hitCount>3</hitCount")


def test_body_that_is_not_json_is_one_quarantined_entry() -> None:
    body = b"Service Temporarily Unavailable"
    (item,) = parse_search(body, location="search-page-3.json")
    assert isinstance(item, Quarantined)
    assert item.location == "search-page-3.json" and item.source == "europepmc"
    assert item.reason.startswith("not JSON:") and item.raw == body


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[1, 2]", "not a Europe PMC search response (got array)"),
        (b'{"errCode": 404}', "not a Europe PMC search response (no resultList; keys: errCode)"),
        (b'{"resultList": {"result": {"id": "1"}}}', "resultList.result is not a JSON array"),
        (b"<html><body>Bad Gateway</body></html>", "this is an HTML page, not a Europe PMC"),
    ],
)
def test_bodies_that_are_no_search_page_are_quarantined_whole(body: bytes, reason: str) -> None:
    (item,) = parse_search(body)
    assert isinstance(item, Quarantined) and item.location == "<response>"
    assert item.reason.startswith(reason) and item.raw == body


def test_a_bad_result_is_quarantined_and_the_rest_of_its_page_kept() -> None:
    good = result("PPR1")
    items = list(parse_search(page(good, "junk", result(ident=""), result("x1", "MED"))))
    assert isinstance(items[0], SourceRecord) and items[0].source_id == "PPR:PPR1"
    junk, no_id, bad_pmid = items[1:]
    assert isinstance(junk, Quarantined) and junk.reason == (
        "result 2 of 4 (resultList.result[1]) is not a JSON object (got string)"
    )
    assert isinstance(no_id, Quarantined) and no_id.reason == (
        "result 3 of 4 (resultList.result[2]): no id: a result needs both to be identified"
    )
    assert json.loads(no_id.raw)["title"] == "A title"
    assert isinstance(bad_pmid, Quarantined) and bad_pmid.record_key == "x1"
    assert "MED result whose id is not a PMID" in bad_pmid.reason


def test_broken_xml_keeps_the_complete_results_and_names_the_break() -> None:
    whole = (EPMC / "pyeuropepmc-search_cancer.xml").read_bytes()
    cut = whole[: whole.index(b"<id>40464630</id>") + 40]  # in the middle of the 4th result
    items = list(parse_search(cut, location="page-1.xml"))
    kept = [i.source_id for i in items if isinstance(i, SourceRecord)]
    assert kept == ["MED:39709209", "MED:39709208", "MED:40468710"]
    (problem,) = [i for i in items if isinstance(i, Quarantined)]
    assert problem.location == "page-1.xml" and problem.raw == b""
    assert problem.reason.startswith("not well-formed XML at line 1, column ")
    assert problem.reason.endswith("(after 3 complete results)")


def test_a_broken_xml_result_is_quarantined_with_its_key() -> None:
    whole = (EPMC / "pyeuropepmc-search_cancer.xml").read_bytes()
    broken = whole.replace(b"<title>Department of Error.</title>", b"<title>Dept & Error</title>")
    items = list(parse_search(broken))
    assert len(items) == 25
    (bad,) = [i for i in items if isinstance(i, Quarantined)]
    assert bad.record_key == "MED:39709208" and bad.reason.startswith("result 2: not well-formed")
    assert bad.raw.startswith(b"<result><id>39709208</id>")


def test_xml_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        "<responseWrapper><resultList><result><id>1</id><source>MED</source>"
        "<title>a &x; b</title></result></resultList></responseWrapper>"
    ).encode()
    (item,) = records(body)
    assert "SECRET" not in item.data["title"] and "SECRET" not in item.raw.decode()


def test_gzipped_files_and_unreadable_paths(tmp_path: Path) -> None:
    packed = tmp_path / "page.json.gz"
    packed.write_bytes(gzip.compress((EPMC / "pyeuropepmc-search_cancer_lite.json").read_bytes()))
    assert len(records(packed)) == 25
    (missing,) = parse_search(tmp_path / "missing.json")
    assert isinstance(missing, Quarantined) and missing.reason.startswith("cannot read the file")

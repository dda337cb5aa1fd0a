"""The WHO ICTRP export parser against the real export: fields, vocabularies, dates, bad XML."""

from __future__ import annotations

import gzip
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from etl.records import Quarantined, SourceRecord
from etl.sources.ictrp.fields import enrollment_of, parse_date, phases_of, status_of
from etl.sources.ictrp.parse import parse_ictrp
from tests.conftest import SAMPLES
from tests.sources.test_ctgov_parse import IDENTIFIER_KEYS, TRIAL_KEYS

EXPORT = SAMPLES / "ictrp" / "ebmdatalab-ICTRP-Results_18Mar2020.xml"
# ICTRP exports have no results section, and carry the registry's own wording and page.
ICTRP_KEYS = (TRIAL_KEYS - {"primary_results"}) | {"status_text", "phase_text", "url"}
ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
HEAD = "<?xml version='1.0' encoding='UTF-8' ?><Trials_downloaded_from_ICTRP>\r\n"
TAIL = "</Trials_downloaded_from_ICTRP>"


@pytest.fixture(scope="module")
def export() -> list[SourceRecord]:
    items = list(parse_ictrp(EXPORT))
    assert not [i for i in items if isinstance(i, Quarantined)]
    return items  # type: ignore[return-value]


@pytest.fixture(scope="module")
def by_id(export: list[SourceRecord]) -> dict[str, dict[str, Any]]:
    return {r.source_id: r.data for r in export}


def trial(trial_id: str, **fields: str) -> str:
    """One export-style <Trial>, CRLF line ends and all."""
    lines = [f"    <TrialID>{trial_id}</TrialID>"]
    lines += [f"    <{tag}>{text}</{tag}>" for tag, text in fields.items()]
    return "  <Trial>\r\n" + "\r\n".join(lines) + "\r\n  </Trial>\r\n"


def export_of(*trials: str) -> bytes:
    return (HEAD + "".join(trials) + TAIL).encode()


def test_every_trial_of_the_export_is_a_complete_record(export: list[SourceRecord]) -> None:
    assert len(export) == 578
    prefixes = Counter(re.match(r"[A-Za-z]+", r.source_id)[0] for r in export)  # type: ignore[index]
    assert prefixes == {"ChiCTR": 476, "NCT": 102}
    assert len({r.source_id for r in export}) == 578
    for item in export:
        data = item.data
        assert set(data) == ICTRP_KEYS, set(data) ^ ICTRP_KEYS
        assert set(data["identifiers"]) == IDENTIFIER_KEYS
        assert (data["source"], data["kind"], data["deleted"]) == ("ictrp", "trial", False)
        assert data["identifiers"]["registry_ids"][0] == data["source_id"]
        assert data["title"] and "  " not in data["title"] and "&#" not in data["title"]
        assert data["official_title"] is None or "  " not in data["official_title"]
        assert ISO.match(data["first_posted"]) and ISO.match(data["revised"])
        assert data["start_date"] is None or ISO.match(data["start_date"])
        assert data["published"] == data["start_date"]
        assert data["revised"] == data["last_update_posted"]
        assert data["url"] and data["url"].startswith("http")
        assert item.raw.startswith(b"<Trial>") and item.raw.endswith(b"</Trial>")
        assert item.location == EXPORT.name


def test_chictr_record_with_padded_title_and_group_sizes(by_id: dict[str, Any]) -> None:
    data = by_id["ChiCTR2000029953"]
    title = (
        "Construction and Analysis of Prognostic Predictive Model of Novel Coronavirus"
        " Pneumonia (COVID-19)"
    )
    assert data["title"] == title and data["official_title"] == title  # padding gone
    assert data["identifiers"] == {
        "nct": None,
        "org_study_id": None,
        "registry_ids": ["ChiCTR2000029953"],
        "secondary_ids": [],
    }
    assert (data["status"], data["status_text"]) == ("NOT_RECRUITING", "Not Recruiting")
    assert (data["phases"], data["phase_text"]) == ([], "N/A")
    assert data["study_type"] == "OBSERVATIONAL"
    assert data["sponsor"] == "Zhongnan Hospital of Wuhan University"
    assert data["enrollment"] == 400  # "survival group:200;died:200;"
    assert data["countries"] == ["China"] and data["conditions"] == ["2019-nCoV Pneumonia"]
    assert data["interventions"] == ["survival group:none", "died:none"]
    assert data["first_posted"] == "2020-02-17" and data["start_date"] == "2020-02-01"
    assert data["last_update_posted"] == "2020-02-17"
    assert data["acronym"] is None and data["has_results"] is False
    assert data["url"].endswith("showproj.aspx?proj=49217")


def test_nct_records_dates_phases_and_interventions(by_id: dict[str, Any]) -> None:
    vaccine = by_id["NCT04276896"]
    assert vaccine["identifiers"]["nct"] == "NCT04276896"
    assert (vaccine["phases"], vaccine["phase_text"]) == (["PHASE1", "PHASE2"], "Phase 1/Phase 2")
    assert vaccine["status"] == "RECRUITING" and vaccine["study_type"] == "INTERVENTIONAL"
    assert vaccine["interventions"] == [
        "Biological: Injection and infusion of LV-SMENP-DC vaccine and antigen-specific CTLs"
    ]
    assert vaccine["sponsor"] == "Shenzhen Geno-Immune Medical Institute"
    assert vaccine["enrollment"] == 100
    assert vaccine["first_posted"] == "2020-02-17"  # "17/02/2020" and "20200217"
    assert vaccine["start_date"] == "2020-02-24"  # "February 24, 2020"
    assert vaccine["revised"] == "2020-03-16"  # "16 March 2020"
    sars = by_id["NCT00523276"]
    assert sars["start_date"] == "1996-01"  # "January 1996"
    assert sars["first_posted"] == "2007-08-30" and sars["revised"] == "2015-02-19"
    assert sars["status"] == "NOT_RECRUITING" and sars["status_text"] == "Not recruiting"
    arbidol = by_id["NCT04246242"]
    assert arbidol["interventions"] == [
        "Drug: Conventional treatment group",
        "Drug: arbidol,200mg,tid",
        "Drug: arbidol,400mg,tid",
    ]
    assert arbidol["phases"] == ["PHASE4"] and arbidol["countries"] == []
    assert by_id["NCT04252885"]["acronym"] == "ELACOI"


def test_countries_are_split_and_unique(by_id: dict[str, Any]) -> None:
    countries = by_id["NCT01056185"]["countries"]
    assert len(countries) == 17 and len(set(countries)) == 17
    assert countries[:3] == ["United States", "Argentina", "Australia"]
    assert countries[-1] == "South Africa"
    assert by_id["NCT04264533"]["conditions"] == [
        "Vitamin C",
        "Pneumonia, Viral",  # commas stay inside a value
        "Pneumonia, Ventilator-Associated",
    ]


def test_double_escaped_text_is_decoded_before_splitting(by_id: dict[str, Any]) -> None:
    # "Exhaled&amp;#32;breath" in the file: "&#32;" itself holds a ";"
    assert by_id["ChiCTR2000029695"]["interventions"] == [
        "Gold Standard:RT-PCR of the novel coronavirus",
        "Index test:Exhaled breath detection by mass spectrometry",
    ]
    assert by_id["ChiCTR2000030721"]["interventions"][1:] == [
        "Index test:1. throat swab",
        "2. induced sputum",
    ]


def test_vocabularies_across_the_export(export: list[SourceRecord]) -> None:
    phases = Counter(tuple(r.data["phases"]) for r in export)
    assert phases == {
        (): 433,  # "0", "N/A", "Retrospective study", "New Treatment Measure Clinical Study"
        ("PHASE4",): 76,
        ("PHASE1",): 21,
        ("PHASE2",): 20,
        ("PHASE3",): 13,
        ("PHASE2", "PHASE3"): 7,
        ("PHASE1", "PHASE2"): 6,
        ("EARLY_PHASE1",): 2,
    }
    statuses = Counter(r.data["status"] for r in export)
    assert statuses == {"RECRUITING": 299, "NOT_RECRUITING": 270, None: 9}
    types = Counter(r.data["study_type"] for r in export)
    assert types["INTERVENTIONAL"] == 328 and types["OBSERVATIONAL"] == 200
    assert types["EXPANDED_ACCESS"] == 2 and types["Diagnostic test"] == 26
    assert sum(1 for r in export if r.data["identifiers"]["nct"]) == 102
    assert sum(1 for r in export if r.data["enrollment"] is None) == 6


@pytest.mark.parametrize(
    ("text", "phases"),
    [
        ("Phase 1", ["PHASE1"]),
        ("Phase I/II", ["PHASE1", "PHASE2"]),
        ("Phase 2/Phase 3", ["PHASE2", "PHASE3"]),
        ("Phase II-III", ["PHASE2", "PHASE3"]),
        ("1-2", ["PHASE1", "PHASE2"]),
        ("4", ["PHASE4"]),
        ("Phase IIa", ["PHASE2"]),
        ("Early Phase 1", ["EARLY_PHASE1"]),
        ("Phase 0", ["EARLY_PHASE1"]),
        ("0", []),
        ("N/A", []),
        ("Not Applicable", []),
        ("Retrospective study", []),
        ("New Treatment Measure Clinical Study", []),
        ("12", []),
        (None, []),
    ],
)
def test_phase_text_to_ctgov_phases(text: str | None, phases: list[str]) -> None:
    assert phases_of(text) == phases


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Recruiting", "RECRUITING"),
        ("Not Recruiting", "NOT_RECRUITING"),
        ("Not recruiting", "NOT_RECRUITING"),
        ("Not yet recruiting", "NOT_YET_RECRUITING"),
        ("Active, not recruiting", "ACTIVE_NOT_RECRUITING"),
        ("Unknown status", "UNKNOWN"),
        ("Completed", "COMPLETED"),
        ("Pending", "PENDING"),
        (None, None),
    ],
)
def test_status_text_to_ctgov_status(text: str | None, status: str | None) -> None:
    assert status_of(text) == status


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("20200314", "2020-03-14"),
        ("2020-03-14", "2020-03-14"),
        ("14/03/2020", "2020-03-14"),  # ICTRP writes the day first
        ("03/04/2020", "2020-04-03"),
        ("3/18/2020 6:53:35 PM", "2020-03-18"),  # month first only when the day cannot be one
        ("14 March 2020", "2020-03-14"),
        ("March 14, 2020", "2020-03-14"),
        ("March 2020", "2020-03"),
        ("2020", "2020"),
        ("31/02/2020", None),
        ("20201345", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_registry_date_formats(text: str | None, iso: str | None) -> None:
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("100", 100),
        ("1,200", 1200),
        ("Experimental group:30;Control group:30;", 60),
        ("Group 1:50;Group 2:50;", 100),
        ("Medical students group; Non-medical students group:1300;", None),
        ("", None),
    ],
)
def test_target_size(text: str, size: int | None) -> None:
    assert enrollment_of(text) == size


def test_secondary_ids_and_eu_trial_ids() -> None:
    body = export_of(
        trial(
            "EUCTR2020-001113-21-FR",
            Public_title="Hydroxychloroquine in COVID-19",
            Secondary_IDs="2020-001113-21; NCT04315948;ISRCTN12345678, SPONSOR-123",
        ),
        trial(
            "ChiCTR2000029308",
            Public_title="MSC for ARDS",
            secondary_id="ChiCTR-IOR-17013456&lt;br&gt;ACTRN12620000123456",
        ),
        trial("IRCT20200318046812N1", Public_title="Iranian trial"),
    )
    eu, chinese, iranian = (item.data for item in parse_ictrp(body))  # type: ignore[union-attr]
    assert eu["source_id"] == "EUCTR2020-001113-21-FR"
    assert eu["identifiers"] == {
        "nct": "NCT04315948",
        "org_study_id": None,
        "registry_ids": ["2020-001113-21", "NCT04315948", "ISRCTN12345678"],
        "secondary_ids": ["SPONSOR-123"],
    }
    assert chinese["identifiers"]["registry_ids"] == [
        "ChiCTR2000029308",
        "ChiCTR-IOR-17013456",
        "ACTRN12620000123456",
    ]
    # a registry without a normaliser: its id is still this trial's registry id
    assert iranian["identifiers"]["registry_ids"] == ["IRCT20200318046812N1"]


def test_one_broken_trial_is_quarantined_with_file_trial_id_and_line(tmp_path: Path) -> None:
    path = tmp_path / "ictrp-broken.xml"
    path.write_bytes(
        export_of(
            trial("ChiCTR2000000001", Public_title="First"),
            trial("ChiCTR2000000002", Public_title="Tom & Jerry"),
            trial("NCT04315948", Public_title="Third"),
        )
    )
    items = list(parse_ictrp(path))
    assert [type(i).__name__ for i in items] == ["SourceRecord", "Quarantined", "SourceRecord"]
    bad = items[1]
    assert isinstance(bad, Quarantined)
    assert (bad.source, bad.location, bad.record_key) == ("ictrp", path.name, "ChiCTR2000000002")
    assert bad.reason == "not well-formed XML at line 8, column 24: xmlParseEntityRef: no name"
    assert bad.raw.startswith(b"<Trial>") and b"Tom & Jerry" in bad.raw
    assert items[2].data["title"] == "Third"  # type: ignore[union-attr]


def test_truncated_export_reports_the_unfinished_trial() -> None:
    body = export_of(trial("ChiCTR2000000001"))[: -len(TAIL)]
    body += b"  <Trial>\r\n    <TrialID>NCT04315948</TrialID>\r\n    <Public_ti"
    items = list(parse_ictrp(body, location="cut.xml"))
    assert isinstance(items[0], SourceRecord)
    bad = items[1]
    assert isinstance(bad, Quarantined) and bad.record_key == "NCT04315948"
    assert bad.reason.startswith("unterminated <Trial> starting at line 5: not well-formed XML")
    assert bad.describe().startswith("cut.xml: record NCT04315948: unterminated <Trial>")


def test_damage_between_trials_is_reported_once_and_no_trial_is_lost() -> None:
    body = export_of(trial("ChiCTR2000000001"), "&oops;", trial("ChiCTR2000000002"))
    items = list(parse_ictrp(body))
    assert [i.data["source_id"] for i in items if isinstance(i, SourceRecord)] == [
        "ChiCTR2000000001",
        "ChiCTR2000000002",
    ]
    (bad,) = [i for i in items if isinstance(i, Quarantined)]
    assert bad.reason == (
        "not well-formed XML at line 5, column 7, outside any <Trial>: Entity 'oops' not defined"
    )


def test_trial_without_trial_id_is_quarantined_by_position() -> None:
    body = export_of(trial("ChiCTR2000000001"), "  <Trial><Public_title>x</Public_title></Trial>")
    good, bad = parse_ictrp(body)
    assert isinstance(good, SourceRecord) and isinstance(bad, Quarantined)
    assert bad.reason == "Trial 2 in the file: no TrialID" and bad.record_key == ""


def test_empty_and_non_xml_files() -> None:
    (empty,) = parse_ictrp(b"", location="empty.xml")
    expected = "not an ICTRP XML export (<Trials_downloaded_from_ICTRP> with <Trial> records)"
    assert isinstance(empty, Quarantined)
    assert empty.reason == f"this is an empty file, {expected}"
    (text,) = parse_ictrp(b"Service unavailable", location="e.xml")
    assert isinstance(text, Quarantined)
    assert text.reason == f"this is not XML (it does not start with '<'), {expected}"
    page = b"<!DOCTYPE html><html><head><title>503</title></head><body>Busy</body></html>"
    (html,) = parse_ictrp(page, location="e.xml")
    assert isinstance(html, Quarantined)
    assert html.reason == f'this is an HTML page (title "503"), {expected}'
    pubmed = b'<?xml version="1.0"?><PubmedArticleSet><PubmedArticle/></PubmedArticleSet>'
    (other,) = parse_ictrp(pubmed, location="p.xml")
    assert isinstance(other, Quarantined)
    assert other.reason == f"this is PubMed XML (<PubmedArticleSet>), {expected}"


def test_entities_are_not_resolved_and_nothing_is_read(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("SECRET")
    path = tmp_path / "export.xml"
    path.write_bytes(
        (
            "<?xml version='1.0'?><!DOCTYPE Trials_downloaded_from_ICTRP "
            "[<!ENTITY leak SYSTEM 'secret.txt'>]><Trials_downloaded_from_ICTRP>"
            + trial("ChiCTR2000000001", Public_title="T &leak;")
            + TAIL
        ).encode()
    )
    (item,) = parse_ictrp(path)
    assert isinstance(item, SourceRecord) and "SECRET" not in item.data["title"]


def test_gzipped_export_is_read(tmp_path: Path) -> None:
    packed = tmp_path / "export.xml.gz"
    packed.write_bytes(gzip.compress(EXPORT.read_bytes()))
    assert sum(1 for i in parse_ictrp(packed) if isinstance(i, SourceRecord)) == 578

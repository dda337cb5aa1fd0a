"""Europe PMC answers that used to lose data or mislead: co-authors with one display name, lone
surrogates, UTF-16 pages, Dublin Core pages, wrong files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from etl.records import Quarantined, SourceRecord
from etl.sources.ctgov.parse import parse_studies
from etl.sources.europepmc.parse import parse_search


def page(*results: dict) -> bytes:
    return json.dumps({"hitCount": len(results), "resultList": {"result": list(results)}}).encode()


def test_co_authors_with_the_same_display_name_are_both_kept() -> None:
    core = {
        "id": "1",
        "source": "MED",
        "pmid": "1",
        "title": "t",
        "authorList": {
            "author": [
                {"firstName": "Zhen", "lastName": "Qiu", "fullName": "Qiu Z"},
                {"firstName": "Li", "lastName": "Wang", "fullName": "Wang L"},
                {"firstName": "Zhen", "lastName": "Qiu", "fullName": "Qiu Z"},
            ]
        },
    }
    lite = {
        "id": "2",
        "source": "MED",
        "pmid": "2",
        "title": "t",
        "authorString": "Qiu Z, Wang L, Qiu Z.",
    }
    first, second = parse_search(page(core, lite))
    assert first.data["authors"] == ["Zhen Qiu", "Li Wang", "Zhen Qiu"]
    assert second.data["authors"] == ["Z Qiu", "L Wang", "Z Qiu"]


def test_a_lone_surrogate_becomes_a_replacement_character() -> None:
    body = (
        b'{"hitCount": 1, "resultList": {"result": [{"id": "1", "source": "MED", "pmid": "1",'
        b' "title": "MSC \\ud800 exosomes", "abstractText": "ok \\udfff"}]}}'
    )
    (record,) = parse_search(body)
    assert isinstance(record, SourceRecord)
    assert record.data["title"] == "MSC \ufffd exosomes"
    assert record.data["abstract"] == "ok \ufffd"
    json.dumps(record.data, ensure_ascii=False).encode()  # printable and storable


def test_a_utf16_xml_page_gets_a_clear_error() -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        "<responseWrapper><hitCount>0</hitCount></responseWrapper>"
    )
    (item,) = parse_search(xml.encode("utf-16"), location="page.xml")
    assert isinstance(item, Quarantined)
    assert item.reason.startswith("this is UTF-16 text, not a Europe PMC search response")
    assert "iconv -f UTF-16 -t UTF-8" in item.reason


def test_a_dublin_core_page_is_refused_instead_of_giving_no_records() -> None:
    dc = (
        b'<?xml version="1.0" encoding="UTF-8"?><responseWrapper><version>6.9</version>'
        b"<hitCount>1</hitCount><request><queryString>msc</queryString></request><resultList>"
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/"><rdf:Description rdf:about="x">'
        b"<dc:title>MSCs in AML</dc:title></rdf:Description></rdf:RDF></resultList>"
        b"</responseWrapper>"
    )
    (item,) = parse_search(dc, location="dc.xml")
    assert isinstance(item, Quarantined)
    assert item.reason.startswith("this is a Europe PMC page in Dublin Core format (format=dc)")


def test_wrong_files_say_what_they_are() -> None:
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
    (item,) = parse_search(feed)
    assert isinstance(item, Quarantined)
    assert item.reason == (
        "this is an RSS feed (<rss>), not a Europe PMC search response (format=json, or "
        "format=xml: <responseWrapper>)"
    )


def test_a_page_larger_than_any_page_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from etl.sources.ctgov import parse as ctgov_parse
    from etl.sources.europepmc import parse as europepmc_parse

    bomb = tmp_path / "page.json.gz"
    bomb.write_bytes(gzip.compress(b" " * (8 << 20)))
    for module, parse in ((europepmc_parse, parse_search), (ctgov_parse, parse_studies)):
        monkeypatch.setattr(module, "MAX_PAGE", 1 << 20)
        (item,) = parse(bomb)
        assert isinstance(item, Quarantined) and item.whole_file
        assert item.reason.startswith("larger than 1,048,576 bytes")

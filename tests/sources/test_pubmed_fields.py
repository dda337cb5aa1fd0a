"""The PubMed extractor's fast paths give exactly what the shared normalisers give.

fields.py re-implements a few helpers of etl.normalize for speed (bench/README.md, "Parse");
these tests hold them to the originals, so a change on either side shows up here.
"""

from __future__ import annotations

import pytest
from lxml import etree

from etl.normalize.identifiers import REGISTRY_SCHEMES, find_registry_ids
from etl.normalize.text import date_of, squash, squash_all
from etl.sources.pubmed.fields import _date, _registry_ids, _squash, _squash_all

TEXTS = [
    "",
    " ",
    "plain words",
    "  leading and trailing  ",
    "two  spaces",
    "line\nbreak",
    "tab\there",
    "carriage\r\nreturn",
    "vertical\x0btab and form\x0cfeed",
    "separators\x1c\x1d\x1e\x1f",
    "no\u00a0break and\u2009thin and\u3000ideographic",
    "next\x85line",
    "Ünïcödé  with  doubles",
    "a long ASCII sentence of more than eighty characters that has only single spaces in it",
    "a long ASCII sentence of more than eighty characters that has one\nline break in it..",
    "a long ASCII sentence of more than eighty characters that has a double  space in it",
    " a long ASCII sentence of more than eighty characters with spaces at both of its ends ",
]


@pytest.mark.parametrize("text", TEXTS)
def test_squash_matches_the_shared_normaliser(text: str) -> None:
    assert _squash(text) == squash(text)


def test_squash_all_matches_the_shared_normaliser() -> None:
    clean = ["Humans", "Female", " Stem Cells "]
    assert _squash_all(clean) == squash_all(clean) == ["Humans", "Female", "Stem Cells"]
    assert _squash_all(TEXTS) == squash_all(TEXTS)


# One id per registry, as it appears in an abstract. A new registry needs an example here: the
# extractor skips texts without six digits in a row, so its pattern must need them too (or its
# shape be known to short_id_possible, as NTR, NL and RBR ids are).
EXAMPLES = {
    "nct": "NCT01234567",
    "chictr": "ChiCTR-2000012345",
    "isrctn": "ISRCTN12345678",
    "euct": "2023-501234-12-00",
    "eudract": "EudraCT 2014-001234-56",
    "actrn": "ACTRN12612000123456",
    "jprn": "UMIN000012345",
    "drks": "DRKS00012345",
    "ctri": "CTRI/2019/05/012345",
    "kct": "KCT0001234",
    "irct": "IRCT20180216038783N1",
    "tctr": "TCTR20200101001",
    "pactr": "PACTR201905538849361",
    "rebec": "RBR-7xyz8k",
    "ntr": "NL8633",
    "itmctr": "ITMCTR2024000123",
}


def test_every_registry_has_an_example() -> None:
    assert set(EXAMPLES) == set(REGISTRY_SCHEMES)


@pytest.mark.parametrize("scheme", sorted(EXAMPLES))
@pytest.mark.parametrize("template", ["Registered as {}.", "Registrée sous {} (essai).", "{}"])
def test_registry_ids_match_the_shared_finder(scheme: str, template: str) -> None:
    text = template.format(EXAMPLES[scheme])
    expected = [value for _, value in find_registry_ids(text)]
    assert expected, text
    assert _registry_ids(text) == expected


@pytest.mark.parametrize(
    "text",
    ["No trial here, 12345 patients in 2019.", "NCT1234567 is one digit short", "Ünï 2019-5"],
)
def test_text_without_a_registry_id_gives_none(text: str) -> None:
    assert _registry_ids(text) == [] == find_registry_ids(text)


DATES = [
    "<D><Year>2024</Year><Month>May</Month><Day>17</Day></D>",
    "<D><Year>2024</Year><Month>05</Month><Day>7</Day></D>",
    "<D><Year>2024</Year><Month>13</Month></D>",
    "<D><Year>2024</Year><Season>Winter-Spring</Season></D>",
    "<D><Year>2024</Year><Month/><Season>Fall</Season></D>",
    "<D><Year>2024</Year></D>",
    "<D><Year> 2024 </Year><Month> Jun </Month><Day>31</Day></D>",
    "<D><Year>24</Year><Month>Jan</Month></D>",
    "<D><Year>2023</Year><Year>2024</Year><Month>Feb</Month></D>",
    "<D><MedlineDate>1998 Dec-1999 Jan</MedlineDate></D>",
    "<D><MedlineDate>Spring 2001</MedlineDate></D>",
    "<D><Month>Jan</Month></D>",
    "<D/>",
]


@pytest.mark.parametrize("xml", DATES)
def test_dates_match_the_shared_reader(xml: str) -> None:
    elem = etree.fromstring(xml)
    assert _date(elem) == date_of(elem)


def test_missing_date_is_none() -> None:
    assert _date(None) is None

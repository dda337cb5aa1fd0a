"""Study addresses: one slug per work from its best identifier, readable, URL- and file-safe,
and read back to the identifier it came from (so an old address still finds its study)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl.normalize.slugs import (
    best_identifier,
    escape,
    identifier_slug,
    parse_slug,
    study_slug,
    unescape,
)

SAFE = re.compile(r"^[a-z0-9._~-]+$")


@pytest.mark.parametrize(
    ("scheme", "value", "slug"),
    [
        ("nct", "NCT05432187", "nct05432187"),
        ("chictr", "ChiCTR2300071234", "chictr2300071234"),
        ("chictr", "ChiCTR-TRC-12001234", "chictr-trc-12001234"),
        ("pmid", "38012345", "pmid-38012345"),
        ("doi", "10.1016/j.cell.2023.01.001", "doi-10.1016_j.cell.2023.01.001"),
        ("doi", "10.1016/s0140-6736(20)30183-5", "doi-10.1016_s0140-6736~2820~2930183-5"),
        (
            "doi",
            "10.1002/1097-0142(19900315)65:6<1384::aid-cncr>3.0.co;2-x",
            "doi-10.1002_1097-0142~2819900315~2965~3a6~3c1384~3a~3aaid-cncr~3e3.0.co~3b2-x",
        ),
        ("doi", "10.1234/a_b~c", "doi-10.1234_a~5fb~7ec"),
        ("pmcid", "PMC1234567", "pmcid-pmc1234567"),
        ("ppr", "PPR612345", "ppr612345"),
        ("eudract", "2014-001234-56", "eudract-2014-001234-56"),
        ("euct", "2023-501234-12-00", "euct-2023-501234-12-00"),
        ("jprn", "JPRN-jRCT2031210123", "jprn-jrct2031210123"),
        ("jprn", "JPRN-UMIN000012345", "jprn-umin000012345"),
        ("ctri", "CTRI/2020/01/022834", "ctri_2020_01_022834"),
        ("rebec", "RBR-7b2x9k", "rebec-rbr-7b2x9k"),
        ("ntr", "NL-OMON12345", "ntr-nl-omon12345"),
        ("isrctn", "ISRCTN12345678", "isrctn12345678"),
    ],
)
def test_slug_of_each_scheme_reads_back_to_the_stored_value(
    scheme: str, value: str, slug: str
) -> None:
    assert identifier_slug(scheme, value) == slug
    assert SAFE.match(slug)
    assert parse_slug(slug) == (scheme, value)
    # Typed in capitals (as a registry prints the id), it still names the same identifier.
    assert parse_slug(slug.upper()) == (scheme, value)


def test_best_identifier_is_the_registration_for_a_trial_and_the_pmid_for_a_paper() -> None:
    trial = [("chictr", "ChiCTR2300071234"), ("nct", "NCT05432187")]
    assert study_slug(trial, "trial", 7) == "nct05432187"
    assert study_slug(list(reversed(trial)), "trial", 7) == "nct05432187"
    paper = [("doi", "10.1000/x.1"), ("pmcid", "PMC9"), ("pmid", "38012345")]
    assert study_slug(paper, "paper", 7) == "pmid-38012345"
    assert study_slug([("doi", "10.1000/x.1"), ("pmcid", "PMC9")], "paper", 7) == (
        "doi-10.1000_x.1"
    )
    assert study_slug([("ppr", "PPR1"), ("doi", "10.1101/2024.01.01.123")], "preprint", 7) == (
        "doi-10.1101_2024.01.01.123"
    )
    # two ids of one scheme: the same choice whatever order the rows come in
    twice = [("chictr", "ChiCTR2400000002"), ("chictr", "ChiCTR2300000001")]
    assert best_identifier(twice, "trial") == best_identifier(twice[::-1], "trial")
    # a scheme that names no study (a PII) is passed over; nothing left gives the work's number
    assert study_slug([("pii", "S0140-6736(20)30183-5")], "paper", 42) == "work-42"
    assert parse_slug("work-42") == ("work", "42")


@pytest.mark.parametrize(
    "slug",
    [
        *("", "-", "pmid-", "pmid-0123", "pmid-12a", "nct123", "doi-not-a-doi", "work-"),
        *("work-01", "work-99999999999999999999", "work-" + "9" * 5000, "unknown-1", "../etc"),
        *("doi-10.1000_x~zz", "doi-10.1000_x~2"),
        # "~41" is "a" spelled as escape never writes it: one study, one address
        "doi-10.1000_x~41",
    ],
)
def test_what_no_slug_is_reads_as_nothing(slug: str) -> None:
    assert parse_slug(slug) is None


@given(st.text(min_size=1, max_size=40))
def test_escape_is_reversible_and_safe(value: str) -> None:
    slug = escape(value)
    assert SAFE.match(slug)
    assert unescape(slug) == value.lower()


@given(st.from_regex(r"10\.[0-9]{4,6}/[a-z0-9./()_;:<>~-]{1,30}", fullmatch=True))
def test_every_doi_round_trips(body: str) -> None:
    from etl.normalize.identifiers import normalize_doi

    doi = normalize_doi(body)
    if doi is None:
        return
    assert parse_slug(identifier_slug("doi", doi)) == ("doi", doi)

"""The extractor on written abstracts in the style of real ones, covering every design: each line
of abstracts.jsonl holds a record and the facts expected of it (only the keys it names)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from etl.facts.extract import extract, record_text
from etl.facts.fidelity import unsupported
from etl.facts.model import DESIGNS
from etl.facts.terms import load_terms
from etl.facts.write import en_lead, zh_lead

FIXTURE = Path(__file__).with_name("abstracts.jsonl")
CASES = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line]
TERMS = load_terms()


def record(case: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "paper",
        "source": "pubmed",
        "source_id": case["id"],
        "title": case["title"],
        "abstract": case["abstract"],
        "publication_types": case["publication_types"],
        "affiliations": case["affiliations"],
    }


def test_the_fixture_covers_every_paper_design() -> None:
    designs = Counter(case["expected"]["design"] for case in CASES)
    assert len(CASES) >= 60
    paper_designs = set(DESIGNS) - {"trial_registration", "trial_results"}
    assert paper_designs <= set(designs), paper_designs - set(designs)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_expected_facts(case: dict[str, Any]) -> None:
    facts = extract(record(case))
    expected = dict(case["expected"])
    outcomes = expected.pop("outcomes", [])
    for key, value in expected.items():
        found = getattr(facts, key)
        if isinstance(found, tuple):
            assert list(found)[: len(value)] == value, (key, found)
        elif key == "institution":
            assert found and value in found, (key, found)
        else:
            assert found == value, (key, found)
    got = [(f.measure, f.value, f.comparator) for f in facts.outcomes]
    for measure, value, comparator in outcomes:
        assert (measure, value, comparator) in got, got


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_leads_pass_the_fidelity_check_and_show_the_facts(case: dict[str, Any]) -> None:
    data = record(case)
    facts = extract(data)
    source = record_text(data)
    zh, en = zh_lead(facts, TERMS, source).text, en_lead(facts, TERMS, source).text
    assert zh and en
    assert unsupported(zh, source) == [] == unsupported(en, source)
    if facts.patients:
        assert f"{facts.patients} 例" in zh
    for figure in facts.outcomes[:1]:
        if TERMS.zh_outcome(figure.measure):
            assert figure.value.split()[0].split("%")[0] in zh, zh

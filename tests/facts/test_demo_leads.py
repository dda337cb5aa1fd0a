"""Every demo record's leads: Chinese prose with full-width marks, every figure in the record,
the patient number and the first outcome figure shown when the record states them."""

from __future__ import annotations

import re

import pytest

from etl.facts.extract import extract, record_text
from etl.facts.fidelity import unsupported
from etl.facts.terms import load_terms
from etl.facts.write import en_lead, zh_lead
from etl.facts.zh import cjk_share
from tests.digest.test_leads import every_record

TERMS = load_terms()
RECORDS = every_record()
ASCII_MARK_NEXT_TO_CJK = re.compile(r"[\u4e00-\u9fff][,:;()?!]|[,:;()?!][\u4e00-\u9fff]")


@pytest.mark.parametrize("record", RECORDS, ids=[r["source_id"] for r in RECORDS])
def test_demo_lead(record: dict) -> None:
    facts = extract(record)
    source = record_text(record)
    zh = zh_lead(facts, TERMS, source).text
    en = en_lead(facts, TERMS, source).text
    assert zh and en
    assert unsupported(zh, source) == [] and unsupported(en, source) == []
    assert not ASCII_MARK_NEXT_TO_CJK.search(zh), zh
    assert zh.endswith("。") and cjk_share(zh) >= 0.5, zh
    if facts.patients and facts.design not in ("review",):
        assert f"{facts.patients} 例" in zh, zh
    figure = next((f for f in facts.outcomes if TERMS.zh_outcome(f.measure)), None)
    if figure and facts.kind == "paper":
        number = re.search(r"\d+(?:\.\d+)?", figure.value).group()
        assert number in zh, zh

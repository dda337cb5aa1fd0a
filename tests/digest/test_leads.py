"""Leads and key results: properties over every demo record, then one case per rule."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from etl.digest.leads import key_result, paper_lead, sentences
from etl.records import SourceRecord
from etl.sources.ctgov.parse import parse_studies
from etl.sources.pubmed.parse import parse_efetch
from tests.conftest import ROOT, SAMPLES

DEMO = ROOT / "etl" / "demo" / "data"
CONCLUSION = re.compile(
    r"^(?:CONCLUSIONS?|INTERPRETATION|SIGNIFICANCE|CONCLUSIONS AND RELEVANCE): (.*)$", re.M
)
RESULTS = re.compile(r"^RESULTS?: (.*)$", re.M)
# Spans that must never hold a sentence end: decimals, P values, abbreviations with their next word.
UNSPLITTABLE = re.compile(
    r"\d+\.\d+|[Pp]\s*[<=>≤≥]\s*0?\.\d+"
    r"|\b(?:e\.g|i\.e|et al|vs|Fig|approx|No|Dr|U\.S)\.\s+\S+"
)


@cache
def papers() -> tuple[dict[str, Any], ...]:
    items = parse_efetch(DEMO / "pubmed" / "efetch-2026-autumn.xml")
    return tuple(item.data for item in items if isinstance(item, SourceRecord) and not item.deleted)


@cache
def trials() -> tuple[dict[str, Any], ...]:
    items = parse_studies(DEMO / "ctgov" / "studies-2026-autumn.json")
    return tuple(item.data for item in items if isinstance(item, SourceRecord) and not item.deleted)


def every_record() -> list[dict[str, Any]]:
    return [*papers(), *trials()]


def sentence_ends(text: str) -> list[int]:
    """Where each sentence of `text` ends, as offsets into `text`."""
    ends, position = [], 0
    for sentence in sentences(text):
        position = text.index(sentence, position) + len(sentence)
        ends.append(position)
    return ends


def from_abstract(sentence: str, abstract: str, whole: bool = True) -> bool:
    """A sentence of the abstract (or, not `whole`, the start of one), perhaps without the section
    label in front of it."""
    for found in sentences(abstract):
        unlabelled = found.split(": ", 1)[-1]
        if sentence in (found, unlabelled) or not whole and unlabelled.startswith(sentence):
            return True
    return False


def paper(abstract: str = "", **fields: Any) -> dict[str, Any]:
    return {"kind": "paper", "title": "", "abstract": abstract, **fields}


# Properties over the demo records and the PubMed samples.


def test_the_demo_files_hold_both_kinds() -> None:
    assert len(papers()) >= 40 and len(trials()) >= 10
    assert sum(bool(CONCLUSION.search(p["abstract"])) for p in papers()) >= 15


@pytest.mark.parametrize(
    "path",
    [DEMO / "pubmed" / "efetch-2026-autumn.xml", *sorted(SAMPLES.glob("pubmed-efetch/*.xml"))],
    ids=lambda p: Path(p).name,
)
def test_sentences_keep_all_text_and_never_split_numbers_or_abbreviations(path: Path) -> None:
    items = [i for i in parse_efetch(path) if isinstance(i, SourceRecord) and not i.deleted]
    for abstract in (item.data.get("abstract") or "" for item in items):
        found = sentences(abstract)
        assert re.sub(r"\s", "", "".join(found)) == re.sub(r"\s", "", abstract)
        ends = sentence_ends(abstract)
        for match in UNSPLITTABLE.finditer(abstract):
            assert not [e for e in ends if match.start() < e < match.end()], match.group()


@pytest.mark.parametrize("max_chars", [320, 120, 60])
def test_every_lead_is_at_most_two_whole_sentences_of_the_abstract(max_chars: int) -> None:
    for record in every_record():
        lead, abstract = paper_lead(record, max_chars), record["abstract"] or ""
        assert len(lead) <= max_chars
        assert bool(lead) == bool(abstract.strip()), record["source_id"]
        if lead.endswith("…"):  # even the first sentence was too long: cut at a word
            assert " " not in lead[-2:] and from_abstract(lead[:-1], abstract, whole=False)
            continue
        assert len(sentences(lead)) <= 2
        assert all(from_abstract(s, abstract) for s in sentences(lead)), lead


def test_a_labelled_conclusion_is_the_lead() -> None:
    for record in papers():
        if match := CONCLUSION.search(record["abstract"]):
            lead = paper_lead(record)
            assert lead and match.group(1).startswith(lead), record["source_id"]
            assert "registration" not in lead.lower()


def test_key_results_carry_figures_from_the_results_section() -> None:
    for record in every_record():
        key, abstract = key_result(record), record["abstract"] or ""
        assert len(key) <= 280 and bool(key) == bool(abstract.strip())
        if key != paper_lead(record, 280):
            assert re.search(r"\d", key)
        if (match := RESULTS.search(abstract)) and re.search(r"\d+(?:\.\d+)?%", match.group(1)):
            assert key.removesuffix("…") in match.group(1), record["source_id"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Cells grew. Mice died.", ["Cells grew.", "Mice died."]),
        ("Doses rose 3.5-fold. Mice died.", ["Doses rose 3.5-fold.", "Mice died."]),
        ("Growth fell (P < 0.05). Mice died!", ["Growth fell (P < 0.05).", "Mice died!"]),
        ("Some, e.g. IL-6, rose. Others fell.", ["Some, e.g. IL-6, rose.", "Others fell."]),
        ("As Smith et al. Reported, X rose.", ["As Smith et al. Reported, X rose."]),
        ("A vs. B. Then C.", ["A vs. B.", "Then C."]),
        ("See Fig. 2 and approx. 30 cells.", ["See Fig. 2 and approx. 30 cells."]),
        ("Trial No. 5 ended. Dr. Li agreed.", ["Trial No. 5 ended.", "Dr. Li agreed."]),
        ("Work by J. K. Smith. It held.", ["Work by J. K. Smith.", "It held."]),
        ("Levels of vitamin D. The rest.", ["Levels of vitamin D.", "The rest."]),
        ("Mice (fed. Not all) lived. Why? No.", ["Mice (fed. Not all) lived.", "Why?", "No."]),
        ("Rates fell. hUC-MSCs persisted.", ["Rates fell.", "hUC-MSCs persisted."]),
        ("Approved in the U.S. Later trials.", ["Approved in the U.S. Later trials."]),
        ("AIM: X.\n\nRESULTS: Y rose. Z fell", ["AIM: X.", "RESULTS: Y rose.", "Z fell"]),
        ("", []),
    ],
)  # fmt: skip
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_lead_takes_the_labelled_conclusion_without_its_label_or_registration() -> None:
    abstract = (
        "BACKGROUND: A.\n\nRESULTS: Relapse was 5%.\n\n"
        "CONCLUSIONS: MSCs were safe. They reduced GVHD. A trial is needed. "
        "Trial registration: ClinicalTrials.gov NCT01234567."
    )
    assert paper_lead(paper(abstract)) == "MSCs were safe. They reduced GVHD."
    for label in ("CONCLUSION", "INTERPRETATION", "SIGNIFICANCE", "CONCLUSIONS AND RELEVANCE"):
        assert paper_lead(paper(f"METHODS: We did X.\n\n{label}: It works.")) == "It works."


def test_lead_of_an_unlabelled_abstract() -> None:
    body = "Cancer kills. We tested MSCs. Tumours shrank by 40%."
    assert paper_lead(paper(body)) == "Tumours shrank by 40%."
    concluding = f"{body} Taken together, MSCs work. Trials should follow."
    assert paper_lead(paper(concluding)) == "Taken together, MSCs work. Trials should follow."
    last_only = f"{body} These findings support MSC carriers."
    assert paper_lead(paper(last_only)) == "These findings support MSC carriers."
    results_before = f"{body} Overall survival was 14 months. MSCs may help."
    assert paper_lead(paper(results_before)) == "MSCs may help."


def test_lead_length_rules() -> None:
    two = "CONCLUSIONS: " + "A" * 50 + " works. " + "B" * 50 + " follows."
    assert paper_lead(paper(two), max_chars=80) == "A" * 50 + " works."
    long = "CONCLUSIONS: " + " ".join(["engineered"] * 40) + " cells work."
    cut = paper_lead(paper(long), max_chars=50)
    assert cut == " ".join(["engineered"] * 4) + "…" and len(cut) <= 50
    assert paper_lead(paper("")) == paper_lead({"kind": "paper"}) == ""
    assert key_result(paper("")) == ""


def test_key_result_is_the_most_figure_dense_result() -> None:
    abstract = (
        "METHODS: 40 patients (n = 40) were treated.\n\n"
        "RESULTS: Responses were seen. The response rate was 45% vs 20% (P = 0.01; HR 0.5). "
        "Survival was 30%.\n\nCONCLUSIONS: MSCs help."
    )
    assert key_result(paper(abstract)) == "The response rate was 45% vs 20% (P = 0.01; HR 0.5)."
    assert key_result(paper("RESULTS: Nothing changed.\n\nCONCLUSION: No use.")) == "No use."
    unlabelled = "Tumours grow. MSCs homed in 7 of 10 mice and cut growth by 60%. MSCs may help."
    assert key_result(paper(unlabelled)) == "MSCs homed in 7 of 10 mice and cut growth by 60%."
    # The densest sentence would need cutting, so a shorter one with a figure is quoted whole.
    dense = "RESULTS: Survival was 30%. " + "Response " * 20 + "was 45% vs 20% (P = 0.01)."
    assert key_result(paper(dense), max_chars=100) == "Survival was 30%."

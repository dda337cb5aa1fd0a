"""The title rule on its own: what one title written two ways is, and what two studies are."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl.works.titles import THRESHOLD, block_key, similarity, title_key

BASE = "Mesenchymal stromal cells deliver interleukin-12 to {} in a murine model of metastasis"


def same(a: str, b: str) -> bool:
    return similarity(title_key(a), title_key(b)) >= THRESHOLD


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (BASE.format("oesophageal tumours"), BASE.format("esophageal tumors")),
        (BASE.format("haematological cancers"), BASE.format("hematological cancers")),
        (BASE.format("paediatric leukaemia"), BASE.format("pediatric leukemia")),
        (BASE.format("breast cancer: a randomised trial"),
         BASE.format("breast cancer: a randomized trial")),
        (BASE.format("Funk's tumours"), BASE.format("Funk&#39;s tumors")),
        (BASE.format("PD-1 blockade"), BASE.format("PD1 blockade")),
        (BASE.format("TGF-β signalling"), BASE.format("TGF-beta signaling")),
        (BASE.format("<i>KRAS</i> mutant cancers"), BASE.format("KRAS mutant cancers")),
        (BASE.format("&lt;i&gt;KRAS&lt;/i&gt; cancers"), BASE.format("KRAS cancers")),
        (BASE.format("nanoparticle-treated tumours"), BASE.format("nano particle treated tumors")),
        (BASE.format("breast cancer cell lines"), BASE.format("breast cancer cell line")),
    ],
)  # fmt: skip
def test_one_title_written_two_ways_matches(a: str, b: str) -> None:
    assert same(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (BASE.format("breast cancer"), BASE.format("bladder cancer")),
        (BASE.format("colorectal cancer"), BASE.format("rectal cancer")),
        (BASE.format("cisplatin-resistant tumours"), BASE.format("carboplatin-resistant tumours")),
        (BASE.format("sorafenib-treated tumours"), BASE.format("regorafenib-treated tumours")),
        (BASE.format("HER2-positive cancer"), BASE.format("HER2-negative cancer")),
        (BASE.format("lung cancer: a phase 1a trial"),
         BASE.format("lung cancer: a phase 1b trial")),
        (BASE.format("lung cancer as first-line therapy"),
         BASE.format("lung cancer as second-line therapy")),
        (BASE.format("indoleamine 2,3-dioxygenase: a phase 2 trial"),
         BASE.format("indoleamine 2,3-dioxygenase: a phase 3 trial")),
        (BASE.format("glioma: a phase 2 study"), BASE.format("glioma: a phase 2 study. Part 2")),
    ],
)  # fmt: skip
def test_a_sibling_study_does_not_match(a: str, b: str) -> None:
    assert similarity(title_key(a), title_key(b)) == 0.0


def paper(**fields: object) -> dict[str, object]:
    return {"kind": "paper", "authors": ["Wei Zhang"], "title": "x", **fields}


def test_blocks_on_the_earliest_year_and_keep_preprints_apart() -> None:
    issue_in_january = paper(published="2025-01", epublished="2024-12-18")
    online_in_december = paper(published="2024-12-18", epublished=None)
    assert block_key(issue_in_january) == block_key(online_in_december) == "paper|2024|zhang"
    assert block_key(paper(published="2024-06", preprint=True)) == "preprint|2024|zhang"
    assert block_key(paper(published="2024", authors=[])) is None


@given(st.text(alphabet="aeoiuslrbtgyh é<>/&#;'-β12 ", max_size=40))
def test_title_keys_are_idempotent(title: str) -> None:
    key = title_key(title)
    assert title_key(key) == key

"""The literal gates in front of taxonomy patterns, and the matcher's folding in C: both must
change speed only, never a match."""

from __future__ import annotations

import re

import pytest

from etl.classify.gate import GatedPattern, needles
from etl.classify.matcher import acronym_words, fold, words
from etl.classify.taxonomy import load_taxonomy
from tests.conftest import CONFIG

TAXONOMY = load_taxonomy(CONFIG / "taxonomy.yaml")
TEXTS = [
    "mesenchymal stem cells laden with docetaxel nanoparticles reduced tumour growth.",
    "msc-derived exosomes carrying mir-145 restrained osteosarcoma; il-21-armed mscs.",
    "bone marrow stromal cells shielded leukaemia blasts from venetoclax in 12 patients.",
    "a phase 1/2 dose-escalation study; we report a 44-year-old man with a relapse.",
    "no recurrence after grafting; these data support msc therapy against metastasis.",
    "haploidentical transplant with co-infused mscs for aml; donor-derived sarcoma.",
    "the mice were treated with cisplatin. salivary glands were protected from radiation.",
    "",
]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bhaploidentical\b", ("haploidentical",)),
        (r"\b(?:promot|fuel)\w*[^.]{0,20}\bgrowth", ("growth",)),  # one look-up, not two
        (r"\b(?:ab|cd)\b", None),  # two letters are in nearly every text: no gate
        (r"(?<!data )\bsupport\w*", ("support",)),
        (r"[\w-]*-(?:armed|secreting)\b", ("armed", "secreting")),
    ],
)
def test_needles_are_read_from_the_pattern(pattern: str, expected: tuple[str, ...] | None) -> None:
    assert needles(pattern) == expected


def test_every_taxonomy_pattern_matches_as_it_would_without_its_gate() -> None:
    patterns = [p for family in TAXONOMY.labels.values() for label in family.values()
                for p in label.patterns]  # fmt: skip
    patterns += [*TAXONOMY.safety.patterns, *TAXONOMY.safety_topics]
    assert sum(p.needles is not None for p in patterns) >= 0.9 * len(patterns)
    for pattern in patterns:
        plain = re.compile(pattern.pattern)
        for text in TEXTS:
            assert bool(pattern.search(text)) == bool(plain.search(text)), pattern.pattern
            assert [m.span() for m in pattern.finditer(text)] == [
                m.span() for m in plain.finditer(text)
            ]


def test_a_gate_closes_on_a_text_without_its_words() -> None:
    gated = GatedPattern(re.compile(r"\boncolytic\b"))
    assert gated.search("oncolytic adenovirus") and not gated.search("adenoviral vector")


@pytest.mark.parametrize(
    "text",
    ["MSCs hUC-MSCs ADSCs hMSCs CD4s 5FUs 1990s IFNβs ÉTUDEs _ABs AS ASs aSs",
     "Bodies, series, ties, dies, diseases, analyses, glasses, status, axis, days, has.",
     "Mesenchymal stem-cells and malignancies in tumour-bearing mice; İstanbul."],
)  # fmt: skip
def test_words_fold_as_one_word_at_a_time_would(text: str) -> None:
    plain = re.findall(r"\w+", text)
    assert words(text) == [fold(token) for token in re.findall(r"\w+", text.lower())]
    assert acronym_words(text) == [
        t[:-1] if len(t) > 2 and t[-1] == "s" and t[:-1].isupper() else t for t in plain
    ]

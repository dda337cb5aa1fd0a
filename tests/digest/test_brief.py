"""The article brief carries upstream text as text: HTML and Markdown in a record's title,
abstract, affiliation or trial fields come out escaped, never as markup."""

from __future__ import annotations

import re
from typing import Any

from etl.classify.taxonomy import load_taxonomy
from etl.digest.brief import brief_markdown, text
from tests.conftest import CONFIG

SCRIPT = "<script>alert('brief')</script>"
IMAGE = '<img src=x onerror="alert(1)">'
LINK = "[click here](javascript:alert(2))"

PAPER = {
    "kind": "paper",
    "title": f"Umbilical cord MSCs {SCRIPT} in colorectal cancer {LINK}",
    "abstract": (
        "BACKGROUND: Something.\n\n"
        f"RESULTS: Tumour volume fell by 45% (P<0.01) in 12 mice {IMAGE}.\n\n"
        f"CONCLUSIONS: MSC exosomes <b>slowed</b> growth of tumours {SCRIPT}."
    ),
    "affiliations": [f"Department of Oncology, {IMAGE} Hospital, Shanghai, China."],
    "journal": f"J <i>Hematol</i> Oncol {LINK}",
    "published": "2026-02",
    "identifiers": {"pmid": "41000001", "doi": "10.5555/x_y"},
}
TRIAL = {
    "kind": "trial",
    "title": f"Umbilical cord MSCs for GVHD {SCRIPT}",
    "acronym": f"MSC-{IMAGE}|x",
    "sponsor": f"<a href='https://evil.example'>Sponsor</a> {LINK}",
    "countries": ["China"],
    "interventions": [f"Biological: UC-MSC {SCRIPT}"],
    "identifiers": {"nct": "NCT06218473"},
    "phases": ["PHASE2"],
    "status": "RECRUITING",
}
LABELS: dict[str, Any] = {"cancer_types": ["colorectal"], "strategies": [], "stage": "animal"}


def test_upstream_html_and_markdown_arrive_as_text() -> None:
    taxonomy = load_taxonomy(CONFIG / "taxonomy.yaml")
    works = [(PAPER, LABELS), (TRIAL, {"cancer_types": ["colorectal"], "strategies": []})]
    for lang in ("zh", "en"):
        brief = brief_markdown(works, taxonomy, "Disclaimer.", lang)
        assert not re.search(r"<\s*[a-z/]", brief, re.I), brief  # no tag of any kind
        assert not re.search(r"(?<!\\)\]\(javascript:", brief)  # no link made by a record
        assert "&lt;script&gt;alert('brief')&lt;/script&gt;" in brief
        assert '&lt;img src=x onerror="alert(1)"&gt;' in brief
        assert "\\[click here\\](javascript:alert(2))" in brief
        assert "P&lt;0.01" in brief
        # our own Markdown is still there: the registry link and the table's four columns
        assert "(https://clinicaltrials.gov/study/NCT06218473)" in brief
        row = next(line for line in brief.splitlines() if "(https://clinicaltrials" in line)
        assert row.count(" | ") == 3, row


def test_escaped_text_reads_back_as_the_same_characters() -> None:
    raw = "a <b> & [c](d) *e* _f_ `g` | h \\ i\nj"
    escaped = text(raw)
    assert "\n" not in escaped
    unescaped = re.sub(r"\\(.)", r"\1", escaped)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")):
        unescaped = unescaped.replace(entity, char)
    assert unescaped == " ".join(raw.split())

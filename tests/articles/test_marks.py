"""Verdicts marked on their spans of the checked text: escaped, overlaps resolved, nothing lost."""

from __future__ import annotations

import re

from etl.articles.marks import marked, spans

TEXT = "共纳入 85 例患者 <b>。\n\n论文：《A》（《B》，2026 年，DOI：10.1/x）\n\nPMID 123"
REPORT = {
    "citations": [
        {
            "span": [TEXT.index("论文"), TEXT.index("x）") + 2],
            "verdict": "found",
            "differences": [],
            "figures": [
                {
                    "span": [TEXT.index("85"), TEXT.index("85") + 4],
                    "text": "85 例",
                    "verdict": "contradicted",
                    "source_says": "58 patients",
                }
            ],
        },
        {"span": [TEXT.index("PMID"), len(TEXT)], "verdict": "not_found", "figures": []},
        # a span overlapping one already taken is left out, not nested
        {"span": [2, 6], "verdict": "mismatch", "differences": ["year"], "figures": []},
    ]
}


def test_each_verdict_marks_its_span_and_the_text_stays_whole() -> None:
    html = str(marked(TEXT, REPORT))
    assert '<mark class="figure-contradicted" title="[1] 85 例: contradicted; the record says 58 ' \
        'patients">85 例</mark>' in html
    assert '<mark class="citation-not_found" title="[2] not found">PMID 123</mark>' in html
    chinese = str(marked(TEXT, REPORT, "zh"))  # the editor's language on hover, classes as they are
    assert 'title="[1] 85 例：与原文矛盾；记录为 58 例">85 例</mark>' in chinese
    assert '<mark class="citation-not_found" title="[2] 未找到">PMID 123</mark>' in chinese
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert html.count("<mark") == 3
    assert re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">") == TEXT
    assert [s.css for s in spans(REPORT)] == [
        "figure-contradicted",
        "citation-found",
        "citation-not_found",
    ]

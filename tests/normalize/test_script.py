"""Raised and lowered text keeps its meaning in every source's plain text: a dose written
"5 × 10<sup>6</sup>" must never read "5 × 106"."""

from __future__ import annotations

import json
from pathlib import Path

from etl.normalize.script import shift_markdown, shift_tags, subscript, superscript
from etl.sources.ctgov.parse import parse_studies
from etl.sources.europepmc.parse import parse_search
from etl.sources.feed.parse import parse_feed
from etl.sources.ictrp.parse import parse_ictrp
from etl.sources.pubmed.parse import parse_efetch


def test_runs_with_a_character_for_each_become_unicode_else_caret_or_underscore() -> None:
    assert superscript("6") == "⁶"
    assert superscript("+") == "⁺"
    assert superscript("-3") == "⁻³"
    assert superscript("®") == "®"  # already reads as raised
    assert superscript("q") == "^q"  # Unicode has no superscript q
    assert superscript("1.5") == "^(1.5)"
    assert subscript("2") == "₂"
    assert subscript("max") == "ₘₐₓ"
    assert subscript("trend") == "_trend"  # no subscript d: never "p₍trend₎" or "ₜᵣₑₙd"
    assert subscript("50") == "₅₀"


def test_markup_in_plain_text_fields_is_shifted() -> None:
    assert shift_tags("5 × 10<sup>6</sup> cells/kg") == "5 × 10⁶ cells/kg"
    assert shift_tags("p<SUB>trend</SUB> = 0.02") == "p_trend = 0.02"
    assert shift_markdown("1 × 10^6^ cells, H~2~O, about ~3 days, mm^3") == (
        "1 × 10⁶ cells, H₂O, about ~3 days, mm^3"
    )


def pubmed_record(title: str, abstract: str) -> bytes:
    return f"""<?xml version="1.0"?>
<PubmedArticleSet><PubmedArticle><MedlineCitation Status="MEDLINE"><PMID>111</PMID>
<Article><ArticleTitle>{title}</ArticleTitle>
<Abstract><AbstractText Label="RESULTS">{abstract}</AbstractText></Abstract></Article>
</MedlineCitation></PubmedArticle></PubmedArticleSet>""".encode()


def test_pubmed_doses_and_markers_keep_their_value() -> None:
    body = pubmed_record(
        "CD4<sup>+</sup> T cells after MSC infusion",
        "Patients received 1 × 10<sup>6</sup> cells/kg; p<sub>trend</sub> = 0.03; "
        "IC<sub>50</sub> 2 μM; 10<sup>−5</sup> M; <sup>18</sup>F-FDG.",
    )
    (record,) = parse_efetch(body)
    assert record.data["title"] == "CD4⁺ T cells after MSC infusion"
    abstract = record.data["abstract"]
    assert "1 × 10⁶ cells/kg" in abstract and "106" not in abstract
    assert "p_trend = 0.03" in abstract and "IC₅₀ 2 μM" in abstract
    assert "10⁻⁵ M" in abstract and "¹⁸F-FDG" in abstract


def test_real_pubmed_samples_with_sup_doses(samples: Path) -> None:
    folder = samples / "pubmed-efetch"
    (doped,) = parse_efetch(folder / "metapub-38914053.xml")
    # "2.5 &#xd7; 10<sup>18</sup>cm<sup>-3</sup>"
    assert "2.5 × 10¹⁸cm⁻³" in doped.data["abstract"]
    assert "1018cm" not in doped.data["abstract"]
    records = parse_efetch(folder / "pubMR-pubmed_result.xml")
    text = " ".join(r.data.get("abstract") or "" for r in records)
    assert "CD34⁺ cells" in text and "CD44⁺/CD24⁻" in text


def test_europepmc_json_and_xml_and_feeds_shift_html_markup() -> None:
    page = {
        "hitCount": 1,
        "resultList": {
            "result": [
                {
                    "id": "1",
                    "source": "MED",
                    "pmid": "1",
                    "title": "CD4<sup>+</sup> cells",
                    "abstractText": "<h4>Results</h4>5 × 10<sup>6</sup> MSCs; "
                    "p<sub>trend</sub> = 0.01",
                }
            ]
        },
    }
    (record,) = parse_search(json.dumps(page).encode())
    assert record.data["title"] == "CD4⁺ cells"
    assert record.data["abstract"] == "Results: 5 × 10⁶ MSCs; p_trend = 0.01"
    xml = (
        b'<?xml version="1.0"?><responseWrapper><hitCount>1</hitCount><resultList><result>'
        b"<id>1</id><source>MED</source><pmid>1</pmid><title>CD4<sup>+</sup> cells</title>"
        b"<abstractText>10<sup>6</sup> cells</abstractText></result></resultList></responseWrapper>"
    )
    (record,) = parse_search(xml)
    assert (record.data["title"], record.data["abstract"]) == ("CD4⁺ cells", "10⁶ cells")
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>J</title><item>'
        b"<title>CD4&lt;sup&gt;+&lt;/sup&gt; T cells</title><link>https://example.org/a</link>"
        b"<description><![CDATA[<p>Abstract</p><p>2 &times; 10<sup>6</sup> cells/kg</p>]]>"
        b"</description></item></channel></rss>"
    )
    (record,) = parse_feed(feed)
    assert record.data["title"] == "CD4⁺ T cells"
    assert "2 × 10⁶ cells/kg" in record.data["abstract"]


def test_registries_shift_markup_and_markdown() -> None:
    study = {
        "protocolSection": {
            "identificationModule": {
                "nctId": "NCT01234567",
                "briefTitle": "CD34<sup>+</sup> selected MSCs",
            },
            "descriptionModule": {"briefSummary": "A dose of 2 × 10^6^ cells/kg."},
        }
    }
    (record,) = parse_studies(json.dumps(study).encode())
    assert record.data["title"] == "CD34⁺ selected MSCs"
    assert record.data["abstract"] == "A dose of 2 × 10⁶ cells/kg."
    ictrp = (
        b'<?xml version="1.0"?><Trials_downloaded_from_ICTRP><Trial><TrialID>ChiCTR2000029308'
        b"</TrialID><Public_title>1 &#215; 10&lt;sup&gt;6&lt;/sup&gt; UC-MSCs/kg</Public_title>"
        b"</Trial></Trials_downloaded_from_ICTRP>"
    )
    (record,) = parse_ictrp(ictrp)
    assert record.data["title"] == "1 × 10⁶ UC-MSCs/kg"

"""Finding citations: the genre's citation lines in every spelling writers use, bare ids of
every scheme, HTML and Markdown, and the passage each citation supports."""

from __future__ import annotations

import pytest

from etl.articles.citations import Citation, find_citations, read_document

TITLE = "Umbilical cord MSCs for GVHD prophylaxis: a randomized trial"


def cite(text: str, format: str | None = None) -> list[Citation]:
    return find_citations(read_document(text, format))


def only(text: str, format: str | None = None) -> Citation:
    (found,) = cite(text, format)
    return found


@pytest.mark.parametrize(
    "line",
    [
        f"论文：《{TITLE}》（《Blood》，2024年，DOI：10.1182/blood.2024.1234）",
        f"论文:《{TITLE}》(《Blood》,2024 年,DOI:10.1182/blood.2024.1234)",
        f"参考论文：《{TITLE}》（《Blood》，2024 年，DOI：10.1182/BLOOD.2024.1234）。",
        f"参考文献：《{TITLE}》（《Blood》, 2024, doi: 10.1182/blood.2024.1234）",
        f"**论文**：《{TITLE}》（《Blood》，2024 年，DOI：10.1182/blood.2024.1234）",
        f"论文 ： 《{TITLE}》 （ 《Blood》 ， 2024 年 ， DOI ： 10.1182/blood.2024.1234 ）",
        f'Paper: "{TITLE}" (Blood, 2024, DOI: 10.1182/blood.2024.1234)',
        f"Reference: “{TITLE}” (Blood; 2024; https://doi.org/10.1182/blood.2024.1234)",
    ],
)
def test_a_citation_line_in_any_spelling(line: str) -> None:
    found = only(f"30 例患者的急性 GVHD 发生率为 33%。\n\n{line}\n")
    assert (found.kind, found.ids) == ("paper", {"doi": "10.1182/blood.2024.1234"})
    assert (found.title, found.journal, found.year) == (TITLE, "Blood", 2024)
    assert found.passage == "30 例患者的急性 GVHD 发生率为 33%。"


def test_a_doi_broken_by_spaces_is_read_whole() -> None:
    found = only(
        "论文：《Reduced-intensity conditioning with MSCs》（《Lancet Haematology》，2024 年，"
        "DOI：10.1016/S2352-3026 (24) 00089-1）。"
    )
    assert found.ids == {"doi": "10.1016/s2352-3026(24)00089-1"}
    assert found.text.endswith("00089-1）")


@pytest.mark.parametrize(
    ("group", "scheme", "value"),
    [
        ("ClinicalTrials.gov 注册号：NCT05432187", "nct", "NCT05432187"),
        ("ClinicalTrials.gov 注册号: NCT 05432187", "nct", "NCT05432187"),
        ("中国临床试验注册中心注册号：ChiCTR2000031234", "chictr", "ChiCTR2000031234"),
        ("注册号：ISRCTN12345678", "isrctn", "ISRCTN12345678"),
        ("EudraCT 2020-001234-56", "eudract", "2020-001234-56"),
        ("CTIS 2023-501234-12-00", "euct", "2023-501234-12-00"),
        ("jRCT2031210123", "jprn", "JPRN-jRCT2031210123"),
        ("UMIN000012345", "jprn", "JPRN-UMIN000012345"),
        ("ACTRN12620000123456", "actrn", "ACTRN12620000123456"),
        ("CTRI/2020/01/022000", "ctri", "CTRI/2020/01/022000"),
        ("DRKS00012345", "drks", "DRKS00012345"),
        ("IRCT20180216038783N1", "irct", "IRCT20180216038783N1"),
        ("KCT0001234", "kct", "KCT0001234"),
    ],
)
def test_a_trial_line_with_any_registry(group: str, scheme: str, value: str) -> None:
    found = only(f"一项Ⅰ/Ⅱ 期临床试验纳入 10 例患者。\n\n临床试验：《{TITLE}》（{group}）\n")
    assert (found.kind, found.ids, found.title) == ("trial", {scheme: value}, TITLE)
    assert found.passage == "一项Ⅰ/Ⅱ 期临床试验纳入 10 例患者。"


def test_a_pmid_in_the_line_and_a_journal_without_marks() -> None:
    found = only(f"论文：《{TITLE}》（Journal of Clinical Oncology，2025，PMID：39100001）")
    assert found.ids == {"pmid": "39100001"}
    assert (found.journal, found.year) == ("Journal of Clinical Oncology", 2025)


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("见 doi:10.1000/xyz123。", {"doi": "10.1000/xyz123"}),
        ("(https://doi.org/10.1000/XYZ123).", {"doi": "10.1000/xyz123"}),
        ("研究（PMID: 12345678）显示……", {"pmid": "12345678"}),
        ("PMID 12345678 reports it.", {"pmid": "12345678"}),
        ("see https://pubmed.ncbi.nlm.nih.gov/12345678/ for it", {"pmid": "12345678"}),
        ("试验（NCT01234567）正在招募。", {"nct": "NCT01234567"}),
        ("全文见 PMCID: PMC1234567。", {"pmcid": "PMC1234567"}),
        ("registered as ChiCTR-2000031234.", {"chictr": "ChiCTR2000031234"}),
    ],
)
def test_bare_ids(text: str, ids: dict[str, str]) -> None:
    found = only(text)
    assert found.ids == ids
    assert found.kind in ("doi", "pmid", "pmcid", "registry")
    assert found.title is None


def test_a_bare_id_supports_its_own_sentence() -> None:
    found = only("前一句。在 NCT01234567 中，12 例患者均耐受治疗。后一句。")
    assert found.passage == "前一句。在 NCT01234567 中，12 例患者均耐受治疗。"


def test_a_journal_named_in_a_sentence_is_not_a_citation() -> None:
    assert cite("2024年《Blood》发表的15年随访研究证实：未发现致瘤案例。") == []


def test_passages_stop_at_the_previous_citation_and_at_headings() -> None:
    text = (
        "## 一、血液肿瘤\n\n引言的一句。\n\n### 1.1、急性髓系白血病\n\n"
        "对 30 例患者进行移植。\n\n"
        f"论文：《{TITLE}》（《Blood》，2024 年，DOI：10.1182/blood.2024.1234）\n\n"
        "- 患者：12 例\n- 结果：6 例 MRD 转阴\n\n"
        "论文：《Another study of MSCs in AML》（《Leukemia Research》，2023 年，"
        "DOI：10.1016/j.leukres.2023.106872）\n"
    )
    first, second = cite(text)
    assert first.passage == "对 30 例患者进行移植。"
    assert second.passage == "- 患者：12 例\n- 结果：6 例 MRD 转阴"
    assert text[first.passage_span[0] : first.passage_span[1]].strip() == first.passage


def test_html_is_read_as_its_text_with_its_headings() -> None:
    html = (
        "<h2>急性髓系白血病</h2><p>对 <b>30</b> 例患者进行移植。</p>"
        f"<p>论文：《{TITLE}》（<em>《Blood》</em>，2024 年，DOI："
        '<a href="https://doi.org/10.1182/blood.2024.1234">10.1182/blood.2024.1234</a>）</p>'
    )
    doc = read_document(html)
    assert doc.format == "html"
    (found,) = find_citations(doc)
    assert found.ids == {"doi": "10.1182/blood.2024.1234"}
    assert found.passage == "对 30 例患者进行移植。"
    assert doc.text[found.span[0] : found.span[1]].startswith("论文：《")


def test_markdown_link_and_escapes() -> None:
    found = only(
        "研究显示 ORR 为 45%。\n\n"
        "论文：[《IL\\-12 armed MSCs in melanoma》](https://doi.org/10.1000/abc123)"
        "（《Journal of Hematology &amp; Oncology》，2026 年）\n"
    )
    assert found.ids == {"doi": "10.1000/abc123"}
    assert found.title == "IL-12 armed MSCs in melanoma"


def test_the_seed_article(seed_text: str) -> None:
    found = cite(seed_text)
    assert [(c.kind, next(iter(c.ids.values())), c.year) for c in found] == [
        ("paper", "10.1200/jco.24.02356", 2025),
        ("paper", "10.1016/j.leukres.2023.106872", 2023),
        ("paper", "10.1038/s41409-024-02232-5", 2024),
        ("paper", "10.1158/1078-0432.ccr-23-3456", 2024),
        ("trial", "NCT05432187", None),
        ("paper", "10.1111/bjh.18876", 2023),
        ("paper", "10.1182/blood.2023019876", 2024),
        ("paper", "10.1016/s2352-3026(24)00089-1", 2024),
    ]
    assert found[0].passage.startswith("2025年,中国医学科学院血液病医院(天津)曾对 30 例 AML 患者")
    assert "65%降至33%" in found[0].passage
    assert found[4].passage.startswith("武汉同济医院在一项Ⅰ/Ⅱ 期临床试验中")


def test_an_html_report_carries_the_text_its_spans_point_into() -> None:
    from etl.articles.check import check_article

    class Nothing:
        def find(self, reference: object) -> None:
            return None

    html = "<h2>AML</h2><p>对 30 例患者进行移植（PMID: 12345678）。</p>"
    data = check_article(html, resolver=Nothing()).to_json()
    (item,) = data["citations"]
    start, end = item["span"]
    assert data["text"][start:end] == "PMID: 12345678"
    assert "text" not in check_article("PMID: 12345678", resolver=Nothing()).to_json()


def test_the_seed_article_as_html_has_the_same_citations(seed_text: str) -> None:
    from html import escape

    page = "".join(f"<p>{escape(part)}</p>" for part in seed_text.split("\n\n"))
    as_html = cite(page)
    assert read_document(page).format == "html"
    assert [c.ids for c in as_html] == [c.ids for c in cite(seed_text)]
    assert [c.passage for c in as_html][1] == cite(seed_text)[1].passage

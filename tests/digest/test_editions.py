"""The Chinese edition as a Chinese reader gets it, and the English one kept to English: full-width
punctuation by code point, journals in their case, Chinese papers cited in Chinese, trial fields
in Chinese, editor texts per language, question headlines, an 引言 with findings, follow-ups
linked to the issue that carried them, retractions told as retractions."""

from __future__ import annotations

import re
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html
from sqlalchemy import Engine, select, text

from etl.digest import i18n, store
from etl.digest.content import IssueContent
from etl.digest.headline import generate, outcome_figure
from etl.digest.service import Digest
from etl.digest.typography import (
    FULL_WIDTH,
    journal_case,
    spaced,
    stray_marks,
    zh_punctuation,
)
from etl.digest.view import build_view, citation, journal_name
from etl.digest.zh_names import load_zh_names
from etl.facts.fidelity import unsupported
from etl.works.events import events_for_new
from tests.digest.conftest import FIRST_LOAD, UPDATES, week

TEMPLATES = Path(__file__).resolve().parents[2] / "etl" / "templates"
HAN = re.compile(r"[\u3400-\u9fff]")


def content(digest: Digest, number: int) -> IssueContent:
    with digest.engine.connect() as conn:
        return store.load_content(conn, store.find_issue(conn, str(number)))


def visible_text(html: str) -> str:
    tree = lxml_html.document_fromstring(html)
    for hidden in tree.xpath("//style|//script|//title"):
        hidden.getparent().remove(hidden)
    return tree.text_content()


# Typography ----------------------------------------------------------------------------------


def test_the_full_width_marks_are_the_code_points_the_style_names() -> None:
    assert [ord(FULL_WIDTH[m]) for m in ",:;()?!"] == [
        0xFF0C, 0xFF1A, 0xFF1B, 0xFF08, 0xFF09, 0xFF1F, 0xFF01,
    ]  # fmt: skip


def test_the_zh_words_and_templates_carry_no_ascii_mark_next_to_chinese() -> None:
    words = [
        *(v for v in i18n.UI["zh"].values() if isinstance(v, str)),
        *i18n.UI["zh"]["table_head"],
        *i18n.KINDS["zh"].values(),
        *i18n.GROUPS["zh"].values(),
        *(pair[0] for pair in i18n.STATUS.values()),
        i18n.plain(i18n.paper_citation("zh", "标题", "期刊", "2026", "10.1/x", None)),
        i18n.plain(i18n.trial_citation("zh", "标题", "nct", "NCT01234567")),
    ]
    assert [w for w in words if stray_marks(w)] == []
    for template in sorted((TEMPLATES / "digest").glob("*.j2")) + sorted(
        (TEMPLATES / "archive").glob("*.j2")
    ):
        source = template.read_text(encoding="utf-8")
        assert stray_marks(source) == [], template.name
        # Chinese punctuation comes from the edition's words, never an ASCII literal picked
        # by language in the template.
        assert not re.search(r"""['"] ?[,:;()?!] ?['"] if v\.lang""", source), template.name


@pytest.mark.parametrize("number", [1, 2, 3])
def test_every_zh_edition_has_full_width_marks_and_the_en_edition_no_chinese(
    built: Digest, number: int
) -> None:
    issue = content(built, number)
    zh = built.renderer.email(issue, "zh")
    assert stray_marks(zh.subject) == [], zh.subject  # the inbox shows the subject first
    assert stray_marks(zh.text) == []
    assert stray_marks(visible_text(zh.html)) == []
    # Half-width stays half-width where it belongs: numbers, Latin titles, DOIs.
    assert "DOI：10." in zh.text and "（ClinicalTrials.gov" in zh.text or number != 3
    en = built.renderer.email(issue, "en")
    assert not HAN.search(en.text), HAN.findall(en.text)[:10]
    assert not HAN.search(visible_text(en.html))
    assert not any(mark in en.text for mark in FULL_WIDTH.values())


def test_zh_punctuation_touches_chinese_only() -> None:
    assert zh_punctuation("中国,浙江,杭州") == "中国，浙江，杭州"
    assert zh_punctuation("临床前(动物)") == "临床前（动物）"
    assert zh_punctuation("免责说明: 仅供参考; 谢谢!") == "免责说明：仅供参考；谢谢！"
    kept = "结果（HR 0.62, 95% CI 0.4-0.9; P<0.001）见《Blood (Lond), 2024: 1》 https://x.org/a,b"
    assert zh_punctuation(kept) == kept
    assert zh_punctuation("English only (kept), as is: yes?") == "English only (kept), as is: yes?"
    assert zh_punctuation("比例为 10:1,共 1,000 例") == "比例为 10:1，共 1,000 例"
    assert spaced("结直肠癌I/II 期研究纳入30例") == "结直肠癌 I/II 期研究纳入 30 例"


def test_journal_names_in_their_proper_case() -> None:
    assert journal_case("BMC cancer", "BMC Cancer") == "BMC Cancer"
    assert journal_case("Stem cell research & therapy", "Stem Cell Res Ther") == (
        "Stem Cell Research & Therapy"
    )
    assert journal_case("Journal of hematology & oncology", "J Hematol Oncol") == (
        "Journal of Hematology & Oncology"
    )
    assert journal_case("eLife", "eLife") == "eLife"
    assert journal_case("JAMA oncology", "JAMA Oncol") == "JAMA Oncology"
    record = {
        "journal": "Clinical cancer research : an official journal of the American Association",
        "journal_abbrev": "Clin Cancer Res",
    }
    assert journal_name(record, "en") == "Clinical Cancer Research"
    assert journal_name({"journal": "Advanced science (Weinheim, Germany)"}, "en") == (
        "Advanced Science"
    )


# Chinese papers and trial fields -----------------------------------------------------------


def test_a_chinese_paper_is_cited_with_its_chinese_title_and_journal(built: Digest) -> None:
    issue = content(built, 1)
    zh = built.renderer.email(issue, "zh").text
    assert "论文：《脐带间充质干细胞对急性髓系白血病KG-1a细胞增殖和凋亡的体外影响》" in zh
    assert "（《中国实验血液学杂志》，2026 年，DOI：10.5555/j.issn.1009-2137.2026.05.008）" in zh
    en = built.renderer.email(issue, "en").text
    assert "(Zhongguo Shi Yan Xue Ye Xue Za Zhi, 2026, DOI: " in en
    names = load_zh_names(built.settings.config_dir)
    record = {
        "kind": "paper",
        "title": "[Outcomes of MSCs in myeloma].",
        "vernacular_title": "间充质干细胞治疗骨髓瘤的疗效。",
        "journal": "Zhonghua zhong liu za zhi [Chinese journal of oncology]",
        "journal_abbrev": "Zhonghua Zhong Liu Za Zhi",
        "published": "2025",
        "identifiers": {"pmid": "1"},
    }
    line = i18n.plain(citation(record, "zh", names))
    assert line == "论文：《间充质干细胞治疗骨髓瘤的疗效》（《中华肿瘤杂志》，2025 年，PMID：1）"
    assert i18n.plain(citation(record, "en", names)).startswith(
        "Paper: “Outcomes of MSCs in myeloma” (Zhonghua Zhong Liu Za Zhi"
    )


def test_trial_fields_are_chinese_or_quoted(built: Digest) -> None:
    zh = built.renderer.email(content(built, 3), "zh").text
    assert "复旦大学的一项 I/II 期临床试验（中国）" in zh and "终止原因：申办方决定" in zh
    assert "Sponsor decision" not in zh and "Fudan University" not in zh  # not left bare
    names = load_zh_names(None)
    assert names.stop_reason("Slow accrual: 9 of 60 planned patients enrolled") == "入组缓慢"
    assert names.stop_reason("Funding was not obtained") == "资金原因"
    assert names.stop_reason("Fundamental redesign") is None  # a key only at a word's end


# Editor texts per language ----------------------------------------------------------------


def featured(issue: IssueContent, **texts: str) -> IssueContent:
    changed = deepcopy(issue)
    row = next(r for r in changed.items if r["kind"] == "new")
    row.update({"featured": True, "highlight": "", "highlight_en": "", **texts})
    return changed


def test_an_edition_never_shows_the_other_languages_highlight(built: Digest) -> None:
    issue = content(built, 1)
    chinese_only = featured(issue, highlight="编辑写的中文亮点")
    assert "研究亮点：编辑写的中文亮点" in built.renderer.email(chinese_only, "zh").text
    assert "编辑写的中文亮点" not in built.renderer.email(chinese_only, "en").text
    both = featured(issue, highlight="中文亮点", highlight_en="An English highlight")
    assert "Highlight: An English highlight" in built.renderer.email(both, "en").text
    assert "An English highlight" not in built.renderer.email(both, "zh").text
    # A Chinese text that older data kept under the English key still stays out of English.
    misfiled = featured(issue, highlight_en="旧数据里的中文亮点")
    assert "旧数据" not in built.renderer.email(misfiled, "en").text
    intro = deepcopy(issue)
    intro.issue = {**issue.issue, "intro": {"en": "只有中文"}, "closing": {"en": "中文结语"}}
    english = built.renderer.email(intro, "en").text
    assert "只有中文" not in english and "中文结语" not in english


def test_highlight_texts_go_to_their_language() -> None:
    assert store.highlight_fields("编辑写的亮点") == {"highlight": "编辑写的亮点"}
    assert store.highlight_fields("An editor's pick") == {"highlight_en": "An editor's pick"}
    assert store.highlight_fields("CAR-T 亮点") == {"highlight": "CAR-T 亮点"}
    assert store.highlight_fields("MSC-IL12", "zh") == {"highlight": "MSC-IL12"}
    assert store.highlight_fields("  ") == {}


def test_the_migration_moves_english_highlights_to_their_own_column(db_url: str) -> None:
    from alembic import command

    from etl.db.engine import alembic_config, make_engine

    engine = make_engine(db_url)
    try:
        command.upgrade(alembic_config(engine), "0009")
        with engine.begin() as conn:
            for n in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO works (id, kind, title, retracted, created_at, updated_at)"
                        " VALUES (:id, 'paper', 't', false, :now, :now)"
                    ),
                    {"id": n, "now": FIRST_LOAD},
                )
            conn.execute(
                text(
                    "INSERT INTO editor_decisions (work_id, featured, highlight, picked, note,"
                    " editor, updated_at) VALUES (1, true, 'An English pick', false, '', 'e',"
                    " :now), (2, true, '中文亮点', false, '', 'e', :now)"
                ),
                {"now": FIRST_LOAD},
            )
        command.upgrade(alembic_config(engine), "head")
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT work_id, highlight, highlight_en FROM editor_decisions ORDER BY 1")
            ).all()
        assert [tuple(r) for r in rows] == [(1, "", "An English pick"), (2, "中文亮点", "")]
    finally:
        engine.dispose()


def test_the_from_name_is_per_language(built: Digest) -> None:
    from etl.mail.message import Sender

    mail = built.settings.mail
    assert Sender.from_settings(mail, "zh").name == "间充质干细胞肿瘤研究周报"
    assert Sender.from_settings(mail, "en").name == "MSC Oncology Watch"
    edition = built.prepared(content(built, 3), UPDATES)
    raw = edition("en", frozenset()).personal(
        "a@example.org", "<x@example.org>", ("https://u", "https://p", "tok")
    )
    assert b"From: MSC Oncology Watch <digest@mscwatch.example.org>" in raw


# Headlines and the 引言 ----------------------------------------------------------------------


def test_each_issue_has_its_own_generated_question_headline(built: Digest) -> None:
    titles = {}
    for number in (1, 2, 3):
        issue = content(built, number)
        for lang in ("zh", "en"):
            titles[(number, lang)] = built.renderer.view(issue, lang).title
            assert issue.issue["generated"][lang] == titles[(number, lang)]
    zh = [titles[(n, "zh")] for n in (1, 2, 3)]
    en = [titles[(n, "en")] for n in (1, 2, 3)]
    assert len(set(zh)) == 3 and len(set(en)) == 3
    assert all(t.endswith("？") and "：" in t and stray_marks(t) == [] for t in zh)
    assert all(t.endswith("?") for t in en)


def test_a_headline_states_the_records_figure_and_never_repeats(built: Digest) -> None:
    record = {
        "kind": "paper",
        "title": "UC-MSCs with BCMA CAR-T in relapsed multiple myeloma",
        "abstract": "Twenty patients were treated. The overall response rate was 80% and the "
        "complete response rate 45%. Tumour growth was unchanged (78% vs 80%).",
    }
    labels = {"msc_sources": ["umbilical_cord"], "cancer_types": ["myeloma"]}

    def name(family: str, key: str | None) -> str:
        found = built.taxonomy.labels[family].get(key or "")
        return found.zh if found else ""

    first = generate("zh", 7, record, labels, name, set(), "间充质干细胞", unsupported)
    assert first == "脐带间充质干细胞：多发性骨髓瘤客观缓解率达 80%？"
    assert unsupported(first, record["abstract"]) == []
    again = generate("zh", 8, record, labels, name, {first}, "间充质干细胞", unsupported)
    assert again != first and again.startswith(first)
    # A figure the check refuses is left out rather than stated.
    refuse = generate("zh", 9, record, labels, name, set(), "x", lambda d, s: ["80%"])
    assert "80%" not in refuse
    # "78% vs 80%" is no outcome figure of "tumour growth".
    assert outcome_figure({"abstract": "Tumour growth was unchanged (78% vs 80%)."}) is None


def test_an_editors_headline_wins_and_is_typeset(built: Digest) -> None:
    issue = deepcopy(content(built, 2))
    issue.issue = {**issue.issue, "headline": {"zh": "间充质干细胞能否守护心脏?"}}
    view = built.renderer.view(issue, "zh")
    assert view.title == "间充质干细胞能否守护心脏？"
    assert built.renderer.view(issue, "en").title == issue.issue["generated"]["en"]


def test_the_intro_names_findings_not_only_counts(built: Digest) -> None:
    intro = built.renderer.view(content(built, 3), "zh").intro
    assert intro.startswith("本期收录 2 项临床试验动态、2 篇撤稿或更正。值得关注的是：")
    assert "胶质瘤领域一篇论文被撤稿" in intro and "I/II 期试验公布结果" in intro
    english = built.renderer.view(content(built, 3), "en").intro
    assert "Most notable:" in english and "glioma retraction" in english


# Follow-ups, retractions, related lines ----------------------------------------------------


def test_related_lines_show_the_title(built: Digest) -> None:
    zh = built.renderer.email(content(built, 3), "zh").text
    assert (
        "相关：PMID 41000436《Bone marrow mesenchymal stromal cells for refractory chronic "
        "radiation proctitis after pelvic radiotherapy: a phase I/II trial》" in zh
    )


def test_a_retraction_notice_that_comes_first_is_a_retraction(built: Digest) -> None:
    issue = content(built, 2)
    zh = built.renderer.email(issue, "zh").text
    assert (
        "[撤稿] 胶质瘤 · 基因工程改造 · 外泌体：论文《Placenta-derived mesenchymal stem cell "
        "extracellular vesicles deliver miR-124-3p to suppress glioma growth via CDK6》"
        "已被撤稿。" in zh
    )
    view = built.renderer.view(issue, "zh")
    notices = [i for i in view.items if i.kind == "retraction"]
    assert len(notices) == 2 and all(i.lead for i in notices)
    safety = next(s for s in view.sections if s.id == "safety")
    assert [g.key for g in safety.groups][0] == "notices"  # notices lead the safety section
    assert view.intro.startswith("本期收录 3 篇新文献、1 项临床试验动态、2 篇撤稿或更正")


def test_a_paper_retracted_before_we_saw_it_gets_a_retraction_event() -> None:
    record = {
        "source_id": "41000777",
        "created": "2026-11-20",
        "retracted": True,
        "corrections": [{"type": "RetractionIn", "pmid": "41000778", "ref": ""}],
    }
    assert events_for_new(record) == [
        ("new", "2026-11-20", {"source_id": "41000777"}),
        ("retracted", "2026-11-20", {"notices": ["41000778"]}),
    ]


def synthetic(kind: str, data: dict[str, Any], **extra: Any) -> IssueContent:
    issue = {
        "id": 9, "number": 4, "slug": "2026-11-30", "period_start": "2026-11-30",
        "period_end": "2026-12-07", "nothing_new": False, "state": "draft",
    }  # fmt: skip
    row = {
        "work_id": 1, "kind": kind, "section": "solid_tumors", "group_key": "lung",
        "featured": False, "highlight": "", "highlight_en": "", "rank": 1.0, "position": 1,
        "event_ids": [], "occurred_on": "2026-12-01",
    }  # fmt: skip
    return IssueContent(issue, [row], {1: data}, {1: {"cancer_types": ["lung"]}}, **extra)


def test_a_follow_up_links_to_the_issue_that_carried_it(built: Digest) -> None:
    record = {"kind": "paper", "title": "A paper", "journal": "Blood", "published": "2026"}
    issue = synthetic("correction", record, earlier={1: 1}, earlier_slugs={1: "2026-11-09"})
    zh = built.renderer.render_view(build_view(issue, built.taxonomy, built.settings, "zh"))
    assert "本刊曾在第 1 期报道。 <https://mscwatch.example.org/issues/2026-11-09/>" in zh.text
    link = lxml_html.document_fromstring(zh.html).xpath("//a[text()='第 1 期']")
    assert link and link[0].get("href") == "https://mscwatch.example.org/issues/2026-11-09/"
    en = built.renderer.render_view(build_view(issue, built.taxonomy, built.settings, "en"))
    assert "We reported it in issue 1." in en.text and "/issues/2026-11-09/en/" in en.text


def test_a_preprints_publication_names_the_journal_not_the_server(built: Digest) -> None:
    preprint = {
        "kind": "paper", "title": "MSC exosomes in lung cancer", "preprint": True,
        "preprint_server": "bioRxiv", "journal": "bioRxiv", "published": "2026",
        "abstract": "We found things.",
    }  # fmt: skip
    related = {
        1: [{"type": "published_as", "scheme": "doi", "value": "10.1016/j.celrep.2026.1",
             "title": "MSC exosomes in lung cancer", "journal": "Cell reports",
             "journal_abbrev": "Cell Rep"}]
    }  # fmt: skip
    issue = synthetic("published", preprint, related=related)
    zh = build_view(issue, built.taxonomy, built.settings, "zh").items[0].lead
    assert zh.startswith("预印本已正式发表于《Cell Reports》。")
    en = build_view(issue, built.taxonomy, built.settings, "en").items[0].lead
    assert en.startswith("The preprint is now published in Cell Reports.")
    assert "bioRxiv" not in zh + en


def test_the_highlights_of_a_rebuilt_draft_follow_the_editors_languages(
    digest: Digest, engine: Engine
) -> None:
    with engine.begin() as conn:
        work_id = store.resolve_work(conn, "pmid:41000516")
        store.decide(
            conn, work_id, UPDATES, "e", featured=True, highlight="中文亮点",
            highlight_en="English pick",
        )  # fmt: skip
    digest.build(week(digest, "2026-11-09"), UPDATES)
    with engine.connect() as conn:
        row = conn.execute(
            select(store.items.c.highlight, store.items.c.highlight_en).where(
                store.items.c.work_id == work_id
            )
        ).one()
    assert tuple(row) == ("中文亮点", "English pick")
    issue = content(digest, 1)
    assert "研究亮点：中文亮点" in digest.renderer.email(issue, "zh").text
    english = digest.renderer.email(issue, "en").text
    assert "Highlight: English pick" in english and "中文亮点" not in english

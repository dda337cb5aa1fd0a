"""The search page: `/search` in Chinese, `/en/search` in English. Words, ids and the evidence
map's filters (`?q=骨髓瘤&cancer=myeloma&phase=phase1`) in a GET form, results as links to the
studies with their labels and date, pages of 20; no JavaScript anywhere.

A result links to its study page (`study_link`), the page the issues and emails link to.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request

from etl.classify.taxonomy import Taxonomy
from etl.digest import i18n
from etl.digest.archive import Archive
from etl.digest.view import study_url
from etl.normalize.slugs import study_slug
from etl.search.index import FILTERS
from etl.search.query import COUNT_CAP, PER_PAGE, Hit, Results, search
from etl.search.tags import years
from etl.web.services import services

pages = Blueprint("search", __name__)

MAX_QUERY = 200  # characters of the search box that count
WORDS = {
    "zh": {
        "title": "检索",
        "label": "关键词",
        "placeholder": "标题、摘要中的词，或 PMID、NCT 号、DOI",
        "submit": "检索",
        "hint": (
            "可按标题、摘要、标签和编号检索，中文、英文均可；多个词之间用空格分开，"
            "结果须包含每个词。"
        ),
        "any": "不限",
        "cancer": "癌种",
        "strategy": "治疗策略",
        "source": "MSC 来源",
        "phase": "研发阶段",
        "status": "状态",
        "kind": "类型",
        "year": "年份",
        "found": "共 {n} 项结果",
        "found_more": "超过 {n} 项结果，可加词或用筛选缩小范围",
        "none": "没有找到符合条件的研究。可以减少关键词或放宽筛选条件再试。",
        "previous": "上一页",
        "next": "下一页",
        "page": "第 {page} 页，共 {pages} 页",
        "retracted": "已撤稿",
    },
    "en": {
        "title": "Search",
        "label": "Words",
        "placeholder": "words of a title or abstract, or a PMID, NCT number or DOI",
        "submit": "Search",
        "hint": (
            "Search titles, abstracts, labels and identifiers, in English or Chinese; every word "
            "you type must be found."
        ),
        "any": "any",
        "cancer": "Cancer type",
        "strategy": "Strategy",
        "source": "MSC source",
        "phase": "Stage",
        "status": "Status",
        "kind": "Kind",
        "year": "Year",
        "found": "{n} results",
        "found_more": "More than {n} results: add words or filters to narrow them",
        "none": "No study matches. Try fewer words or wider filters.",
        "previous": "Previous",
        "next": "Next",
        "page": "page {page} of {pages}",
        "retracted": "retracted",
    },
}
KINDS = {
    "zh": {"paper": "论文", "trial": "临床试验", "preprint": "预印本"},
    "en": {"paper": "Paper", "trial": "Trial", "preprint": "Preprint"},
}
TRIAL_STATUSES = ("recruiting", "not_yet_recruiting", "active_not_recruiting", "completed",
                  "terminated", "suspended", "withdrawn", "unknown")  # fmt: skip


@pages.get("/search")
def search_zh() -> Response:
    return _page("zh")


@pages.get("/en/search")
def search_en() -> Response:
    return _page("en")


def study_link(hit: Hit, lang: str) -> str:
    """Where a result leads: the work's study page on this site, whose address comes from its
    best identifier as everywhere else (the issue pages and emails link to the same page)."""
    pairs = [
        (scheme, value)
        for scheme, _, value in (ident.partition(" ") for ident in hit.identifiers)
        if value
    ]
    slug = study_slug(pairs, "trial" if hit.kind == "trial" else "paper", hit.work_id)
    return study_url(request.script_root + "/", slug, lang)


def _page(lang: str) -> Response:
    found = services()
    query = request.args.get("q", "")[:MAX_QUERY]
    asked = {name: request.args.get(name, "") for name in FILTERS}
    try:
        number = int(request.args.get("page", "1"))
    except ValueError:
        number = 1
    with found.engine.connect() as conn:
        results = search(conn, query, asked, number, PER_PAGE)
        known_years = years(conn)
    taxonomy = found.digest.taxonomy
    renderer = found.digest.renderer.with_base_url(request.script_root + "/")
    words = WORDS[lang]
    body = Archive(renderer).render_page(
        "archive/search.html.j2",
        lang,
        title=words["title"],
        t=words,
        action=request.script_root + ("/search" if lang == "zh" else "/en/search"),
        query=query,
        filters=_filters(lang, taxonomy, known_years, results.filters),
        results=results,
        hits=[_hit(lang, taxonomy, hit) for hit in results.hits],
        previous=_page_link(lang, results, results.page - 1),
        next=_page_link(lang, results, results.page + 1),
        other_search=request.script_root + ("/en/search" if lang == "zh" else "/search"),
        cap=f"{COUNT_CAP:,}" if lang == "en" else str(COUNT_CAP),
    )
    response = Response(body, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _filters(
    lang: str, taxonomy: Taxonomy, known_years: list[str], chosen: dict[str, str]
) -> list[dict[str, Any]]:
    """Each filter's select: its name, its label and its options (value, words)."""
    names = {
        "cancer": _labels(lang, taxonomy, "cancer_types"),
        "strategy": _labels(lang, taxonomy, "strategies"),
        "source": _labels(lang, taxonomy, "msc_sources"),
        "phase": _labels(lang, taxonomy, "stages"),
        "status": [(s, i18n.status_label(lang, s.upper())) for s in TRIAL_STATUSES]
        + [("retracted", WORDS[lang]["retracted"])],
        "kind": list(KINDS[lang].items()),
        "year": [(y, y) for y in known_years],
    }
    return [
        {"name": name, "label": WORDS[lang][name], "options": names[name],
         "chosen": chosen.get(name, "")}
        for name in FILTERS
    ]  # fmt: skip


def _labels(lang: str, taxonomy: Taxonomy, family: str) -> list[tuple[str, str]]:
    return [
        (label_id, label.zh if lang == "zh" else label.en)
        for label_id, label in taxonomy.labels.get(family, {}).items()
    ]


def _hit(lang: str, taxonomy: Taxonomy, hit: Hit) -> dict[str, Any]:
    """A result as the page lists it: title (Chinese title in Chinese where the record has
    one), link, kind, date, labels in the digest's words, identifiers."""
    families = (("cancer_types", "cancer_types"), ("strategies", "strategies"),
                ("msc_sources", "msc_sources"), ("stage", "stages"))  # fmt: skip
    labels = []
    for key, family in families:
        table = taxonomy.labels.get(family, {})
        for label_id in hit.labels.get(key) or []:
            if label_id in table:
                labels.append(table[label_id].zh if lang == "zh" else table[label_id].en)
    title = hit.vernacular_title if lang == "zh" and hit.vernacular_title else hit.title
    ids = []
    for ident in hit.identifiers:
        scheme, _, value = ident.partition(" ")
        if scheme in ("pmid", "doi", "nct", "chictr", "isrctn", "ppr", "pmcid"):
            ids.append(value if scheme in ("nct", "chictr") else f"{scheme.upper()} {value}")
    return {
        "title": title or "—",
        "href": study_link(hit, lang),
        "kind": KINDS[lang].get(hit.kind, hit.kind),
        "date": i18n.format_date(lang, hit.day) if hit.day else "",
        "labels": labels,
        "ids": ids,
    }


def _page_link(lang: str, results: Results, number: int) -> str:
    if number < 1 or number > results.pages or not results.asked:
        return ""
    params = [("q", results.query)] if results.query else []
    params += list(results.filters.items())
    if number > 1:
        params.append(("page", str(number)))
    path = "/search" if lang == "zh" else "/en/search"
    return request.script_root + path + "?" + urlencode(params)

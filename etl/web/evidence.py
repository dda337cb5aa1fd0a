"""The evidence map's pages: `/evidence/` (and `/evidence/en/`), a table of every clinical study
filtered and sorted by query parameters (a plain GET form: no JavaScript needed), its CSV
(`/evidence/evidence.csv?…`, the same filters) and its charts (`/evidence/charts/NAME.svg?…`,
and `NAME.LANG.png` for mail), and each issue's own chart as it was built
(`/issues/SLUG/chart.LANG.png`).

The CSV and the charts carry an ETag of their bytes and answer a matching If-None-Match with
304, so a page that embeds four charts costs four revalidations, not four drawings, on a return.
The page itself is kept per worker and filter (etl/web/archive_cache.py, the archive's
mechanism, with the works' fingerprint) and answers If-None-Match the same way.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from flask import Response, abort, current_app, request
from werkzeug.datastructures import MultiDict

from etl.digest.archive import Archive
from etl.evidence.charts import Chart, chart, figure_size, version
from etl.evidence.query import FILTERS, SORTS, Query, options, parse_query
from etl.evidence.raster import drawn_lang
from etl.evidence.service import EvidenceMap
from etl.evidence.table import to_csv
from etl.evidence.words import CHARTS, UI, column
from etl.web.archive_cache import (
    ArchiveCache,
    kept_response,
    works_fingerprint,
)
from etl.web.routes import Routes
from etl.web.security import nonce
from etl.web.services import services

pages = Routes()
# Columns of the page's table (the CSV has a few more); the seed article's four first.
PAGE_COLUMNS = ("strategy", "study", "cancer", "phase", "source", "status", "patients",
                "country", "sponsor", "outcome", "safety", "updated")  # fmt: skip
MAX_AGE = 300  # seconds a cache may serve the map before it asks again
VERSIONED_MAX_AGE = 365 * 24 * 3600  # a chart's PNG at the address of its own version


MAP_KEY = "mscwatch.evidence"  # the app.extensions key of the app's one map
PAGES_KEY = "mscwatch.evidence.pages"  # and of its kept pages
PAGES_KEPT = 64  # a page per language and filter; readers' filters are not ours to bound


def _map() -> EvidenceMap:
    """The app's map: the digest's (issue pages show its chart), opened on first use; its rows
    and charts are shared by every request for a minute (Digest.evidence)."""
    found: EvidenceMap | None = current_app.extensions.get(MAP_KEY)
    if found is None:
        found = current_app.extensions[MAP_KEY] = services().digest.evidence
    return found


def _kept() -> ArchiveCache:
    """The worker's kept evidence pages, keyed by language and the query's own spelling of its
    filters (`Query.params`), so the same filters in another order are one page."""
    found: ArchiveCache | None = current_app.extensions.get(PAGES_KEY)
    if found is None:
        found = ArchiveCache(
            services().engine,
            _render,
            size=PAGES_KEPT,
            fingerprint=works_fingerprint,
        )
        current_app.extensions[PAGES_KEY] = found
    return found


def _cached(body: str | bytes, content_type: str) -> Response:
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.add_etag()
    response.make_conditional(request)  # answers in place: 304 with no body on a match
    return response


def _lang() -> str:
    return "en" if request.args.get("lang") == "en" else "zh"


@pages.get("/evidence/")
def evidence_zh() -> Response:
    return _page("zh")


@pages.get("/evidence/en/")
def evidence_en() -> Response:
    return _page("en")


@pages.get("/evidence/evidence.csv")
def evidence_csv() -> Response:
    lang = _lang()
    evidence_map = _map()
    rows = evidence_map.view(parse_query(request.args.getlist), lang)
    # a BOM: spreadsheets read UTF-8; the study pages as links at the address asked
    body = "\ufeff" + to_csv(rows, evidence_map.names, lang, request.url_root)
    response = _cached(body.encode("utf-8"), "text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="evidence.csv"'
    return response


@pages.get("/evidence/charts/<name>.svg")
def evidence_chart(name: str) -> Response:
    if name not in CHARTS:
        abort(404)
    svg = _map().chart_svg(name, parse_query(request.args.getlist), _lang())
    return _cached(svg, "image/svg+xml; charset=utf-8")


@pages.get("/evidence/charts/<name>.<any(zh, en):lang>.png")
def evidence_chart_png(name: str, lang: str) -> Response:
    """The chart as PNG, for mail (etl/digest/chart.py). An address whose `v` is the version
    the chart has now keeps these bytes for as long as it has it, so caches may keep them for a
    year; any other `v` (a mail opened after the counts changed) gets the current chart with
    the map's usual lifetime."""
    if name not in CHARTS:
        abort(404)
    evidence_map, query = _map(), parse_query(request.args.getlist)
    response = _cached(evidence_map.chart_png(name, query, lang), "image/png")
    wanted = request.args.get("v")
    if wanted and wanted == version(evidence_map.chart(name, drawn_lang(lang), query)):
        response.headers["Cache-Control"] = f"public, max-age={VERSIONED_MAX_AGE}, immutable"
    return response


@pages.get("/issues/<slug>/chart.<any(zh, en):lang>.png")
def issue_chart_png(slug: str, lang: str) -> Response:
    """An issue's own chart, drawn from the data it kept when built (etl/digest/chart.py): at
    the version it shows, caches may keep it for a year (a sent issue's never changes; a
    rebuilt draft's has a new version)."""
    found = services().digest.issue_chart_png(slug, lang)
    if found is None:
        abort(404)
    png, shown = found
    response = _cached(png, "image/png")
    if request.args.get("v") == shown:
        response.headers["Cache-Control"] = f"public, max-age={VERSIONED_MAX_AGE}, immutable"
    return response


def _page(lang: str) -> Response:
    key = f"{lang}?{parse_query(request.args.getlist).params()}"
    page = _kept().page(key, request.script_root + "/", nonce())
    if page is None:  # _render always renders; said for the type checker
        abort(404)
    return kept_response(page, "text/html; charset=utf-8")


def _render(key: str, base: str) -> str:
    """The page for `key` ("zh?cancer=lung&sort=phase"): the language and the query's params."""
    lang, _, params_text = key.partition("?")
    evidence_map = _map()
    names, words = evidence_map.names, UI[lang]
    query = parse_query(MultiDict(parse_qsl(params_text, keep_blank_values=True)).getlist)
    everything = evidence_map.rows()
    rows = evidence_map.view(query, lang, everything)
    here = base + ("evidence/" if lang == "zh" else "evidence/en/")
    other = base + ("evidence/en/" if lang == "zh" else "evidence/")
    params = query.params()
    csv_query = "&".join(p for p in (params, "lang=en" if lang == "en" else "") if p)
    filters = [
        {
            "name": name,
            "label": column(lang, name),
            "options": [
                {
                    "value": value,
                    "selected": value in query.filters.get(name, ()),
                    "label": _counted(lang, names.label(lang, name, value), count),
                }
                for value, count in options(everything, name)
            ],
        }  # fmt: skip
        for name in FILTERS
    ]
    columns = [
        {"label": column(lang, name), "sorted": query.sort == name,
         "href": "?" + query.params(sort=name, order=_flip(query, name))}
        for name in PAGE_COLUMNS
    ]  # fmt: skip
    charts = [_chart_view(chart(name, rows, names, lang), lang, base, params)
              for name in CHARTS]  # fmt: skip
    body = Archive(services().digest.renderer.with_base_url(base)).render_page(
        "archive/evidence.html.j2",
        lang,
        title=words["title"],
        words=words,
        filters=filters,
        sorts=[{"value": s, "label": column(lang, s), "selected": s == query.sort} for s in SORTS],
        order=query.order,
        columns=columns,
        rows=[names.cells(lang, row) for row in rows],
        count=words["count"].format(n=len(rows)),
        page_url=here,
        base=base,
        csv_url=f"{base}evidence/evidence.csv" + (f"?{csv_query}" if csv_query else ""),
        charts=charts,
        other_home=other + (f"?{params}" if params else ""),
    )
    return body


def _counted(lang: str, label: str, count: int) -> str:
    """ "已完成 · 4": a count in brackets would nest in 进行中（不再招募）."""
    return f"{label} · {count}"


def _flip(query: Query, name: str) -> str:
    """A column's link sorts by it, newest or largest first; on the sorted column it turns the
    order round."""
    if query.sort == name:
        return "asc" if query.order == "desc" else "desc"
    return "desc" if name in ("updated", "year", "patients", "phase") else "asc"


def _chart_view(drawn: Chart, lang: str, base: str, params: str) -> dict[str, Any]:
    query = "&".join(p for p in (params, "lang=en" if lang == "en" else "") if p)
    head = {"per-year-by-phase": "year", "by-cancer": "cancer", "by-source": "source",
            "trials-by-status": "status"}[drawn.name]  # fmt: skip
    return {
        "name": drawn.name,
        "title": drawn.title,
        "src": f"{base}evidence/charts/{drawn.name}.svg" + (f"?{query}" if query else ""),
        "head": column(lang, head),
        "height": round(540 * figure_size(drawn)[1] / figure_size(drawn)[0]),
        "series": drawn.series,
        "lines": [
            {"label": label, "counts": drawn.counts[i], "total": drawn.total(i)}
            for i, label in enumerate(drawn.categories)
        ],
    }

"""Adding a work by hand, on the editor blueprint: an editor pastes a PMID, DOI or trial id that
no crawl brought in (a paper a colleague mailed, a trial named at a congress).

The page only reads the form and says what happened; the work comes through the pipeline's one
lookup (etl/pipeline/lookup.py): found in the database, or fetched through the source's own
adapter, stored by the one write path and classified, as a crawl would have done. The editor is
then taken to the queue of what arrived today, at the work, to decide about it there.
"""

from __future__ import annotations

from datetime import date
from typing import cast
from zoneinfo import ZoneInfo

from flask import Response, flash, redirect, request, url_for

from etl import clock
from etl.errors import EtlError
from etl.pipeline.lookup import Reference, lookup, parse_reference
from etl.web.editor import engine, page, settings, words
from etl.web.review import classifier
from etl.web.routes import Routes

pages = Routes()  # the add-by-hand page, under the editor blueprint

SCHEMES = {"pmid": "PMID", "doi": "DOI", "pmcid": "PMCID"}  # a registry's scheme: its id says it
MAX_REFERENCE = 300  # a pasted id (or a link to one) is never longer


@pages.get("/add")
def add_work() -> Response:
    return _form(200)


@pages.post("/add")
def add_work_post() -> Response:
    t = words()
    pasted = " ".join(request.form.get("reference", "").split())
    if not pasted:
        return _form(400, problem=t("add_empty"))
    if len(pasted) > MAX_REFERENCE:
        return _form(
            400, pasted=pasted[:MAX_REFERENCE], problem=t("add_unknown", value=pasted[:60] + "…")
        )
    try:
        ref = parse_reference(pasted)
    except EtlError:
        ref = None
    if ref is None or ref.scheme == "title":  # this form takes ids; titles are for the check
        return _form(400, pasted=pasted, problem=t("add_unknown", value=pasted))
    try:
        found = lookup(engine(), settings(), ref, clock.now(), classifier=classifier())
    except EtlError as exc:
        return _form(502, pasted=pasted, problem=t("add_failed", **_named(ref), reason=str(exc)))
    if found.work_id is None:
        return _form(
            404,
            pasted=pasted,
            problem=t("add_not_found", **_named(ref), reason=t.problem(found.note)),
        )
    title = str((found.data or {}).get("title") or "")
    flash(t("add_done" if found.fetched else "add_known", title=title, id=found.work_id))
    # the queue of what arrived today (the work just stored is there, whatever its date), at it
    today = clock.now().astimezone(ZoneInfo(settings().schedule.timezone)).date()
    since = today if found.fetched else date(2000, 1, 1)
    there = url_for(".queue", since=since.isoformat(), relevance="all")
    return _redirect(f"{there}#work-{found.work_id}")


def _redirect(location: str) -> Response:
    return cast(Response, redirect(location, 303))  # the app's Response (see editor._redirect)


def _named(ref: Reference) -> dict[str, str]:
    return {"scheme": SCHEMES.get(ref.scheme, ""), "value": ref.value}


def _form(status: int, pasted: str = "", problem: str = "") -> Response:
    return page(
        "add",
        status,
        title=words()("add_title"),
        action=url_for(".add_work_post"),
        pasted=pasted,
        problem=problem,
    )

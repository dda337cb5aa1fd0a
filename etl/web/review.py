"""The review queue and the duplicates page, on the editor blueprint.

Every action is a small POST form that works without JavaScript (it redirects back to the
filtered queue); the page's script sends the same forms with fetch and updates the row in
place, which is what makes many decisions in a row quick and keyboard friendly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, abort, current_app, flash, g, jsonify, request, url_for
from flask_wtf.csrf import generate_csrf
from jinja2 import Template
from sqlalchemy import Connection, func, select

from etl import clock
from etl.classify.corrections import CORRECTABLE
from etl.classify.service import Classifier
from etl.classify.taxonomy import SECTIONS, Taxonomy, load_taxonomy
from etl.db.models import (
    EditorDecision,
    SourceRecord,
    Work,
)
from etl.digest import i18n
from etl.digest.typography import zh_punctuation
from etl.digest.view import citation
from etl.digest.zh_names import ZhNames, load_zh_names
from etl.editors import duplicates as dupes
from etl.editors import review
from etl.editors.sentences import event_sentence
from etl.editors.summary import summarize
from etl.facts.abstract import sections as abstract_sections
from etl.recent import Recent
from etl.web.archive_cache import changes, issues_fingerprint
from etl.web.editor import back, engine, page, settings, wants_json, whole_number, words
from etl.web.fragments import Fragments
from etl.web.routes import Routes
from etl.web.services import services

pages = Routes()  # the queue and duplicates, under the editor blueprint

EVENTS_SHOWN = 6  # a trial's history can be long; the newest few tell what happened


@pages.get("/queue")
def queue() -> Response:
    wanted, problems = _filter()
    t = words()
    lang = t.lang
    here = request.full_path.rstrip("?")
    with engine().connect() as conn:
        read = _read(conn, wanted, lang, here)
    taxonomy = _taxonomy()
    section_names = {s["id"]: s.get(lang, s["id"]) for s in taxonomy.sections}
    shared = {
        "lang": lang,
        "here": here,
        "act": url_for(".queue_act"),
        "duplicates_url": url_for(".duplicates"),
        "link_words": [key for key in i18n.EDITOR if key.startswith("link_")],
        "section_names": section_names,
    }
    pages_total = max(1, -(-read.total // review.PAGE))
    return page(
        "queue",
        400 if problems else 200,  # the default queue is shown, with what was wrong
        title=t("queue_title"),
        width=1180,
        rows=read.rows,
        total=read.total,
        wanted=wanted,
        since=read.since,
        since_default="since" not in request.args,
        since_why=t(read.since_why) if read.since_why else "",
        news_url=url_for(".queue"),
        row_html=_fragments().printer(_row_template(), shared, late={"csrf": generate_csrf()}, t=t),
        here=here,
        act=shared["act"],
        state_words={
            key: t(f"st_{key}") for key in ("include", "exclude", "undecided", "featured", "picked")
        },
        problems=problems,
        names=_label_names(taxonomy, lang),
        section_names=section_names,
        sections=SECTIONS,
        sources=read.sources,
        states=review.STATES,
        relevances=review.RELEVANCE,
        orders=review.ORDERS,
        page_links=_page_links(pages_total),
    )


@dataclass(frozen=True)
class Read:
    """What one load of the queue read from the database, ready for the template."""

    rows: list[dict[str, Any]]
    total: int
    since: str
    since_why: str  # the catalog key saying where the news window starts, or ""
    sources: list[str]


READS_KEY = "mscwatch.queue-reads"
FRESH = 60.0  # seconds a read is kept even though the stamp did not move (see `_stamp`)


def _read(conn: Connection, wanted: review.QueueFilter, lang: str, here: str) -> Read:
    """The queue's rows for this address, reused while `_stamp` and the day stay the same and
    for at most `FRESH` seconds. Reading a full page costs ~25 ms of queries and row building
    at 100,000 works; the stamp is one query of index probes, and between two loads of the
    queue usually nothing but an editor's decision changed, which moves the stamp."""
    config = settings()
    today = services().digest.local_day(clock.now())
    stamp = _stamp(conn)
    key = (lang, here, today, stamp)
    kept: Recent = current_app.extensions.setdefault(READS_KEY, Recent(size=64, fresh=FRESH))
    found: Read | None = kept.get(key)
    if found is not None:
        return found
    news = None
    since_why = ""
    if "since" not in request.args:  # the next issue's news, as the digest decides it
        news = _news(conn, today, config.digest.period_days, config.digest.late_days, stamp)
        since_why = "queue_news_why_issue" if news.since_issue else "queue_news_why_first"
    queued = review.queue(conn, wanted, config.schedule.timezone, news)
    taxonomy = _taxonomy()
    names = _label_names(taxonomy, lang)
    zh = load_zh_names(config.config_dir) if lang == "zh" else None
    read = Read(
        rows=[_row(row, names, lang, taxonomy, zh, here) for row in queued.rows],
        total=queued.total,
        since=queued.since.isoformat() if queued.since else "",
        since_why=since_why,
        sources=_sources(conn),
    )
    kept.put(key, read)
    return read


def _stamp(conn: Connection) -> tuple[Any, ...]:
    """What moves whenever something a queue page shows changes: the works (`changes`: events,
    records, labels, merges, editors' labels), an editor's decision, an issue built or sent.
    A decision made in the same microsecond as the newest one, or stamped by a process whose
    clock runs behind, would not move it: `FRESH` bounds how long that could go unseen."""
    decided = EditorDecision.__table__.c
    query = select(func.max(decided.updated_at), func.count())
    return (*changes(conn), *conn.execute(query).one(), *issues_fingerprint(conn))


@pages.get("/works/<int:work_id>/labels")
def label_form(work_id: int) -> Response:
    """One work's label-correction form, on a page of its own (`?part=form`: the form alone,
    which the queue's script opens inside the row). The queue links here rather than repeating
    every cancer type and strategy as checkboxes in each of its rows: that made it a 352 KB
    page, most of its render time."""
    with engine().connect() as conn:
        found = conn.execute(
            select(Work.id).where(Work.id == work_id, Work.deleted_at.is_(None))
        ).scalar()
        labels = review.labels_now(conn, work_id) if found is not None else {}
    if found is None:
        abort(404)
    t = words()
    queue_url = url_for(".queue")
    back_to = request.args.get("next") or ""
    if not back_to.startswith(queue_url) or "\\" in back_to or "#" in back_to:
        back_to = queue_url  # only the queue, filtered as the editor left it
    return page(
        "labels_form" if request.args.get("part") == "form" else "labels",
        200,
        title=f"{t('correct_labels')} · {t('work_no', id=work_id)}",
        work_id=work_id,
        names=_label_names(_taxonomy(), t.lang),
        current=_current(labels),
        action=url_for(".correct_labels", work_id=work_id),
        next=f"{back_to}#work-{work_id}",
        back_to=back_to,
    )


@pages.post("/queue/act")
def queue_act() -> Response:
    given = request.form.getlist("work")
    works = [number for number in map(whole_number, given) if number is not None]
    action = request.form.get("action", "")
    text = request.form.get("text", "")
    t = words()
    if len(works) < len(given):
        wrong = next(v for v in given if whole_number(v) is None)
        return _refuse(t("not_work_id", value=repr(wrong[:40])), 400)
    if not works or action not in review.ACTIONS:
        return _refuse(t("choose_work_action"), 400)
    with engine().begin() as conn:
        done = review.act(conn, works, action, g.editor.name, clock.now(), text)
        states = review.decisions_of(conn, works)
    if wants_json():
        return jsonify({"done": done, "action": action, "states": states})
    flash(t("done_action", action=t(action) if action != "note" else t("note"), n=done))
    return back(url_for(".queue"))


@pages.post("/works/<int:work_id>/labels")
def correct_labels(work_id: int) -> Response:
    labeller = classifier()
    changed = []
    try:
        with engine().begin() as conn:
            current = review.labels_now(conn, work_id)
            for family in CORRECTABLE:
                if f"has_{family}" not in request.form:
                    continue  # the form did not offer this family
                value: Any = (
                    request.form.get(family) == "on"
                    if family == "safety"
                    else request.form.get(family) or None
                    if family == "stage"
                    else request.form.getlist(family)
                )
                if _same(current.get(family), value):
                    continue
                review.correct(conn, work_id, family, value, g.editor.name, clock.now(), labeller)
                changed.append(family)
    except ValueError as exc:
        return _refuse(str(exc), 400)
    t = words()
    message = (
        t("corrected", id=work_id, families=family_names(t.lang, changed))
        if changed
        else t("nothing_changed")
    )
    if wants_json():
        return jsonify({"work": work_id, "corrected": changed})
    flash(message)
    return back(url_for(".queue"))


@pages.get("/duplicates")
def duplicates() -> Response:
    with engine().connect() as conn:
        pairs = dupes.probable(conn)
    return page(
        "duplicates",
        200,
        title=words()("dup_title"),
        width=1180,
        pairs=pairs,
        confirm_url=lambda merge: url_for(".duplicate_act", merge_id=merge, verb="confirm"),
        split_url=lambda merge: url_for(".duplicate_act", merge_id=merge, verb="split"),
        merge_url=url_for(".duplicate_merge"),
    )


@pages.post("/duplicates/<int:merge_id>/<verb>")
def duplicate_act(merge_id: int, verb: str) -> Response:
    now = clock.now()
    try:
        with engine().begin() as conn:
            if verb == "confirm":
                dupes.confirm(conn, merge_id, g.editor.name, now)
                flash(f"kept as one work (merge {merge_id} confirmed)")
            elif verb == "split":
                restored = dupes.split_pair(conn, merge_id, now, classifier())
                flash(f"split: work {restored} is its own work again")
            else:
                return _refuse(f"unknown action {verb!r}: confirm or split", 404)
    except dupes.DuplicateError as exc:
        return _refuse(str(exc), 409)
    return back(url_for(".duplicates"))


@pages.post("/duplicates/merge")
def duplicate_merge() -> Response:
    keep, other = request.form.get("keep", "").strip(), request.form.get("other", "").strip()
    if not keep or not other:
        return _refuse("Name both works (id, pmid:N, DOI or trial id).", 400)
    try:
        with engine().begin() as conn:
            dupes.merge_pair(conn, keep, other, g.editor.name, clock.now(), classifier())
    except dupes.DuplicateError as exc:
        return _refuse(str(exc), 409)
    flash(f"merged {other} into {keep}")
    return back(url_for(".duplicates"))


# -- shared --------------------------------------------------------------------------------------


NEWS_KEY = "mscwatch.queue-news"  # the worker's last answer to "what is news since the issue"


def _news(
    conn: Connection, today: date, period_days: int, late_days: int, stamp: tuple[Any, ...]
) -> review.News:
    """Which works have news for the next issue, reused while the stamp stays (every event,
    merge, work change and issue moves it) and for at most `FRESH` seconds. Deciding it reads
    every event since the last issue and what is known of their works (about 0.3 s at 100,000
    works), which an editor deciding one row after another would otherwise pay on each page,
    though a decision never changes it. The decisions themselves come with the rows."""
    kept: Recent = current_app.extensions.setdefault(NEWS_KEY, Recent(size=4, fresh=FRESH))
    key = (today, period_days, late_days, stamp)
    found: review.News | None = kept.get(key)
    if found is None:
        found = review.news_since_last_issue(conn, today, period_days, late_days)
        kept.put(key, found)
    return found


SOURCES_KEY = "mscwatch.queue-sources"
SOURCES_FRESH = 60.0  # seconds: a source is added with a new crawler, not between two pages


def _sources(conn: Connection) -> list[str]:
    """The sources the filter offers: a DISTINCT over every record (a scan of 120,000 rows,
    ~40 ms), so kept for `SOURCES_FRESH` seconds."""
    kept: Recent = current_app.extensions.setdefault(
        SOURCES_KEY, Recent(size=1, fresh=SOURCES_FRESH)
    )
    found: list[str] | None = kept.get(SOURCES_KEY)
    if found is None:
        table = SourceRecord.__table__
        found = sorted(conn.execute(select(table.c.source).distinct()).scalars())
        kept.put(SOURCES_KEY, found)
    return found


def _taxonomy() -> Taxonomy:
    """The taxonomy alone, for pages that only show labels: the classifier may load the
    editors' model, and with it scikit-learn, seconds of a worker's first request."""
    extensions = current_app.extensions
    if "classifier" in extensions:
        known: Taxonomy = extensions["classifier"].taxonomy
        return known
    if "taxonomy" not in extensions:
        extensions["taxonomy"] = load_taxonomy(settings().taxonomy_path)
    taxonomy: Taxonomy = extensions["taxonomy"]
    return taxonomy


def classifier() -> Classifier:
    """Loaded once per app: the taxonomy (and the editors' model, if trained)."""
    extensions = current_app.extensions
    if "classifier" not in extensions:
        extensions["classifier"] = Classifier.from_settings(settings())
    classifier: Classifier = extensions["classifier"]
    return classifier


def _filter() -> tuple[review.QueueFilter, list[str]]:
    args = request.args
    problems = []
    since = None
    if args.get("since"):
        try:
            since = date.fromisoformat(args["since"])
        except ValueError:
            problems.append(f"since={args['since']!r} is not a date (YYYY-MM-DD)")
    wanted = review.QueueFilter(
        since=since,
        **{
            key: args.get(key, default)
            for key, default in (
                ("section", ""),
                ("cancer_type", ""),
                ("strategy", ""),
                ("stage", ""),
                ("source", ""),
                ("relevance", "relevant"),
                ("state", "all"),
                ("order", "newest"),
            )
        },  # fmt: skip
        page=whole_number(args.get("page", "1")) or 1,
    )
    if "page" in args and whole_number(args["page"]) is None:
        problems.append(f"page={args['page'][:40]!r} is not a page number")
    problems += wanted.problems()
    if problems:
        wanted = review.QueueFilter(since=since)
    return wanted, problems


def _row(
    row: review.QueueRow,
    names: dict[str, dict[str, str]],
    lang: str,
    taxonomy: Taxonomy,
    zh: ZhNames | None,
    here: str,
) -> dict[str, Any]:
    labels = row.labels
    evidence = labels.get("evidence") or {}

    def why(key: str) -> str:
        return "; ".join(f"{hit['term']} ({hit['field']})" for hit in evidence.get(key, []))

    shown = []
    for family in ("cancer_types", "strategies", "msc_sources"):
        for key in labels.get(family) or []:
            shown.append((family, names.get(family, {}).get(key, key), why(f"{family}.{key}")))
    if labels.get("stage"):
        stage = labels["stage"]
        shown.append(("stage", names.get("stages", {}).get(stage, stage), why(f"stages.{stage}")))
    if labels.get("safety"):
        shown.append(("safety", i18n.label(lang, "safety_signal"), ""))
    relevance_terms = [
        f"{hit['term']} ({hit['field']})"
        for key, hits in evidence.items()
        if key.startswith("relevance.")
        for hit in hits
    ]
    data = row.data
    summary = summarize(data, lang, taxonomy)
    return {
        "id": row.work_id,
        "kind": row.kind,
        "citation": citation(data, lang, zh),
        "abstract": abstract_sections(str(data.get("abstract") or "")),
        "facts": summary.facts,
        "lead": summary.lead,
        "rejected": summary.rejected,
        "authors": ", ".join((data.get("authors") or [])[:3])
        + (" et al." if len(data.get("authors") or []) > 3 else ""),
        "published": data.get("published") or "",
        "relevance": round(row.relevance, 2),
        "relevant": row.relevant,
        "relevance_evidence": "; ".join(relevance_terms[:6]),
        "section": labels.get("section") or "",
        "labels": shown,
        "corrected": family_names(lang, labels.get("corrected") or []),
        "decision": row.decision,
        "state": row.decision["decision"] or "undecided",
        "links": row.links,
        "events": [
            (event_sentence(lang, e["type"], e["occurred_on"], e["data"], row.kind, zh), e["news"])
            for e in row.events[:EVENTS_SHOWN]
        ],
        "duplicate": row.probable_duplicate,
        "form_url": url_for(".label_form", work_id=row.work_id, next=here),
    }


ROW_TEMPLATE = "web/editor/queue_row.html.j2"


def _fragments() -> Fragments:
    """The queue rows this worker rendered (etl/web/fragments.py)."""
    return current_app.extensions.setdefault("mscwatch.queue-rows", Fragments())  # type: ignore[no-any-return]


def _row_template() -> Template:
    return services().templates.get_template(ROW_TEMPLATE)


def _label_names(taxonomy: Taxonomy, lang: str) -> dict[str, dict[str, str]]:
    """Each label family's names in `lang`, by key."""
    return {
        family: {
            key: zh_punctuation(label.zh) if lang == "zh" else label.en
            for key, label in taxonomy.labels[family].items()
        }
        for family in taxonomy.labels
    }


def _current(labels: dict[str, Any]) -> dict[str, Any]:
    """The labels a correction form starts from."""
    return {
        "cancer_types": labels.get("cancer_types") or [],
        "strategies": labels.get("strategies") or [],
        "msc_sources": labels.get("msc_sources") or [],
        "stage": labels.get("stage") or "",
        "safety": bool(labels.get("safety")),
    }


def family_names(lang: str, families: list[str]) -> str:
    """Corrected label families in words: "癌种、研究阶段" / "cancer types, stage"."""
    words = {"cancer_types": "cancer_types", "strategies": "strategies", "stage": "stage",
             "safety": "safety_signal", "msc_sources": "fact_source"}  # fmt: skip
    named = [i18n.label(lang, words[f]) if f in words else f for f in families]
    return ("、" if lang == "zh" else ", ").join(named)


def _same(current: Any, value: Any) -> bool:
    if isinstance(current, list) or isinstance(value, list):
        return sorted(current or []) == sorted(value or [])
    return (current or None) == (value or None)


def _page_links(total: int) -> list[tuple[int, str]]:
    args: dict[str, Any] = request.args.to_dict()
    links = []
    for number in range(1, total + 1):
        args["page"] = str(number)
        links.append((number, url_for(".queue", **args)))
    return links if total > 1 else []


def _refuse(message: str, status: int) -> Response:
    if wants_json():
        response = jsonify({"error": message})
        response.status_code = status
        return response
    t = words()
    return page(
        "home",
        status,
        title=t("did_not_work"),
        sections=[],
        paragraphs=[message],
        links=[("", t("back_to_queue"), url_for(".queue"))],
    )

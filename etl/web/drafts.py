"""Issue drafts and article briefs, on the editor blueprint: the same operations as
`mscwatch digest …` and `mscwatch article brief`, through the same Digest service, so the web
and the command line cannot disagree about what an issue holds or whether it may go out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, abort, flash, g, request, url_for

from etl import clock
from etl.db.states import IssueState
from etl.digest import i18n
from etl.digest.i18n import LANGS
from etl.digest.service import Digest
from etl.digest.typography import zh_punctuation
from etl.editors import review
from etl.errors import DigestError, EtlError
from etl.facts.leads import Lead, item_lead
from etl.mail.transport import open_transport
from etl.subscribers.addresses import normalize_address
from etl.web.editor import back, engine, page, whole_number, words
from etl.web.routes import Routes
from etl.web.services import services
from etl.writer import drafts as writer_drafts

TEXTS = ("headline", "intro", "closing")
WIDTHS = (375, 600)  # a phone and the email's own desktop width


pages = Routes()  # the issue drafts and briefs, under the editor blueprint


@pages.get("/issues")
def issues() -> Response:
    rows = _digest().list()
    return page("issues", 200, title=words()("issues_title"), rows=rows, issue_url=_issue_url)


@pages.get("/issues/<int:number>")
def issue(number: int) -> Response:
    digest = _digest()
    found = _find(digest, number)
    content = digest.content(found)
    problems = digest.problems(content, digest.editions(content))
    items = content.items
    titles = {work_id: (data.get("title") or "") for work_id, data in content.data.items()}
    editor_address = g.editor.name if "@" in g.editor.name else ""
    with engine().connect() as conn:
        found_drafts = writer_drafts.drafts_of(conn, [row["work_id"] for row in items])
    t = words()
    taxonomy = digest.taxonomy

    def named(family: str) -> dict[str, str]:
        return {
            key: zh_punctuation(label.zh) if t.lang == "zh" else label.en
            for key, label in taxonomy.labels[family].items()
        }

    groups = {**i18n.GROUPS[t.lang], **named("strategies"), **named("cancer_types")}
    return page(
        "issue",
        200,
        title=t("issue_title", n=found["number"], slug=found["slug"]),
        width=1000,
        issue=found,
        texts={field: found[field] or {} for field in TEXTS},
        langs=LANGS,
        items=[
            {
                **row,
                "title": titles.get(row["work_id"], ""),
                "leads": _leads(content.data.get(row["work_id"]), digest.settings.config_dir),
                "first": i == 0 or _group(items[i - 1]) != _group(row),
                "last": i == len(items) - 1 or _group(items[i + 1]) != _group(row),
            }
            for i, row in enumerate(items)
        ],
        group_names=groups,
        section_names={s["id"]: s.get(t.lang, s["id"]) for s in taxonomy.sections},
        kind_names=i18n.KINDS[t.lang],
        problems=problems,
        draft=found["state"] == IssueState.DRAFT,
        address=editor_address,
        base=url_for(".issue", number=number),
        preview_url=lambda lang: url_for(".preview", number=number, lang=lang),
        generated=found.get("generated") or {},
        titles=titles,
        writer_drafts=[
            (r["work_id"], found_drafts[r["work_id"]])
            for r in items
            if r["work_id"] in found_drafts
        ],
        writer_on=digest.settings.writer.enabled,
        drafted=set(found_drafts),
        draft_url=lambda draft_id: url_for(".draft_decide", number=number, draft_id=draft_id),
    )


@pages.post("/issues/<int:number>/drafts/<int:draft_id>")
def draft_decide(number: int, draft_id: int) -> Response:
    """Accept, edit or reject a writer draft of a draft issue's item; an edited text that
    states a figure the record lacks is refused, and the editor is told which."""
    digest = _digest()
    found = _draft(digest, number)
    action = request.form.get("action", "")
    with engine().begin() as conn:
        row = writer_drafts.drafts.select().where(writer_drafts.drafts.c.id == draft_id)
        current = conn.execute(row).mappings().first()
        if current is None:
            abort(404)
        record = digest.record_of(current["work_id"])
        try:
            writer_drafts.decide(
                conn,
                draft_id,
                action,
                g.editor.name,
                clock.now(),
                request.form.get("text", ""),
                record,
            )
        except DigestError as exc:
            flash(f"{exc.message} {exc.hint}".strip(), "error")
            return back(url_for(".issue", number=found["number"]) + f"#draft-{draft_id}")
    t = words()
    done = {"accept": "draft_state_accepted", "reject": "draft_state_rejected"}
    flash(t("flash_draft_done", id=draft_id, what=t(done.get(action, "draft_state_edited"))))
    return back(url_for(".issue", number=found["number"]) + f"#draft-{draft_id}")


def _leads(data: dict[str, Any] | None, config_dir: Path) -> dict[str, Lead]:
    """Each edition's lead of a work and the fuller drafts the fidelity check turned down, with
    the figure each stated that the record does not hold: what an editor needs to judge them."""
    if not data:
        return {}
    return {lang: item_lead(data, lang, config_dir) for lang in LANGS}


@pages.post("/issues/<int:number>/texts")
def issue_texts(number: int) -> Response:
    digest = _digest()
    found = _draft(digest, number)
    texts = {
        (field, lang): request.form[f"{field}_{lang}"]
        for field in TEXTS
        for lang in LANGS
        if f"{field}_{lang}" in request.form
    }
    digest.set_texts(found, texts)
    flash(words()("flash_texts_saved"))
    return back(url_for(".issue", number=number))


@pages.post("/issues/<int:number>/move")
def issue_move(number: int) -> Response:
    digest = _digest()
    found = _draft(digest, number)
    work = request.form.get("work", "")
    step = -1 if request.form.get("direction") == "up" else 1
    work_id = whole_number(work)
    if work_id is None:
        raise EtlError(f"which item? (work={work[:40]!r} is not a work id)")
    moved = digest.move_item(found, work_id, step)
    if not moved:
        flash(words()("flash_first_last"), "error")
    return back(url_for(".issue", number=number) + f"#item-{work}")


@pages.post("/issues/<int:number>/build")
def issue_build(number: int) -> Response:
    digest = _digest()
    found = _draft(digest, number)
    outcome = digest.build(digest.period(found["slug"], clock.now()), clock.now())
    if outcome.issue is None:
        flash(words()("flash_removed"))
        return back(url_for(".issues"))
    flash(words()("flash_rebuilt", n=outcome.items))
    return back(url_for(".issue", number=number))


@pages.get("/issues/<int:number>/preview/<lang>")
def preview(number: int, lang: str) -> Response:
    if lang not in LANGS:
        return page("home", 404, title=words()("no_edition"), sections=[])
    found = _find(_digest(), number)
    t = words()
    return page(
        "preview",
        200,
        title=t("preview_title", n=found["number"], language=t(f"edition_{lang}")),
        width=1100,
        issue=found,
        edition=lang,
        langs=LANGS,
        widths=WIDTHS,
        email_url=url_for(".email", number=number, lang=lang),
        text_url=url_for(".email", number=number, lang=lang, text=1),
        other_url=lambda other: url_for(".preview", number=number, lang=other),
        back_url=url_for(".issue", number=number),
    )


@pages.get("/issues/<int:number>/email/<lang>")
def email(number: int, lang: str) -> Response:
    """The edition exactly as it is sent: what the preview's frames show."""
    digest = _digest()
    if lang not in LANGS:
        return Response("no such edition", status=404)
    rendered = digest.renderer.email(digest.content(_find(digest, number)), lang)
    if request.args.get("text"):
        return Response(rendered.text, content_type="text/plain; charset=utf-8")
    response = Response(rendered.html, content_type="text/html; charset=utf-8")
    # Framed by the preview page only, and never allowed to run anything.
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = "sandbox allow-popups; frame-ancestors 'self'"
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.post("/issues/<int:number>/test")
def issue_test(number: int) -> Response:
    digest = _digest()
    found = _find(digest, number)
    lang = request.form.get("lang", "zh")
    try:
        address = normalize_address(request.form.get("address", ""))
    except ValueError as exc:
        return _bad_request(words()("bad_address", problem=exc), number)
    if lang not in LANGS:
        return _bad_request(words()("bad_edition", value=repr(lang[:20])), number)
    transport = open_transport(digest.settings)
    description = transport.description
    digest.test_copy(str(found["number"]), address, lang, transport, clock.now())
    flash(words()("flash_test_copy", edition=lang, address=address, how=description))
    return back(url_for(".issue", number=number))


@pages.post("/issues/<int:number>/approve")
def issue_approve(number: int) -> Response:
    approved = _digest().approve(str(number), g.editor.name, clock.now())
    flash(words()("flash_approved", n=approved["number"], name=approved["approved_by"]))
    return back(url_for(".issue", number=number))


@pages.post("/issues/<int:number>/unapprove")
def issue_unapprove(number: int) -> Response:
    _digest().unapprove(str(number))
    flash(words()("flash_unapproved", n=number))
    return back(url_for(".issue", number=number))


@pages.get("/briefs")
def briefs() -> Response:
    with engine().connect() as conn:
        works = review.picked(conn)
    return page(
        "briefs",
        200,
        title=words()("briefs_title"),
        works=works,
        langs=LANGS,
        download=lambda lang: url_for(".brief_download", lang=lang),
        act=url_for(".queue_act"),
        here=url_for(".briefs"),
    )


@pages.get("/briefs/brief.<lang>.md")
def brief_download(lang: str) -> Response:
    if lang not in LANGS:
        return Response("no such language", status=404)
    with engine().connect() as conn:
        works = [str(row["work_id"]) for row in review.picked(conn)]
    if not works:
        flash(words()("flash_pick_first"), "error")
        return back(url_for(".briefs"))
    text = _digest().brief(works, lang)
    stamp = clock.now().strftime("%Y-%m-%d")
    response = Response(text, content_type="text/markdown; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="brief-{stamp}.{lang}.md"'
    return response


@pages.errorhandler(EtlError)
def refused(error: EtlError) -> Response:
    """A digest operation that cannot be done as asked (approve with a guard failing, edit an
    issue that is not a draft…): the editor sees why and what to do, nothing changed."""
    t = words()
    paragraphs = [error.message, *(line for line in error.hint.splitlines() if line)]
    if error.reasons:  # the guards that stop an approval, in the editor's language
        paragraphs = [t("problems_stop", n=len(error.reasons)), *map(t.problem, error.reasons)]
    return page(
        "home",
        409,
        title=t("cannot_be_done"),
        sections=[],
        paragraphs=paragraphs,
        links=[("", t("back_to_issues"), url_for(".issues"))],
    )


def _bad_request(problem: str, number: int) -> Response:
    """A form sent with a value that cannot be used: nothing was done, the editor sees why."""
    t = words()
    return page(
        "home",
        400,
        title=t("cannot_be_done"),
        sections=[],
        paragraphs=[problem, t("nothing_sent")],
        links=[("", t("back_to_issue"), url_for(".issue", number=number))],
    )


def _digest() -> Digest:
    return services().digest


def _find(digest: Digest, number: int) -> dict[str, Any]:
    try:
        return digest.issue(str(number))
    except DigestError:
        abort(404)


def _draft(digest: Digest, number: int) -> dict[str, Any]:
    found = _find(digest, number)
    if found["state"] != IssueState.DRAFT:
        raise EtlError(
            f"issue {number} is {found['state']}, not a draft",
            "send it back to draft (Unapprove) before changing it",
        )
    return found


def _group(row: dict[str, Any]) -> tuple[str, str]:
    return row["section"], row["group_key"]


def _issue_url(number: int) -> str:
    return url_for(".issue", number=number)

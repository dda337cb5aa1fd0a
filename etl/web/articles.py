"""Full articles on the editor blueprint (/editor/articles/…): make a draft from the picked
works, write it in Markdown beside a live preview in the site's style (and the email's, in a
frame), insert a citation by id, keep and restore versions, run the citation and claim check,
approve (or override a blocking check with a note), publish, mail as a feature, withdraw (with
a reason, which the article's address then shows). The same operations as `mscwatch article
…`, through the same `Articles` service.

The preview works without JavaScript (the Preview button sends the text and the page comes back
with it rendered, nothing saved); with it, the page asks for the preview as the editor types.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, jsonify, request, url_for
from markupsafe import Markup

from etl import clock
from etl.articles.marks import marked
from etl.articles.render import body_html
from etl.articles.service import Articles
from etl.articles.store import EDITABLE
from etl.articles.wording import (
    blocking_reasons,
    figure_verdict,
    finding,
    refusal,
    source_says,
    verdict,
    version_note,
)
from etl.digest.i18n import LANGS
from etl.digest.typography import zh_punctuation
from etl.editors import review
from etl.errors import ArticleError
from etl.mail.transport import open_transport
from etl.subscribers.addresses import normalize_address
from etl.web.editor import back, engine, language, page, wants_json, words
from etl.web.routes import Routes
from etl.web.services import services

pages = Routes()  # the article pages, under the editor blueprint

MAX_BODY = 400_000  # characters: far more than any article, far less than a denial of service


@pages.get("/articles")
def articles() -> Response:
    with engine().connect() as conn:
        picked = review.picked(conn)
    return page(
        "articles",
        200,
        title=words()("nav_articles"),
        articles=_articles().list(),
        picked=picked,
        langs=LANGS,
        create=url_for(".article_new"),
        open=lambda a: url_for(".article", article_id=a["id"]),
    )


@pages.post("/articles/new")
def article_new() -> Response:
    lang = request.form.get("lang", "zh")
    article = _articles().new(None, lang, g.editor.name, clock.now())
    flash(words()("flash_art_new", id=article["id"], n=len(article["work_ids"])))
    return back(url_for(".article", article_id=article["id"]))


@pages.get("/articles/<int:article_id>")
def article(article_id: int) -> Response:
    found = _find(article_id)
    text = _articles().text(str(article_id))
    return _editor(found, text["body"], text["number"])


@pages.post("/articles/<int:article_id>/save")
def article_save(article_id: int) -> Response:
    """Save (a new version), Preview (render the text sent, save nothing) or insert a citation
    (at the cursor the page's script reports, else at the end) and save."""
    found = _find(article_id)
    body = _body()
    action = request.form.get("action", "save")
    service = _articles()
    t = words()
    if action == "preview":
        latest = service.text(str(article_id))["number"]
        return _editor(found, body, latest, unsaved=True)
    note = ""
    if action == "cite":
        ref = request.form.get("cite", "").strip()
        try:
            line = service.citation_line(ref, found["lang"], clock.now())
        except ArticleError as exc:
            return _editor(
                found, body, service.text(str(article_id))["number"], unsaved=True,
                problem=t("art_cite_failed", problem=_said(exc)),
            )  # fmt: skip
        body = _insert(body, line, request.form.get("cursor", ""))
        note = t("art_note_cited", ref=ref)
    number = service.save(str(article_id), body, g.editor.name, clock.now(), note)
    saved = t("flash_art_saved_note", n=number, note=note) if note else ""
    flash(saved or t("flash_art_saved", n=number))
    return back(url_for(".article", article_id=article_id))


@pages.post("/articles/<int:article_id>/preview")
def article_preview(article_id: int) -> Response:
    """The page's script: the text as it will read, in the site's style."""
    _find(article_id)
    return jsonify({"html": body_html(_body())})


@pages.post("/articles/<int:article_id>/check")
def article_check(article_id: int) -> Response:
    """The citation and claim check of the saved text; the report is kept with the article."""
    done = _articles().check(str(article_id), clock.now())
    t = words()
    outcome = t("art_outcome_blocking" if done["check_blocking"] else "art_outcome_clear")
    flash(t("flash_art_checked", n=done["checked_version"], outcome=outcome))
    return back(url_for(".article", article_id=article_id))


@pages.post("/articles/<int:article_id>/restore")
def article_restore(article_id: int) -> Response:
    number = request.form.get("version", "")
    if not number.isdecimal() or len(number) > 9:
        abort(400)
    saved = _articles().restore(str(article_id), int(number), g.editor.name, clock.now())
    flash(words()("flash_art_restored", n=number, m=saved))
    return back(url_for(".article", article_id=article_id))


@pages.post("/articles/<int:article_id>/approve")
def article_approve(article_id: int) -> Response:
    note = request.form.get("override", "").strip()
    done = _articles().approve(str(article_id), g.editor.name, clock.now(), note)
    flash(words()("flash_art_overridden" if note else "flash_art_approved", id=article_id))
    return back(url_for(".article", article_id=done["id"]))


@pages.post("/articles/<int:article_id>/unapprove")
def article_unapprove(article_id: int) -> Response:
    _articles().unapprove(str(article_id), clock.now())
    flash(words()("flash_art_unapproved", id=article_id))
    return back(url_for(".article", article_id=article_id))


@pages.post("/articles/<int:article_id>/publish")
def article_publish(article_id: int) -> Response:
    done = _articles().publish(str(article_id), clock.now())
    flash(words()("flash_art_published", id=article_id, url=f"/articles/{done['slug']}/"))
    return back(url_for(".article", article_id=article_id))


@pages.post("/articles/<int:article_id>/withdraw")
def article_withdraw(article_id: int) -> Response:
    """Take a published article back, with the reason its address will show; the flash says
    that mail already sent stays sent."""
    service = _articles()
    done = service.withdraw(
        str(article_id), g.editor.name, request.form.get("note", ""), clock.now()
    )
    t = words()
    mailed = service.mailed_to(done)
    recall = t("art_withdrawn_mailed", n=mailed) if mailed else t("art_withdrawn_not_mailed")
    flash(t("flash_art_withdrawn", id=article_id, url=f"/articles/{done['slug']}/", recall=recall))
    return back(url_for(".article", article_id=article_id))


@pages.post("/articles/<int:article_id>/send")
def article_send(article_id: int) -> Response:
    """To every active reader of the article's language, each once (a second press sends
    nothing to those who have it)."""
    service = _articles()
    _, report, standing = service.send(
        str(article_id), open_transport(service.settings), clock.now
    )
    t = words()
    comma = "，" if language() == "zh" else ", "
    states = comma.join(
        f"{t.get('delivery_' + k, k)} {v}" for k, v in sorted(standing["states"].items())
    )
    flash(t("flash_art_sent", n=report.sent, states=states or t("art_no_readers")))
    return back(url_for(".article", article_id=article_id))


@pages.post("/articles/<int:article_id>/test")
def article_test(article_id: int) -> Response:
    try:
        address = normalize_address(request.form.get("address", ""))
    except ValueError as exc:
        raise ArticleError(words()("bad_address", problem=exc)) from None
    service = _articles()
    service.test_copy(str(article_id), address, open_transport(service.settings), clock.now())
    flash(words()("flash_art_test", address=address))
    return back(url_for(".article", article_id=article_id))


@pages.get("/articles/<int:article_id>/email")
def article_email(article_id: int) -> Response:
    """The feature mail exactly as it is sent (readers' links as placeholders), for the frame."""
    service = _articles()
    rendered = service.edition(_find(article_id))
    if request.args.get("text"):
        return Response(rendered.text, content_type="text/plain; charset=utf-8")
    response = Response(rendered.html, content_type="text/html; charset=utf-8")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = "sandbox allow-popups; frame-ancestors 'self'"
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.errorhandler(ArticleError)
def refused(error: ArticleError) -> Response:
    """An article operation that cannot be done as asked (approve while the check blocks,
    publish a draft…): the editor sees why and what to do, in their language; nothing changed."""
    lang, t = language(), words()
    hints = [refusal(lang, line) for line in error.hint.splitlines() if line]
    if error.reasons:  # the guards on its mail: worded from their facts, not from the English
        hints = [t.problem(found) for found in error.reasons]
    return page(
        "home",
        409,
        title=t("cannot_be_done"),
        sections=[],
        paragraphs=[zh_punctuation(refusal(lang, error.message)) if lang == "zh" else error.message,
                    *hints],
        links=[("", t("art_all"), url_for(".articles"))],
    )


# -- shared --------------------------------------------------------------------------------------


def _editor(
    found: dict[str, Any], body: str, latest: int, unsaved: bool = False, problem: str = ""
) -> Response:
    service = _articles()
    article_id = found["id"]
    if problem:
        flash(problem, "error")
    report = found["check_report"]
    lang = language()
    checked_text = ""
    if report is not None and found["checked_version"] is not None:
        checked_text = service.text(str(article_id), found["checked_version"])["body"]
    return page(
        "article",
        200,
        title=found["title"] or words()("art_title", id=article_id),
        width=1180,
        article=found,
        body=body,
        latest=latest,
        unsaved=unsaved,
        draft=found["state"] in EDITABLE,
        preview=Markup(body_html(body)),
        versions=service.versions(str(article_id)),
        checked=found["checked_version"] == latest and report is not None,
        report=report,
        marked=marked(checked_text, report, lang) if report is not None else "",
        reasons=blocking_reasons(lang, report) if report is not None else [],
        verdict=lambda name: verdict(lang, name),
        figure_verdict=lambda name: figure_verdict(lang, name),
        source_says=lambda says: source_says(lang, says),
        version_note=lambda note: version_note(lang, note),
        finding=lambda sentence: finding(lang, sentence),
        public_url=f"{request.script_root}/articles/{found['slug']}/",
        urls={
            name: url_for(f".article_{name}", article_id=article_id)
            for name in (
                "save", "preview", "check", "restore", "approve", "unapprove", "publish", "send",
                "test", "email", "withdraw",
            )
        },  # fmt: skip
        list_url=url_for(".articles"),
        wants_json=wants_json(),
    )


def _said(error: ArticleError) -> str:
    """A refusal's message and hint as one sentence, in the editor's language."""
    lang = language()
    said = [refusal(lang, part) for part in (error.message, error.hint) if part]
    if lang == "zh":
        return zh_punctuation("；".join(said))
    return ". ".join(said)


def _insert(body: str, line: str, cursor: str) -> str:
    """The citation line as a paragraph of its own at the cursor (at the end without one)."""
    at = int(cursor) if cursor.isdecimal() and len(cursor) < 9 else len(body)
    at = min(at, len(body))
    before, after = body[:at].rstrip("\n"), body[at:].lstrip("\n")
    return f"{before}\n\n{line}\n\n{after}" if after else f"{before}\n\n{line}\n"


def _body() -> str:
    body = request.form.get("body", "").replace("\r\n", "\n")
    if len(body) > MAX_BODY:
        raise ArticleError(words()("art_too_long", n=MAX_BODY))
    return body


def _find(article_id: int) -> dict[str, Any]:
    try:
        return _articles().find(str(article_id))
    except ArticleError:
        abort(404)


def _articles() -> Articles:
    return Articles(services().digest)

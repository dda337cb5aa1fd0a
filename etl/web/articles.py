"""Full articles on the editor blueprint (/editor/articles/…): make a draft from the picked
works, write it in Markdown beside a live preview in the site's style (and the email's, in a
frame), insert a citation by id, keep and restore versions, run the citation and claim check,
approve (or override a blocking check with a note), publish, mail as a feature. The same
operations as `mscwatch article …`, through the same `Articles` service.

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
from etl.db.states import ArticleState
from etl.digest.i18n import LANGS
from etl.editors import review
from etl.errors import ArticleError
from etl.mail.transport import open_transport
from etl.subscribers.addresses import normalize_address
from etl.web.editor import back, engine, page, wants_json
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
        title="Articles",
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
    flash(f"article {article['id']} drafted from {len(article['work_ids'])} picked works")
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
                problem=f"{exc.message}. {exc.hint}".strip(" ."),
            )  # fmt: skip
        body = _insert(body, line, request.form.get("cursor", ""))
        note = f"inserted the citation of {ref}"
    number = service.save(str(article_id), body, g.editor.name, clock.now(), note)
    flash(f"saved as version {number}" + (f" ({note})" if note else ""))
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
    outcome = "blocking" if done["check_blocking"] else "nothing blocking"
    flash(f"version {done['checked_version']} checked: {outcome}")
    return back(url_for(".article", article_id=article_id))


@pages.post("/articles/<int:article_id>/restore")
def article_restore(article_id: int) -> Response:
    number = request.form.get("version", "")
    if not number.isdecimal() or len(number) > 9:
        abort(400)
    saved = _articles().restore(str(article_id), int(number), g.editor.name, clock.now())
    flash(f"version {number} restored as version {saved}")
    return back(url_for(".article", article_id=article_id))


@pages.post("/articles/<int:article_id>/approve")
def article_approve(article_id: int) -> Response:
    note = request.form.get("override", "").strip()
    done = _articles().approve(str(article_id), g.editor.name, clock.now(), note)
    flash(f"article {article_id} approved" + (" despite its check (noted)" if note else ""))
    return back(url_for(".article", article_id=done["id"]))


@pages.post("/articles/<int:article_id>/unapprove")
def article_unapprove(article_id: int) -> Response:
    _articles().unapprove(str(article_id), clock.now())
    flash(f"article {article_id} is a draft again")
    return back(url_for(".article", article_id=article_id))


@pages.post("/articles/<int:article_id>/publish")
def article_publish(article_id: int) -> Response:
    done = _articles().publish(str(article_id), clock.now())
    flash(f"article {article_id} published at /articles/{done['slug']}/")
    return back(url_for(".article", article_id=article_id))


@pages.post("/articles/<int:article_id>/send")
def article_send(article_id: int) -> Response:
    """To every active reader of the article's language, each once (a second press sends
    nothing to those who have it)."""
    service = _articles()
    _, report, standing = service.send(
        str(article_id), open_transport(service.settings), clock.now
    )
    states = ", ".join(f"{k} {v}" for k, v in sorted(standing["states"].items()))
    flash(f"{report.sent} sent in this run; all deliveries: {states or 'no readers'}")
    return back(url_for(".article", article_id=article_id))


@pages.post("/articles/<int:article_id>/test")
def article_test(article_id: int) -> Response:
    try:
        address = normalize_address(request.form.get("address", ""))
    except ValueError as exc:
        raise ArticleError(f"the test address is not usable: {exc}") from None
    service = _articles()
    service.test_copy(str(article_id), address, open_transport(service.settings), clock.now())
    flash(f"a test copy went to {address}")
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


# -- shared --------------------------------------------------------------------------------------


def _editor(
    found: dict[str, Any], body: str, latest: int, unsaved: bool = False, problem: str = ""
) -> Response:
    service = _articles()
    article_id = found["id"]
    if problem:
        flash(problem, "error")
    report = found["check_report"]
    checked_text = ""
    if report is not None and found["checked_version"] is not None:
        checked_text = service.text(str(article_id), found["checked_version"])["body"]
    return page(
        "article",
        200,
        title=found["title"] or f"Article {article_id}",
        width=1180,
        article=found,
        body=body,
        latest=latest,
        unsaved=unsaved,
        draft=found["state"] == ArticleState.DRAFT,
        preview=Markup(body_html(body)),
        versions=service.versions(str(article_id)),
        checked=found["checked_version"] == latest and report is not None,
        report=report,
        marked=marked(checked_text, report) if report is not None else "",
        public_url=f"{request.script_root}/articles/{found['slug']}/",
        urls={
            name: url_for(f".article_{name}", article_id=article_id)
            for name in (
                "save", "preview", "check", "restore", "approve", "unapprove", "publish", "send",
                "test", "email",
            )
        },  # fmt: skip
        list_url=url_for(".articles"),
        wants_json=wants_json(),
    )


def _insert(body: str, line: str, cursor: str) -> str:
    """The citation line as a paragraph of its own at the cursor (at the end without one)."""
    at = int(cursor) if cursor.isdecimal() and len(cursor) < 9 else len(body)
    at = min(at, len(body))
    before, after = body[:at].rstrip("\n"), body[at:].lstrip("\n")
    return f"{before}\n\n{line}\n\n{after}" if after else f"{before}\n\n{line}\n"


def _body() -> str:
    body = request.form.get("body", "").replace("\r\n", "\n")
    if len(body) > MAX_BODY:
        raise ArticleError(f"the text is over {MAX_BODY} characters", "nothing was saved")
    return body


def _find(article_id: int) -> dict[str, Any]:
    try:
        return _articles().find(str(article_id))
    except ArticleError:
        abort(404)


def _articles() -> Articles:
    return Articles(services().digest)

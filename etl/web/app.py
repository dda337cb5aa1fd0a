"""The Flask app. Archive pages are rendered from the database on request by the same code that
writes the static archive, so `mscwatch serve` and `mscwatch archive build` always agree; the
subscriber pages (etl/web/subscribers.py) sit beside them. Every POST needs a CSRF token, except
the one-click unsubscribe, which the signed token in its address authorizes. The editor pages
(etl/web/editor.py) live under /editor/ behind a login."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, abort, redirect, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from etl.articles.service import Articles
from etl.digest.service import Digest
from etl.errors import ConfigError
from etl.ops.configuration import MIN_SECRET_KEY, short_secret_key
from etl.settings import Settings
from etl.studies.service import Answer, Studies
from etl.subscribers.service import Subscribers
from etl.web import adding, drafts, review
from etl.web import articles as article_pages
from etl.web import editor as editor_pages
from etl.web import evidence as evidence_pages
from etl.web import search as search_pages
from etl.web import subscribers as subscriber_pages
from etl.web.archive_cache import ArchiveCache, kept_response, works_fingerprint
from etl.web.security import install as install_security
from etl.web.security import nonce
from etl.web.services import KEY, Services, services

# The archive's addresses and the page each serves (the folder build writes the same paths).
ROUTES = {
    "/": "index.html",
    "/en/": "en/index.html",
    "/feed.atom": "feed.atom",
    "/en/feed.atom": "en/feed.atom",
    "/feeds/": "feeds/index.html",
    "/en/feeds/": "en/feeds/index.html",
    "/feeds/<topic>.atom": "feeds/{topic}.atom",
    "/en/feeds/<topic>.atom": "en/feeds/{topic}.atom",
    "/issues/<slug>/": "issues/{slug}/index.html",
    "/issues/<slug>/en/": "issues/{slug}/en/index.html",
    "/articles/<slug>/": "articles/{slug}/index.html",
}
ARCHIVE_CACHE = "mscwatch.archive"  # the worker's kept archive pages (etl/web/archive_cache.py)
STUDY_CACHE = "mscwatch.studies"  # its kept study pages, the same mechanism
TYPES = {".html": "text/html; charset=utf-8", ".atom": "application/atom+xml; charset=utf-8"}


def _served_base(path: str) -> str:
    """Where the archive's own links point when it is served: the pages link root-relative, so
    they lead to the site being served whatever its name (and behind any proxy); an Atom feed
    needs absolute addresses, so it takes the request's own. `archive build` keeps the
    configured base URL: its files may be served from anywhere."""
    if path.endswith(".atom"):
        return request.url_root
    return request.script_root + "/"


class DatabaseId(IntegerConverter):
    """`<int:…>` in every route: an id beyond a 64-bit integer is an address of nothing (404),
    not a query the database fails on. Ids of more than 19 digits do not match at all: where a
    GET and a POST share an address, a value the converter refused after the path matched would
    answer 405 (the other method's rule) instead of 404."""

    regex = r"\d{1,19}"

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", editor_pages.MAX_ID)
        super().__init__(map, *args, **kwargs)


def require_secret_key(settings: Settings) -> None:
    """Refuse to serve without SECRET_KEY, or with one short enough to guess: every server
    (`mscwatch serve`, gunicorn through etl.web.wsgi) says so at start-up rather than failing
    on the first sign-up."""
    if not settings.secrets.secret_key:
        raise ConfigError(
            "SECRET_KEY is not set: the subscriber pages sign their links and forms with it",
            "set SECRET_KEY in the environment to a long random string (the same for every "
            "process: the links in sent issues depend on it)",
        )
    if len(settings.secrets.secret_key) < MIN_SECRET_KEY:
        raise ConfigError(f"SECRET_KEY is {short_secret_key(settings.secrets.secret_key)}")


def create_app(
    settings: Settings,
    digest: Digest | None = None,
    subscribers: Subscribers | None = None,
    proxy_hops: int = 0,
) -> Flask:
    """`proxy_hops`: how many reverse proxies stand in front of the app. Behind one, every
    request comes from the proxy's address, so the sign-up form's per-address limit would count
    all readers as one; with hops > 0 the client address (and scheme) are taken from that many
    X-Forwarded-For (X-Forwarded-Proto) entries, counted from the right, so a client cannot
    forge its way past the limit. 0 trusts no such header."""
    if proxy_hops < 0:
        raise ValueError(f"proxy_hops must be 0 or more, not {proxy_hops}")
    app = Flask(__name__)
    app.url_map.converters["int"] = DatabaseId  # before the blueprints' rules are bound
    if proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxy_hops, x_proto=proxy_hops)  # type: ignore[method-assign]
    app.config["SECRET_KEY"] = settings.secrets.secret_key
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True  # the default, said here because editors log in
    digest = digest or Digest.open(settings)
    subscribers = subscribers or Subscribers.open(settings, digest.engine)
    app.extensions[KEY] = Services(
        settings, digest.engine, subscribers.templates, digest, subscribers
    )
    csrf = CSRFProtect(app)
    install_security(app, digest.renderer.env, subscribers.templates)

    cache = ArchiveCache(
        digest.engine, lambda path, base: Articles(services().digest).archive_answer(path, base)
    )
    app.extensions[ARCHIVE_CACHE] = cache

    def archive_page(path: str) -> Response:
        page = cache.page(path, _served_base(path), nonce())
        if page is None:
            abort(404)
        suffix = path[path.rfind(".") :]
        return kept_response(page, TYPES.get(suffix, "text/plain; charset=utf-8"))

    for rule, path in ROUTES.items():
        app.add_url_rule(
            rule,
            endpoint=path,
            view_func=lambda path=path, **values: archive_page(path.format(**values)),
        )

    # Study pages and citation files: rendered by the same code `archive build` writes them
    # with; an old address of a study (a merged work, an identifier that is no longer its
    # best) answers 301 with the current one.
    studies = Studies(digest)

    def study_render(path: str, base: str) -> str | None:
        slug, lang = path.split("/")
        found = studies.page(slug, lang, base)
        return found.body if found.status == 200 else None

    study_cache = ArchiveCache(digest.engine, study_render, fingerprint=works_fingerprint)
    app.extensions[STUDY_CACHE] = study_cache

    def study_page(slug: str, lang: str) -> Response:
        """A kept page when there is one; otherwise the study's answer as it is (a 301 to its
        current address, or 404), which is not kept."""
        page = study_cache.page(f"{slug}/{lang}", _served_base(request.path), nonce())
        if page is None:
            return answer(studies.page(slug, lang, _served_base(request.path)))
        return kept_response(page, TYPES[".html"])

    def answer(found: Answer) -> Response:
        if found.status == 404:
            abort(404)
        if found.status == 301:
            moved = redirect(request.script_root + "/" + found.location, code=301)
            return Response(status=301, headers={"Location": moved.headers["Location"]})
        return Response(found.body, content_type=found.content_type)

    @app.get("/studies/<slug>/")
    def study_zh(slug: str) -> Response:
        return study_page(slug, "zh")

    @app.get("/studies/<slug>/en/")
    def study_en(slug: str) -> Response:
        return study_page(slug, "en")

    @app.get("/studies/<slug>/cite.<any(ris, bib, json):fmt>")
    def study_cite(slug: str, fmt: str) -> Response:
        return answer(studies.cite(slug, fmt, request.url_root))

    @app.get("/issues/<slug>/cite.<any(ris, bib, json):fmt>")
    def issue_cite(slug: str, fmt: str) -> Response:
        return answer(studies.issue_cite(slug, fmt, request.url_root))

    app.register_blueprint(subscriber_pages.pages)
    evidence = Blueprint("evidence", evidence_pages.__name__)  # the public evidence map
    evidence_pages.pages.add_to(evidence)
    app.register_blueprint(evidence)
    app.register_blueprint(search_pages.pages)
    csrf.exempt(subscriber_pages.unsubscribe)  # RFC 8058: no cookies, no CSRF token
    # /editor/: behind a login. One blueprint, its routes written in five modules.
    editor = Blueprint("editor", editor_pages.__name__, url_prefix="/editor")
    for routes in (
        editor_pages.pages,
        review.pages,
        adding.pages,
        drafts.pages,
        article_pages.pages,
    ):
        routes.add_to(editor)
    app.register_blueprint(editor)

    @app.get("/healthz")
    def health() -> Response:
        return Response("ok\n", content_type="text/plain")

    return app

"""The Flask app. Archive pages are rendered from the database on request by the same code that
writes the static archive, so `mscwatch serve` and `mscwatch archive build` always agree; the
subscriber pages (etl/web/subscribers.py) sit beside them. Every POST needs a CSRF token, except
the one-click unsubscribe, which the signed token in its address authorizes."""

from __future__ import annotations

from flask import Flask, Response, abort
from flask_wtf.csrf import CSRFProtect

from etl.digest import store
from etl.digest.archive import Archive
from etl.digest.service import Digest
from etl.settings import Settings
from etl.subscribers.service import Subscribers
from etl.web import subscribers as subscriber_pages

# The archive's addresses and the page each serves (the folder build writes the same paths).
ROUTES = {
    "/": "index.html",
    "/en/": "en/index.html",
    "/feed.atom": "feed.atom",
    "/en/feed.atom": "en/feed.atom",
    "/issues/<slug>/": "issues/{slug}/index.html",
    "/issues/<slug>/en/": "issues/{slug}/en/index.html",
}
TYPES = {".html": "text/html; charset=utf-8", ".atom": "application/atom+xml; charset=utf-8"}


def create_app(
    settings: Settings, digest: Digest | None = None, subscribers: Subscribers | None = None
) -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secrets.secret_key
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    digest = digest or Digest.open(settings)
    app.extensions["digest"] = digest
    app.extensions["subscribers"] = subscribers or Subscribers.open(settings, digest.engine)
    csrf = CSRFProtect(app)

    def archive_page(path: str) -> Response:
        found: Digest = app.extensions["digest"]
        archive = Archive(found.renderer)
        with found.engine.connect() as conn:
            plan = archive.plan(store.list_issues(conn), lambda i: store.load_content(conn, i))
            render = plan.get(path)
            if render is None:
                abort(404)
            body = render()
        suffix = path[path.rfind(".") :]
        return Response(body, content_type=TYPES.get(suffix, "text/plain; charset=utf-8"))

    for rule, path in ROUTES.items():
        app.add_url_rule(
            rule,
            endpoint=path,
            view_func=lambda path=path, **values: archive_page(path.format(**values)),
        )

    app.register_blueprint(subscriber_pages.pages)
    csrf.exempt(subscriber_pages.unsubscribe)  # RFC 8058: no cookies, no CSRF token

    @app.get("/healthz")
    def health() -> Response:
        return Response("ok\n", content_type="text/plain")

    return app

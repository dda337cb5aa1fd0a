"""The editor pages under /editor/: login, logout, the landing page and the operators' page,
and what every editor page shares (the login check, the page frame). The review queue and
duplicates (etl/web/review.py) and the issue drafts and briefs (etl/web/drafts.py) add their
routes to the same blueprint, which create_app builds from the three modules' `pages`.

Accounts come from `mscwatch editors add` only. Flask's cookie, signed with SECRET_KEY, holds
only a random session token; the session itself is a row in the database (etl/editors/
accounts.py) that every request looks up. Logout deletes it, and so do disabling an account and
resetting its password, so a copy of the cookie opens nothing afterwards. Every page but the
login form refuses anonymous visitors (a redirect to the login, carrying `next`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from urllib.parse import urlsplit

from flask import (
    Response,
    g,
    get_flashed_messages,
    redirect,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy import Engine

from etl import clock
from etl.digest import i18n
from etl.editors import accounts
from etl.ops.status import (
    COUNTS_SHOWN,
    DELIVERY_STATES,
    LocalTimes,
    alert_text,
    issue_status,
    job_status,
    source_status,
)
from etl.settings import Settings
from etl.web.routes import Routes
from etl.web.services import services

pages = Routes()  # added to the "editor" blueprint, with review.py's and drafts.py's, by create_app

# the only pages an anonymous visitor may see (the login form can be read in either language)
OPEN = ("editor.login_page", "editor.login", "editor.language_choice")
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex",
}
NAV = (("nav_queue", "queue"), ("nav_add", "add_work"), ("nav_duplicates", "duplicates"),
       ("nav_issues", "issues"), ("nav_briefs", "briefs"), ("nav_articles", "articles"),
       ("nav_operators", "operators"))  # fmt: skip
WRONG = "login_wrong"  # one message, whatever was wrong
MAX_ID = 2**63 - 1  # the largest id either database stores (a BIGINT; SQLite's INTEGER)


@pages.before_request
def require_editor() -> Response | None:
    if request.endpoint in OPEN:
        return None
    account = _logged_in()
    if account is None:
        return _redirect(url_for(".login_page", next=_here()))
    g.editor = account
    return None


# -- login and logout ----------------------------------------------------------------------------


@pages.get("/login")
def login_page() -> Response:
    notice = words()("logged_out") if request.args.get("out") else ""
    if _logged_in() is not None and not notice:
        return _redirect(_safe_next(request.args.get("next")))
    return _login_form(200, next_=_safe_next(request.args.get("next")), notice=notice)


@pages.post("/login")
def login() -> Response:
    database, now = engine(), clock.now()
    remote = request.remote_addr or ""
    name = request.form.get("name", "")
    next_ = _safe_next(request.form.get("next"))
    attempt = accounts.login_attempt(database, remote, now)
    if attempt is None:
        minutes = int(accounts.LOGIN_WINDOW.total_seconds() // 60)
        problem = words()("login_too_many", minutes=minutes)
        return _login_form(429, next_=next_, name=name, problem=problem)
    account = accounts.authenticate(database, name, request.form.get("password", ""), now)
    if account is None:
        return _login_form(401, next_=next_, name=name, problem=words()(WRONG))
    accounts.login_succeeded(database, attempt)
    _end_session()  # whatever the browser held before logging in is not carried over
    session["editor_session"] = accounts.open_session(database, account, now)
    session["lang"] = account.language
    return _redirect(next_, 303)


@pages.post("/logout")
def logout() -> Response:
    lang = language()
    _end_session()
    session["lang"] = lang  # the login page goes on in the language the editor chose
    return _redirect(url_for(".login_page", out=1), 303)


@pages.post("/language")
def language_choice() -> Response:
    """Switch the editor pages' language, from any page: kept on the editor's account (so it
    follows them to another browser), and in the cookie for the login page."""
    lang = request.form.get("lang", "")
    if lang not in accounts.LANGUAGES:
        lang = accounts.LANGUAGES[0]
    account = g.get("editor") or _logged_in()
    if account is not None:
        accounts.set_language(engine(), account.id, lang)
    session["lang"] = lang
    # `return_to`, not `next`: the login form's own `next` must stay the only one on its page
    return _redirect(_safe_next(request.form.get("return_to") or url_for(".home")), 303)


# -- pages ---------------------------------------------------------------------------------------


@pages.get("/")
def home() -> Response:
    t = words()
    sections = [
        (t("queue_title"), url_for(".queue"), t("home_queue")),
        (t("add_title"), url_for(".add_work"), t("home_add")),
        (t("dup_title"), url_for(".duplicates"), t("home_duplicates")),
        (t("issues_title"), url_for(".issues"), t("home_issues")),
        (t("briefs_title"), url_for(".briefs"), t("home_briefs")),
        (t("nav_articles"), url_for(".articles"), t("home_articles")),
        (t("operators_title"), url_for(".operators"), t("home_operators")),
    ]
    return page("home", 200, title=t("editor_pages"), sections=sections)


@pages.get("/operators")
def operators() -> Response:
    config, database, now, t = settings(), engine(), clock.now(), words()
    when = LocalTimes.of(config)

    def at(moment: datetime | None, missing: str = "ops_never") -> str:
        """A time, or what its absence means, in the editor's language."""
        return when(moment, t(missing))

    jobs = []
    for job in job_status(database, config, now):
        health = job.health
        alert = t.problem(alert_text(job.alert, when)) if job.alert else ""
        jobs.append(
            {
                "job": job.job,
                "verdict": health.verdict,
                "reason": t.problem(health.reason),
                "last_run": at(job.last_started),
                "outcome": "running" if job.running else (job.last_outcome or "-"),
                "last_success": at(health.last_success),
                "last_failure": at(health.last_failure),
                "last_error": health.last_error or "",
                "next_run": at(job.next_run, "ops_not_scheduled"),
                "alert": alert,
            }
        )
    sources = [
        {
            "source": row.source,
            "last_run": at(row.last_started),
            "outcome": row.last_outcome or "-",
            "counts": [(row.last_counts or {}).get(k, "") for k in COUNTS_SHOWN],
            "last_success": at(row.last_success),
            "watermark": row.watermark or "",
            "next_due": at(row.next_due, "ops_not_scheduled"),
            "last_error": row.last_error or "",
        }
        for row in source_status(database, config, now)
    ]
    return page(
        "operators",
        200,
        title=words()("operators_title"),
        width=1180,
        jobs=jobs,
        sources=sources,
        numbers=COUNTS_SHOWN,
        issues=issue_status(database),
        when=when,
        delivery_states=DELIVERY_STATES,
        now=when(now),
        zone=config.schedule.timezone,
    )


@pages.errorhandler(CSRFError)
def form_expired(error: CSRFError) -> Response:
    """A form sent without its token, or one left open past the token's life: nothing was
    done. In the editor's language, like every editor page."""
    t = words()
    return page(
        "home",
        400,
        title=t("form_expired"),
        sections=[],
        paragraphs=[t("form_expired_body")],
        links=[("", t("open_login"), url_for(".login_page"))],
    )


# -- shared --------------------------------------------------------------------------------------


def _logged_in() -> accounts.Account | None:
    """The editor whose live session the cookie names (their account still active), else
    None, and the cookie is cleared so a dead token is not looked up again."""
    token = session.get("editor_session")
    if token is None:
        return None
    account = None
    if isinstance(token, str):
        account = accounts.session_account(engine(), token, clock.now())
    if account is None:
        session.clear()
    return account


def _end_session() -> None:
    token = session.get("editor_session")
    if isinstance(token, str):
        accounts.close_session(engine(), token)
    session.clear()


def whole_number(value: str) -> int | None:
    """A form's or address's id or page number, or None when it is not one both databases
    can look up (not digits, or beyond a 64-bit integer: PostgreSQL and SQLite would fail
    on it rather than find nothing)."""
    if not value.isdecimal() or not value.isascii() or len(value) > 19:
        return None
    number = int(value)
    return number if number <= MAX_ID else None


def _redirect(location: str, code: int = 302) -> Response:
    """flask.redirect as typed for what it makes inside an app: the app's Response class (the
    stubs name werkzeug's base class)."""
    return cast(Response, redirect(location, code))


def back(default: str) -> Response:
    """After a form: to the page it came from (a safe editor address), else `default`."""
    return _redirect(_safe_next(request.form.get("next") or default), 303)


def wants_json() -> bool:
    """The page's own script asked (it saves a page load); a plain form post gets a redirect."""
    return request.headers.get("X-Requested-With") == "fetch"


def _safe_next(value: str | None) -> str:
    """Where to go after logging in: an editor page of this site, else the landing page. Only
    a plain path under /editor/ is taken (no scheme, no host, no `//` or backslash tricks that
    browsers read as another site)."""
    home = url_for(".home")
    if not value or "\\" in value or any(ord(c) < 32 for c in value):
        return home
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith("//"):
        return home
    if not (parts.path + "/").startswith(home) or "/../" in parts.path + "/":
        return home
    return value


def _here() -> str:
    query = request.query_string.decode("latin-1")
    return request.script_root + request.path + (f"?{query}" if query else "")


def _login_form(status: int, *, next_: str, name: str = "", **values: Any) -> Response:
    values.setdefault("notice", "")
    values.setdefault("problem", "")
    return page(
        "login",
        status,
        title=words()("login_title"),
        action=url_for(".login"),
        next=next_,
        name=name,
        editor=None,
        **values,
    )


def language() -> str:
    """The editor pages' language for this request: the logged-in editor's choice, else the
    one this browser chose on the login page, else Chinese."""
    account = g.get("editor")
    if account is not None:
        return str(account.language)
    chosen = session.get("lang")
    return chosen if chosen in accounts.LANGUAGES else accounts.LANGUAGES[0]


def words() -> i18n.Words:
    """The catalog in the request's language: `t("key")` in views as in templates."""
    return i18n.Words(language())


def page(template: str, status: int, **values: Any) -> Response:
    found = services()
    header = found.settings.digest.header
    lang = language()
    values.setdefault("editor", g.get("editor"))
    values.setdefault("links", [])
    values.setdefault("paragraphs", [])
    values.setdefault("flashes", get_flashed_messages(with_categories=True))
    other = "en" if lang == "zh" else "zh"
    body = found.templates.get_template(f"web/editor/{template}.html.j2").render(
        lang=lang,
        t=i18n.Words(lang),
        site=header.name(lang),
        tagline=header.tagline(lang),
        archive=f"{request.script_root}/" + ("en/" if lang == "en" else ""),
        other=None,
        noindex=True,
        csrf=generate_csrf(),
        home=url_for(".home"),
        nav=[(key, url_for(f".{endpoint}")) for key, endpoint in NAV],
        logout=url_for(".logout"),
        switch=(url_for(".language_choice"), other, _here()),
        **values,
    )
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    response.headers.update(HEADERS)
    return response


def settings() -> Settings:
    return services().settings


def engine() -> Engine:
    return services().engine

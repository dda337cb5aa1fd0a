"""The security headers every page gets, and the session cookie's Secure flag.

The Content-Security-Policy lets a page run only the scripts and styles it was served with:
each response gets a fresh nonce, the templates put it on their own `<script>` and `<style>`
elements (`nonce_attr()`), and anything else (an injected tag, an inline event handler, a
`style=` attribute) is refused by the browser. Nothing is loaded from other sites. A page can
set its own policy or framing header first (the editor's email preview does); those are kept.

Over HTTPS (also behind the proxies `proxy_hops` trusts, which report the scheme in
X-Forwarded-Proto) responses carry HSTS and the session cookie is marked Secure; a plain HTTP
development server keeps working.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from markupsafe import Markup

HSTS = "max-age=31536000"  # a year; no includeSubDomains: other services may share the domain


def policy(nonce: str) -> str:
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'nonce-{nonce}'",
            f"style-src 'nonce-{nonce}'",
            "img-src 'self' data: https:",
            "connect-src 'self'",  # the queue's own fetch of its forms
            "frame-src 'self'",  # the editor's email preview
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )


def nonce() -> str:
    """This request's nonce ("" outside a request: a page written to a folder has no CSP)."""
    if not has_request_context():
        return ""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    found: str = g.csp_nonce
    return found


def nonce_attr() -> Markup:
    """` nonce="…"` for a template's own <script> and <style> elements, or nothing."""
    value = nonce()
    return Markup(' nonce="%s"') % value if value else Markup("")


def add_headers(response: Response) -> Response:
    headers = response.headers
    if response.status_code != 304:
        # A 304 has no body: the browser keeps the page it has and, with it, the policy that
        # names that page's nonce. A new policy on the 304 would replace it and block the
        # kept page's own <style> and <script>.
        headers.setdefault("Content-Security-Policy", policy(nonce()))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (
            has_request_context() and request.is_secure
        )


def install(app: Flask, *environments: Any) -> None:
    """Headers on every response of `app`; `nonce_attr` for the Jinja environments its pages
    are rendered with."""
    app.session_interface = SessionCookie()
    app.after_request(add_headers)
    for environment in environments:
        environment.globals["nonce_attr"] = nonce_attr

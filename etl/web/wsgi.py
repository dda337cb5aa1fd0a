"""The web app for a production WSGI server:

    gunicorn --workers 4 --bind 0.0.0.0:8000 etl.web.wsgi:app

`mscwatch serve` is one process for development; gunicorn runs several, each importing this
module and so building its own app and database pool. Settings load as for every command
(`MSCWATCH_CONFIG_DIR`, secrets from the environment). `MSCWATCH_PROXY_HOPS` says how many
reverse proxies stand in front (default 0): without it, behind a proxy, the sign-up form's
per-address limit would see every reader as the proxy.

A bad setting stops the import with the same `error:` and `hint:` lines the command line prints,
before gunicorn's traceback, so a worker that cannot boot says why in its first lines.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from flask import Flask

from etl.errors import ConfigError, EtlError
from etl.settings import load_settings
from etl.web.app import create_app, require_secret_key

PROXY_HOPS = "MSCWATCH_PROXY_HOPS"


def proxy_hops(env: Mapping[str, str]) -> int:
    """`MSCWATCH_PROXY_HOPS` as a count; a typo must not silently trust no proxy (or all)."""
    raw = env.get(PROXY_HOPS, "").strip()
    if not raw:
        return 0
    try:
        hops = int(raw)
    except ValueError:
        hops = -1
    if hops < 0:
        raise ConfigError(
            f"{PROXY_HOPS} is {raw!r}, not a number of proxies",
            "set it to how many reverse proxies stand in front of the web app (0 or unset: "
            "none, the app is reached directly)",
        )
    return hops


def build(env: Mapping[str, str] | None = None) -> Flask:
    """The app from the environment's settings, refusing to start without SECRET_KEY."""
    env = os.environ if env is None else env
    try:
        settings = load_settings(env=env)
        require_secret_key(settings)
        return create_app(settings, proxy_hops=proxy_hops(env))
    except EtlError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        sys.stderr.flush()
        raise


app = build()

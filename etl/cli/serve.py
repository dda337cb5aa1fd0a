"""`mscwatch serve`: the web app (the archive, subscriber pages and editor pages under /editor/).

This is the development server: one process, werkzeug's threads. In production run several
gunicorn workers on etl.web.wsgi:app instead (README, "Run with Docker Compose")."""

from __future__ import annotations

import typer

from etl.cli.common import out, settings
from etl.web import create_app
from etl.web.app import require_secret_key


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
) -> None:
    """Serve the web archive and the subscriber pages from the database (development server)."""
    config = settings()
    require_secret_key(config)
    app = create_app(config)
    out.print(f"serving on http://{host}:{port}/ (Ctrl-C stops)", highlight=False)
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True)

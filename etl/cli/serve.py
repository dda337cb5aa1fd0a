"""`mscwatch serve`: the web app (archive now; subscriber and editor pages as they land)."""

from __future__ import annotations

import typer

from etl.cli.common import out, settings
from etl.web import create_app


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
) -> None:
    """Serve the web archive (and later the subscriber and editor pages) from the database."""
    app = create_app(settings())
    out.print(f"serving on http://{host}:{port}/ (Ctrl-C stops)", highlight=False)
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True)

"""`mscwatch serve`: the web app (archive and subscriber pages; editor pages as they land)."""

from __future__ import annotations

import typer

from etl.cli.common import out, settings
from etl.errors import ConfigError
from etl.web import create_app


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
) -> None:
    """Serve the web archive and the subscriber pages from the database."""
    config = settings()
    if not config.secrets.secret_key:
        raise ConfigError(
            "SECRET_KEY is not set: the subscriber pages sign their links and forms with it",
            "set SECRET_KEY in the environment to a long random string (the same for every "
            "process: the links in sent issues depend on it)",
        )
    app = create_app(config)
    out.print(f"serving on http://{host}:{port}/ (Ctrl-C stops)", highlight=False)
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True)

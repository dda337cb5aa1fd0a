"""The project's web app: the public archive at `/` (subscriber and editor pages join it)."""

from etl.web.app import create_app

__all__ = ["create_app"]

"""What every page of the web app works with, built once by `create_app`: the settings, the
engine, the template environment and the two services (the digest's and the subscribers'). The
pages read it through `services()` instead of reaching into whichever service happened to hold
a setting."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from jinja2 import Environment
from sqlalchemy import Engine

from etl.digest.service import Digest
from etl.settings import Settings
from etl.subscribers.service import Subscribers

KEY = "mscwatch"  # the app.extensions key


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    templates: Environment
    digest: Digest
    subscribers: Subscribers


def services() -> Services:
    """The services of the app handling the current request."""
    found: Services = current_app.extensions[KEY]
    return found

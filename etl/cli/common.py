"""What every command shares: loading settings and the engine once, and a console."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import Engine

from etl.db.engine import make_engine, require_current
from etl.settings import Settings, load_settings

console = Console(stderr=True)
# Tables stay whole when output goes to a file or a pipe (rich would assume 80 columns).
out = Console(width=None if Console().is_terminal else 160)


@dataclass
class _State:
    config_dir: str | None = None
    verbose: bool = False


state = _State()


def settings(**overrides: Any) -> Settings:
    return load_settings(Path(state.config_dir) if state.config_dir else None, overrides=overrides)


def engine(config: Settings, check: bool = True) -> Engine:
    """The database engine; by default refuses a database the code's migrations have not reached."""
    built = make_engine(config.database_url)
    if check:
        require_current(built)
    return built


class JsonFormatter(logging.Formatter):
    """One JSON object per log line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)

"""What every command shares: loading settings and the engine once, and a console."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from sqlalchemy import Engine

from etl.db.engine import make_engine, require_current, require_existing
from etl.scheduler.stop import StopSignal
from etl.settings import Settings, load_settings

console = Console(stderr=True)
# Tables stay whole when output goes to a file or a pipe (rich would assume 80 columns),
# unless COLUMNS says how wide the reader's screen is.
out = Console(width=None if Console().is_terminal or os.environ.get("COLUMNS") else 160)


@dataclass
class _State:
    config_dir: str | None = None
    verbose: bool = False


state = _State()


def settings(**overrides: Any) -> Settings:
    return load_settings(Path(state.config_dir) if state.config_dir else None, overrides=overrides)


def engine(config: Settings, check: bool = True) -> Engine:
    """The database engine; by default refuses a database the code's migrations have not reached
    (a SQLite file that does not exist is refused before anything creates it)."""
    if check:
        require_existing(config.database_url)
    built = make_engine(config.database_url)
    if check:
        require_current(built)
    return built


@contextlib.contextmanager
def stop_on_signal(message: str) -> Iterator[StopSignal]:
    """SIGTERM or a first Ctrl-C asks the work to stop at its next safe point (it commits what
    it has); a second Ctrl-C interrupts at once."""
    stop = StopSignal()

    def ask(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        console.print(message)
        stop.set()

    previous = {number: signal.signal(number, ask) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class JsonFormatter(logging.Formatter):
    """One JSON object per log line, for log collectors; a job run's line carries its fields
    (job, trigger, outcome, counts, seconds, error) as keys of their own."""

    FIELDS = ("job", "trigger", "outcome", "counts", "seconds", "error")

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in self.FIELDS:
            if key in record.__dict__:
                data[key] = record.__dict__[key]
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)

"""What the CLI and the web pages call: the evidence rows of a database, filtered and ordered
for one edition, with the names to show them in, and the charts drawn from them.

The web app keeps one map and lets it reuse the rows it read for `max_age` seconds (and the
charts drawn from them), so a page and its four charts, or many readers at once, cost one read
of the database, not five per reader; the map then lags a crawl by at most that long. The CLI
reads afresh (`max_age` 0).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, cast

from sqlalchemy import Engine

from etl.classify.taxonomy import load_taxonomy
from etl.evidence.charts import Chart, chart, draw_svg
from etl.evidence.load import evidence_rows
from etl.evidence.names import Names
from etl.evidence.query import Query, select
from etl.evidence.raster import draw_png, drawn_lang
from etl.evidence.rows import EvidenceRow
from etl.evidence.words import CHARTS
from etl.facts.terms import load_terms
from etl.recent import Recent
from etl.settings import Settings

# Drawn charts kept: four charts in two forms (SVG for the page, PNG for mail) times the filters
# readers use most.
DRAWN_KEPT = 96
T = TypeVar("T", str, bytes)


@dataclass
class _Recent:
    """The rows last read and when, and the charts drawn from them."""

    rows: list[EvidenceRow] | None = None
    read_at: float = 0.0
    # by (name, lang, query, kind); cleared when the rows are read again
    drawn: Recent = field(default_factory=lambda: Recent(DRAWN_KEPT))
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class EvidenceMap:
    engine: Engine
    names: Names
    config_dir: Path
    max_age: float = 0.0
    recent: _Recent = field(default_factory=_Recent, compare=False, repr=False)

    @classmethod
    def open(cls, settings: Settings, engine: Engine, max_age: float = 0.0) -> EvidenceMap:
        taxonomy = load_taxonomy(settings.taxonomy_path)
        names = Names(taxonomy, load_terms(settings.config_dir))
        return cls(engine, names, settings.config_dir, max_age)

    def rows(self) -> list[EvidenceRow]:
        """Every row, in study order (the same list object while it is fresh: do not change it)."""
        with self.recent.lock:
            now = time.monotonic()
            if self.recent.rows is None or now - self.recent.read_at >= self.max_age:
                with self.engine.connect() as conn:
                    self.recent.rows = evidence_rows(conn, self.config_dir)
                self.recent.read_at = now
                self.recent.drawn.clear()
            return self.recent.rows

    def view(
        self, query: Query, lang: str, rows: list[EvidenceRow] | None = None
    ) -> list[EvidenceRow]:
        """The rows the query lets through, in its order, text columns sorted in `lang`."""
        return select(
            self.rows() if rows is None else rows,
            query,
            lambda row, column: self.names.cells(lang, row).get(column, ""),
        )

    def chart(self, name: str, lang: str, query: Query | None = None) -> Chart:
        """The counts behind chart `name` over the rows the query lets through (all of them
        without one)."""
        return chart(name, self.view(query or Query(), lang), self.names, lang)

    def chart_svg(self, name: str, query: Query, lang: str) -> str:
        """Chart `name` of the rows the query lets through, drawn once while the rows last."""
        return self._drawn(name, query, lang, "svg", lambda c: draw_svg(c, lang))

    def chart_png(self, name: str, query: Query, lang: str) -> bytes:
        """The same as a PNG for mail, in Chinese only where a Chinese font is installed
        (raster.drawn_lang)."""
        return self._drawn(name, query, drawn_lang(lang), "png", draw_png)

    def png_charts(self) -> dict[str, bytes]:
        """Every chart of the whole map as PNG in both languages, by its path in the site
        (`evidence/charts/NAME.LANG.png`): what `archive build` writes."""
        return {
            png_path(name, lang): self.chart_png(name, Query(), lang)
            for name in CHARTS
            for lang in ("zh", "en")
        }

    def _drawn(
        self, name: str, query: Query, lang: str, kind: str, draw: Callable[[Chart], T]
    ) -> T:
        rows = self.rows()
        key = (name, lang, query.params(), kind)
        found = self.recent.drawn.get(key)
        if found is not None:
            return cast(T, found)
        drawn = draw(chart(name, self.view(query, lang, rows), self.names, lang))
        with self.recent.lock:
            if self.recent.rows is rows:  # not read again meanwhile
                self.recent.drawn.put(key, drawn)
        return drawn


def png_path(name: str, lang: str) -> str:
    """Where a chart's PNG lives in the site, the same for the web app and the built folder."""
    return f"evidence/charts/{name}.{lang}.png"

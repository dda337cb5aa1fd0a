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
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from etl.classify.taxonomy import load_taxonomy
from etl.evidence.charts import chart, draw_svg
from etl.evidence.load import evidence_rows
from etl.evidence.names import Names
from etl.evidence.query import Query, select
from etl.evidence.rows import EvidenceRow
from etl.facts.terms import load_terms
from etl.settings import Settings

SVG_CACHE = 64  # drawn charts kept: four charts times the filters readers use most


@dataclass
class _Recent:
    """The rows last read and when, and the charts drawn from them."""

    rows: list[EvidenceRow] | None = None
    read_at: float = 0.0
    svgs: OrderedDict[tuple[str, str, str], str] = field(default_factory=OrderedDict)
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
                self.recent.svgs.clear()
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

    def chart_svg(self, name: str, query: Query, lang: str) -> str:
        """Chart `name` of the rows the query lets through, drawn once while the rows last."""
        rows = self.rows()
        key = (name, lang, query.params())
        with self.recent.lock:
            if key in self.recent.svgs:
                self.recent.svgs.move_to_end(key)
                return self.recent.svgs[key]
        svg = draw_svg(chart(name, self.view(query, lang, rows), self.names, lang), lang)
        with self.recent.lock:
            if self.recent.rows is rows:  # not read again meanwhile
                self.recent.svgs[key] = svg
                while len(self.recent.svgs) > SVG_CACHE:
                    self.recent.svgs.popitem(last=False)
        return svg

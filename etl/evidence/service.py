"""What the CLI and the web pages call: the evidence rows of a database, filtered and ordered
for one edition, with the names to show them in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from etl.classify.taxonomy import load_taxonomy
from etl.evidence.load import evidence_rows
from etl.evidence.names import Names
from etl.evidence.query import Query, select
from etl.evidence.rows import EvidenceRow
from etl.facts.terms import load_terms
from etl.settings import Settings


@dataclass(frozen=True)
class EvidenceMap:
    engine: Engine
    names: Names
    config_dir: Path

    @classmethod
    def open(cls, settings: Settings, engine: Engine) -> EvidenceMap:
        taxonomy = load_taxonomy(settings.taxonomy_path)
        names = Names(taxonomy, load_terms(settings.config_dir))
        return cls(engine, names, settings.config_dir)

    def rows(self) -> list[EvidenceRow]:
        with self.engine.connect() as conn:
            return evidence_rows(conn, self.config_dir)

    def view(
        self, query: Query, lang: str, rows: list[EvidenceRow] | None = None
    ) -> list[EvidenceRow]:
        """The rows the query lets through, in its order, text columns sorted in `lang`."""
        return select(
            self.rows() if rows is None else rows,
            query,
            lambda row, column: self.names.cells(lang, row).get(column, ""),
        )

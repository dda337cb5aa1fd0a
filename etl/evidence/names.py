"""An evidence row in the words of one edition: label names from the taxonomy, outcome, safety
and country names from the term tables, the rest from `words.py`. The page, the CSV and the
charts all name a value here, so a filter's option and the cell it selects read the same."""

from __future__ import annotations

from dataclasses import dataclass

from etl.classify.taxonomy import Taxonomy
from etl.evidence.rows import EvidenceRow
from etl.evidence.words import KINDS, PAPER_STATUS, PRODUCTS, SAFETY_EN, UI, pick
from etl.facts.model import Figure
from etl.facts.terms import Terms
from etl.facts.words import status_label

FAMILIES = {"cancer": "cancer_types", "strategy": "strategies", "source": "msc_sources",
            "phase": "stages"}  # fmt: skip


@dataclass(frozen=True)
class Names:
    taxonomy: Taxonomy
    terms: Terms

    def label(self, lang: str, column: str, value: str) -> str:
        """The name of one filter value of a column, as a reader sees it."""
        family = FAMILIES.get(column)
        if family:
            found = self.taxonomy.labels[family].get(value)
            return (found.zh if lang == "zh" else found.en) if found else value
        if column == "status":
            return self.status(lang, value)
        if column == "kind":
            return pick(KINDS[value], lang) if value in KINDS else value
        if column == "country":
            return self.country(lang, value)
        return value

    def status(self, lang: str, value: str | None) -> str:
        if value in PAPER_STATUS:
            return pick(PAPER_STATUS[value], lang)
        return status_label(lang, value.upper() if value else value)

    def country(self, lang: str, name: str) -> str:
        return (self.terms.lookup("countries", name) or name) if lang == "zh" else name

    def outcome(self, lang: str, figure: Figure | None) -> str:
        """「客观缓解率：45%（对照组 20%）」/ "Objective response rate: 45% (vs 20%)"."""
        if figure is None:
            return ""
        ui = UI[lang]
        label = (
            (self.terms.zh_outcome(figure.measure) or figure.label)
            if lang == "zh"
            else (figure.label)
        )
        value = f"{figure.value} {figure.unit}" if figure.unit else figure.value
        extra = [f"{ui['vs']} {figure.comparator}"] if figure.comparator else []
        extra += [figure.p] if figure.p else []
        if lang == "zh":
            return f"{label}：{value}" + (f"（{'，'.join(extra)}）" if extra else "")
        return f"{label}: {value}" + (f" ({', '.join(extra)})" if extra else "")

    def safety(self, lang: str, key: str) -> str:
        if lang == "zh":
            return self.terms.zh_safety(key) or key
        return SAFETY_EN.get(key, key.replace("_", " "))

    def cells(self, lang: str, row: EvidenceRow) -> dict[str, str]:
        """Every column of the row as text of one edition (the CSV's cells, the page's too)."""
        sep = "、" if lang == "zh" else ", "

        def names(column: str, values: tuple[str, ...]) -> str:
            return sep.join(self.label(lang, column, value) for value in values)

        source = names("source", row.sources)
        if row.product:
            product = pick(PRODUCTS.get(row.product, (row.product, row.product)), lang)
            source = f"{source} · {product}" if source else product
        return {
            "study": row.key,
            "title": row.title_zh if lang == "zh" and row.title_zh else row.title,
            "url": row.url or "",
            "page": f"studies/{row.slug}/" + ("en/" if lang == "en" else ""),
            "kind": self.label(lang, "kind", row.kind),
            "strategy": names("strategy", row.strategies),
            "cancer": names("cancer", row.cancers),
            "phase": self.label(lang, "phase", row.phase) if row.phase else "",
            "source": source,
            "status": self.status(lang, row.status) if row.status else "",
            "patients": ""
            if row.patients is None
            else (f"{row.patients}{UI[lang]['planned']}" if row.planned else str(row.patients)),
            "country": names("country", row.countries),
            "sponsor": row.sponsor or "",
            "outcome": self.outcome(lang, row.outcome),
            "safety": sep.join(self.safety(lang, key) for key in row.safety),
            "year": "" if row.year is None else str(row.year),
            "updated": row.updated or "",
            "identifiers": " ".join(row.identifiers),
        }

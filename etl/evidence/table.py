"""The evidence rows as files: CSV (what a reader opens in a spreadsheet, headed in the edition's
words) and JSON (ids for programs, beside the same words). The page's download and `mscwatch
export evidence` write the same bytes for the same rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from etl.evidence.names import Names
from etl.evidence.rows import EvidenceRow
from etl.evidence.words import COLUMNS, pick

# CSV columns, in order: the seed article's four first, then the rest of the map.
CSV_COLUMNS = ("strategy", "study", "cancer", "phase", "title", "url", "page", "kind", "source",
               "status", "patients", "country", "sponsor", "outcome", "safety", "year",
               "updated", "identifiers")  # fmt: skip
EXTRA_HEADS = {"title": ("题目", "Title"), "url": ("链接", "Link"),
               "page": ("研究页面", "Study page"),
               "identifiers": ("全部编号", "All identifiers")}  # fmt: skip


def heads(lang: str) -> list[str]:
    return [pick(COLUMNS.get(name) or EXTRA_HEADS[name], lang) for name in CSV_COLUMNS]


def to_csv(rows: Sequence[EvidenceRow], names: Names, lang: str, base_url: str = "") -> str:
    """`base_url`: the site's address, which makes each row's study page a link a spreadsheet
    opens (the page is relative to the site without it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(heads(lang))
    for row in rows:
        cells = names.cells(lang, row)
        cells["page"] = base_url + cells["page"]
        writer.writerow([cells[name] for name in CSV_COLUMNS])
    return buffer.getvalue()


def to_json(rows: Sequence[EvidenceRow], names: Names, lang: str, base_url: str = "") -> str:
    found = [as_object(row, names, lang, base_url) for row in rows]
    return json.dumps(found, ensure_ascii=False, indent=1)


def as_object(row: EvidenceRow, names: Names, lang: str, base_url: str = "") -> dict[str, Any]:
    """The row's ids and values, and under `text` its cells in the edition's words."""
    text = names.cells(lang, row)
    text["page"] = base_url + text["page"]
    return {
        "study": row.key,
        "work_id": row.work_id,
        "work_ids": list(row.work_ids),
        "identifiers": list(row.identifiers),
        "kind": row.kind,
        "title": row.title,
        "title_zh": row.title_zh,
        "url": row.url,
        "slug": row.slug,
        "page": text["page"],
        "cancer": list(row.cancers),
        "strategy": list(row.strategies),
        "source": list(row.sources),
        "product": row.product,
        "phase": row.phase,
        "status": row.status.lower() if row.status else None,  # the filter's value
        "patients": row.patients,
        "patients_planned": row.planned,
        "country": list(row.countries),
        "sponsor": row.sponsor,
        "outcome": asdict(row.outcome) if row.outcome else None,
        "safety": list(row.safety),
        "year": row.year,
        "updated": row.updated,
        "lang": lang,
        "text": text,
    }

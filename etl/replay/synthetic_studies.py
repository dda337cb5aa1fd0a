"""Generated CT.gov API v2 study objects with known last-update dates, for paging and fault tests.

The demo's fifteen studies fit on a few pages; a crawl that must survive faults and kills across
many pages, with several studies sharing a LastUpdatePostDate on either side of a page boundary,
needs hundreds. Only the modules the trial parser reads are filled in, from small word lists, so
a few hundred take milliseconds and every study parses into a complete record.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

_CELLS = (
    "Umbilical Cord Mesenchymal Stromal Cells",
    "Bone Marrow Mesenchymal Stem Cells",
    "Adipose-derived Mesenchymal Stromal Cells",
    "MSC-derived Extracellular Vesicles",
)
_CONDITIONS = (
    "Acute Myeloid Leukemia",
    "Graft-versus-host Disease",
    "Glioblastoma",
    "Multiple Myeloma",
    "Osteosarcoma",
    "Ovarian Cancer",
)
_STATUSES = ("RECRUITING", "NOT_YET_RECRUITING", "ACTIVE_NOT_RECRUITING", "COMPLETED")
_PHASES = (["PHASE1"], ["PHASE1", "PHASE2"], ["PHASE2"], ["PHASE3"])
_SPONSORS = (
    "The First Affiliated Hospital of Soochow University",
    "Hospital Universitario de Salamanca",
    "Charité - Universitätsmedizin Berlin",
    "University of Minnesota",
)


def synthetic_studies(
    n: int, start: date, end: date, first_nct: int = 7_000_000
) -> Iterator[dict[str, Any]]:
    """Yield ``n`` studies whose LastUpdatePostDate is spread evenly over [start, end]; NCT
    numbers ascend with the date, so several studies share each day when ``n`` exceeds it."""
    if n < 0 or end < start:
        raise ValueError("need n >= 0 and start <= end")
    span = (end - start).days
    for i in range(n):
        updated = start + timedelta(days=(i * span) // max(n - 1, 1))
        yield synthetic_study(first_nct + i, updated)


def synthetic_study(number: int, updated: date, *, status: str | None = None) -> dict[str, Any]:
    """One study object as ``/studies`` serves it; ``number`` becomes ``NCT{number:08d}``."""
    nct = f"NCT{number:08d}"
    cells = _CELLS[number % len(_CELLS)]
    condition = _CONDITIONS[(number // 4) % len(_CONDITIONS)]
    posted = updated - timedelta(days=200 + number % 300)
    return {
        "protocolSection": {
            "identificationModule": {
                "nctId": nct,
                "orgStudyIdInfo": {"id": f"SYN-{number}"},
                "organization": {"fullName": _SPONSORS[number % len(_SPONSORS)], "class": "OTHER"},
                # The number in the title keeps the title matcher from joining two studies.
                "briefTitle": f"{cells} in {condition}: Study {number}",
            },
            "statusModule": {
                "overallStatus": status or _STATUSES[number % len(_STATUSES)],
                "startDateStruct": {"date": posted.isoformat(), "type": "ACTUAL"},
                "studyFirstPostDateStruct": {"date": posted.isoformat(), "type": "ACTUAL"},
                "lastUpdatePostDateStruct": {"date": updated.isoformat(), "type": "ACTUAL"},
            },
            "sponsorCollaboratorsModule": {
                "leadSponsor": {"name": _SPONSORS[number % len(_SPONSORS)], "class": "OTHER"}
            },
            "descriptionModule": {
                "briefSummary": f"This study tests {cells.lower()} in patients with "
                f"{condition.lower()}."
            },
            "conditionsModule": {
                "conditions": [condition],
                "keywords": ["mesenchymal stromal cells"],
            },
            "designModule": {
                "studyType": "INTERVENTIONAL",
                "phases": _PHASES[number % len(_PHASES)],
                "enrollmentInfo": {"count": 20 + number % 180, "type": "ESTIMATED"},
            },
            "armsInterventionsModule": {
                "interventions": [{"type": "BIOLOGICAL", "name": cells}],
            },
        },
        "hasResults": False,
    }

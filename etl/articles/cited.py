"""Which works an article cites, read from its check report: what the study pages list the
article under, and what the article's page links to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Verdicts that still name the work the citation means: its details may differ from the record
# (mismatch), or the record may since have been retracted or corrected, but the reader is
# pointed at that work all the same.
NAMES_THE_WORK = ("found", "mismatch", "retracted", "corrected", "trial_disagrees")


def cited_works(report: Mapping[str, Any] | None, picked: Iterable[int]) -> list[int]:
    """The works the report's citations resolve to, each once, in the order the text first
    cites them.

    A citation that was not found names no work. One whose id and title name two different
    works (`wrong_study`) is ambiguous: it counts for the one of the two the editor picked to
    write about, and for neither otherwise, so a study page never lists an article that may
    not be about it. A picked work the text does not cite is left out: picking is what the
    draft started from, the text is what readers read, and a study page saying an article
    cites it should hold when the reader looks."""
    chosen = set(picked)
    found: dict[int, None] = {}
    for item in (report or {}).get("citations") or []:
        verdict = item.get("verdict")
        if verdict in NAMES_THE_WORK and isinstance(item.get("work_id"), int):
            found.setdefault(item["work_id"])
        elif verdict == "wrong_study":
            other = (item.get("other_work") or {}).get("work_id")
            for work_id in (other, item.get("work_id")):
                if isinstance(work_id, int) and work_id in chosen:
                    found.setdefault(work_id)
    return list(found)

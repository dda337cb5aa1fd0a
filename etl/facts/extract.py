"""One extractor for every reader of a study's facts: the digest's leads, the article brief, the
editor pages and the export. Facts are read once per version of a record (keyed by its content
hash), not once per edition or per subscriber."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from etl.facts.model import Facts
from etl.facts.paper import paper_facts
from etl.facts.terms import Terms, load_terms
from etl.facts.trial import trial_facts

_CACHE: OrderedDict[tuple[str, int], Facts] = OrderedDict()
_CACHE_SIZE = 4096


def extract(
    data: Mapping[str, Any], terms: Terms | None = None, config_dir: Path | None = None
) -> Facts:
    """The facts of one normalised record (a paper or a trial)."""
    terms = terms or load_terms(config_dir)
    key = (content_hash(data), id(terms))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    found = trial_facts(data, terms) if data.get("kind") == "trial" else paper_facts(data, terms)
    _CACHE[key] = found
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return found


_READ = (
    "kind", "title", "vernacular_title", "official_title", "abstract", "acronym",
    "publication_types", "affiliations", "identifiers", "conditions", "interventions", "arms",
    "sponsor", "countries", "enrollment", "enrollment_type", "status", "phases", "has_results",
    "primary_results",
)  # fmt: skip


def content_hash(data: Mapping[str, Any]) -> str:
    """The hash of everything facts and leads are read from: two versions of a record that
    differ there are two cache entries, and a change elsewhere (a fetch date) costs nothing."""
    canonical = repr(tuple(data.get(key) for key in _READ))
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_text(data: Mapping[str, Any]) -> str:
    """Everything a record states, as one text: what a derived text's figures are checked
    against. A trial's fields are written out with their units ("Enrollment: 42", a posted
    percentage as "21.4%")."""
    parts = [
        data.get("title") or "",
        data.get("vernacular_title") or "",
        data.get("official_title") or "",
        data.get("abstract") or "",
        data.get("acronym") or "",
    ]
    ids = data.get("identifiers") or {}
    parts += [str(v) for k, v in ids.items() if isinstance(v, str) and k != "secondary_ids"]
    parts += [str(v) for v in ids.get("registry_ids") or []]
    if data.get("kind") == "trial":
        if data.get("enrollment") is not None:
            parts.append(f"Enrollment: {data['enrollment']} participants")
        parts += list(data.get("conditions") or []) + list(data.get("interventions") or [])
        for arm in data.get("arms") or []:
            parts += [arm.get("label") or "", arm.get("description") or ""]
        for result in data.get("primary_results") or []:
            parts.append(_result_text(result))
    return "\n".join(p for p in parts if p)


def _result_text(result: Mapping[str, Any]) -> str:
    percent = "percent" in (result.get("unit") or "").lower()
    values = [
        f"{g.get('title')}: {g.get('value')}{'%' if percent else ' ' + (result.get('unit') or '')}"
        f" (n={g.get('n')})"
        for g in result.get("groups") or []
        if g.get("value") not in (None, "")
    ]
    extra = [f"HR {result['hr']}" if result.get("hr") else "", f"P = {result.get('p')}"]
    return f"{result.get('title')}: " + "; ".join(values + [e for e in extra if e])

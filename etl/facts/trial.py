"""Facts of a registered trial, from the registry's fields, and when results are posted, the
primary outcome's measured values from the results section (never only "results updated")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from etl.facts.abstract import TYPE_PREFIX
from etl.facts.affiliation import country
from etl.facts.model import Facts, Figure
from etl.facts.paper import _strategy
from etl.facts.terms import Terms

_PHASES = {"EARLY_PHASE1": "I", "PHASE1": "I", "PHASE2": "II", "PHASE3": "III", "PHASE4": "IV"}
_EXOSOME = re.compile(r"exosom|extracellular vesicles?|\bs?EVs?\b", re.I)


def trial_facts(data: Mapping[str, Any], terms: Terms) -> Facts:
    title = data.get("title") or ""
    conditions = "; ".join(data.get("conditions") or [])
    interventions = [TYPE_PREFIX.sub("", i) for i in data.get("interventions") or []]
    named_text = f"{title}\n{'; '.join(interventions)}"
    cancer = terms.first("cancer", conditions) or terms.first("cancer", title)
    named = {
        t.key for c in data.get("conditions") or [] for t in terms.cancer if t.pattern.search(c)
    }
    if len(named) > 1:
        cancer = None  # patients with one of several cancers: none of them is "the" disease
    source = terms.first("source", named_text) or terms.first("source", data.get("abstract") or "")
    strategy, engineered = _strategy(title, "; ".join(interventions), terms)
    countries = tuple(c for c in data.get("countries") or [] if c)
    enrollment = data.get("enrollment")
    results = tuple(_result(r, terms) for r in data.get("primary_results") or [])
    results = tuple(r for r in results if r)
    return Facts(
        kind="trial",
        design="trial_results" if results else "trial_registration",
        phase=_phase(data.get("phases") or []),
        patients=enrollment if isinstance(enrollment, int) else None,
        cancer=cancer[0].key if cancer else None,
        cancer_name=cancer[1].group() if cancer else None,
        cancer_zh=cancer[0].zh if cancer else None,
        msc_source=source[0].key if source else None,
        product=("exosomes" if _EXOSOME.search(named_text) else "cells") if source else None,
        strategy=strategy,
        engineered_with=engineered,
        intervention=interventions[0] if interventions else None,
        outcomes=results,
        institution=data.get("sponsor") or None,
        country=(country(countries[0]) or countries[0]) if countries else None,
        status=data.get("status") or None,
        enrollment_type=data.get("enrollment_type") or None,
        sponsor=data.get("sponsor") or None,
        countries=countries,
        arms=_arms(data, interventions),
        has_results=bool(data.get("has_results")),
    )


def _phase(phases: list[str]) -> str | None:
    names = [_PHASES[p] for p in phases if p in _PHASES]
    return "/".join(dict.fromkeys(names)) or None


def _arms(data: Mapping[str, Any], interventions: list[str]) -> str | None:
    """The arms in one line: their labels joined with "vs", else the interventions."""
    labels = [a.get("label") for a in data.get("arms") or [] if a.get("label")]
    if len(labels) > 1:
        return " vs ".join(labels)
    if labels:
        return labels[0]
    return "; ".join(interventions) or None


def _result(result: Mapping[str, Any], terms: Terms) -> Figure | None:
    """The primary outcome's first two groups' values, as the registry posted them."""
    groups = [g for g in result.get("groups") or [] if g.get("value") not in (None, "")]
    if not groups:
        return None
    title = result.get("title") or ""
    term = terms.first("outcome", title)
    second = groups[1] if len(groups) > 1 else None
    return Figure(
        measure=term[0].key if term else "other",
        label=title,
        value=str(groups[0]["value"]),
        comparator=str(second["value"]) if second else None,
        unit=result.get("unit") or None,
        group=groups[0].get("title") or None,
        comparator_group=(second.get("title") or None) if second else None,
        n=groups[0].get("n") or None,
        comparator_n=(second.get("n") or None) if second else None,
        hr=result.get("hr") or None,
        p=f"P={result['p']}" if result.get("p") and result["p"][0].isdigit() else result.get("p"),
    )

"""Identity keys and links of a normalised record: pure functions over the record's data.

Identity keys say *this record is that work* (a PMID, a DOI, a PMCID, a trial's registry id).
Link targets say *this work points at that one* (a paper naming a trial, a retraction notice naming
the retracted paper): they never merge works.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Schemes that identify a work by themselves. A PII is only unique within one publisher.
IDENTITY_SCHEMES = ("pmid", "doi", "pmcid", "ppr")

# CommentsCorrections types worth a link, named as links from this work to the other one.
CORRECTION_LINKS = {
    "RetractionIn": "retracted_by",
    "RetractedandRepublishedIn": "retracted_by",
    "RetractionOf": "retraction_of",
    "RetractedandRepublishedFrom": "retraction_of",
    "ErratumIn": "corrected_by",
    "ErratumFor": "erratum_for",
    "CorrectedandRepublishedIn": "corrected_by",
    "CorrectedandRepublishedFrom": "erratum_for",
    "ExpressionOfConcernIn": "concern_in",
    "ExpressionOfConcernFor": "concern_for",
    "UpdateIn": "updated_by",
    "UpdateOf": "update_of",
}

Key = tuple[str, str]


def identity_keys(data: Mapping[str, Any]) -> list[Key]:
    """(scheme, value) pairs that identify the work this record describes."""
    identifiers = data.get("identifiers") or {}
    keys = [(scheme, identifiers[scheme]) for scheme in IDENTITY_SCHEMES if identifiers.get(scheme)]
    if data.get("kind") == "trial":
        keys.extend(_registry_keys(identifiers.get("registry_ids") or []))
    return keys


def link_targets(data: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """(link type, target scheme, target value, evidence) for every work this record names."""
    links = []
    if data.get("kind") == "paper":
        identifiers = data.get("identifiers") or {}
        named = _registry_keys(identifiers.get("registry_ids") or [])
        in_text = set(_ids_in_text(data)) if named else set()
        for key in named:
            links.append(("reports_trial", *key, _trial_evidence(key, in_text, data)))
    for item in data.get("corrections") or []:
        link_type = CORRECTION_LINKS.get(item.get("type", ""))
        if link_type and item.get("pmid"):
            links.append((link_type, "pmid", item["pmid"], item["type"]))
    if data.get("kind") == "trial":
        for pmid in data.get("reference_pmids") or []:
            links.append(("reported_by", "pmid", pmid, "trial references"))
    links.extend(_preprint_links(data))
    return list(dict.fromkeys(links))


# Each link read from the other end: a paper that reports a trial is, for the trial, reported_by.
REVERSE = {
    "reports_trial": "reported_by",
    "reported_by": "reports_trial",
    "retracted_by": "retraction_of",
    "retraction_of": "retracted_by",
    "corrected_by": "erratum_for",
    "erratum_for": "corrected_by",
    "concern_in": "concern_for",
    "concern_for": "concern_in",
    "updated_by": "update_of",
    "update_of": "updated_by",
    "published_as": "has_preprint",
    "has_preprint": "published_as",
}


def _ids_in_text(data: Mapping[str, Any]) -> list[Key]:
    from etl.normalize.identifiers import find_registry_ids

    return find_registry_ids(f"{data.get('title') or ''}\n{data.get('abstract') or ''}")


def _trial_evidence(key: Key, in_text: set[Key], data: Mapping[str, Any]) -> str:
    """Where the paper names the trial: an editor weighs an id the authors wrote in their
    abstract ("Trial registration: …") differently from PubMed's data-bank list."""
    if key in in_text:
        return "trial id in the title or abstract"
    if data.get("source") == "pubmed":
        return "PubMed DataBankList"
    return "registry id in the record"


def _preprint_links(data: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """A preprint and its journal article are one study thread: linked, never merged (each
    stays a work of its own, and the link keeps how it was made, for a reviewer)."""
    links = []
    published = data.get("published_version") or {}
    for scheme in ("pmid", "doi", "pmcid"):
        if published.get(scheme):
            note = published.get("note") or "preprint of"
            links.append(("published_as", scheme, published[scheme], note))
            break
    for preprint in data.get("preprints") or []:
        if preprint.get("ppr"):
            links.append(("has_preprint", "ppr", preprint["ppr"], preprint.get("note") or ""))
    return links


def _registry_keys(registry_ids: list[str]) -> list[Key]:
    from etl.normalize.identifiers import normalize_registry_id

    keys = []
    for value in registry_ids:
        parsed = normalize_registry_id(value)
        if parsed:
            keys.append(parsed)
    return keys

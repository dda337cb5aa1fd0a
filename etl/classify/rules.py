"""Rule classification: a record's data in, its labels (with the evidence that fired) out.

Evidence is weighed by where it occurs: a term in the title, keywords, MeSH or a trial's
conditions says more than one mention in an abstract, which is how "mentions MSCs in passing" is
told from "is about MSCs". Pure function of the record and the taxonomy: no database, no clock.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from etl.classify.matcher import Hit, acronym_words, words
from etl.classify.taxonomy import Label, Taxonomy

WEIGHT = {"title": 3, "conditions": 3, "keywords": 2, "mesh": 2, "interventions": 2,
          "official_title": 2, "abstract": 1, "arms": 1}  # fmt: skip
STRONG_FIELDS = frozenset({"title", "conditions", "keywords", "mesh", "interventions",
                           "official_title"})  # fmt: skip
NOTICE_TYPES = frozenset({"Retraction of Publication", "Retraction Notice", "Published Erratum",
                          "Expression of Concern"})  # fmt: skip


def classify(
    data: dict[str, Any], taxonomy: Taxonomy, relevant: bool | None = None
) -> dict[str, Any]:
    """The `labels` object of a record (see README, "Classification").

    `relevant` overrides the rules' verdict (the editors' model decides it once trained); the other
    labels are still the rules'.
    """
    hits = _hits(data, taxonomy)
    evidence = _Evidence(hits)
    msc = _msc_strength(evidence, taxonomy)
    cancer = evidence.strength("relevance.cancer") + sum(
        evidence.strength(f"cancer_types.{t}") for t in taxonomy.labels["cancer_types"]
    )
    if relevant is None:
        relevant = msc >= taxonomy.abstract_mentions and _cancer_ok(evidence, taxonomy)
    labels: dict[str, Any] = {
        "relevant": relevant,
        "relevance": _relevance(relevant, msc, cancer),
        "cancer_types": [],
        "strategies": [],
        "msc_sources": [],
        "stage": None,
        "safety": False,
        "section": None,
    }
    if relevant:
        labels["cancer_types"] = _cancer_types(evidence, taxonomy)
        labels["strategies"] = _kept(evidence, taxonomy, "strategies", threshold=2)
        labels["msc_sources"] = _kept(evidence, taxonomy, "msc_sources", threshold=1)
        labels["stage"] = _stage(data, evidence, taxonomy)
        labels["safety"] = _safety(data, evidence, taxonomy)
        labels["section"] = section_of(data, labels, taxonomy)
    labels["evidence"] = evidence.report()
    labels["taxonomy"] = taxonomy.version
    return labels


def _fields(data: dict[str, Any]) -> list[tuple[str, str]]:
    fields = [("title", data.get("title") or ""), ("abstract", data.get("abstract") or "")]
    for name in ("keywords", "mesh_terms", "conditions", "interventions"):
        field = "mesh" if name == "mesh_terms" else name
        fields.extend((field, value) for value in data.get(name) or [] if value)
    if data.get("official_title"):
        fields.append(("official_title", data["official_title"]))
    for arm in data.get("arms") or []:
        if isinstance(arm, dict) and arm.get("description"):
            fields.append(("arms", arm["description"]))
    return fields


def _hits(data: dict[str, Any], taxonomy: Taxonomy) -> list[Hit]:
    hits: list[Hit] = []
    for field, text in _fields(data):
        hits.extend(taxonomy.words.find(words(text), field))
        hits.extend(taxonomy.acronyms.find(acronym_words(text), field))
        hits.extend(taxonomy.chinese.find(text, field))
    mesh = set(data.get("mesh_terms") or [])
    if mesh:
        for part, names in taxonomy.relevance_mesh.items():
            hits.extend(Hit(f"relevance.{part}", name, "mesh", -1) for name in names & mesh)
        for family, labels in taxonomy.labels.items():
            for label in labels.values():
                hits.extend(
                    Hit(f"{family}.{label.id}", name, "mesh", -1) for name in label.mesh & mesh
                )
    return hits


class _Evidence:
    """Hits grouped by label, with the weighed strength of each label."""

    def __init__(self, hits: list[Hit]) -> None:
        self.by_key: dict[str, list[Hit]] = defaultdict(list)
        for hit in hits:
            self.by_key[hit.key].append(hit)

    def strength(self, key: str, acronyms: bool = True) -> int:
        seen: set[tuple[str, int]] = set()
        total = 0
        for hit in self.by_key.get(key, ()):
            if not acronyms and hit.term.isupper():
                continue
            spot = (hit.field, hit.position)
            if spot in seen and hit.position >= 0:
                continue  # one mention matched by two overlapping terms counts once
            seen.add(spot)
            total += WEIGHT.get(hit.field, 1)
        return total

    def strong(self, key: str) -> bool:
        return any(hit.field in STRONG_FIELDS for hit in self.by_key.get(key, ()))

    def fired(self, key: str) -> bool:
        return key in self.by_key

    def report(self) -> dict[str, list[dict[str, str]]]:
        shown = {}
        for key, hits in self.by_key.items():
            if key == "clinical":
                continue
            unique = dict.fromkeys((hit.term, hit.field) for hit in hits)
            shown[key] = [{"term": term, "field": field} for term, field in unique][:8]
        return shown


def _msc_strength(evidence: _Evidence, taxonomy: Taxonomy) -> int:
    """How much the record is about MSCs; a bare "MSC" counts only where it cannot mean else."""
    spelled = evidence.strength("relevance.msc", acronyms=False)
    if spelled == 0 and evidence.fired("relevance.exclude"):
        return 0
    if spelled == 0:
        # Only the acronym: believe it in a title or keywords, or when repeated.
        total = evidence.strength("relevance.msc")
        return total if evidence.strong("relevance.msc") or total >= 3 else 0
    if evidence.strong("relevance.msc"):
        return max(evidence.strength("relevance.msc"), taxonomy.abstract_mentions)
    return evidence.strength("relevance.msc")


def _cancer_ok(evidence: _Evidence, taxonomy: Taxonomy) -> bool:
    keys = ["relevance.cancer", *(f"cancer_types.{t}" for t in taxonomy.labels["cancer_types"])]
    if any(evidence.strong(key) for key in keys):
        return True
    return sum(evidence.strength(key) for key in keys) >= taxonomy.abstract_mentions


def _relevance(relevant: bool, msc: int, cancer: int) -> float:
    m, c = min(msc, 6) / 6, min(cancer, 6) / 6
    if relevant:
        return round(0.5 + 0.25 * m + 0.25 * c, 3)
    return round(0.45 * (m * c) ** 0.5, 3)


def _cancer_types(evidence: _Evidence, taxonomy: Taxonomy) -> list[str]:
    scores = {
        label: evidence.strength(f"cancer_types.{label}")
        for label in taxonomy.labels["cancer_types"]
    }
    kept = [label for label, score in scores.items() if score >= 2]
    if not kept:
        best = max(scores.values())
        kept = [label for label, score in scores.items() if score == best and best >= 1]
    for generic, group in (("other_hematologic", "hematologic"), ("other_solid", "solid")):
        specific = [t for t in kept if t != generic and taxonomy.group_of(t) == group]
        if generic in kept and specific:
            kept.remove(generic)
    return kept


def _kept(evidence: _Evidence, taxonomy: Taxonomy, family: str, threshold: int) -> list[str]:
    return [
        label
        for label in taxonomy.labels[family]
        if evidence.strength(f"{family}.{label}") >= threshold
        or evidence.strong(f"{family}.{label}")
    ]


def _stage(data: dict[str, Any], evidence: _Evidence, taxonomy: Taxonomy) -> str | None:
    types = set(data.get("publication_types") or [])
    if data.get("kind") == "trial":
        return _trial_stage(data, taxonomy)
    if {"Clinical Trial, Phase I", "Clinical Trial, Phase II"} <= types:
        return "phase1_2"
    clinical = evidence.fired("clinical")
    text = f"{data.get('title') or ''}\n{data.get('abstract') or ''}".lower()
    for label in taxonomy.labels["stages"].values():
        if label.publication_types & types or _stage_text(label, evidence, text, clinical):
            return label.id
    return None


def _stage_text(label: Label, evidence: _Evidence, text: str, clinical: bool) -> bool:
    if label.id.startswith("phase"):
        # A phase named in a text counts only when the text is about people.
        return clinical and "phase" in text and any(p.search(text) for p in label.patterns)
    key = f"stages.{label.id}"
    if label.id == "review":
        return evidence.strong(key) or evidence.strength(key) >= 2
    return evidence.fired(key)


def _trial_stage(data: dict[str, Any], taxonomy: Taxonomy) -> str | None:
    phases = frozenset(data.get("phases") or []) - {"NA"}
    study_type = data.get("study_type")
    for label in taxonomy.labels["stages"].values():
        if phases and phases in label.trial_phases:
            return label.id
        if study_type and study_type in label.study_types:
            return label.id
    return None


def _safety(data: dict[str, Any], evidence: _Evidence, taxonomy: Taxonomy) -> bool:
    if data.get("retracted") or NOTICE_TYPES & set(data.get("publication_types") or []):
        return True
    if taxonomy.safety.publication_types & set(data.get("publication_types") or []):
        return True
    if evidence.strong("safety"):
        return True
    # An abstract that merely reports "no serious adverse events" is not a safety signal: in the
    # abstract, only what its conclusion says about harm counts.
    places = [(data.get("title") or "").lower(), _conclusion(data.get("abstract") or "").lower()]
    return any(p.search(text) for p in taxonomy.safety.patterns for text in places if text)


def _conclusion(abstract: str) -> str:
    """The abstract's conclusion: its CONCLUSION(S) section, else its last two sentences."""
    for paragraph in reversed(abstract.split("\n\n")):
        if paragraph[:12].upper().startswith(("CONCLUSION", "INTERPRETATION")):
            return paragraph
    sentences = abstract.replace("\n", " ").split(". ")
    return ". ".join(sentences[-2:])


def section_of(data: dict[str, Any], labels: dict[str, Any], taxonomy: Taxonomy) -> str:
    """The digest section a work belongs in; an editor's correction of its labels moves it."""
    groups = {taxonomy.group_of(t) for t in labels["cancer_types"]}
    fits = {
        "safety": labels["safety"],
        "trials": data.get("kind") == "trial",
        "hematologic": "hematologic" in groups
        or ("hsct_support" in labels["strategies"] and "solid" not in groups),
        "solid_tumors": "solid" in groups,
        "platforms": True,
    }
    return next(section for section in taxonomy.section_precedence if fits.get(section))

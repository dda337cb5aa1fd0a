"""Rule classification: a record's data in, its labels (with the evidence that fired) out.

Evidence is weighed by where it occurs: a term in the title, keywords, MeSH or a trial's
conditions says more than one mention in an abstract, which is how "mentions MSCs in passing" is
told from "is about MSCs". Pure function of the record and the taxonomy: no database, no clock.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import defaultdict
from functools import lru_cache
from itertools import accumulate
from typing import Any

from etl.classify.matcher import Hit, acronym_words, words
from etl.classify.taxonomy import Label, Taxonomy

WEIGHT = {"title": 3, "conditions": 3, "keywords": 2, "mesh": 2, "interventions": 2,
          "official_title": 2, "abstract": 1, "arms": 1}  # fmt: skip
STRONG_FIELDS = frozenset({"title", "conditions", "keywords", "mesh", "interventions",
                           "official_title"})  # fmt: skip
NOTICE_TYPES = frozenset({"Retraction of Publication", "Retraction Notice", "Published Erratum",
                          "Expression of Concern"})  # fmt: skip
# What a study did is read from its text: a MeSH heading alone ("Mesenchymal Stem Cell
# Transplantation") says what the indexer filed it under, not which strategy it used.
TEXT_ONLY_FAMILIES = ("strategies", "msc_sources")
# Sentences about what was not done or is still to come are no evidence of a study's stage.
_NOT_DONE = re.compile(
    r"\b(?:needed|warranted|planned|merits?|future|should|will|would|remains? to be|"
    r"did not perform|were not|was not|not performed|requires?|ongoing)\b"
)
_SENTENCE = re.compile(r"(?<=[.!?。；])\s+|\n+|(?<=[。；])")
_NEGATION = re.compile(r"\b(?:not|no|without|never|nor)\s+(?:\w+\s+){0,2}$")
_NOT = frozenset({"no", "not", "without"})
_ABSENT = re.compile(r"\bno\s+(?:[\w-]+\s+){0,3}$")
# adverse events and toxicity in a conclusion are mostly "mild" or "none": not a signal by
# themselves (a title, keyword or MeSH heading still is)
_INCIDENTAL = re.compile(r"adverse|toxicity|reaction")


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
    cancer = _cancer_strength(evidence, taxonomy)
    rule_relevant = (
        msc >= taxonomy.abstract_mentions
        and _cancer_ok(evidence, taxonomy, cancer)
        and not _non_malignant_only(evidence, taxonomy)
    )
    if relevant is None:
        relevant = rule_relevant
    features = rule_features(evidence, taxonomy, msc, cancer, rule_relevant)
    labels: dict[str, Any] = {
        "relevant": relevant,
        "relevance": relevance_probability(features, taxonomy),
        "cancer_types": [],
        "strategies": [],
        "msc_sources": [],
        "stage": None,
        "safety": False,
        "section": None,
    }  # fmt: skip
    if relevant:
        labels["cancer_types"] = _cancer_types(evidence, taxonomy)
        by_terms = {
            family: _kept(evidence, taxonomy, family, threshold, set())
            for family, threshold in (("strategies", 2), ("msc_sources", 1))
        }
        said = _said(
            data, evidence, taxonomy, {f"{f}.{i}" for f, ids in by_terms.items() for i in ids}
        )
        for family, kept in by_terms.items():  # the vocabulary's labels and the patterns'
            labels[family] = [
                label
                for label in taxonomy.labels[family]
                if label in kept or f"{family}.{label}" in said
            ]
        labels["stage"] = _stage(data, taxonomy, evidence)
        labels["safety"] = _safety(data, evidence, taxonomy)
        labels["section"] = section_of(data, labels, taxonomy)
    labels["evidence"] = evidence.report()
    labels["features"] = features
    labels["taxonomy"] = taxonomy.version
    return labels


# Joins a list field's values into one text that no phrase can match across.
_APART = " xxapartxx ; "


def _fields(data: dict[str, Any]) -> list[tuple[str, str]]:
    fields = [("title", data.get("title") or ""), ("abstract", data.get("abstract") or "")]
    for name in ("keywords", "mesh_terms", "conditions", "interventions"):
        field = "mesh" if name == "mesh_terms" else name
        values = [value for value in data.get(name) or [] if value]
        if values:
            fields.append((field, _APART.join(values)))
    if data.get("official_title"):
        fields.append(("official_title", data["official_title"]))
    for arm in data.get("arms") or []:
        if isinstance(arm, dict) and arm.get("description"):
            fields.append(("arms", arm["description"]))
    return fields


def _hits(data: dict[str, Any], taxonomy: Taxonomy) -> list[Hit]:
    hits: list[Hit] = []
    guards = (taxonomy.not_after, taxonomy.not_before)
    for field, text in _fields(data):
        tokens = words(text)
        hits.extend(_guarded(taxonomy.words.find(tokens, field), tokens, *guards))
        cased = acronym_words(text)
        hits.extend(_guarded(taxonomy.acronyms.find(cased, field), cased, *guards))
        hits.extend(taxonomy.chinese.find(text, field))
    index = taxonomy.mesh_keys
    for name in dict.fromkeys(data.get("mesh_terms") or []):
        hits.extend(Hit(key, name, "mesh", -1) for key in index.get(name, ()))
    return hits


def _guarded(
    found: Any,
    tokens: list[str],
    after: dict[str, frozenset[str]],
    before: dict[str, frozenset[str]],
) -> list[Hit]:
    """Drop hits a neighbouring word cancels ("lymphoblastic leukemia-lymphoma" is no lymphoma,
    "umbilical cord blood" no umbilical cord)."""
    kept = []
    for hit in found:
        cancel = after.get(hit.key)
        if cancel and hit.position > 0 and tokens[hit.position - 1].lower() in cancel:
            continue
        cancel = before.get(hit.key)
        if cancel:
            end = hit.position + _length(hit.term)
            if end < len(tokens) and tokens[end].lower() in cancel:
                continue
        kept.append(hit)
    return kept


@lru_cache(maxsize=4096)
def _length(term: str) -> int:
    """How many tokens a term spans (the same for its word and its acronym form)."""
    return len(words(term))


class _Evidence:
    """Hits grouped by label, with the weighed strength of each label."""

    def __init__(self, hits: list[Hit]) -> None:
        self.by_key: dict[str, list[Hit]] = defaultdict(list)
        for hit in hits:
            self.by_key[hit.key].append(hit)
        # the rules ask for the same strengths many times over (relevance, features, labels)
        self._strength: dict[tuple[str, bool, bool], int] = {}

    def add(self, hit: Hit) -> None:
        self.by_key[hit.key].append(hit)
        for cached in [k for k in self._strength if k[0] == hit.key]:
            del self._strength[cached]

    def strength(self, key: str, acronyms: bool = True, mesh: bool = True) -> int:
        cached = self._strength.get((key, acronyms, mesh))
        if cached is None:
            cached = self._strength[key, acronyms, mesh] = self._weigh(key, acronyms, mesh)
        return cached

    def _weigh(self, key: str, acronyms: bool, mesh: bool) -> int:
        if key not in self.by_key:
            return 0
        seen: set[tuple[str, int]] = set()
        total = 0
        for hit in self.by_key.get(key, ()):
            if not acronyms and hit.term.isupper():
                continue
            if not mesh and hit.field == "mesh":
                continue
            spot = (hit.field, hit.position)
            if spot in seen and hit.position >= 0:
                continue  # one mention matched by two overlapping terms counts once
            seen.add(spot)
            total += WEIGHT.get(hit.field, 1)
        return total

    def strong(self, key: str, mesh: bool = True) -> bool:
        return any(
            hit.field in STRONG_FIELDS and (mesh or hit.field != "mesh")
            for hit in self.by_key.get(key, ())
        )

    def fired(self, key: str) -> bool:
        return key in self.by_key

    def report(self) -> dict[str, list[dict[str, str]]]:
        shown = {}
        for key, hits in self.by_key.items():
            if key == "clinical" or key.startswith("stages."):
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


def _cancer_keys(evidence: _Evidence, taxonomy: Taxonomy) -> list[str]:
    """The cancer labels that fired (most records name one or two of the thirty)."""
    return [key for key in evidence.by_key if key in taxonomy.cancer_keys]


def _cancer_type_fired(evidence: _Evidence, taxonomy: Taxonomy) -> bool:
    return any(key in taxonomy.cancer_keys and key != "relevance.cancer" for key in evidence.by_key)


def _cancer_strength(evidence: _Evidence, taxonomy: Taxonomy) -> int:
    """Cancer evidence; treatment injury ("cisplatin nephrotoxicity") counts once a cancer is
    named at all, so protecting cancer patients' organs is cancer care."""
    named = sum(evidence.strength(key) for key in _cancer_keys(evidence, taxonomy))
    return named + (evidence.strength("relevance.cancer_care") if named else 0)


def _cancer_ok(evidence: _Evidence, taxonomy: Taxonomy, cancer: int) -> bool:
    if any(evidence.strong(key) for key in _cancer_keys(evidence, taxonomy)):
        return True
    return cancer >= taxonomy.abstract_mentions


def _non_malignant_only(evidence: _Evidence, taxonomy: Taxonomy) -> bool:
    """Transplantation for aplastic anaemia, thalassaemia, sickle cell disease or an immune
    deficiency is not cancer care: GVHD and engraftment count only when a cancer is named."""
    if not evidence.strong("relevance.non_malignant"):
        return False
    return not _cancer_type_fired(evidence, taxonomy)


FEATURES = ("rules", "msc", "cancer", "msc_strong", "cancer_strong", "msc_title",
            "cancer_title", "other_meaning", "non_malignant", "cancer_type")  # fmt: skip


def _scaled(value: int) -> float:
    """Evidence strength on a log scale, so that more mentions keep adding a little."""
    return min(math.log1p(value) / math.log1p(40), 1.0)


def rule_features(
    evidence: _Evidence, taxonomy: Taxonomy, msc: int, cancer: int, relevant: bool
) -> dict[str, float]:
    """The rules' view of a record as numbers: the calibration's and the text model's inputs."""
    cancer_keys = _cancer_keys(evidence, taxonomy)
    return {
        "rules": float(relevant),
        "msc": round(_scaled(msc), 4),
        "cancer": round(_scaled(cancer), 4),
        "msc_strong": float(evidence.strong("relevance.msc")),
        "cancer_strong": float(any(evidence.strong(k) for k in cancer_keys)),
        "msc_title": float(_in_title(evidence, ["relevance.msc"])),
        "cancer_title": float(_in_title(evidence, cancer_keys)),
        "other_meaning": float(evidence.fired("relevance.exclude")),
        "non_malignant": float(evidence.fired("relevance.non_malignant")),
        "cancer_type": float(_cancer_type_fired(evidence, taxonomy)),
    }


def _in_title(evidence: _Evidence, keys: list[str]) -> bool:
    titles = ("title", "official_title")
    return any(hit.field in titles for key in keys for hit in evidence.by_key.get(key, ()))


def relevance_probability(features: dict[str, float], taxonomy: Taxonomy) -> float:
    """A calibrated probability of relevance: the taxonomy's logistic weights over the rule
    features (fitted on the labelled set, see tests/classify/README.md)."""
    weights = taxonomy.calibration
    if not weights:
        return round(0.05 + 0.9 * features["rules"], 3)
    z = weights.get("bias", 0.0) + sum(weights.get(k, 0.0) * v for k, v in features.items())
    return round(1 / (1 + math.exp(-z)), 4)


def _cancer_types(evidence: _Evidence, taxonomy: Taxonomy) -> list[str]:
    labels = taxonomy.labels["cancer_types"]
    scores = {label: evidence.strength(f"cancer_types.{label}") for label in labels}
    kept = [label for label, score in scores.items() if score >= 2]
    if not kept:
        best = max(scores.values())
        kept = [label for label, score in scores.items() if score == best and best >= 1]
    for label in list(kept):
        parent = labels[label].parent
        if parent and parent not in kept:
            kept.append(parent)
    for generic, group in (("other_hematologic", "hematologic"), ("other_solid", "solid")):
        specific = [t for t in kept if t != generic and taxonomy.group_of(t) == group]
        if generic in kept and specific:
            kept.remove(generic)
    return [label for label in labels if label in kept]


# Where a study says what it did with the cells (the patterns of strategies and sources).
SAID_FIELDS = ("title", "abstract", "keywords", "interventions", "official_title", "arms")
_SAID_APART = " ;\n"


def _said(
    data: dict[str, Any], evidence: _Evidence, taxonomy: Taxonomy, known: set[str]
) -> set[str]:
    """Strategy and source labels whose patterns match what the study says it did ("MSCs laden
    with docetaxel nanoparticles", "vesicles isolated from cord MSCs"): one statement is enough,
    where a word of the label's vocabulary needs repeating. Run only for relevant works, so the
    regular expressions cost nothing on the many that are not, and only for labels the
    vocabulary has not already given (`known`)."""
    parts = [(field, text.lower()) for field, text in _fields(data) if field in SAID_FIELDS]
    # one text for all fields, one search per pattern: no pattern can match across ";"
    text = _SAID_APART.join(part for _, part in parts)
    ends = list(accumulate(len(part) + len(_SAID_APART) for _, part in parts))
    found: set[str] = set()
    for family in TEXT_ONLY_FAMILIES:
        for label in taxonomy.labels[family].values():
            key = f"{family}.{label.id}"
            if key in known:
                continue
            if label.patterns_need_terms and not evidence.strength(key, mesh=False):
                continue
            for pattern in label.patterns:
                match = pattern.search(text)
                if match:
                    found.add(key)
                    field = parts[bisect_right(ends, match.start())][0]
                    evidence.add(Hit(key, match.group(0)[:80], field, -1))
                    break
    return found


def _kept(
    evidence: _Evidence, taxonomy: Taxonomy, family: str, threshold: int, said: set[str]
) -> list[str]:
    mesh = family not in TEXT_ONLY_FAMILIES
    return [
        label
        for label in taxonomy.labels[family]
        if f"{family}.{label}" in said
        or evidence.strength(f"{family}.{label}", mesh=mesh) >= threshold
        or evidence.strong(f"{family}.{label}", mesh=mesh)
    ]


def _stage(data: dict[str, Any], taxonomy: Taxonomy, evidence: _Evidence) -> str | None:
    """The highest level of evidence the record reports (the taxonomy lists stages from the
    highest): publication types and registry phases first, then what the text says was done."""
    if data.get("kind") == "trial":
        return _trial_stage(data, taxonomy)
    stages = taxonomy.labels["stages"]
    types = set(data.get("publication_types") or [])
    if stages["review"].publication_types & types:
        return "review"
    if stages["case_report"].publication_types & types:
        return "case_report"
    if {"Clinical Trial, Phase I", "Clinical Trial, Phase II"} <= types:
        return "phase1_2"
    title, abstract = data.get("title") or "", data.get("abstract") or ""
    sentences = _SENTENCE.split(abstract)
    done = [s for s in sentences if not _NOT_DONE.search(s.lower())]
    text = "\n".join([title, *done])
    if len(done) == len(sentences):  # nothing left out: the record's own hits say it all
        found = {
            key
            for key, hits in evidence.by_key.items()
            if any(hit.field in ("title", "abstract") for hit in hits)
        }
    else:
        found = {hit.key for hit in taxonomy.words.find(words(text), "text")}
        found |= {hit.key for hit in taxonomy.chinese.find(text, "text")}
    lowered = text.lower()
    mesh = set(data.get("mesh_terms") or [])
    title_hits = {
        key for key, hits in evidence.by_key.items() if any(h.field == "title" for h in hits)
    }
    clinical = "clinical" in found
    for label in stages.values():
        if label.publication_types & types or label.mesh & mesh:
            return label.id
        if _stage_text(label, found, title_hits, lowered, clinical):
            return label.id
    return None


def _stage_text(
    label: Label, found: set[str], title_hits: set[str], text: str, clinical: bool
) -> bool:
    if label.id.startswith("phase"):
        # A phase named in a text counts only when the text is about people.
        return clinical and any(p.search(text) for p in label.patterns)
    key = f"stages.{label.id}"
    if label.id == "review":
        return key in title_hits or (key in found and "we review the literature" not in text)
    if label.patterns and any(p.search(text) for p in label.patterns):
        return True
    return key in found


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
    if data.get("kind") == "trial" and not data.get("has_results"):
        return False  # a registration without results reports no harm, whatever it will measure
    # "Drug Resistance, Neoplasm" is as often the resistance an MSC product overcomes as the one
    # MSCs cause: a MeSH heading alone is no safety finding, the text has to say whose it is
    if evidence.strong("safety", mesh=False):
        return True
    # An abstract that merely reports "no serious adverse events" is not a safety signal: in the
    # abstract, only what its conclusion says counts; harm said not to happen does not count,
    # unless oncological safety is the subject ("no excess recurrence after MSC grafting").
    conclusion = _conclusion(data.get("abstract") or "")
    places = [data.get("title") or "", conclusion, *(data.get("keywords") or [])]
    for text in (p.lower() for p in places if p):
        for pattern in taxonomy.safety_topics:
            # "did not increase recurrence" answers the safety question; "no recurrence was
            # seen" in a trial of something else only reports its absence
            if any(not _ABSENT.search(_before(text, m)) for m in pattern.finditer(text)):
                return True
        for pattern in taxonomy.safety.patterns:
            if any(not _NEGATION.search(_before(text, m)) for m in pattern.finditer(text)):
                return True
    tokens = words(conclusion)
    for hit in taxonomy.words.find(tokens, "abstract"):
        before = set(tokens[max(0, hit.position - 3) : hit.position])
        if hit.key == "safety" and not _INCIDENTAL.search(hit.term) and not _NOT & before:
            return True
    return False


def _before(text: str, match: re.Match[str]) -> str:
    return text[max(0, match.start() - 40) : match.start()]


def _conclusion(abstract: str) -> str:
    """The abstract's conclusion: its CONCLUSION(S) section, else its last two sentences."""
    for paragraph in reversed(abstract.split("\n\n")):
        if paragraph[:12].upper().startswith(("CONCLUSION", "INTERPRETATION")):
            return paragraph
    for marker in ("CONCLUSIONS:", "CONCLUSION:", "结论："):
        if marker in abstract:
            return abstract.rsplit(marker, 1)[1]
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

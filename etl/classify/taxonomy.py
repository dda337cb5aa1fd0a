"""The taxonomy file (config/taxonomy.yaml): loaded, checked, and compiled for matching.

The label ids are an interface (templates, filters, exports use them), so a file that drops or
misspells one is refused with the file, the key and the ids that are allowed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from etl.classify.gate import GatedPattern
from etl.classify.matcher import ChineseTerms, PhraseIndex, words
from etl.errors import ConfigError

# "{drug}" in a pattern stands for the vocabulary of that name (regex quantifiers are digits)
_VOCABULARY = re.compile(r"\{([a-z_]+)\}")

CANCER_TYPES = (
    "colorectal", "gastric", "breast", "lung", "liver", "pancreatic", "ovarian", "prostate",
    "glioma", "melanoma", "sarcoma", "head_neck", "esophageal", "bladder", "kidney", "cervical",
    "aml", "all", "cml", "cll", "lymphoma", "myeloma", "mds", "other_solid", "other_hematologic",
    "tnbc", "thyroid", "dlbcl", "nk_t_lymphoma",
)  # fmt: skip
STRATEGIES = (
    "drug_loading", "gene_engineering", "oncolytic_virus", "immunomodulation", "exosome",
    "combination_immunotherapy", "hsct_support", "tissue_protection",
)  # fmt: skip
MSC_SOURCES = (
    "umbilical_cord", "bone_marrow", "adipose", "placenta", "dental_pulp", "ipsc", "other",
)  # fmt: skip
STAGES = (
    "in_vitro", "animal", "phase1", "phase1_2", "phase2", "phase3", "phase4", "observational",
    "retrospective", "review", "case_report",
)  # fmt: skip
# msc and cancer make a work relevant; exclude gives "MSC" another meaning; non_malignant names
# diseases transplanted for that are not cancers; cancer_care is treatment injury in cancer care
RELEVANCE_PARTS = ("msc", "cancer", "exclude", "non_malignant", "cancer_care")
SECTIONS = ("solid_tumors", "hematologic", "trials", "safety", "platforms")
GROUPS = ("solid", "hematologic")
FAMILIES = {"cancer_types": CANCER_TYPES, "strategies": STRATEGIES, "msc_sources": MSC_SOURCES,
            "stages": STAGES}  # fmt: skip


@dataclass
class Label:
    id: str
    zh: str
    en: str
    group: str | None = None
    mesh: frozenset[str] = frozenset()
    publication_types: frozenset[str] = frozenset()
    trial_phases: tuple[frozenset[str], ...] = ()
    study_types: frozenset[str] = frozenset()
    patterns: tuple[GatedPattern, ...] = ()
    parent: str | None = None  # a subtype names its type too (TNBC is breast cancer)
    # a pattern match counts only when a term of the label was found too (strategies, sources)
    patterns_need_terms: bool = False


@dataclass
class Taxonomy:
    version: str
    digest: str  # hash of the file: a changed taxonomy means a rerun
    path: Path
    labels: dict[str, dict[str, Label]]  # family -> id -> label
    safety: Label
    sections: list[dict[str, str]]
    section_precedence: list[str]
    groups: dict[str, dict[str, str]]
    abstract_mentions: int
    words: PhraseIndex = field(default_factory=PhraseIndex)
    acronyms: PhraseIndex = field(default_factory=lambda: PhraseIndex(case_sensitive=True))
    chinese: ChineseTerms = field(default_factory=ChineseTerms)
    relevance_mesh: dict[str, frozenset[str]] = field(default_factory=dict)
    clinical_terms: frozenset[str] = frozenset()
    # label key -> words that, just before a term of that label, cancel it
    # ("lymphoblastic leukemia-lymphoma" is not a lymphoma, "mesenchymal stem cell
    # transplantation" is no haematopoietic transplant)
    not_after: dict[str, frozenset[str]] = field(default_factory=dict)
    # label key -> words that, just after a term of that label, cancel it ("umbilical cord
    # blood" is a haematopoietic graft, not the umbilical-cord source of MSCs)
    not_before: dict[str, frozenset[str]] = field(default_factory=dict)
    calibration: dict[str, float] = field(default_factory=dict)
    # safety patterns that hold whatever the answer ("no excess recurrence" is a safety finding)
    safety_topics: tuple[GatedPattern, ...] = ()
    # relevance.cancer and every cancer type's key: what counts as naming a cancer
    cancer_keys: frozenset[str] = frozenset()
    # MeSH heading -> the label keys it is evidence for (one look-up per heading of a record)
    mesh_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def group_of(self, cancer_type: str) -> str | None:
        return self.labels["cancer_types"][cancer_type].group


def load_taxonomy(path: Path) -> Taxonomy:
    """Read, check and compile a taxonomy file; ConfigError names the file and the key."""
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the taxonomy: {exc}", "see config/README.md"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}", "fix the syntax at that line") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top", "see the comments in the file")
    return _Builder(path, data, hashlib.sha256(text.encode()).hexdigest()[:16]).build()


def _mesh_keys(taxonomy: Taxonomy) -> dict[str, tuple[str, ...]]:
    keys: dict[str, list[str]] = {}
    named = [(f"relevance.{part}", names) for part, names in taxonomy.relevance_mesh.items()]
    for family, labels in taxonomy.labels.items():
        named += [(f"{family}.{label.id}", label.mesh) for label in labels.values()]
    named.append(("safety", taxonomy.safety.mesh))
    for key, names in named:
        for name in names:
            keys.setdefault(name, []).append(key)
    return {name: tuple(values) for name, values in keys.items()}


class _Builder:
    def __init__(self, path: Path, data: dict[str, Any], digest: str) -> None:
        self.path, self.data, self.digest = path, data, digest

    def fail(self, key: str, message: str, allowed: str = "") -> ConfigError:
        return ConfigError(
            f"{self.path}: {key}: {message}", allowed or "see the comments in the file"
        )

    def build(self) -> Taxonomy:
        relevance = self._mapping(self.data, "relevance")
        taxonomy = Taxonomy(
            version=str(self.data.get("version", "")),
            digest=self.digest,
            path=self.path,
            labels={},
            safety=Label("safety", "", ""),
            sections=self._sections(),
            section_precedence=list(self.data.get("section_precedence") or SECTIONS),
            groups={k: dict(v) for k, v in self._mapping(self.data, "groups").items()},
            abstract_mentions=int(relevance.get("abstract_mentions", 2)),
        )
        for part in RELEVANCE_PARTS:
            spec = self._mapping(relevance, part, f"relevance.{part}")
            taxonomy.relevance_mesh[part] = frozenset(spec.get("mesh") or [])
            self._terms(taxonomy, spec, f"relevance.{part}")
        taxonomy.calibration = self._calibration(relevance)
        taxonomy.clinical_terms = frozenset(self.data.get("clinical_terms") or [])
        for term in taxonomy.clinical_terms:
            taxonomy.words.add(term, "clinical")
        for family, ids in FAMILIES.items():
            taxonomy.labels[family] = self._family(taxonomy, family, ids)
        taxonomy.cancer_keys = frozenset(
            ["relevance.cancer", *(f"cancer_types.{t}" for t in taxonomy.labels["cancer_types"])]
        )
        safety = self._mapping(self.data, "safety")
        taxonomy.safety = self._label(taxonomy, "safety", safety, "safety")
        taxonomy.safety_topics = tuple(
            self._pattern("safety.topics", p) for p in safety.get("topics") or []
        )
        taxonomy.mesh_keys = _mesh_keys(taxonomy)
        for section in taxonomy.section_precedence:
            if section not in SECTIONS:
                raise self.fail(
                    "section_precedence",
                    f"unknown section {section!r}",
                    f"allowed: {', '.join(SECTIONS)}",
                )
        return taxonomy

    def _family(self, taxonomy: Taxonomy, family: str, ids: tuple[str, ...]) -> dict[str, Label]:
        specs = self._mapping(self.data, family)
        missing = [i for i in ids if i not in specs]
        unknown = [i for i in specs if i not in ids]
        if missing or unknown:
            problem = f"missing {missing}" if missing else f"unknown {unknown}"
            raise self.fail(family, f"label ids {problem}", f"the ids are: {', '.join(ids)}")
        labels = {}
        for label_id, spec in specs.items():
            label = self._label(taxonomy, f"{family}.{label_id}", spec, label_id)
            if family == "cancer_types" and label.group not in GROUPS:
                raise self.fail(
                    f"{family}.{label_id}.group",
                    f"{label.group!r}",
                    f"allowed: {', '.join(GROUPS)}",
                )
            labels[label_id] = label
        for label in labels.values():
            if label.parent is not None and label.parent not in labels:
                raise self.fail(
                    f"{family}.{label.id}.parent",
                    f"{label.parent!r} is not a label of {family}",
                    f"the ids are: {', '.join(ids)}",
                )
        return labels

    def _label(self, taxonomy: Taxonomy, key: str, spec: Any, label_id: str) -> Label:
        if not isinstance(spec, dict):
            raise self.fail(key, "expected a mapping with zh, en and evidence")
        for name in ("zh", "en"):
            if not isinstance(spec.get(name), str) or not spec[name].strip():
                raise self.fail(f"{key}.{name}", "every label needs a Chinese and an English name")
        self._terms(taxonomy, spec, key)
        for name, table in (("not_after", taxonomy.not_after), ("not_before", taxonomy.not_before)):
            guards = spec.get(name) or []
            if not isinstance(guards, list):
                raise self.fail(f"{key}.{name}", "expected a list of words")
            if guards:
                table[key] = frozenset(words(" ".join(map(str, guards))))
        return Label(
            id=label_id,
            zh=spec["zh"],
            en=spec["en"],
            group=spec.get("group"),
            mesh=frozenset(spec.get("mesh") or []),
            publication_types=frozenset(spec.get("publication_types") or []),
            trial_phases=tuple(frozenset(p) for p in spec.get("trial_phases") or []),
            study_types=frozenset(spec.get("study_types") or []),
            patterns=tuple(self._pattern(f"{key}.patterns", p) for p in spec.get("patterns") or []),
            parent=spec.get("parent"),
            patterns_need_terms=bool(spec.get("patterns_need_terms")),
        )

    def _terms(self, taxonomy: Taxonomy, spec: dict[str, Any], key: str) -> None:
        for name, index in (("terms", taxonomy.words), ("acronyms", taxonomy.acronyms)):
            values = spec.get(name) or []
            if not isinstance(values, list):
                raise self.fail(f"{key}.{name}", "expected a list")
            for value in values:
                index.add(str(value), key)
        for value in spec.get("zh_terms") or []:
            taxonomy.chinese.add(str(value), key)
        guards = spec.get("not_after") if key.startswith("relevance.") else None
        if guards:
            taxonomy.not_after[key] = frozenset(words(" ".join(map(str, guards))))

    def _calibration(self, relevance: dict[str, Any]) -> dict[str, float]:
        values = relevance.get("calibration") or {}
        if not isinstance(values, dict) or not all(
            isinstance(v, int | float) for v in values.values()
        ):
            raise self.fail("relevance.calibration", "expected a mapping of feature: weight")
        return {str(k): float(v) for k, v in values.items()}

    def _pattern(self, key: str, text: str) -> GatedPattern:
        text = _VOCABULARY.sub(lambda m: self._vocabulary(key, m.group(1)), text)
        try:
            return GatedPattern(re.compile(text))
        except re.error as exc:
            raise self.fail(key, f"{text!r} is not a valid regular expression: {exc}") from None

    def _vocabulary(self, key: str, name: str) -> str:
        """A named word family ("{drug}" in a pattern): one list, written once, shared by every
        pattern that needs it, so a new drug or cytokine is added in one place."""
        families = self.data.get("vocabularies") or {}
        words = families.get(name) if isinstance(families, dict) else None
        if not isinstance(words, list) or not words:
            allowed = ", ".join(sorted(families)) if isinstance(families, dict) else ""
            raise self.fail(key, f"{{{name}}} is not a list under vocabularies", allowed)
        return "(?:" + "|".join(str(word) for word in words) + ")"

    def _sections(self) -> list[dict[str, str]]:
        sections = self.data.get("sections") or []
        ids = [s.get("id") for s in sections if isinstance(s, dict)]
        if sorted(ids, key=str) != sorted(SECTIONS):  # a missing id is None, no str to sort by
            raise self.fail("sections", f"section ids {ids}", f"the ids are: {', '.join(SECTIONS)}")
        return [dict(s) for s in sections]

    def _mapping(self, data: dict[str, Any], name: str, key: str | None = None) -> dict[str, Any]:
        value = data.get(name)
        if not isinstance(value, dict):
            raise self.fail(key or name, "missing or not a mapping")
        return value

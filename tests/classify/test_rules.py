"""Rule classification on hand-made records: evidence, traps, labels, taxonomy errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.classify.rules import classify
from etl.classify.taxonomy import CANCER_TYPES, STAGES, load_taxonomy
from etl.errors import ConfigError
from tests.conftest import CONFIG

TAXONOMY = load_taxonomy(CONFIG / "taxonomy.yaml")


def paper(title: str, abstract: str = "", **extra: object) -> dict:
    return {"source": "pubmed", "source_id": "1", "kind": "paper", "title": title,
            "abstract": abstract, "mesh_terms": [], "keywords": [], "publication_types":
            ["Journal Article"], **extra}  # fmt: skip


def test_msc_cancer_paper_gets_labels_with_evidence() -> None:
    labels = classify(
        paper(
            "TRAIL-expressing umbilical cord mesenchymal stem cells inhibit glioblastoma in mice",
            "Mesenchymal stem cells (MSCs) home to gliomas. Engineered MSCs secreting TRAIL "
            "reduced tumour volume in orthotopic xenograft mice by 60%.",
        ),
        TAXONOMY,
    )
    assert labels["relevant"] is True and labels["relevance"] > 0.5
    assert labels["cancer_types"] == ["glioma"]
    assert "gene_engineering" in labels["strategies"]
    assert labels["msc_sources"] == ["umbilical_cord"]
    assert labels["stage"] == "animal"
    assert labels["section"] == "solid_tumors"
    assert {"term": "glioblastoma", "field": "title"} in labels["evidence"]["cancer_types.glioma"]
    assert labels["evidence"]["relevance.msc"][0]["field"] == "title"


def test_other_meanings_of_msc_are_rejected() -> None:
    labels = classify(
        paper(
            "Radiotherapy for metastatic spinal cord compression (MSCC): a randomised trial",
            "Patients with MSC from solid tumours received 8 Gy. MSC recurred in 12%.",
        ),
        TAXONOMY,
    )
    assert labels["relevant"] is False and labels["cancer_types"] == []
    assert labels["stage"] is None


def test_msc_in_passing_is_not_about_msc() -> None:
    labels = classify(
        paper(
            "Cancer-associated fibroblasts drive immune exclusion in pancreatic cancer",
            "Fibroblasts, which may arise from resident fibroblasts or mesenchymal stromal cells, "
            "shape the tumour microenvironment of pancreatic ductal adenocarcinoma.",
        ),
        TAXONOMY,
    )
    assert labels["relevant"] is False


def test_msc_outside_oncology_is_not_relevant() -> None:
    labels = classify(
        paper(
            "Umbilical cord mesenchymal stem cells for knee osteoarthritis",
            "Intra-articular mesenchymal stem cells improved WOMAC scores at 12 months.",
        ),
        TAXONOMY,
    )
    assert labels["relevant"] is False


def test_gvhd_after_transplant_is_cancer_care_in_the_haematology_section() -> None:
    labels = classify(
        paper(
            "Mesenchymal stromal cells for steroid-refractory acute GVHD after allo-HSCT for AML",
            "Patients with acute myeloid leukemia received mesenchymal stromal cell infusions in a "
            "phase II study; 62% responded.",
        ),
        TAXONOMY,
    )
    assert labels["relevant"] is True
    assert labels["cancer_types"] == ["aml"]
    assert "hsct_support" in labels["strategies"]
    assert labels["stage"] == "phase2"
    assert labels["section"] == "hematologic"


def test_acronym_all_is_case_sensitive() -> None:
    base = "Mesenchymal stem cells were infused in all patients with leukemia after transplant."
    assert "all" not in classify(paper("MSCs after HSCT", base), TAXONOMY)["cancer_types"]
    labels = classify(paper("Mesenchymal stem cells in children with ALL", base), TAXONOMY)
    assert "all" in labels["cancer_types"]


def test_trials_use_phases_conditions_and_go_to_the_trials_section() -> None:
    trial = {"source": "ctgov", "source_id": "NCT05000001", "kind": "trial",
             "title": "UC-MSC for GVHD prophylaxis", "abstract": "",
             "conditions": ["Acute Myeloid Leukemia", "Graft vs Host Disease"],
             "interventions": ["Biological: umbilical cord mesenchymal stem cells"],
             "phases": ["PHASE1", "PHASE2"], "study_type": "INTERVENTIONAL"}  # fmt: skip
    labels = classify(trial, TAXONOMY)
    assert labels["relevant"] and labels["stage"] == "phase1_2"
    assert labels["section"] == "trials" and labels["cancer_types"] == ["aml"]


def test_retraction_is_safety() -> None:
    labels = classify(
        paper(
            "Retraction Note: Bone marrow mesenchymal stem cell exosomes suppress hepatocellular "
            "carcinoma",
            publication_types=["Retraction of Publication"],
        ),
        TAXONOMY,
    )
    assert labels["safety"] is True and labels["section"] == "safety"


def test_chinese_keywords_count_as_evidence() -> None:
    labels = classify(
        paper(
            "Effect of umbilical cord MSCs on leukaemia cells",
            "",
            keywords=["间充质干细胞", "急性髓系白血病"],
        ),
        TAXONOMY,
    )
    assert labels["relevant"] and "aml" in labels["cancer_types"]


def test_the_taxonomy_has_every_label_id() -> None:
    assert list(TAXONOMY.labels["cancer_types"]) == list(CANCER_TYPES)
    assert set(TAXONOMY.labels["stages"]) == set(STAGES)
    for label in TAXONOMY.labels["cancer_types"].values():
        assert label.zh and label.en and label.group in ("solid", "hematologic")


def test_a_broken_taxonomy_names_the_file_and_key(tmp_path: Path) -> None:
    text = (CONFIG / "taxonomy.yaml").read_text()
    bad = tmp_path / "taxonomy.yaml"
    bad.write_text(text.replace("  mds:\n", "  myelodysplasia:\n"))
    with pytest.raises(
        ConfigError, match=r"taxonomy.yaml: cancer_types: label ids missing \['mds'\]"
    ):
        load_taxonomy(bad)
    bad.write_text(text.replace(r"'\bphase\s*(?:iii|3)\b'", "'phase (iii'"))
    with pytest.raises(ConfigError, match="stages.phase3.patterns: 'phase \\(iii' is not a valid"):
        load_taxonomy(bad)

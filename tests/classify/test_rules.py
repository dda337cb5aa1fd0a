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


def test_a_section_without_an_id_is_refused_by_name(tmp_path: Path) -> None:
    text = (CONFIG / "taxonomy.yaml").read_text()
    bad = tmp_path / "taxonomy.yaml"
    bad.write_text(text.replace("{id: trials, zh:", "{zh:"))
    with pytest.raises(ConfigError, match=r"taxonomy.yaml: sections: section ids .*None"):
        load_taxonomy(bad)


# -- the slips a clinician noticed ---------------------------------------------------------------


def test_acute_lymphoblastic_leukaemia_is_not_a_lymphoma() -> None:
    labels = classify(
        paper(
            "Bone marrow mesenchymal stromal cells protect acute lymphoblastic leukaemia cells "
            "from asparaginase",
            "Primary B-ALL blasts were co-cultured with bone marrow mesenchymal stromal cells.",
            mesh_terms=["Precursor Cell Lymphoblastic Leukemia-Lymphoma", "Mesenchymal Stem Cells"],
        ),
        TAXONOMY,
    )
    assert labels["cancer_types"] == ["all"]
    assert labels["safety"] is True  # chemoresistance caused by MSCs
    assert labels["stage"] == "in_vitro"


def test_subtypes_carry_their_parent_and_thyroid_is_its_own_type() -> None:
    def types(title: str) -> list[str]:
        return classify(paper(title, "Mesenchymal stem cells were studied."), TAXONOMY)[
            "cancer_types"
        ]

    assert types("Mesenchymal stem cell exosomes in TNBC xenografts") == ["breast", "tnbc"]
    assert types("Mesenchymal stromal cells in DLBCL") == ["lymphoma", "dlbcl"]
    assert types("MSCs and extranodal NK/T-cell lymphoma") == ["lymphoma", "nk_t_lymphoma"]
    assert types("Mesenchymal stem cells recruited by papillary thyroid carcinoma") == ["thyroid"]
    for new in ("tnbc", "thyroid", "dlbcl", "nk_t_lymphoma"):
        label = TAXONOMY.labels["cancer_types"][new]
        assert label.zh and label.en and new in CANCER_TYPES


@pytest.mark.parametrize(
    "title, abstract",
    [
        ("The modified shock index (MSC score) predicts mortality in gastric cancer bleeding",
         "An MSC score above 1.3 predicted death in 186 patients with gastric cancer. The MSC "
         "score is a simple triage tool."),
        ("Mesial temporal sclerosis (MSC) after cranial irradiation for leukaemia",
         "MSC was found on MRI in 9 survivors of leukaemia; MSC was linked to epilepsy."),
        ("Mechanosensitive channels (MSCs) regulate breast cancer migration",
         "MSCs sense stiffness; MSC inhibition reduced breast cancer invasion."),
    ],
)  # fmt: skip
def test_other_meanings_of_msc_are_refused(title: str, abstract: str) -> None:
    assert classify(paper(title, abstract), TAXONOMY)["relevant"] is False


def test_transplantation_for_aplastic_anaemia_is_not_cancer_care() -> None:
    record = paper(
        "Umbilical cord mesenchymal stem cells in haploidentical transplantation for severe "
        "aplastic anaemia",
        "Graft-versus-host disease limits HSCT for aplastic anaemia, a non-malignant marrow "
        "failure. Mesenchymal stem cells were co-infused; no secondary malignancies occurred.",
        mesh_terms=["Anemia, Aplastic", "Mesenchymal Stem Cell Transplantation",
                    "Graft vs Host Disease"],
    )  # fmt: skip
    assert classify(record, TAXONOMY)["relevant"] is False
    record["title"] += " and acute myeloid leukaemia"
    assert classify(record, TAXONOMY)["relevant"] is True  # a cancer named: cancer care again


def test_msc_protection_from_cisplatin_in_cancer_patients_is_cancer_care() -> None:
    labels = classify(
        paper(
            "Umbilical cord mesenchymal stem cells for cisplatin-induced acute kidney injury",
            "Patients with lung cancer who developed acute kidney injury after cisplatin "
            "chemotherapy received mesenchymal stem cells; creatinine recovered faster.",
        ),
        TAXONOMY,
    )
    assert labels["relevant"] is True
    assert labels["strategies"] == ["tissue_protection"]


def test_stromal_enriched_fat_grafting_recurrence_is_a_safety_item() -> None:
    labels = classify(
        paper(
            "Locoregional recurrence after cell-assisted lipotransfer enriched with "
            "adipose-derived stromal cells for breast reconstruction",
            "Adipose-derived stromal cells (ASCs) stimulate breast cancer cells. We reviewed 1,046 "
            "women. CONCLUSIONS: Stromal-cell-enriched fat grafting was associated with a modest "
            "increase in locoregional recurrence.",
            mesh_terms=["Breast Neoplasms", "Mesenchymal Stem Cells", "Retrospective Studies"],
        ),
        TAXONOMY,
    )
    assert labels["safety"] is True and labels["section"] == "safety"
    assert labels["stage"] == "retrospective"


def test_a_mesh_heading_alone_gives_no_strategy_or_source() -> None:
    labels = classify(
        paper(
            "Gene-engineered mesenchymal stem cells for ovarian cancer",
            "Mesenchymal stem cells expressing interferon were injected into mice with ovarian "
            "cancer.",
            mesh_terms=[
                "Mesenchymal Stem Cell Transplantation",
                "Hematopoietic Stem Cell Transplantation",
                "Umbilical Cord",
            ],
        ),  # fmt: skip
        TAXONOMY,
    )
    assert "hsct_support" not in labels["strategies"]
    assert labels["msc_sources"] == []
    assert any(e["field"] == "mesh" for e in labels["evidence"]["strategies.hsct_support"])


@pytest.mark.parametrize(
    "abstract, types, stage",
    [
        ("MSCs were co-cultured with A549 cells.", [], "in_vitro"),
        ("MSCs reduced U87 growth in vitro and in nude mice.", [], "animal"),
        ("We followed 40 patients given mesenchymal stem cells for a median of 5 years.", [],
         "observational"),
        ("MSCs killed HeLa cells. In vivo validation is needed.", [], "in_vitro"),
        ("Forty patients were randomised to MSCs or placebo.", [], "phase2"),
        ("Patients received MSCs in a phase 1/2 study.", [], "phase1_2"),
        ("Mice received MSCs.", ["Review"], "review"),
        ("Mice received MSCs.", ["Case Reports"], "case_report"),
        ("Cells were cultured.", ["Observational Study"], "observational"),
    ],
)  # fmt: skip
def test_the_highest_level_of_evidence_is_the_stage(
    abstract: str, types: list[str], stage: str
) -> None:
    record = paper("Mesenchymal stem cells in cancer", "Mesenchymal stem cells. " + abstract,
                   publication_types=["Journal Article", *types])  # fmt: skip
    assert classify(record, TAXONOMY)["stage"] == stage


def test_relevance_is_a_probability_that_differs_between_works() -> None:
    strong = classify(
        paper(
            "Mesenchymal stem cells in glioblastoma",
            "Mesenchymal stem cells homed to glioblastoma in mice.",
        ),
        TAXONOMY,
    )
    weaker = classify(paper("Stromal therapy in cancer",
                            "Mesenchymal stem cells and mesenchymal stromal cells reached the "
                            "tumour; the cancer shrank."), TAXONOMY)  # fmt: skip
    refused = classify(
        paper(
            "Mesenchymal stem cells for knee osteoarthritis",
            "Mesenchymal stem cells relieved knee pain.",
        ),
        TAXONOMY,
    )
    assert strong["relevant"] and weaker["relevant"] and not refused["relevant"]
    # calibrated: a work with little evidence scores low even when the rules take it
    assert 0 < refused["relevance"] < weaker["relevance"] < strong["relevance"] < 1
    assert strong["relevance"] > 0.9 and refused["relevance"] < 0.1


def test_a_subtype_with_an_unknown_parent_is_refused(tmp_path: Path) -> None:
    text = (CONFIG / "taxonomy.yaml").read_text().replace("parent: breast", "parent: brest")
    (tmp_path / "taxonomy.yaml").write_text(text)
    with pytest.raises(ConfigError, match="tnbc.parent: 'brest' is not a label"):
        load_taxonomy(tmp_path / "taxonomy.yaml")


@pytest.mark.parametrize(
    ("title", "abstract", "strategy"),
    [
        ("Docetaxel nanoparticle-laden stromal cells in pancreatic cancer",
         "Mesenchymal stem cells were laden with docetaxel nanoparticles and given to mice "
         "bearing pancreatic tumours.", "drug_loading"),
        ("Mesenchymal stem cells primed with gemcitabine kill cholangiocarcinoma cells",
         "Primed MSCs released active drug in co-culture with cholangiocarcinoma cells.",
         "drug_loading"),
        ("Vesicles from mesenchymal stem cells restrain osteosarcoma",
         "Small extracellular vesicles isolated from cord MSCs reduced osteosarcoma invasion.",
         "exosome"),
        ("Mesenchymal stem cells restrain glioblastoma",
         "Bone marrow MSCs were transduced with a lentiviral vector and engineered to secrete "
         "TRAIL in mice with glioblastoma.", "gene_engineering"),
        ("Carrier cells for virotherapy of ovarian cancer",
         "Mesenchymal stromal cells shuttled an oncolytic measles virus to ovarian tumours.",
         "oncolytic_virus"),
        ("Mesenchymal stromal cells and hepatocellular carcinoma",
         "Combined with anti-PD-L1 antibody, mesenchymal stromal cells doubled the complete "
         "responses of hepatocellular carcinoma in mice.", "combination_immunotherapy"),
        ("Mesenchymal stem cells for salivary glands in thyroid cancer",
         "Mesenchymal stem cells protected the salivary glands from radioiodine in patients "
         "with thyroid cancer.", "tissue_protection"),
    ],
)  # fmt: skip
def test_a_strategy_said_once_in_other_words_is_found(
    title: str, abstract: str, strategy: str
) -> None:
    labels = classify(paper(title, abstract, mesh_terms=["Mesenchymal Stem Cells"]), TAXONOMY)
    assert labels["relevant"] is True
    assert strategy in labels["strategies"], labels["evidence"]
    assert any(strategy in key for key in labels["evidence"])


def test_a_virus_loaded_into_msc_is_no_drug_loading_and_a_bare_pd_l1_no_checkpoint() -> None:
    virus = classify(
        paper("Oncolytic virus-loaded mesenchymal stem cells for gastric cancer",
              "Mesenchymal stem cells carrying an oncolytic adenovirus reduced gastric cancer "
              "nodules in mice."),
        TAXONOMY,
    )  # fmt: skip
    assert virus["strategies"] == ["oncolytic_virus"]
    sirna = classify(
        paper("Mesenchymal stem cells delivering a PD-L1 siRNA to breast cancer",
              "Bone marrow MSCs were transfected with PD-L1 siRNA and injected into mice with "
              "breast cancer."),
        TAXONOMY,
    )  # fmt: skip
    assert "combination_immunotherapy" not in sirna["strategies"]
    assert "gene_engineering" in sirna["strategies"]


def test_a_cytokine_payload_is_immunomodulation_only_with_immune_cells_named() -> None:
    bare = paper("Mesenchymal stem cells engineered to secrete IL-12 in melanoma",
                 "MSCs engineered to secrete IL-12 reduced melanoma growth in mice.")  # fmt: skip
    assert "immunomodulation" not in classify(bare, TAXONOMY)["strategies"]
    immune = dict(bare, abstract=bare["abstract"] + " Tumours showed T cell infiltration.")
    assert "immunomodulation" in classify(immune, TAXONOMY)["strategies"]


@pytest.mark.parametrize(
    "title",
    [
        "Leukaemia-associated stromal cells shield acute myeloid leukaemia blasts from venetoclax",
        "Bone marrow mesenchymal stromal cells support T-ALL through Notch ligands",
        "Mesenchymal stem cells preserve quiescent leukaemia stem cells under dasatinib",
        "Exosomes from mesenchymal stem cells reduce sensitivity to sunitinib in kidney cancer",
        "Lymph node mesenchymal stromal cells blunt CAR-T cell activity in lymphoma",
        "A case of donor-derived myeloid sarcoma after co-infusion of mesenchymal stromal cells",
        "Gastric adenocarcinoma arising after repeated mesenchymal stem cell infusions",
    ],
)
def test_harm_from_msc_in_other_words_is_safety(title: str) -> None:
    record = paper(title, "Mesenchymal stem cells were studied in cancer.",
                   mesh_terms=["Mesenchymal Stem Cells"])  # fmt: skip
    labels = classify(record, TAXONOMY)
    assert labels["relevant"] is True and labels["safety"] is True


@pytest.mark.parametrize(
    "title",
    [
        "Mesenchymal stem cell exosomes increased CD8 T cells and slowed melanoma growth",
        "These data support mesenchymal stem cells as vehicles against tumour metastasis",
        "Mesenchymal stem cells promote recovery without increasing hepatocellular carcinoma "
        "recurrence",
        "Mesenchymal stem cells in a double-blind trial for breast cancer lymphoedema: "
        "progression-free",
    ],
)
def test_help_to_the_patient_is_not_harm(title: str) -> None:
    labels = classify(paper(title, "Mesenchymal stem cells were studied in cancer."), TAXONOMY)
    assert labels["relevant"] is True and labels["safety"] is False


def test_resistance_named_only_by_mesh_or_in_an_unreported_trial_is_not_safety() -> None:
    overcome = paper("Mesenchymal stem cell exosomes sensitise liver cancer cells to sorafenib",
                     "MSC exosomes restored sorafenib killing of hepatocellular carcinoma cells.",
                     mesh_terms=["Drug Resistance, Neoplasm",
                                 "Mesenchymal Stem Cells"])  # fmt: skip
    assert classify(overcome, TAXONOMY)["safety"] is False
    trial = {"source": "ctgov", "source_id": "NCT0", "kind": "trial", "has_results": False,
             "title": "Oncological Safety of Stromal-enriched Lipofilling in Breast Cancer",
             "abstract": "Registry of adipose-derived stem cell-enriched lipofilling after "
             "breast cancer surgery; outcome: locoregional recurrence.", "conditions":
             ["Breast Cancer"], "interventions": ["Procedure: mesenchymal stem cell-enriched "
             "lipofilling"], "phases": [], "study_type": "OBSERVATIONAL"}  # fmt: skip
    assert classify(trial, TAXONOMY)["safety"] is False
    assert classify(dict(trial, has_results=True), TAXONOMY)["safety"] is True


def test_a_pattern_naming_an_unknown_word_family_is_refused(tmp_path: Path) -> None:
    text = (CONFIG / "taxonomy.yaml").read_text().replace("{drug}\\b'", "{drugs}\\b'", 1)
    (tmp_path / "taxonomy.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"drug_loading.patterns: \{drugs\} is not a list"):
        load_taxonomy(tmp_path / "taxonomy.yaml")


@pytest.mark.parametrize(
    ("title", "abstract", "sources"),
    [
        ("Menstrual blood stromal cells carry an oncolytic adenovirus into liver cancer",
         "Menstrual blood-derived stromal cells delivered the virus to hepatocellular carcinoma "
         "xenografts.", ["other"]),
        ("Oncological safety of cell-assisted lipotransfer after breast cancer surgery",
         "Women treated for breast cancer who received cell-assisted lipotransfer were followed "
         "for locoregional recurrence.", ["adipose"]),
        ("Mesenchymal stem cells of myelodysplastic syndrome confer azacitidine resistance",
         "MSCs from 20 patients with high-risk MDS transferred mitochondria to MDS blasts.",
         ["bone_marrow"]),
        ("Lymph node stromal cells in chronic lymphocytic leukaemia",
         "Lymph node-derived mesenchymal stromal cells from 16 patients with chronic lymphocytic "
         "leukaemia supported CLL cells through CXCL12 secreted by the MSCs.", ["other"]),
        ("Mesenchymal stem cells co-transplanted with umbilical cord blood in leukaemia",
         "Bone marrow mesenchymal stem cells were co-infused with umbilical cord blood units "
         "in children with acute myeloid leukaemia.", ["bone_marrow"]),
    ],
)  # fmt: skip
def test_a_source_said_in_other_words_is_found_and_cord_blood_is_no_cord_msc(
    title: str, abstract: str, sources: list[str]
) -> None:
    labels = classify(paper(title, abstract), TAXONOMY)
    assert labels["relevant"] is True, labels["evidence"]
    assert labels["msc_sources"] == sources, labels["evidence"]


def test_a_guard_that_is_not_a_list_of_words_is_refused(tmp_path: Path) -> None:
    text = (CONFIG / "taxonomy.yaml").read_text()
    text = text.replace("not_before: [blood]", "not_before: blood")
    (tmp_path / "taxonomy.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"umbilical_cord.not_before: expected a list of words"):
        load_taxonomy(tmp_path / "taxonomy.yaml")

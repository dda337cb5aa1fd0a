"""Verdicts from a citation and the records a resolver hands back: the rules alone, on records
written here (the database resolver is tested with the seed and the demo)."""

from __future__ import annotations

from typing import Any

from etl.articles.citations import Citation, find_citations, read_document
from etl.articles.resolve import Resolution, Resolved, passage_phases, resolve
from etl.pipeline.lookup import Reference

TITLE = (
    "Umbilical cord mesenchymal stem cells prevent acute GVHD after haploidentical transplantation"
)
PAPER: dict[str, Any] = {
    "kind": "paper",
    "title": TITLE + ".",
    "journal": (
        "Journal of clinical oncology : official journal of the American Society of Clinical "
        "Oncology"
    ),
    "journal_abbrev": "J Clin Oncol",
    "published": "2025-01",
    "epublished": "2024-12-20",
    "identifiers": {"pmid": "39100001", "doi": "10.1200/jco.24.02356"},
}
OTHER: dict[str, Any] = {
    "kind": "paper",
    "title": "Exosomes from mesenchymal stem cells promote sorafenib resistance in liver cancer",
    "journal": "Clinical cancer research",
    "published": "2024-03",
    "identifiers": {"pmid": "39100004", "doi": "10.1158/1078-0432.ccr-23-3456"},
}
TRIAL: dict[str, Any] = {
    "kind": "trial",
    "title": "Umbilical Cord MSCs With BCMA CAR-T in Relapsed/Refractory Multiple Myeloma",
    "official_title": "Phase I/II trial of umbilical cord MSCs with BCMA CAR-T in myeloma",
    "phases": ["PHASE1", "PHASE2"],
    "conditions": ["Multiple Myeloma"],
    "interventions": ["Biological: Umbilical cord mesenchymal stem cells", "Biological: CAR-T"],
    "enrollment": 10,
    "enrollment_type": "ACTUAL",
    "identifiers": {"nct": "NCT05432187"},
}


class Records:
    """A resolver over records held in memory: by any identifier, or by exact title."""

    def __init__(self, *items: tuple[int, dict[str, Any], tuple[str, ...], tuple[str, ...]]):
        self.items = items
        self.asked: list[Reference] = []

    def find(self, reference: Reference) -> Resolved | None:
        self.asked.append(reference)
        for work_id, data, retracted, corrected in self.items:
            ids = data.get("identifiers") or {}
            if reference.scheme == "title":
                hit = data["title"].rstrip(".").lower() == reference.value.lower()
            else:
                hit = ids.get(reference.scheme) == reference.value
            if hit:
                return Resolved(work_id, data, retracted, corrected)
        return None


def records(*datas: dict[str, Any], retracted: tuple[str, ...] = (),
            corrected: tuple[str, ...] = ()) -> Records:  # fmt: skip
    return Records(*((n, d, retracted, corrected) for n, d in enumerate(datas, 1)))


def citation(text: str) -> Citation:
    (found,) = find_citations(read_document(text))
    return found


def line(
    title: str = TITLE,
    journal: str = "Journal of Clinical Oncology",
    year: str = "2025",
    doi: str = "10.1200/JCO.24.02356",
    before: str = "对 28 例患者进行移植。",
) -> Citation:
    return citation(f"{before}\n\n论文：《{title}》（《{journal}》，{year} 年，DOI：{doi}）\n")


def check(cited: Citation, resolver: Records) -> Resolution:
    return resolve(cited, resolver)


def test_found_when_title_journal_and_year_agree() -> None:
    result = check(line(), records(PAPER))
    assert (result.verdict, result.differences) == ("found", [])
    assert result.record["journal"].startswith("Journal of clinical oncology")
    assert result.resolved is not None and result.resolved.work_id == 1


def test_the_online_year_and_the_abbreviation_are_the_same_work() -> None:
    assert check(line(year="2024", journal="J Clin Oncol"), records(PAPER)).verdict == "found"


def test_a_different_year_or_journal_is_a_mismatch_saying_what_the_record_says() -> None:
    result = check(line(year="2023"), records(PAPER))
    assert (result.verdict, result.differences) == ("mismatch", ["year: the record says 2024"])
    result = check(line(journal="Blood"), records(PAPER))
    assert result.verdict == "mismatch"
    assert result.differences == [
        "journal: the record says Journal of clinical oncology : official journal of the "
        "American Society of Clinical Oncology"
    ]


def test_a_different_title_that_no_search_finds_is_a_mismatch() -> None:
    result = check(line(title="MSCs in solid tumours: a review of twenty trials"), records(PAPER))
    assert result.verdict == "mismatch"
    assert result.differences == [f"title: the record says “{TITLE}.”"]


def test_an_id_that_names_another_study_is_the_wrong_study() -> None:
    resolver = records(OTHER, PAPER)
    result = check(line(doi="10.1158/1078-0432.CCR-23-3456"), resolver)
    assert result.verdict == "wrong_study"
    assert result.other_work is not None and result.other_work["work_id"] == 2
    assert result.other_work["identifiers"]["doi"] == "10.1200/jco.24.02356"
    assert Reference("title", TITLE) in resolver.asked


def test_nothing_anywhere_is_not_found_and_a_title_alone_can_be_found() -> None:
    assert check(line(doi="10.1000/nothing"), records()).verdict == "not_found"
    # the id is wrong, the title is a stored work: the citation's id does not match it
    result = check(line(doi="10.1000/nothing"), records(PAPER))
    assert result.verdict == "mismatch"
    assert result.differences[0].startswith(
        "id: doi:10.1000/nothing not found; the title is work 1"
    )
    untitled = citation(
        f"对 28 例患者进行移植。\n\n论文：《{TITLE}》（《Journal of Clinical Oncology》，"
        "2025 年）\n"
    )
    assert check(untitled, records(PAPER)).verdict == "found"


def test_retracted_and_corrected_works() -> None:
    result = check(line(), records(PAPER, retracted=("pmid:39100099",)))
    assert (result.verdict, result.differences) == ("retracted", ["retracted (pmid:39100099)"])
    flagged = dict(PAPER, retracted=True)
    assert check(line(), records(flagged)).verdict == "retracted"
    result = check(line(), records(PAPER, corrected=("pmid:39100098",)))
    assert (result.verdict, result.differences) == ("corrected", ["corrected (pmid:39100098)"])


def trial_line(passage: str) -> Citation:
    return citation(
        f"{passage}\n\n临床试验：《Phase I/II trial of umbilical cord MSCs with BCMA CAR-T in "
        "myeloma》（ClinicalTrials.gov 注册号：NCT05432187）\n"
    )


def test_a_trial_passage_that_agrees_with_its_record() -> None:
    passage = (
        "武汉同济医院在一项Ⅰ/Ⅱ 期临床试验中，对10例复发难治性多发性骨髓瘤患者采用脐带MSCs治疗。"
    )
    assert check(trial_line(passage), records(TRIAL)).verdict == "found"


def test_a_trial_passage_that_disagrees_with_its_record() -> None:
    passage = "在一项Ⅲ期临床试验中，对12例复发难治性急性髓系白血病患者采用脂肪来源MSCs治疗。"
    result = check(trial_line(passage), records(TRIAL))
    assert result.verdict == "trial_disagrees"
    assert result.differences == [
        "phase: the passage says 3, the record 1/2",
        "enrolment: the passage says 12 patients, the record 10 (actual)",
        "condition: the passage says 急性髓系白血病, the record Multiple Myeloma",
        "intervention: the passage says 脂肪间充质干细胞, the record Biological: Umbilical cord "
        "mesenchymal stem cells; Biological: CAR-T",
    ]
    assert result.record["phases"] == ["PHASE1", "PHASE2"]


def test_phases_as_writers_spell_them() -> None:
    assert passage_phases("一项Ⅰ/Ⅱ 期临床试验") == {"PHASE1", "PHASE2"}
    assert passage_phases("II期临床") == {"PHASE2"}
    assert passage_phases("a phase 1b/2 study") == {"PHASE1", "PHASE2"}
    assert passage_phases("Phase III trial") == {"PHASE3"}
    assert passage_phases("3 期") == {"PHASE3"}
    assert passage_phases("14个月") == set()


def test_a_chinese_title_is_not_held_against_an_english_record() -> None:
    cited = line(title="脐带间充质干细胞预防单倍体移植后急性移植物抗宿主病")
    assert check(cited, records(PAPER)).verdict == "found"


def test_a_chinese_journal_name_against_the_table() -> None:
    chinese = dict(PAPER, journal="Zhonghua xue ye xue za zhi = Zhonghua xueyexue zazhi",
                   journal_abbrev="Zhonghua Xue Ye Xue Za Zhi")  # fmt: skip
    assert check(line(journal="中华血液学杂志"), records(chinese)).verdict == "found"
    assert check(line(journal="中华肿瘤杂志"), records(chinese)).verdict == "mismatch"
    # a name the table does not know cannot be compared: taken as the same
    assert check(line(journal="临床肿瘤学杂志"), records(PAPER)).verdict == "found"


def test_two_ids_of_one_citation_that_name_two_works() -> None:
    cited = citation(
        f"对 28 例患者进行移植。\n\n论文：《{TITLE}》（《Journal of Clinical Oncology》，2025 年，"
        "PMID：39100001，DOI：10.1158/1078-0432.CCR-23-3456）\n"
    )
    result = check(cited, records(PAPER, OTHER))
    assert result.verdict == "mismatch"
    assert result.differences == [
        "doi:10.1158/1078-0432.ccr-23-3456 is another work: work 2 (PMID 39100004, DOI "
        f"10.1158/1078-0432.ccr-23-3456), “{OTHER['title']}”"
    ]

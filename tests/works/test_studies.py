"""Works grouped into studies: a trial with the papers that report or name it, a paper that
names no trial on its own, a preprint with its article."""

from __future__ import annotations

from etl.works.studies import Study, StudyLink, StudyWork, group_studies

TRIAL, PAPER = "trial", "paper"


def works(**kinds: str) -> list[StudyWork]:
    return [StudyWork(int(name[1:]), kind) for name, kind in kinds.items()]


def test_a_trial_gathers_the_papers_linked_from_either_end() -> None:
    found = group_studies(
        works(w1=TRIAL, w2=PAPER, w3=PAPER, w4=PAPER),
        [StudyLink(2, 1, "reports_trial", "trial id in the title or abstract"),
         StudyLink(1, 3, "reported_by", "trial references")],
    )  # fmt: skip
    assert found == [Study(trials=(1,), papers=(2, 3)), Study(trials=(), papers=(4,))]


def test_every_work_is_in_exactly_one_study() -> None:
    found = group_studies(
        works(w1=TRIAL, w2=TRIAL, w3=PAPER, w5=TRIAL),
        [StudyLink(3, 1, "reports_trial", "PubMed DataBankList"),
         StudyLink(3, 2, "reports_trial", "PubMed DataBankList")],
    )  # fmt: skip
    ids = [work for study in found for work in study.work_ids]
    assert sorted(ids) == [1, 2, 3, 5]
    assert Study(trials=(1,), papers=(3,)) in found  # a tie: the lower id
    assert Study(trials=(2,), papers=()) in found


def test_a_paper_joins_the_trial_its_authors_named_in_their_text() -> None:
    found = group_studies(
        works(w1=TRIAL, w2=TRIAL, w3=PAPER),
        [StudyLink(3, 1, "reports_trial", "PubMed DataBankList"),
         StudyLink(3, 2, "reports_trial", "trial id in the title or abstract")],
    )  # fmt: skip
    assert Study(trials=(2,), papers=(3,)) in found
    assert Study(trials=(1,), papers=()) in found


def test_a_preprint_follows_its_article_into_the_trial() -> None:
    found = group_studies(
        works(w1=TRIAL, w2=PAPER, w3=PAPER),
        [StudyLink(2, 3, "has_preprint", ""),
         StudyLink(3, 1, "reports_trial", "trial id in the title or abstract")],
    )  # fmt: skip
    assert found == [Study(trials=(1,), papers=(2, 3))]


def test_links_that_are_not_about_a_study_or_lead_nowhere_are_ignored() -> None:
    found = group_studies(
        works(w1=TRIAL, w2=PAPER, w3=PAPER),
        [StudyLink(2, 3, "retracted_by", "RetractionIn"),  # a notice is not the same study
         StudyLink(2, 99, "reports_trial", "PubMed DataBankList"),  # a trial not stored
         StudyLink(1, 1, "reported_by", "")],
    )  # fmt: skip
    assert found == [Study((1,), ()), Study((), (2,)), Study((), (3,))]
    assert [study.key for study in found] == [1, 2, 3]

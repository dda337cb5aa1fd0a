"""The words for what a study's record states, in both editions: a trial's status and phase, and
the address each identifier leads to. The digest, the evidence map and every page that shows a
trial read them here, so a status is named the same way everywhere."""

from __future__ import annotations

STATUS = {
    "RECRUITING": ("招募中", "recruiting"),
    "NOT_YET_RECRUITING": ("尚未招募", "not yet recruiting"),
    "ENROLLING_BY_INVITATION": ("邀请入组", "enrolling by invitation"),
    "ACTIVE_NOT_RECRUITING": ("进行中（不再招募）", "active, not recruiting"),
    "COMPLETED": ("已完成", "completed"),
    "TERMINATED": ("已终止", "terminated"),
    "SUSPENDED": ("已暂停", "suspended"),
    "WITHDRAWN": ("已撤回", "withdrawn"),
    "NOT_RECRUITING": ("不再招募", "not recruiting"),
    "UNKNOWN": ("状态未知", "status unknown"),
}
PHASES = {"EARLY_PHASE1": "0", "PHASE1": "I", "PHASE2": "II", "PHASE3": "III", "PHASE4": "IV"}
REGISTRIES = {
    "nct": ("ClinicalTrials.gov", "https://clinicaltrials.gov/study/{id}"),
    "chictr": ("ChiCTR", "https://www.chictr.org.cn/searchprojEN.html?regno={id}"),
    "isrctn": ("ISRCTN", "https://www.isrctn.com/{id}"),
    "euct": (
        "EU CTIS",
        "https://euclinicaltrials.eu/search-for-clinical-trials/?lang=en&EUCT={id}",
    ),
    "eudract": ("EudraCT", "https://www.clinicaltrialsregister.eu/ctr-search/search?query={id}"),
    "actrn": ("ANZCTR", "https://www.anzctr.org.au/Trial/Registration/TrialReview.aspx?ACTRN={id}"),
    "drks": ("DRKS", "https://drks.de/search/en/trial/{id}"),
}


def status_label(lang: str, status: str | None) -> str:
    if not status:
        return ""
    pair = STATUS.get(status)
    return pair[0 if lang == "zh" else 1] if pair else status.replace("_", " ").lower()


def phase_label(lang: str, phases: list[str] | None) -> str:
    """["PHASE1", "PHASE2"] → "I/II 期" / "Phase I/II"; no phase → ""."""
    marks = [PHASES[p] for p in phases or [] if p in PHASES]
    if not marks:
        return ""
    joined = "/".join(marks)
    return f"{joined} 期" if lang == "zh" else f"Phase {joined}"


def doi_url(doi: str) -> str:
    return f"https://doi.org/{doi}"


def pubmed_url(pmid: str) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


def registry_url(scheme: str, trial_id: str) -> str | None:
    template = REGISTRIES.get(scheme, ("", ""))[1]
    return template.format(id=trial_id) if template else None

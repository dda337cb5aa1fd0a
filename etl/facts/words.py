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
# The address of a trial's record where the registry has a stable one by id; the registries
# whose record pages go by an internal number (CTRI, CRiS, IRCT, PACTR, jRCT/UMIN…) are
# reached through the WHO ICTRP record page, which takes the registry id itself.
ICTRP_RECORD = "https://trialsearch.who.int/Trial2.aspx?TrialID={id}"
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
    "jprn": ("JPRN", ICTRP_RECORD),
    "drks": ("DRKS", "https://drks.de/search/en/trial/{id}"),
    "ctri": ("CTRI", ICTRP_RECORD),
    "kct": ("CRiS", ICTRP_RECORD),
    "irct": ("IRCT", ICTRP_RECORD),
    "tctr": ("TCTR", ICTRP_RECORD),
    "pactr": ("PACTR", ICTRP_RECORD),
    "rebec": ("ReBEC", "https://ensaiosclinicos.gov.br/rg/{id}"),
    "ntr": ("OMON", ICTRP_RECORD),
    "itmctr": ("ITMCTR", ICTRP_RECORD),
}
# Each registry as a reader names it (zh, en): a Chinese clinician writes 中国临床试验注册中心
# for ChiCTR, and a registry whose ids carry no prefix of its own keeps its acronym (欧盟 CTIS),
# so that "…注册号：2023-501234-12-00" says where to look.
REGISTRY_NAMES = {
    "nct": ("ClinicalTrials.gov", "ClinicalTrials.gov"),
    "chictr": ("中国临床试验注册中心", "Chinese Clinical Trial Registry"),
    "isrctn": ("ISRCTN", "ISRCTN registry"),
    "euct": ("欧盟 CTIS", "EU Clinical Trials Information System"),
    "eudract": ("欧盟 EudraCT", "EU Clinical Trials Register (EudraCT)"),
    "actrn": ("澳大利亚新西兰临床试验注册中心", "Australian New Zealand Clinical Trials Registry"),
    "jprn": ("日本临床试验注册网络", "Japan Primary Registries Network"),
    "drks": ("德国临床试验注册中心", "German Clinical Trials Register"),
    "ctri": ("印度临床试验注册中心", "Clinical Trials Registry – India"),
    "kct": ("韩国临床研究信息服务", "Clinical Research Information Service (Korea)"),
    "irct": ("伊朗临床试验注册中心", "Iranian Registry of Clinical Trials"),
    "tctr": ("泰国临床试验注册中心", "Thai Clinical Trials Registry"),
    "pactr": ("泛非临床试验注册中心", "Pan African Clinical Trials Registry"),
    "rebec": ("巴西临床试验注册中心", "Brazilian Clinical Trials Registry (ReBEC)"),
    "ntr": ("荷兰临床试验注册中心", "Netherlands Trial Register (OMON)"),
    "itmctr": (
        "国际传统医学临床试验注册平台",
        "International Traditional Medicine Clinical Trial Registry",
    ),
}


def registry_name(lang: str, scheme: str) -> str:
    """The registry of `scheme` as a reader of `lang` names it; an unknown scheme upper-cased."""
    pair = REGISTRY_NAMES.get(scheme)
    return pair[0 if lang == "zh" else 1] if pair else scheme.upper()


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

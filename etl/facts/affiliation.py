"""Institution and country from a PubMed affiliation string: the "who" of a case entry."""

from __future__ import annotations

import re

_AFFILIATION_TAIL = re.compile(r"\s*(?:;|\bElectronic address\b|\S+@\S+).*$", re.S)
_DEPARTMENT = re.compile(r"Department|Dept\b|Division|Section|Unit|Laboratory|Program", re.I)
_CARE = re.compile(
    r"Hospital|Hôpital|Klinikum|Clinics?\b|Medical Cent|Cancer Cent|Trust\b|Infirmary|Ospedal"
    r"|Universitetsjukhus|Universitätsklinik",
    re.I,
)
_UNIVERSITY = re.compile(r"Universit|Academy", re.I)
_ACADEMIC = re.compile(r"College|School|Institut|Cent(?:er|re)\b|Foundation", re.I)
_POSTCODE = re.compile(r"\b[\w-]*\d[\w-]*\b")
_US_CODE = re.compile(
    r"A[LKZR]|C[AOT]|D[EC]|FL|GA|HI|I[DLNA]|K[SY]|LA|M[EDAINSOT]|N[EVHJMYCD]|O[HKR]|PA|RI|S[CD]"
    r"|T[NX]|UT|V[TA]|W[AVIY]"
)
_US_STATES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia"
    "|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts"
    "|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey"
    "|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania"
    "|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington"
    "|West Virginia|Wisconsin|Wyoming|District of Columbia"
)
_COUNTRY_VARIANTS = [  # (spelling at the end of an affiliation, the digest's name)
    (r"PRC|China", "China"),  # "P.R. China", "People's Republic of China" end in "China"
    (rf"U\.? ?S\.?(?: ?A\.?)?|United States(?: of America)?|{_US_STATES}", "United States"),
    (r"U\.? ?K\.?|United Kingdom|England|Scotland|Wales|Great Britain", "United Kingdom"),
    (r"Korea|Korea, Republic of|Korea \(South\)", "South Korea"),  # ClinicalTrials.gov's
    (r"Iran(?:, Islamic Republic of)?", "Iran"),
    (r"Russia|Russian Federation", "Russia"),
    (r"Turkey|Türkiye", "Turkey"),
    (r"Spain|España", "Spain"),
]
_COUNTRY_RULES = [(re.compile(rf"(?:^|\s)(?:{p})$", re.I), name) for p, name in _COUNTRY_VARIANTS]
_COUNTRY = re.compile(  # countries whose one spelling is the digest's
    r"(?:^|\s)(Argentina|Australia|Austria|Belgium|Brazil|Canada|Chile|Colombia|Croatia|Czechia"
    r"|Denmark|Egypt|Finland|France|Germany|Greece|Hong Kong|Hungary|India|Indonesia|Ireland"
    r"|Israel|Italy|Japan|Jordan|Lebanon|Malaysia|Mexico|Netherlands|New Zealand|Nigeria|Norway"
    r"|Pakistan|Poland|Portugal|Qatar|Romania|Saudi Arabia|Serbia|Singapore|Slovenia"
    r"|South Africa|Sweden|Switzerland|Taiwan|Thailand|Tunisia|Vietnam|Puerto Rico)$"
)


def place(affiliation: str) -> tuple[str | None, str | None]:
    """(institution, country) of one affiliation; either may be None."""
    first = _AFFILIATION_TAIL.sub("", affiliation).strip(" .,")
    segments = [part.strip() for part in first.split(",") if part.strip()]
    return institution(segments), (country(segments[-1]) if segments else None)


def institution(segments: list[str]) -> str | None:
    """The hospital an affiliation names, with its university when the name lacks one; else the
    university, with the school or institute just before it; else an institute or centre.
    Departments and laboratories are too specific for a digest."""

    def rank(segment: str) -> int:
        if _DEPARTMENT.match(segment):
            return 0
        if _CARE.search(segment):
            return 3
        return 2 if _UNIVERSITY.search(segment) else 1 if _ACADEMIC.search(segment) else 0

    ranks = [rank(segment) for segment in segments]
    if not ranks or max(ranks) == 0:
        return None
    best = ranks.index(max(ranks))
    chosen = [segments[best]]
    if ranks[best] == 2 and best and ranks[best - 1] == 1:  # "School of Medicine, X University"
        chosen.insert(0, segments[best - 1])
    if ranks[best] == 3 and not _UNIVERSITY.search(segments[best]):
        following = zip(segments[best + 1 :], ranks[best + 1 :], strict=True)
        chosen += [segment for segment, r in following if r == 2][:1]
    return ", ".join(chosen)


def country(place: str) -> str | None:
    """The country an address part names, in the digest's spelling; None when it names none
    (usually a city or a postcode, when the affiliation leaves the country out)."""
    place = _POSTCODE.sub(" ", place).strip(" .")
    if _US_CODE.fullmatch(place):  # "Rochester, MN 55902"
        return "United States"
    for pattern, name in _COUNTRY_RULES:
        if pattern.search(place):
            return name
    match = _COUNTRY.search(place.removeprefix("The "))  # "The Netherlands"
    return match.group(1) if match else None

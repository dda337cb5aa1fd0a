"""Leads, key results and case facts of a work, read from its normalised record by text rules.

An issue shows each paper through a short lead (the abstract's conclusion), a featured item through
its key result, and editors want the facts the house article gives for each case (institution,
country, patients, intervention, outcomes). Pure functions of the record dict.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_BOUNDARY = re.compile(r"[.!?…]+[\"'”’]*\s+")
_BRACKETS = re.compile(r"\((?:[^()]|\([^()]*\))*\)|\[[^\[\]]*\]")  # an unmatched "(" is ignored
_ABBREVIATION = re.compile(
    r"(?:e\.g|i\.e|al|vs|figs?|approx|nos?|cf|ca|resp|refs?|eq|vol|pp)", re.I
)
_TITLE_OR_DOTTED = re.compile(r"Dr|Mrs?|Ms|Prof|St|(?:[A-Za-z]\.)+[A-Za-z]")  # "U.S", "P.R"
_GENE_LIKE = re.compile(r"[a-z]+-?[A-Z0-9]|©")  # "hUC-MSCs", "p-S6", "©2017" open sentences
_LABEL = re.compile(r"([A-Z][A-Za-z/&' -]{1,60}?):\s+(.*)", re.S)
_LABEL_WORD = re.compile(r"[A-Z]\S*|and|of|or|the|for|to|in")
_CONCLUSION_LABEL = re.compile(r"\bCONCLUSIONS?\b|^INTERPRETATION$|\bSIGNIFICANCE$", re.I)
_RESULTS_LABEL = re.compile(r"\bRESULTS?\b|^FINDINGS$", re.I)
_BOILERPLATE = re.compile(
    r"(?:clinical )?trial registration|registration|funding|copyright|©|level of evidence"
    r"|clinical question|keywords?|abbreviations|conflicts? of interest",
    re.I,
)
_CONCLUDING = re.compile(  # "Overall," but not "Overall survival was…"
    r"(?:These (?:findings|results|data|observations)|Our (?:results|findings|data|study)"
    r"|In (?:conclusion|summary|sum)|To conclude|Collectively|Taken together|We conclude|Thus"
    r"|This (?:study|work|case|report|review)|Therefore|Hence)\b|(?:Together|Overall),"
)
_FIGURE = re.compile(
    r"\d+(?:\.\d+)?\s?%|\b[Pp]\s*[<=>≤≥]\s*0?\.\d+|\b[nN]\s*=\s*\d+"
    r"|\b(?:a?HR|OR|RR|sHR|hazard ratio|odds ratio|relative risk)\b[\s,:=]*\d"
    r"|\b\d+(?:\.\d+)?-fold\b|\b(?:two|three|four|five|six|seven|eight|nine|ten)-?fold\b"
    r"|\b\d+\s+(?:out\s+)?of\s+\d+\b"
    r"|\b(?i:survival|median)\b[^.;]{0,60}?\b\d+(?:\.\d+)?\s*(?:months?|weeks?|days?|years?)\b"
)
_OUTCOME = re.compile(
    r"\b(?:response|remission|survival|relapse|recurrence|GVHD|graft-versus-host|mortality"
    r"|tumou?r (?:volume|growth|burden|weight|size|regression)|metasta\w*|disease control"
    r"|progression|adverse events?|toxicity)\b",
    re.I,
)

_ONES = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
_ONES += " sixteen seventeen eighteen nineteen"
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety"
_WORD_VALUE = {w: n for n, w in enumerate(_ONES.split(), 1)}
_WORD_VALUE |= {w: 10 * n for n, w in enumerate(_TENS.split(), 2)}
_NUMBER_WORDS = rf"(?:{_TENS.replace(' ', '|')})(?:-(?:{'|'.join(_ONES.split()[:9])}))?"
_NUM = rf"(\d{{1,3}}(?:,\d{{3}})+|\d+|{_NUMBER_WORDS}|{_ONES.replace(' ', '|')})"
_PEOPLE = r"(?:patients|participants|subjects|individuals|adults|children|women|men|survivors)"
_FILLER = r"(?:(?!of\b|in\b|and\b|or\b|vs\b|versus\b|with\b)[A-Za-z][\w/-]*\s+){0,3}"
_DONE = r"(?:enrolled|recruited|included|randomi[sz]ed|treated|analy[sz]ed|assigned|evaluated)"
_PATIENTS = [  # the most explicit wording first; the first pattern found anywhere wins
    re.compile(rf"(?<![\d.,])\b(?:total of|{_DONE})\s+{_NUM}\s+{_FILLER}{_PEOPLE}\b", re.I),
    re.compile(
        rf"(?<![\d.,])\b{_NUM}\s+{_FILLER}{_PEOPLE}\s+(?:were|was)\s+(?:\w+\s+)?{_DONE}", re.I
    ),
    re.compile(rf"(?<![\d.,-])\b{_NUM}\s+{_FILLER}{_PEOPLE}\b", re.I),
    re.compile(r"\b[nN]\s*=\s*(\d[\d,]*)"),
]

_CORE = (  # "hUC-MSCs" and "MSC-IL12" count, "multiple sclerosis centre (MSC)" does not
    r"(?:(?i:mesenchymal\s+(?:stem|stromal)\s+cells?|exosomes?|extracellular\s+vesicles|EVs?)\b"
    r"|(?<!\()(?:[\w+×]+-)*MSCs?(?:-[\w+×]+)*\b)"
)
_MODIFIERS = (
    r"(?:(?!(?i:a|an|the|of|from|for|with|and|or|in|on|to|by|after|before|versus|vs|via|into|at"
    r"|as|than|during|using)\b)[\w+'-]+\s+){0,5}"
)
_PRODUCT = re.compile(
    rf"(?<![\w+'-]){_MODIFIERS}{_CORE}(?:[\s-]+(?i:derived\s+)?(?i:small\s+)?"
    r"(?i:exosomal\s+[\w-]+|exosomes?|extracellular\s+vesicles|EVs?)\b)?"
    rf"(?:\s+(?i:from|of)\s+{_MODIFIERS}{_CORE})?"
)
_TYPE_PREFIX = re.compile(r"^[A-Z][\w /-]*:\s*")  # "Biological: ", "Genetic: "

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


def sentences(text: str) -> list[str]:
    """English text cut into sentences, each keeping its own final punctuation.

    A period ends a sentence only before a capital, a digit or a gene-like word ("hUC-MSCs"), and
    not after an abbreviation ("e.g.", "et al.", "Fig."), an initial, or inside parentheses:
    abstracts are dense with all of these, and a lead cut mid-sentence reads as a mistake.
    Decimals ("3.5", "P < 0.05") never qualify, having no space after the point. A paragraph
    break always ends a sentence.
    """
    found: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text or ""):
        start, spans = 0, [m.span() for m in _BRACKETS.finditer(paragraph)]
        for match in _BOUNDARY.finditer(paragraph):
            if _ends_sentence(paragraph, match.start(), match.end(), spans):
                found.append(paragraph[start : match.end()].strip())
                start = match.end()
        found.append(paragraph[start:].strip())
    return [sentence for sentence in found if sentence]


def paper_lead(data: Mapping[str, Any], max_chars: int = 320) -> str:
    """The abstract's conclusion: at most two whole sentences within `max_chars` characters.

    A labelled conclusion is the authors' own summary, so it wins; otherwise the closing sentences
    carry the take-home message of most unstructured abstracts.
    """
    sections = _sections(data.get("abstract") or "")
    for label, body in sections:
        if label and _CONCLUSION_LABEL.search(label) and (chosen := _content(body)):
            return _fit(chosen[:2], max_chars)
    body = _content(_bodies(sections))
    if len(body) > 1 and _CONCLUDING.match(body[-2]):
        return _fit(body[-2:], max_chars)
    return _fit(body[-1:], max_chars)


def key_result(data: Mapping[str, Any], max_chars: int = 280) -> str:
    """The result sentence richest in figures, for the 研究亮点 (highlight) call-out.

    Figures (percentages, P values, hazard ratios, "7 of 10") are what an editor quotes; a sentence
    that fits is preferred to one that would have to be cut. Falls back to the lead.
    """
    pool = _pool(_sections(data.get("abstract") or ""), _RESULTS_LABEL)
    scored = [(len(_FIGURE.findall(s)), s) for s in pool]
    scored = [(score, s) for score, s in scored if score]
    if not scored:
        return paper_lead(data, max_chars)
    fitting = [item for item in scored if len(item[1]) <= max_chars] or scored
    return _fit([max(fitting, key=lambda item: (item[0], -len(item[1])))[1]], max_chars)


def facts(data: Mapping[str, Any]) -> dict[str, Any]:
    """Institution, country, patients, intervention and outcomes, as the house article lists them.

    A fact the record does not state plainly is None (outcomes: empty), since a missing fact is
    better than a wrong one in a signed article. Trials take them from the registry fields.
    """
    if data.get("kind") == "trial":
        countries = data.get("countries") or []
        interventions = data.get("interventions") or []
        enrollment = data.get("enrollment")
        return {
            "institution": data.get("sponsor") or None,
            "country": _country(countries[0]) or countries[0] if countries else None,
            "patients": enrollment if isinstance(enrollment, int) else None,
            "intervention": _TYPE_PREFIX.sub("", interventions[0]) if interventions else None,
            "outcomes": [],
        }
    affiliations = data.get("affiliations") or []
    first = _AFFILIATION_TAIL.sub("", affiliations[0]).strip(" .,") if affiliations else ""
    segments = [part.strip() for part in first.split(",") if part.strip()]
    sections = _sections(data.get("abstract") or "")
    product = _PRODUCT.search((data.get("title") or "").rstrip(". "))
    return {
        "institution": _institution(segments),
        "country": _country(segments[-1]) if segments else None,
        "patients": _patients(_bodies(sections)),
        "intervention": product.group().strip() if product else None,
        "outcomes": _outcomes(sections),
    }


def _ends_sentence(text: str, mark: int, end: int, spans: list[tuple[int, int]]) -> bool:
    following = text[end:].lstrip("\"'“‘([")
    starts = following[:1].isupper() or following[:1].isdigit() or _GENE_LIKE.match(following)
    if not starts or any(a < mark < b for a, b in spans):
        return False
    if text[mark] != ".":
        return True
    words = text[:mark].split()
    word = words[-1].lstrip("\"'“‘([") if words else ""
    if _ABBREVIATION.fullmatch(word) or _TITLE_OR_DOTTED.fullmatch(word):
        return False
    # An initial ("by J. Smith") follows a name, an initial or "by"; "vitamin D." and "phase I."
    # end their sentences.
    before = words[-2] if len(words) > 1 else ""
    initial = len(word) == 1 and word.isupper() and word not in "IVX"
    return not (initial and (not before or before[0].isupper() or before == "by"))


def _sections(abstract: str) -> list[tuple[str | None, str]]:
    """(label, body) per paragraph, with "RESULTS:"-style labels; boilerplate sections dropped."""
    found: list[tuple[str | None, str]] = []
    for paragraph in re.split(r"\n\s*\n", abstract.strip()):
        match = _LABEL.match(paragraph)
        words = match.group(1).split() if match else []
        if match and len(words) <= 6 and all(_LABEL_WORD.fullmatch(w) for w in words):
            if not _BOILERPLATE.match(match.group(1)):
                found.append((match.group(1), match.group(2).strip()))
        elif paragraph.strip():
            found.append((None, paragraph.strip()))
    return found


def _bodies(sections: list[tuple[str | None, str]]) -> str:
    return "\n\n".join(body for _, body in sections)


def _content(text: str) -> list[str]:
    return [s for s in sentences(text) if not _BOILERPLATE.match(s)]


def _fit(chosen: list[str], max_chars: int) -> str:
    """Whole sentences up to `max_chars`; a first sentence too long is cut at a word, with "…"."""
    lead = ""
    for sentence in chosen:
        if len(joined := f"{lead} {sentence}".strip()) > max_chars:
            break
        lead = joined
    if lead or not chosen:
        return lead
    cut = chosen[0][: max_chars - 1]
    cut = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return cut.rstrip(" ,;:-–(") + "…"


def _pool(sections: list[tuple[str | None, str]], *labels: re.Pattern[str]) -> list[str]:
    """Sentences of the sections with one of `labels`; in an unlabelled abstract, all but the
    first, which gives the background."""
    if not any(label for label, _ in sections):
        return _content(_bodies(sections))[1:]
    chosen = [
        (label, body) for label, body in sections if any(p.search(label or "") for p in labels)
    ]
    return _content(_bodies(chosen))


def _outcomes(sections: list[tuple[str | None, str]]) -> list[str]:
    """Up to three result or conclusion sentences with figures or outcome words, in text order."""
    pool = _pool(sections, _RESULTS_LABEL, _CONCLUSION_LABEL)
    scores = [2 * len(_FIGURE.findall(s)) + len(_OUTCOME.findall(s)) for s in pool]
    best = sorted((n for n, score in enumerate(scores) if score), key=lambda n: -scores[n])[:3]
    return [pool[n] for n in sorted(best)]


def _patients(text: str) -> int | None:
    for pattern in _PATIENTS:
        if match := pattern.search(text):
            number = match.group(1).lower().replace(",", "")
            if number.isdigit():
                return int(number)
            return sum(_WORD_VALUE[part] for part in number.split("-"))
    return None


def _institution(segments: list[str]) -> str | None:
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


def _country(place: str) -> str | None:
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

"""Facts of a paper, read from its title, abstract, publication types and first affiliation.

Rules, not a model: each fact is taken only when the record states it in words the rules know,
and every figure is copied as written, so that a lead built from the facts can be checked against
the record (`etl.facts.fidelity`) and a reader can find each number in the abstract.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from etl.facts import abstract as text
from etl.facts.affiliation import place
from etl.facts.model import Facts, Figure
from etl.facts.terms import Terms

_ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}
_PHASE = re.compile(
    r"\bphase\s*(IV|I{1,3}|[1-4])[ab]?(?:\s*[/-]\s*(IV|I{1,3}|[1-4])[ab]?)?(?![\w])", re.I
)
_RANDOMIZED = re.compile(
    r"\brandomi[sz]ed(?:,)?\s+(?:\w+[ ,-]+){0,4}(?:trial|study)|\brandomly\s+(?:assigned|allocated)"
    r"|\brandomi[sz]ed\s+(?:1:1|2:1)|\bwere\s+randomi[sz]ed\b",
    re.I,
)
_NOTICE = re.compile(
    r"(?:Retraction(?: Note)?|Erratum|Correction|Expression of Concern)\b\s*(?:to|:)", re.I
)
_META = re.compile(r"\bmeta-?analys[ie]s\b", re.I)
_REVIEW = re.compile(
    r"\b(?:systematic|narrative|scoping|comprehensive|literature)\s+review\b|\breview\b.*$"
    r"|^(?:This|In this|We)\s+review\b|\bthis review\b|\bwe review\b"
    r"|\bherein,? we (?:review|summari[sz]e)",
    re.I,
)
_CASE = re.compile(
    r"\bcase report\b|\bwe (?:report|describe|present) (?:a|an|the case of an?|two|three) "
    r"|^(?:A|An) \d+-year-old\b",
    re.I | re.M,
)
_RETRO = re.compile(r"\bretrospective(?:ly)?\b", re.I)
_COHORT = re.compile(
    r"\b(?:prospective|observational)\s+(?:\w+\s+)?(?:cohort|study)\b|\bcohort study\b"
    r"|\bregistry[- ]based\b",
    re.I,
)
_SINGLE = re.compile(
    r"\bsingle[- ]arm\b|\bfirst[- ]in[- ]human\b|\bdose[- ]escalation\b|\bopen[- ]label\b"
    r"|\bpilot (?:study|trial)\b|\bphase\s*(?:I|1)[ab]?\b(?!\s*[/-]?\s*(?:I|2|3))",
    re.I,
)
_CONTROLLED = re.compile(
    r"\b(?:controls?|control group|versus|compared with|compared to|vs\.?)\b", re.I
)
_CROSS = re.compile(r"\bcross-sectional\b", re.I)
_TRIAL = re.compile(
    r"\b(?:clinical trial|patients (?:received|were treated|were infused|were given))\b", re.I
)
_ANIMAL = re.compile(
    r"\b(?:mice|mouse|murine|rats?|xenografts?|in vivo|zebrafish|rabbits?|nude|NOD[- ]SCID"
    r"|syngeneic|orthotopic)\b",
    re.I,
)
_IN_VITRO = re.compile(r"\bin vitro\b|\bcell lines?\b|\bco-?cultur|\bcells were\b", re.I)

_VALUE = (
    r"(?<![\w.^-])(?:\d+(?:\.\d+)?\s?%|\d+(?:\.\d+)?\s+(?:months?|weeks?|days?|years?)\b"
    r"|\d+\s+of\s+(?:the\s+)?\d+\b|\d+/\d+(?![\d/]))"
)
_VALUE_RE = re.compile(_VALUE, re.I)
_CI = re.compile(r"\(?\d+(?:\.\d+)?\s?%\s*(?:CI|confidence interval)[^;)]*\)?", re.I)
_RANGE = re.compile(r"\b(?:range|IQR|interquartile range)\b[^;)]*", re.I)
_FROM_TO = re.compile(
    r"\bfrom\s+(\d+(?:\.\d+)?)(\s?%|\s+(?:months?|weeks?|days?|years?))?(?:\s*±\s*[\d.]+)?"
    r"(?:\s*\([^)]*\))?\s+to\s+((?:more than\s+)?\d+(?:\.\d+)?)"
    r"(\s?%|\s+(?:months?|weeks?|days?|years?))?",
    re.I,
)
_SHARED_UNIT = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?:vs\.?|versus)\s*(\d+(?:\.\d+)?)\s+(months?|weeks?|days?|years?)\b",
    re.I,
)
_BY = re.compile(r"\bby\s+(\d+(?:\.\d+)?\s?%)", re.I)
_AGAINST = re.compile(
    r"^\s*(?:\([^)]*\)\s*)?(?:(?:with|after|in|for|among|of) [^,;()]{1,40}?)?\s*(?:,\s*)?"
    r"(?:(?:vs\.?|versus|compared with|compared to|against|and)\s+(?:the\s+)?)?$",
    re.I,
)
_ATTACHED = re.compile(r"^\s*\(\s*$")
_HR = re.compile(r"\b(?:adjusted\s+)?(?:hazard ratio|HR)\s*[,:=]?\s*(\d+(?:\.\d+)?)", re.I)
_P = re.compile(r"\b[Pp]\s*([<=>≤≥])\s*(0?\.\d+)")
_DOWN = re.compile(
    r"\b(?:reduc|decreas|lower|inhibit|suppress|shrank|fell|declin|attenuat|diminish|cut)\w*",
    re.I,
)
_UP = re.compile(r"\b(?:prolong|increas|improv|extend|rais|rose|enhanc|elevat)\w*", re.I)
_PRIMARY = re.compile(
    r"\bprimary\s+(?:end\s?point|outcome|objective)s?\s+(?:was|were|is|included)\s+([^.;]+)", re.I
)

_EXPONENT = r"10\s?(?:\^[-−]?\d+|[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+|<sup>[-−]?\d+</sup>|\([-−]?\d+\))"
_DOSE = re.compile(
    rf"(?:\d+(?:\.\d+)?\s*[×x]\s*)?{_EXPONENT}\s*(?:(?:viable\s+)?(?:cells|MSCs|particles|vesicles"
    r"|EVs|exosomes|PFU|pfu)\b)?(?:\s*/\s*kg)?",
)
_ROUTE_WORDS = re.compile(
    r"\b(intravenous(?:ly)?|intratumou?ral(?:ly)?|intraperitoneal(?:ly)?|intracranial(?:ly)?"
    r"|subcutaneous(?:ly)?|intra-arterial(?:ly)?|intrathecal(?:ly)?|intravesical(?:ly)?"
    r"|intrapleural(?:ly)?"
    r"|retention enema|local injection)\b",
    re.I,
)
_COMPARATOR = re.compile(
    r"\b(placebo|standard (?:of )?care|standard therapy|best supportive care|historical controls?"
    r"|usual care|control exosomes|untreated controls?)\b",
    re.I,
)
_ALONE = re.compile(r"\(?\b((?:[a-z]+(?:-\w+)?)|[A-Z][\w-]*[A-Z0-9][\w-]*) alone\b")
_NOT_AGENT = frozenset({"therapy", "treatment", "cells", "mscs", "vehicle", "medium", "pbs"})
_ENGINEERED_BEFORE = re.compile(
    r"(?<![\w-])([A-Za-z0-9][\w/+-]*?)-(?:expressing|secreting|overexpressing|loaded|primed|armed"
    r"|carrying|modified|engineered|transduced|delivering)\b"
)
_ENGINEERED_AFTER = re.compile(
    r"\b(?:expressing|secreting|overexpressing|loaded with|carrying|armed with|delivering"
    r"|encoding|engineered to (?:express|secrete|deliver)|transduced with|primed with)\s+"
    r"(?:(?:a|an|the|secreted|soluble|trimeri[sz]ed|tumou?r-suppressive|form of|human|murine)\s+)*"
    r"([\w-]+(?:/[\w-]+)?)",
    re.I,
)
_COMBINED = re.compile(
    r"\b(?:combined with|in combination with|plus|together with|followed by)\s+"
    r"((?:(?:oral|low-dose|intravenous|systemic|standard)\s+)?[A-Za-z][\w-]*(?:\s+(?:inhibitors?"
    r"|CAR-T(?: cells)?|chemotherapy|cells|transplantation|HSCT|blockade))?)",
    re.I,
)
_EXOSOME = re.compile(r"exosom|extracellular vesicles?|\bs?EVs?\b", re.I)
_AGE = re.compile(
    r"\b(\d{1,3})[- ]year[- ]old\s+(man|woman|male|female|boy|girl|patient|gentleman|lady)\b",
    re.I,
)
_ANIMALS = re.compile(r"(?<![\w.])(?<!of )(\d+)\s+(?:[\w-]+\s+){0,2}?(mice|rats)\b", re.I)
_MODEL = re.compile(r"\b(mice|mouse|murine|rats?|zebrafish|rabbits?)\b", re.I)
_CELL_LINE = re.compile(
    r"\b(HCT116|HCT-116|SW480|SW620|HT-29|HT29|LoVo|CT26|MC38|Huh7|Huh-7|HepG2|Hep3B|MHCC97H"
    r"|PLC/PRF/5|A549|H1299|H460|PC-9|LLC|MCF-7|MCF7|MDA-MB-231|MDA-MB-468|T47D|4T1|SKOV3"
    r"|A2780|OVCAR-3|ID8|PANC-1|MIA PaCa-2|BxPC-3|KPC|U87|U87MG|U251|LN229|GL261|C6|B16F10|B16"
    r"|A375|SK-MEL-28|PC-3|DU145|LNCaP|22Rv1|HeLa|SiHa|K562|HL-60|THP-1|MOLM-13|MV4-11|Jurkat"
    r"|Raji|Daudi|RPMI 8226|RPMI-8226|U266|MM.1S|Saos-2|U2OS|MG-63|143B|KYSE150|Eca109|AGS"
    r"|MKN45|BGC-823|SGC-7901|HGC-27|T24|5637|786-O|Caki-1|CAL27|SCC-9|FaDu|CNE-2|SH-SY5Y)\b"
)
_STUDY_NUMBER = (
    r"\d[\d,]*|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-[a-z]+)?|one|two|three"
    r"|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
    r"|seventeen|eighteen|nineteen"
)
_STUDIES = re.compile(
    rf"\b({_STUDY_NUMBER})\s+(?:[\w-]+\s+){{0,2}}?(?:studies|trials|articles|RCTs|publications)\b",
    re.I,
)
_WORDS = {
    w: n
    for n, w in enumerate(
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"]
        + ["twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen"]
        + ["nineteen", "twenty"],
        1,
    )
} | {
    w: 10 * n
    for n, w in enumerate(["thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 3)
}


def paper_facts(data: Mapping[str, Any], terms: Terms) -> Facts:
    title = (data.get("title") or "").strip()
    abstract = data.get("abstract") or ""
    parts = text.sections(abstract)
    body = text.bodies(parts)
    whole = f"{title}\n\n{body}"
    design, phase, randomized = _design(data, title, body)
    institution = country = None
    if affiliations := data.get("affiliations") or []:
        institution, country = place(affiliations[0])
    cancer = _cancer(title, body, terms)
    source = _source(title, body, terms)
    product = "exosomes" if _EXOSOME.search(title or body) else "cells"
    strategy, engineered = _strategy(title, body, terms)
    figures = _figures(parts, terms)
    safety, safety_text = _safety(text.sentences(body), terms)
    patients = None
    if design not in ("animal", "in_vitro"):
        patients = text.patients(_past_background(parts)) or text.patients(body)
    age = _AGE.search(whole)
    animals = _ANIMALS.search(body)
    model = _MODEL.search(body) if design == "animal" else None
    dose = _DOSE.search(body)
    route = _ROUTE_WORDS.search(body)
    intervention = text.PRODUCT.search(title.rstrip(". "))
    return Facts(
        kind="paper",
        design=design,
        phase=phase,
        randomized=randomized,
        patients=patients,
        animals=int(animals.group(1)) if animals and design == "animal" else None,
        animal_model=_model_name(model.group(1)) if model else None,
        cell_lines=tuple(dict.fromkeys(m.group(1) for m in _CELL_LINE.finditer(body)))[:3],
        studies=_studies(body) if design in ("review", "meta_analysis") else None,
        age=int(age.group(1)) if age and design == "case_report" else None,
        sex=_sex(age.group(2)) if age and design == "case_report" else None,
        cancer=cancer[0] if cancer else None,
        cancer_name=cancer[1] if cancer else None,
        cancer_zh=cancer[2] if cancer else None,
        setting=cancer[3] if cancer else None,
        msc_source=source,
        product=product if source or intervention else None,
        strategy=strategy,
        engineered_with=engineered,
        intervention=intervention.group().strip() if intervention else None,
        combined_with=_combined(title) or _combined(body),
        route=route.group(1) if route else None,
        dose=dose.group().strip() if dose and _has_dose_number(dose.group()) else None,
        comparator=_comparator(whole),
        outcomes=figures,
        safety=safety,
        safety_text=safety_text,
        institution=institution,
        country=country,
        sentences=tuple(text.outcome_sentences(parts)),
    )


_BACKGROUND = re.compile(
    r"BACKGROUND|OBJECTIVES?|INTRODUCTION|PURPOSE|AIMS?|CONTEXT|RATIONALE|IMPORTANCE", re.I
)


def _past_background(parts: list[tuple[str | None, str]]) -> str:
    """The abstract without its background section, whose counts are not the study's own
    ("one in five survivors")."""
    return text.bodies(
        [(label, body) for label, body in parts if not _BACKGROUND.match(label or "")]
    )


def _source(title: str, body: str, terms: Terms) -> str | None:
    """The MSC source: a specific one named in the title or abstract wins over the generic
    "mesenchymal stem cells" of a title."""
    for where in (title, body):
        for term in terms.source:
            if term.key != "other" and term.pattern.search(where):
                return term.key
    if terms.first("source", f"{title}\n{body}"):
        return "other"
    return None


def _design(data: Mapping[str, Any], title: str, body: str) -> tuple[str | None, str | None, bool]:
    types = {t.lower() for t in data.get("publication_types") or []}
    whole = f"{title}\n{body}"
    if types & {"retraction of publication", "published erratum"} or _NOTICE.match(title):
        return "notice", None, False
    phase = _phase(whole, types)
    randomized = "randomized controlled trial" in types or bool(_RANDOMIZED.search(whole))
    if "meta-analysis" in types or _META.search(title) or _META.search(body[:400]):
        return "meta_analysis", None, False
    if "case reports" in types or _CASE.search(whole):
        return "case_report", None, False
    if types & {"review", "systematic review"} or _REVIEW.search(title):
        return "review", None, False
    if randomized:
        return "rct", phase, True
    if _RETRO.search(whole):
        return "retrospective", phase, False
    if _COHORT.search(whole):
        return "cohort", phase, False
    if _CROSS.search(whole):
        return "cross_sectional", None, False
    if _SINGLE.search(whole) or (phase and not _CONTROLLED.search(whole)):
        return "single_arm", phase, False
    if phase or "clinical trial" in " ".join(types) or _TRIAL.search(whole):
        return "clinical_trial", phase, False
    if _ANIMAL.search(whole):
        return "animal", None, False
    if _IN_VITRO.search(whole):
        return "in_vitro", None, False
    return None, None, False


def _phase(whole: str, types: set[str]) -> str | None:
    found = _PHASE.search(whole)
    if found:
        first = _ROMAN.get(found.group(1), found.group(1).upper())
        second = found.group(2)
        return f"{first}/{_ROMAN.get(second, second.upper())}" if second else first
    for kind in types:
        if kind.startswith("clinical trial, phase "):
            return kind.removeprefix("clinical trial, phase ").upper()
    return None


def _cancer(title: str, body: str, terms: Terms) -> tuple[str, str, str, str | None] | None:
    for where in (title, body):
        found = terms.first("cancer", where)
        if found:
            term, match = found
            before = where[max(0, match.start() - 40) : match.start()].lower()
            setting = None
            for word in sorted(terms.stage_words, key=len, reverse=True):
                if re.search(rf"(?<![\w-]){re.escape(word.lower())}\W*$", before):
                    setting = word
                    break
            return term.key, match.group(), term.zh, setting
    return None


def _strategy(title: str, body: str, terms: Terms) -> tuple[str | None, str | None]:
    for where in (title, body):
        found = terms.first("strategy", where)
        if found:
            engineered = _ENGINEERED_BEFORE.search(where) or _ENGINEERED_AFTER.search(where)
            what = engineered.group(1) if engineered else None
            if what and what.lower() in {"cells", "cell", "stem", "mscs", "msc", "a", "the"}:
                what = None
            return found[0].key, what
    return None, None


def _combined(where: str) -> str | None:
    found = _COMBINED.search(where)
    if not found:
        return None
    what = found.group(1)
    if what.lower() in {"the", "a", "an", "and", "in", "with", "by", "mscs", "msc"} or re.search(
        r"MSC|mesenchymal|stromal", what, re.I
    ):
        return None
    return what


def _comparator(whole: str) -> str | None:
    if found := _COMPARATOR.search(whole):
        return found.group(1)
    for found in _ALONE.finditer(whole):
        if found.group(1).lower() not in _NOT_AGENT:
            return found.group().lstrip("(")
    return None


def _has_dose_number(dose: str) -> bool:
    return bool(re.search(r"[×x]|cells|MSCs|particles|vesicles|/\s*kg", dose))


def _figures(parts: list[tuple[str | None, str]], terms: Terms) -> tuple[Figure, ...]:
    """Outcome figures of the results (and, for an unlabelled abstract, every sentence after the
    first); the primary endpoint's first when the abstract names it."""
    pool = text.pool(parts, text.RESULTS_LABEL) or text.content(text.bodies(parts))
    figures: list[Figure] = []
    for sentence in pool:
        figures += _sentence_figures(sentence, terms)
    primary = _PRIMARY.search(text.bodies(parts))
    if primary and (term := terms.first("outcome", primary.group(1))):
        first = [f for f in figures if f.measure == term[0].key][:1]
        figures = first + [f for f in figures if f not in first]
    unique: dict[tuple[str, str], Figure] = {}
    for figure in figures:
        unique.setdefault((figure.measure, figure.value), figure)
    return tuple(unique.values())[:4]


def _sentence_figures(sentence: str, terms: Terms) -> list[Figure]:
    mentions: list[tuple[int, int, str]] = []
    for term in terms.outcome:
        mentions += [(m.start(), m.end(), term.key) for m in term.pattern.finditer(sentence)]
    mentions.sort(key=lambda m: (m[0], -(m[1] - m[0])))
    kept: list[tuple[int, int, str]] = []
    for mention in mentions:
        if not kept or mention[0] >= kept[-1][1]:
            kept.append(mention)
    found = []
    for n, (start, end, key) in enumerate(kept):
        stop = kept[n + 1][0] if n + 1 < len(kept) else len(sentence)
        clause = sentence[end:stop]
        figure = _figure(key, sentence[start:end], clause, sentence[max(0, start - 30) : start])
        if figure:
            found.append(figure)
    return found


def _figure(key: str, label: str, clause: str, before: str) -> Figure | None:
    hr = _HR.search(clause)
    p = _P.search(clause)
    verbs = f"{before} {clause[:40]}"
    direction = "down" if _DOWN.search(verbs) else "up" if _UP.search(verbs) else None
    moved, by = _FROM_TO.search(clause), _BY.search(clause)
    if not (moved and moved.start() < 60 or by and by.start() < 60):
        direction = None  # only "from X to Y" and "by X%" say which way a figure moved
    cleaned = _RANGE.sub(" ", _CI.sub(" ", clause))
    extra = {
        "hr": hr.group(1) if hr else None,
        "p": f"P{p.group(1)}{p.group(2)}" if p else None,
        "direction": direction,
    }
    if (
        (moved := _FROM_TO.search(cleaned))
        and moved.start() < 60
        and (key in _TIMED or not (moved.group(2) or moved.group(4) or "").strip().isalpha())
    ):
        unit = (moved.group(4) or moved.group(2) or "").strip()
        joiner = "" if unit == "%" else " "
        old = moved.group(1) + (joiner + unit if unit else "")
        new = moved.group(3) + (joiner + unit if unit else "")
        return Figure(key, label, new, comparator=old, **extra)
    if (shared := _SHARED_UNIT.search(cleaned)) and shared.start() < 60 and key in _TIMED:
        unit = shared.group(3)
        return Figure(
            key, label, f"{shared.group(1)} {unit}", comparator=f"{shared.group(2)} {unit}", **extra
        )
    if (by := _BY.search(cleaned)) and by.start() < 60:
        return Figure(key, label, by.group(1), **extra)
    values = [v for v in _VALUE_RE.finditer(cleaned) if _fits(key, v, cleaned)]
    if values and re.search(r"[,;]", re.sub(r"\([^)]*\)", "", cleaned[: values[0].start()])):
        values = []  # the figure belongs to another clause ("GVHD did not recur, chimerism 95%")
    if not values or values[0].start() > 80:
        return Figure(key, label, hr.group(1), **extra) if hr and key == "os" else None
    # "3 of 60 (5.0%)": a percentage in brackets right after a value belongs to it
    merged: list[tuple[str, int, int]] = []
    for value in values:
        if merged and _ATTACHED.match(cleaned[merged[-1][2] : value.start()]):
            written, start, _ = merged[-1]
            merged[-1] = (f"{written} ({value.group()})", start, value.end() + 1)
        else:
            merged.append((value.group(), value.start(), value.end()))
    comparator = None
    if (
        len(merged) > 1
        and _AGAINST.match(cleaned[merged[0][2] : merged[1][1]])
        and _kind(merged[1][0]) == _kind(merged[0][0])
    ):
        comparator = merged[1][0]
    return Figure(key, label, merged[0][0], comparator=comparator, **extra)


_TIMED = frozenset({"os", "pfs", "efs", "dfs", "survival", "engraftment", "grfs"})


def _fits(key: str, value: re.Match[str], clause: str) -> bool:
    """A duration is a figure only of a time-to-event measure, and never a schedule ("every 3
    days") or a follow-up time."""
    if _kind(value.group()) != "time":
        return True
    before = clause[max(0, value.start() - 30) : value.start()].lower()
    if re.search(r"\b(?:every|for|after|within|over|at|by|during)\s*$|follow-up", before):
        return False
    return key in _TIMED


def _kind(value: str) -> str:
    if " of " in value or "/" in value:
        return "of"
    if value.endswith("%"):
        return "%"
    return "time"


def _safety(sentences: list[str], terms: Terms) -> tuple[tuple[str, ...], tuple[str, ...]]:
    keys: dict[str, str] = {}
    for sentence in sentences:
        for term in terms.safety:
            if term.pattern.search(sentence) and term.key not in keys:
                keys[term.key] = sentence
    return tuple(keys), tuple(dict.fromkeys(keys.values()))


def _studies(body: str) -> int | None:
    for found in _STUDIES.finditer(body):
        number = found.group(1).lower().replace(",", "")
        if number.isdigit():
            return int(number)
        parts = number.split("-")
        if all(p in _WORDS for p in parts):
            return sum(_WORDS[p] for p in parts)
    return None


def _model_name(word: str) -> str:
    word = word.lower()
    return (
        "mice"
        if word in {"mice", "mouse", "murine"}
        else "rats"
        if word.startswith("rat")
        else word
    )


def _sex(word: str) -> str | None:
    word = word.lower()
    if word in {"man", "male", "boy", "gentleman"}:
        return "male"
    if word in {"woman", "female", "girl", "lady"}:
        return "female"
    return None

"""An abstract read as text: sentences, labelled sections, and the facts plain wording states
(patients, the MSC product named in the title, outcome sentences). Pure functions of strings."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"[.!?…]+[\"'”’]*\s+")
_BRACKETS = re.compile(r"\((?:[^()]|\([^()]*\))*\)|\[[^\[\]]*\]")  # an unmatched "(" is ignored
_ABBREVIATION = re.compile(
    r"(?:e\.g|i\.e|al|vs|figs?|approx|nos?|cf|ca|resp|refs?|eq|vol|pp)", re.I
)
_TITLE_OR_DOTTED = re.compile(r"Dr|Mrs?|Ms|Prof|St|(?:[A-Za-z]\.)+[A-Za-z]")  # "U.S", "P.R"
_GENE_LIKE = re.compile(r"[a-z]+-?[A-Z0-9]|©")  # "hUC-MSCs", "p-S6", "©2017" open sentences
_LABEL = re.compile(r"([A-Z][A-Za-z/&' -]{1,60}?):\s+(.*)", re.S)
_LABEL_WORD = re.compile(r"[A-Z]\S*|and|of|or|the|for|to|in")
CONCLUSION_LABEL = re.compile(r"\bCONCLUSIONS?\b|^INTERPRETATION$|\bSIGNIFICANCE$", re.I)
RESULTS_LABEL = re.compile(r"\bRESULTS?\b|^FINDINGS$", re.I)
BOILERPLATE = re.compile(
    r"(?:clinical )?trial registration|registration|funding|copyright|©|level of evidence"
    r"|clinical question|keywords?|abbreviations|conflicts? of interest",
    re.I,
)
CONCLUDING = re.compile(  # "Overall," but not "Overall survival was…"
    r"(?:These (?:findings|results|data|observations)|Our (?:results|findings|data|study)"
    r"|In (?:conclusion|summary|sum)|To conclude|Collectively|Taken together|We conclude|Thus"
    r"|This (?:study|work|case|report|review)|Therefore|Hence)\b|(?:Together|Overall),"
)
FIGURE = re.compile(
    r"\d+(?:\.\d+)?\s?%|\b[Pp]\s*[<=>≤≥]\s*0?\.\d+|\b[nN]\s*=\s*\d+"
    r"|\b(?:a?HR|OR|RR|sHR|hazard ratio|odds ratio|relative risk)\b[\s,:=]*\d"
    r"|\b\d+(?:\.\d+)?-fold\b|\b(?:two|three|four|five|six|seven|eight|nine|ten)-?fold\b"
    r"|\b\d+\s+(?:out\s+)?of\s+\d+\b"
    r"|\b(?i:survival|median)\b[^.;]{0,60}?\b\d+(?:\.\d+)?\s*(?:months?|weeks?|days?|years?)\b"
)
OUTCOME = re.compile(
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
PRODUCT = re.compile(
    rf"(?<![\w+'-]){_MODIFIERS}{_CORE}(?:[\s-]+(?i:derived\s+)?(?i:small\s+)?"
    r"(?i:exosomal\s+[\w-]+|exosomes?|extracellular\s+vesicles|EVs?)\b)?"
    rf"(?:\s+(?i:from|of)\s+{_MODIFIERS}{_CORE})?"
)
TYPE_PREFIX = re.compile(r"^[A-Z][\w /-]*:\s*")  # "Biological: ", "Genetic: "


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


def sections(abstract: str) -> list[tuple[str | None, str]]:
    """(label, body) per paragraph, with "RESULTS:"-style labels; boilerplate sections dropped."""
    found: list[tuple[str | None, str]] = []
    for paragraph in re.split(r"\n\s*\n", abstract.strip()):
        match = _LABEL.match(paragraph)
        words = match.group(1).split() if match else []
        if match and len(words) <= 6 and all(_LABEL_WORD.fullmatch(w) for w in words):
            if not BOILERPLATE.match(match.group(1)):
                found.append((match.group(1), match.group(2).strip()))
        elif paragraph.strip():
            found.append((None, paragraph.strip()))
    return found


def bodies(sections: list[tuple[str | None, str]]) -> str:
    return "\n\n".join(body for _, body in sections)


def content(text: str) -> list[str]:
    return [s for s in sentences(text) if not BOILERPLATE.match(s)]


def pool(sections: list[tuple[str | None, str]], *labels: re.Pattern[str]) -> list[str]:
    """Sentences of the sections with one of `labels`; in an unlabelled abstract, all but the
    first, which gives the background."""
    if not any(label for label, _ in sections):
        return content(bodies(sections))[1:]
    chosen = [
        (label, body) for label, body in sections if any(p.search(label or "") for p in labels)
    ]
    return content(bodies(chosen))


def outcome_sentences(sections: list[tuple[str | None, str]]) -> list[str]:
    """Up to three result or conclusion sentences with figures or outcome words, in text order."""
    chosen = pool(sections, RESULTS_LABEL, CONCLUSION_LABEL)
    scores = [2 * len(FIGURE.findall(s)) + len(OUTCOME.findall(s)) for s in chosen]
    best = sorted((n for n, score in enumerate(scores) if score), key=lambda n: -scores[n])[:3]
    return [chosen[n] for n in sorted(best)]


def patients(text: str) -> int | None:
    for pattern in _PATIENTS:
        if match := pattern.search(text):
            number = match.group(1).lower().replace(",", "")
            if number.isdigit():
                return int(number)
            return sum(_WORD_VALUE[part] for part in number.split("-"))
    return None

"""Inputs of dedupe_bench.py: records with known overlap, and labelled title pairs.

Everything is derived from the real samples in `../shared/samples/` (PubMed efetch, Europe PMC,
feeds, ClinicalTrials.gov v2, ICTRP). The records have the exact shape the parsers produce (the
key set of each source is taken from the parsed samples); what varies are the identifiers, the
first author, the dates and the title. A *study* is one paper or one trial; each study has one or
more records from different sources, and the plan keeps which records belong to which study (the
ground truth). Everything is deterministic for a given seed and size.

This is a helper module of the benchmark (imported by `dedupe_bench.py`), not a script.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etl.records import SourceRecord
from etl.sources import parser_for
from etl.works.titles import block_key, is_notice, title_key

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "samples"
SAMPLE_FILES = (  # (parser, folder, glob)
    ("pubmed", "pubmed-efetch", "*.xml"),
    ("europepmc", "europepmc", "*.json"),
    ("feed", "feeds", "*.xml"),
    ("ctgov", "ctgov-v2", "*.json"),
    ("ictrp", "ictrp", "*.xml"),
)
YEARS = range(2016, 2026)
PMID_BASE = 70_000_000
NCT_BASE = 90_000_000
CHICTR_BASE = 2_390_000_000
TRIAL_STUDY_BASE = 10_000_000  # trial study ids start here, so they never equal a paper's
MIN_TITLE_WORDS = 5  # "Reply." and "Editorial." are not what a title matcher is for

# --- title variants: the same title as another source writes it ---

# fmt: off
US_UK = {
    "tumor": "tumour", "tumors": "tumours", "randomized": "randomised",
    "hematologic": "haematologic", "hematological": "haematological",
    "esophageal": "oesophageal", "pediatric": "paediatric", "leukemia": "leukaemia",
    "estrogen": "oestrogen", "center": "centre", "behavior": "behaviour",
    "favorable": "favourable", "characterization": "characterisation", "anemia": "anaemia",
    "localized": "localised", "hemorrhage": "haemorrhage", "tumorigenesis": "tumourigenesis",
    "hematopoietic": "haematopoietic", "utilization": "utilisation",
    "optimization": "optimisation", "organization": "organisation", "analyze": "analyse",
}
# fmt: on
UK_US = {uk: us for us, uk in US_UK.items()}
_SPELLING = re.compile(
    r"\b(" + "|".join(sorted({*US_UK, *UK_US}, key=len, reverse=True)) + r")\b", re.I
)
_ENTITIES = (
    ("’", "&#8217;"),
    ("'", "&#39;"),
    ("&", "&amp;"),
    ("–", "&#8211;"),
    ("β", "&#946;"),
    ("α", "&#945;"),
    ("γ", "&#947;"),
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]{3,}")
_HYPHENATED = re.compile(r"\b(\w+)-(\w+)\b")
_GENE_HYPHEN = re.compile(r"\b([A-Z][A-Za-z]{0,5})-(\d{1,3})\b")  # PD-1, HER-2, IL-6, COVID-19


def _respell(match: re.Match[str]) -> str:
    word = match[0]
    other = US_UK.get(word.lower()) or UK_US[word.lower()]
    if word.isupper():
        return other.upper()
    return other[0].upper() + other[1:] if word[0].isupper() else other


def v_punctuation(title: str, rng: random.Random) -> str | None:
    options = []
    if "," in title:
        options.append(lambda t: t.replace(",", ""))
    if _HYPHENATED.search(title):
        options.append(lambda t: _HYPHENATED.sub(r"\1 \2", t))
    if _GENE_HYPHEN.search(title):  # "PD-1" / "PD1": both spellings are common
        options.append(lambda t: _GENE_HYPHEN.sub(r"\1\2", t, count=1))
    if not options:
        words = title.split(" ")
        options.append(lambda t: " ".join(words[:3]) + ", " + " ".join(words[3:]))
    return rng.choice(options)(title)


def v_case(title: str, rng: random.Random) -> str | None:
    style = rng.choice(("upper", "lower", "title"))
    if style == "title":
        return " ".join(w[:1].upper() + w[1:].lower() for w in title.split(" "))
    return title.upper() if style == "upper" else title.lower()


def v_spacing(title: str, rng: random.Random) -> str | None:
    words = title.split(" ")
    for i in rng.sample(range(len(words) - 1), k=min(3, len(words) - 1)):
        words[i] += " "
    return " ".join(words).replace(": ", " : ").replace(", ", " , ")


def v_brackets(title: str, rng: random.Random) -> str | None:
    """PubMed's way of marking a translated title."""
    return f"[{title.rstrip('.')}]."


def v_period(title: str, rng: random.Random) -> str | None:
    return title[:-1] if title.endswith(".") else title + "."


def v_entity(title: str, rng: random.Random) -> str | None:
    """A character left as an HTML entity by a feed that escaped its titles twice."""
    for char, entity in _ENTITIES:
        if char in title:
            return title.replace(char, entity, 1)
    words = title.split(" ")
    i = rng.randrange(1, len(words) - 1)
    return " ".join(words[:i]) + "&nbsp;" + " ".join(words[i:])


def v_markup(title: str, rng: random.Random) -> str | None:
    """Italics left in as tags (`&lt;i&gt;` in a feed, unescaped once by the parser)."""
    words = _WORD.findall(title)
    if not words:
        return None
    word = max(words, key=lambda w: (any(c.isdigit() or c.isupper() for c in w[1:]), len(w)))
    return title.replace(word, f"<i>{word}</i>", 1)


def v_spelling(title: str, rng: random.Random) -> str | None:
    """British and American spelling of one word."""
    return _SPELLING.sub(_respell, title, count=1) if _SPELLING.search(title) else None


def v_subtitle(title: str, rng: random.Random) -> str | None:
    if ": " not in title:
        return None
    return title.replace(": ", rng.choice((" - ", ". ", " — ", " – ")), 1)


_GREEK_NAMES = {"α": "alpha", "β": "beta", "γ": "gamma", "κ": "kappa"}
_VERSUS = re.compile(r"\bvs\.?(?=\s)|\bversus\b")
_PLURAL = re.compile(r"\b([a-z]{4,}[^s\W])s\b")


def v_wording(title: str, rng: random.Random) -> str | None:
    """What sources write otherwise without changing the study (not in the records' mix): a Greek
    letter spelt out, "vs" or "versus", "&" for "and", one plural as singular."""
    options = []
    if any(g in title for g in _GREEK_NAMES):
        options.append(lambda t: re.sub("[αβγκ]", lambda m: _GREEK_NAMES[m[0]], t, count=1))
    if _VERSUS.search(title):
        options.append(
            lambda t: _VERSUS.sub(lambda m: "vs" if m[0] == "versus" else "versus", t, 1)
        )
    if " and " in title:
        options.append(lambda t: t.replace(" and ", " & ", 1))
    if _PLURAL.search(title):
        options.append(lambda t: _PLURAL.sub(r"\1", t, count=1))
    return rng.choice(options)(title) if options else None


def v_combined(title: str, rng: random.Random) -> str | None:
    first, second = rng.sample((v_case, v_period, v_spacing, v_punctuation, v_brackets), 2)
    return second(first(title, rng) or title, rng)


POSITIVE_VARIANTS: dict[str, Callable[[str, random.Random], str | None]] = {
    "punctuation": v_punctuation,
    "case": v_case,
    "spacing": v_spacing,
    "[brackets].": v_brackets,
    "trailing period": v_period,
    "HTML entity": v_entity,
    "markup left in (<i>)": v_markup,
    "British/American spelling": v_spelling,
    "subtitle separator": v_subtitle,
    "two of the above": v_combined,
    "other wording (Greek letter, vs, &, plural)": v_wording,
}
# How often another source's copy of a title differs, and how (weights): used for the records.
RECORD_VARIANTS = {
    "identical": 40,
    "punctuation": 8,
    "case": 8,
    "spacing": 6,
    "[brackets].": 4,
    "trailing period": 12,
    "HTML entity": 5,
    "markup left in (<i>)": 2,
    "British/American spelling": 4,
    "subtitle separator": 6,
    "two of the above": 5,
}


def title_variant(name: str, title: str, rng: random.Random) -> str:
    if name == "identical":
        return title
    return POSITIVE_VARIANTS[name](title, rng) or title


# --- hard negatives: two studies whose titles are nearly the same ---

# fmt: off
CANCERS = (
    "breast", "lung", "colorectal", "gastric", "ovarian", "prostate", "pancreatic", "bladder",
    "cervical", "endometrial", "renal", "thyroid", "hepatocellular", "esophageal", "oral",
    "nasopharyngeal", "colon", "rectal", "liver",
)
# fmt: on
_CANCER = re.compile(r"\b(" + "|".join(CANCERS) + r")\b", re.I)
DRUGS = (
    ("cisplatin", "carboplatin", "oxaliplatin"),
    ("pembrolizumab", "nivolumab", "atezolizumab", "durvalumab"),
    ("gefitinib", "erlotinib", "osimertinib", "afatinib"),
    ("docetaxel", "paclitaxel"),
    ("trastuzumab", "pertuzumab"),
    ("sorafenib", "lenvatinib", "regorafenib"),
    ("imatinib", "dasatinib", "nilotinib"),
    ("bevacizumab", "ramucirumab"),
)
_DRUG = re.compile(r"\b(" + "|".join(d for group in DRUGS for d in group) + r")\b", re.I)
_PHASE = re.compile(r"\b(phase[\s-]?)(iii|ii|i|[1-3])\b", re.I)
_PHASE_SWAP = {"i": "II", "ii": "III", "iii": "II", "1": "2", "2": "3", "3": "2"}
_LINE = re.compile(r"\b(first|second)-line\b", re.I)


def _swap_from(word: str, choices: tuple[str, ...], rng: random.Random) -> str:
    other = rng.choice([c for c in choices if c != word.lower()])
    return other.capitalize() if word[0].isupper() else other


def n_part(title: str, rng: random.Random) -> tuple[str, str]:
    """A follow-up in parts."""
    base = title.rstrip(".")
    if rng.random() < 0.5:
        return f"{base}: Part I", f"{base}: Part II"
    return title, f"{base}. Part 2"


def n_phase(title: str, rng: random.Random) -> tuple[str, str]:
    """The same drug in another phase."""
    match = _PHASE.search(title)
    if match:
        other = f"{match[1]}{_PHASE_SWAP[match[2].lower()]}"
        return title, title[: match.start()] + other + title[match.end() :]
    base = title.rstrip(".")
    return f"{base}: a phase 2 trial", f"{base}: a phase 3 trial"


def n_phase_ab(title: str, rng: random.Random) -> tuple[str, str]:
    """Phase 1a and phase 1b reports of one programme (the letters are not numbers)."""
    base = title.rstrip(".")
    return f"{base}: results of the phase 1a part", f"{base}: results of the phase 1b part"


def n_line(title: str, rng: random.Random) -> tuple[str, str]:
    """First-line against second-line use (ordinals in words are not numbers either)."""
    match = _LINE.search(title)
    if match:
        other = "second" if match[1].lower() == "first" else "first"
        other = other.capitalize() if match[1][0].isupper() else other
        return title, title[: match.start(1)] + other + title[match.end(1) :]
    base = title.rstrip(".")
    return f"{base} as first-line treatment", f"{base} as second-line treatment"


def n_cancer(title: str, rng: random.Random) -> tuple[str, str] | None:
    """The same template title for another cancer type."""
    match = _CANCER.search(title)
    if not match:
        return None
    other = _swap_from(match[1], CANCERS, rng)
    return title, title[: match.start()] + other + title[match.end() :]


def n_drug(title: str, rng: random.Random) -> tuple[str, str]:
    """The same template title for another drug of the same class."""
    match = _DRUG.search(title)
    if match:
        group = next(g for g in DRUGS if match[1].lower() in g)
        return title, title[: match.start()] + _swap_from(match[1], group, rng) + title[
            match.end() :
        ]
    first, second = rng.sample(rng.choice(DRUGS), 2)
    base = title.rstrip(".")
    return f"{base} in patients treated with {first}", f"{base} in patients treated with {second}"


# Words of another study in the same template title, beyond cancer types and drugs.
OTHER_WORDS = ("melanoma", "myeloma", "sarcoma", "glioma", "lymphoma", "hypoxia", "fibrosis",
               "apoptosis", "autophagy", "migration", "invasion", "angiogenesis", "senescence",
               "children", "adults", "women", "mice", "rats", "vitro", "vivo")  # fmt: skip
_OTHER = re.compile(r"\b(positive|negative|vitro|vivo|mice|rats|children|adults|men|women)\b")
_SWAPS = {"positive": "negative", "negative": "positive", "vitro": "vivo", "vivo": "vitro",
          "mice": "rats", "rats": "mice", "children": "adults", "adults": "children",
          "men": "women", "women": "men"}  # fmt: skip
_CONTENT = re.compile(r"\b[a-z]{6,}\b")


def n_word(title: str, rng: random.Random) -> tuple[str, str] | None:
    """One other content word: an opposite where the title has one ("in vitro" / "in vivo",
    "positive" / "negative"), else a long lower-case word replaced by an unrelated one."""
    match = _OTHER.search(title)
    if match:
        return title, title[: match.start()] + _SWAPS[match[1]] + title[match.end() :]
    words = [w for w in _CONTENT.findall(title) if w not in OTHER_WORDS]
    if not words:
        return None
    word = rng.choice(words)
    other = rng.choice([w for w in OTHER_WORDS if w[:3] != word[:3]])
    return title, re.sub(rf"\b{word}\b", other, title, count=1)


HARD_NEGATIVES: dict[str, Callable[[str, random.Random], tuple[str, str] | None]] = {
    "follow-up (Part I / Part II)": n_part,
    "phase 2 vs phase 3": n_phase,
    "phase 1a vs phase 1b": n_phase_ab,
    "first-line vs second-line": n_line,
    "another cancer type": n_cancer,
    "another drug": n_drug,
}
# Hard negatives of the labelled pairs only (the records' plan keeps the six kinds above).
PAIR_NEGATIVES = {**HARD_NEGATIVES, "another content word": n_word}


# --- the samples ---


@dataclass
class Samples:
    """Parsed sample records: paper templates, trial templates, shapes and raw bytes per source."""

    papers: list[dict[str, Any]]
    ctgov: list[dict[str, Any]]
    ictrp_nct: list[dict[str, Any]]
    ictrp_other: list[dict[str, Any]]
    shapes: dict[str, dict[str, Any]]  # source -> a sample record (key order and defaults)
    raws: dict[str, list[bytes]]
    authors: list[str]  # every author name of every sample paper, repeats kept: the frequencies


def load_samples(folder: Path = SAMPLES) -> Samples:
    by_source: dict[str, list[SourceRecord]] = {}
    for parser, sub, pattern in SAMPLE_FILES:
        for path in sorted((folder / sub).glob(pattern)):
            for item in parser_for(parser)(path):
                if isinstance(item, SourceRecord) and not item.deleted:
                    by_source.setdefault(item.source, []).append(item)
    if not by_source.get("pubmed"):
        raise SystemExit(f"no samples found in {folder}")
    papers, seen, authors = [], set(), []
    for source in ("pubmed", "europepmc", "feed"):
        for record in by_source[source]:
            data = record.data
            authors.extend(data.get("authors") or [])
            key = title_key(data["title"])
            if (
                len(key.split()) < MIN_TITLE_WORDS
                or key in seen
                or data.get("preprint")
                or block_key(data) is None
                or is_notice(data)
            ):
                continue
            seen.add(key)
            papers.append(data)
    ictrp = [r.data for r in by_source["ictrp"]]
    preprint = next(r.data for r in by_source["europepmc"] if r.data.get("preprint"))
    return Samples(
        papers=papers,
        ctgov=[r.data for r in by_source["ctgov"]],
        ictrp_nct=[d for d in ictrp if d["source_id"].startswith("NCT")],
        ictrp_other=[d for d in ictrp if d["source_id"].startswith("ChiCTR")],
        shapes={**{s: rs[0].data for s, rs in by_source.items()}, "preprint": preprint},
        raws={s: [r.raw for r in rs] for s, rs in by_source.items()},
        authors=[a for a in authors if _surname(a)],
    )


def _surname(name: str) -> str:
    words = re.findall(r"\w+", name.lower())
    return words[-1] if words else ""


# --- the plan: studies and their records ---

# Paper patterns: (name, weight, roles of the records). A role is what one source says.
PAPER_PATTERNS = (
    ("PubMed only", 50, ("pubmed",)),
    ("PubMed + Europe PMC (same PMID)", 16, ("pubmed", "epmc")),
    ("PubMed + Europe PMC + feed (same DOI)", 8, ("pubmed", "epmc", "feed_doi")),
    ("Europe PMC only", 5, ("epmc",)),
    ("feed only", 3, ("feed_doi",)),
    ("preprint + paper, same year", 4, ("pubmed", "preprint")),
    ("preprint + paper, preprint a year earlier", 3, ("pubmed", "preprint")),
    ("title only: feed without DOI, same year + first author", 5, ("pubmed", "feed_nodoi")),
    ("title only: online in December, issue in January", 1, ("pubmed", "feed_nodoi")),
    ("hard negative: sibling study, same first author + year", 4, ("pubmed",)),
    ("correction notice of a study", 1, ("pubmed",)),
)
TRIAL_PATTERNS = (
    ("CT.gov only", 60, ("ctgov",)),
    ("CT.gov + ICTRP copy (same NCT id)", 15, ("ctgov", "ictrp_nct")),
    ("CT.gov + ChiCTR naming the NCT id", 7, ("ctgov", "ictrp_chictr")),
    ("CT.gov + ChiCTR, each naming the other", 3, ("ctgov", "ictrp_chictr")),
    ("ChiCTR only", 15, ("ictrp_chictr",)),
)
SOURCE_OF = {
    "pubmed": "pubmed",
    "notice": "pubmed",
    "epmc": "europepmc",
    "preprint": "europepmc",
    "feed_doi": "feed",
    "feed_nodoi": "feed",
    "ctgov": "ctgov",
    "ictrp_nct": "ictrp",
    "ictrp_chictr": "ictrp",
}
NOTICE_PREFIXES = ("Correction: ", "Erratum: ", "Corrigendum to ")


@dataclass(slots=True)
class Study:
    """One paper or trial, and what each of its records says (role, title variant)."""

    id: int
    pattern: str
    template: int
    title: str
    author: str  # the first author
    year: int
    month: int
    day: int
    records: list[tuple[str, str]] = field(default_factory=list)  # (role, title variant)
    partner: int | None = None  # the study a sibling or notice is close to
    trial_link: int | None = None  # a trial study this paper names (a link, never a merge)


@dataclass
class Plan:
    studies: list[Study]
    by_id: dict[int, Study]
    order: list[tuple[str, list[tuple[int, int]]]]  # batches: (source, [(study id, record #)])

    @property
    def records(self) -> int:
        return sum(len(batch) for _, batch in self.order)


def make_plan(
    samples: Samples, papers: int, trials: int, seed: int = 20261124, batch_size: int = 500
) -> Plan:
    """Studies until there are exactly `papers` paper records and `trials` trial records, and the
    order in which to load them: batches of one source each, interleaved across sources."""
    rng = random.Random(seed)
    studies: list[Study] = []
    used: set[tuple[str, int, str]] = set()  # (title key, year, surname): distinct studies differ
    weights = [w for _, w, _ in PAPER_PATTERNS]
    count = 0
    while count < papers:
        pattern, _, roles = rng.choices(PAPER_PATTERNS, weights)[0]
        made = _paper_study(samples, rng, len(studies), pattern, roles, used)
        studies.extend(made)
        count += sum(len(s.records) for s in made)
    _trim(studies, count - papers)
    trial_studies: list[Study] = []
    weights = [w for _, w, _ in TRIAL_PATTERNS]
    count = 0
    while count < trials:
        pattern, _, roles = rng.choices(TRIAL_PATTERNS, weights)[0]
        study = _trial_study(samples, rng, TRIAL_STUDY_BASE + len(trial_studies), pattern, roles)
        trial_studies.append(study)
        count += len(study.records)
    _trim(trial_studies, count - trials)
    for study in rng.sample(studies, k=len(studies) // 30):  # papers that name a trial
        if study.pattern.startswith("PubMed") and trial_studies:
            study.trial_link = rng.choice(trial_studies).id
    everything = studies + trial_studies
    return Plan(everything, {s.id: s for s in everything}, _order(everything, rng, batch_size))


def _trim(studies: list[Study], extra: int) -> None:
    while extra > 0:
        last = studies[-1]
        if len(last.records) > extra:
            del last.records[len(last.records) - extra :]
            return
        extra -= len(last.records)
        studies.pop()


def _paper_study(
    samples: Samples,
    rng: random.Random,
    next_id: int,
    pattern: str,
    roles: tuple[str, ...],
    used: set[tuple[str, int, str]],
) -> list[Study]:
    def fresh(
        study_id: int,
        title: str,
        author: str | None = None,
        year: int | None = None,
        template: int | None = None,
    ) -> Study:
        template = rng.randrange(len(samples.papers)) if template is None else template
        # Two studies never share title, first author's surname and year: real papers with one
        # title are one paper. A study's preprint or online date may fall in the year before.
        for _ in range(100):
            who = author or rng.choice(samples.authors)
            when = year or rng.choice(YEARS)
            keys = {(title_key(title), y, _surname(who)) for y in (when - 1, when)}
            if not keys & used:
                used.update(keys)
                break
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        return Study(study_id, pattern, template, title, who, when, month, day)

    template = rng.randrange(len(samples.papers))
    title = samples.papers[template]["title"]
    if pattern.startswith("hard negative"):
        kind = rng.choice(list(HARD_NEGATIVES))  # then a title it applies to
        while not (pair := HARD_NEGATIVES[kind](title, rng)):
            template = rng.randrange(len(samples.papers))
            title = samples.papers[template]["title"]
        first = fresh(next_id, pair[0], template=template)
        second = fresh(next_id + 1, pair[1], first.author, first.year, template)
        first.pattern = second.pattern = f"hard negative: {kind}"
        first.records = [("pubmed", "identical")]
        second.records = [("pubmed", "identical")]
        first.partner, second.partner = second.id, first.id
        return [first, second]
    study = fresh(next_id, title, template=template)
    names, variant_weights = list(RECORD_VARIANTS), list(RECORD_VARIANTS.values())
    study.records = [(roles[0], "identical")]
    study.records += [(r, rng.choices(names, variant_weights)[0]) for r in roles[1:]]
    if pattern.startswith("title only: online in December"):
        study.month = 1
    if not pattern.startswith("correction"):
        return [study]
    notice = Study(
        next_id + 1,
        "correction notice (its own study)",
        template,
        rng.choice(NOTICE_PREFIXES) + title,
        study.author if rng.random() < 0.5 else "",
        study.year,
        study.month,
        study.day,
        [("notice", "identical")],
        study.id,
    )
    study.pattern = "paper with a correction notice"
    study.partner = notice.id
    return [study, notice]


def _trial_study(
    samples: Samples, rng: random.Random, study_id: int, pattern: str, roles: tuple[str, ...]
) -> Study:
    pool = samples.ctgov if roles[0] == "ctgov" else samples.ictrp_other
    template = rng.randrange(len(pool))
    study = Study(
        study_id,
        pattern,
        template,
        pool[template]["title"],
        "",
        rng.choice(YEARS),
        rng.randint(1, 12),
        rng.randint(1, 28),
    )
    study.records = [(role, "identical") for role in roles]
    return study


def _order(
    studies: list[Study], rng: random.Random, batch_size: int
) -> list[tuple[str, list[tuple[int, int]]]]:
    """Each source's records shuffled and cut into batches; the batches of all sources are then
    interleaved evenly, as crawls of several sources running side by side would store them."""
    by_source: dict[str, list[tuple[int, int]]] = {}
    for study in studies:
        for index, (role, _) in enumerate(study.records):
            by_source.setdefault(SOURCE_OF[role], []).append((study.id, index))
    batches = []
    for source, items in sorted(by_source.items()):
        rng.shuffle(items)
        cut = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
        batches += [((k + 0.5) / len(cut), source, batch) for k, batch in enumerate(cut)]
    batches.sort(key=lambda b: (b[0], b[1]))
    return [(source, batch) for _, source, batch in batches]


# --- records ---


def pmid(study: Study) -> str:
    return str(PMID_BASE + study.id)


def doi(study: Study) -> str:
    return f"10.5555/mscbench.{study.id}"


def nct(study: Study) -> str:
    return f"NCT{NCT_BASE + study.id - TRIAL_STUDY_BASE:08d}"


def chictr(study: Study) -> str:
    return f"ChiCTR{CHICTR_BASE + study.id - TRIAL_STUDY_BASE}"


def ground_truth(plan: Plan) -> dict[tuple[str, str], int]:
    """(source, source_id) -> study id, for every record of the plan."""
    truth = {}
    for study in plan.studies:
        for index in range(len(study.records)):
            data = record_data(None, plan, study, index)
            truth[(data["source"], data["source_id"])] = study.id
    return truth


def batches(samples: Samples, plan: Plan) -> Iterator[list[SourceRecord]]:
    """The plan's records, one batch at a time (built when asked for, so memory stays flat)."""
    for source, items in plan.order:
        raws = samples.raws[source]
        yield [
            SourceRecord(
                record_data(samples, plan, plan.by_id[sid], index),
                raws[(sid + index) % len(raws)],
                f"bench:{source}",
            )
            for sid, index in items
        ]


def record_data(samples: Samples | None, plan: Plan, study: Study, index: int) -> dict[str, Any]:
    """The parsed-record JSON of one record of a study. Without `samples`, only the keys that
    identify the record (source, source_id) are filled: that is what the ground truth needs."""
    role, variant = study.records[index]
    rng = random.Random(study.id * 16 + index)
    ident = _identity(plan, study, role)
    if samples is None:
        return ident
    if role in ("ctgov", "ictrp_nct", "ictrp_chictr"):
        return _trial(samples, plan, study, role, ident)
    template = samples.papers[study.template]
    shape = samples.shapes["preprint" if role == "preprint" else ident["source"]]
    data = {key: template.get(key, value) for key, value in shape.items()}
    authors = [study.author, *(a for a in template.get("authors") or [] if a != study.author)]
    date = f"{study.year}-{study.month:02d}-{study.day:02d}"
    data |= ident
    data |= {
        "kind": "paper",
        "deleted": False,
        "title": title_variant(variant, study.title, rng),
        "authors": authors,
        "published": f"{study.year}-{study.month:02d}",
        "epublished": date,
        "created": date,
        "revised": date,
        "corrections": [],
        "retracted": False,
    }
    if ident["source"] == "europepmc":
        data |= {
            "preprint": False,
            "preprint_server": None,
            "published_version": None,
            "preprints": [],
        }
    if study.pattern.startswith("title only: online in December"):
        data["epublished"] = f"{study.year - 1}-12-{study.day:02d}"
    if role == "pubmed" and study.trial_link is not None:
        data["identifiers"]["registry_ids"] = [nct(plan.by_id[study.trial_link])]
    elif role == "notice":
        data["publication_types"] = ["Published Erratum"]
        data["corrections"] = [
            {"type": "ErratumFor", "pmid": pmid(plan.by_id[study.partner]), "ref": study.title}
        ]
        data["authors"] = [study.author] if study.author else []
    elif role == "preprint":
        _preprint(data, study)
    elif role.startswith("feed"):
        data["published"] = data["epublished"]  # feeds give the online date
    return data


def _identity(plan: Plan, study: Study, role: str) -> dict[str, Any]:
    """source, source_id and identifiers of one record."""
    if role in ("pubmed", "notice"):
        ids = {"pmid": pmid(study), "doi": doi(study), "pmcid": None, "pii": None}
        return {"source": "pubmed", "source_id": pmid(study), "identifiers": ids | _no_trials()}
    if role == "epmc":
        # Some Europe PMC results carry no DOI (61 of the 1,051 sample results): then the feed's
        # DOI and Europe PMC's PMID found two works, and the PubMed record that has both joins them.
        has_doi = study.id % 8 != 3
        ids = {"pmid": pmid(study), "doi": doi(study) if has_doi else None, "pmcid": None,
               "pii": None, "ppr": None}  # fmt: skip
        return {
            "source": "europepmc",
            "source_id": f"MED:{pmid(study)}",
            "identifiers": ids | _no_trials(),
        }
    if role == "preprint":
        ppr = f"PPR{9_000_000 + study.id}"
        ids = {
            "pmid": None,
            "doi": f"10.1101/{study.year}.bench.{study.id}",
            "pmcid": None,
            "pii": None,
            "ppr": ppr,
        }
        return {"source": "europepmc", "source_id": f"PPR:{ppr}", "identifiers": ids | _no_trials()}
    if role in ("feed_doi", "feed_nodoi"):
        with_doi = role == "feed_doi"
        ids = {"pmid": None, "doi": doi(study) if with_doi else None, "pmcid": None, "pii": None}
        key = doi(study) if with_doi else f"https://journal.example/articles/{study.id}"
        return {
            "source": "feed",
            "source_id": f"bench-feed:{key}",
            "url": key,
            "identifiers": ids | _no_trials(),
        }
    if role == "ctgov":
        return {"source": "ctgov", "source_id": nct(study)}
    if role == "ictrp_nct":
        return {"source": "ictrp", "source_id": nct(study)}
    return {"source": "ictrp", "source_id": chictr(study)}


def _no_trials() -> dict[str, Any]:
    return {"registry_ids": []}


def _preprint(data: dict[str, Any], study: Study) -> None:
    earlier = study.pattern.endswith("a year earlier")
    year = study.year - 1 if earlier else study.year
    month = study.month if earlier else max(1, study.month - 3)
    server = "medRxiv" if study.id % 3 == 0 else "bioRxiv"
    data |= {
        "journal": server,
        "journal_abbrev": None,
        "published": f"{year}-{month:02d}-{study.day:02d}",
        "epublished": None,
        "created": f"{year}-{month:02d}-{study.day:02d}",
        "publication_types": ["preprint"],
        "mesh_terms": [],
        "preprint": True,
        "preprint_server": server,
        "published_version": {
            "source_id": f"MED:{pmid(study)}",
            "pmid": pmid(study),
            "pmcid": None,
            "doi": None,
            "note": None,
        },
    }


def _trial(
    samples: Samples, plan: Plan, study: Study, role: str, ident: dict[str, Any]
) -> dict[str, Any]:
    own_nct, own_chictr = nct(study), chictr(study)
    if role == "ctgov":
        template = samples.ctgov[study.template]
        registry = [own_nct]
        if study.pattern.endswith("each naming the other"):
            registry.append(own_chictr)
        ids = {
            "nct": own_nct,
            "org_study_id": f"BENCH-{study.id}",
            "registry_ids": registry,
            "secondary_ids": [],
        }
    elif role == "ictrp_nct":
        template = samples.ictrp_nct[study.id % len(samples.ictrp_nct)]
        ids = {"nct": own_nct, "org_study_id": None, "registry_ids": [own_nct], "secondary_ids": []}
    else:
        pool = samples.ictrp_other
        template = pool[study.template if study.pattern == "ChiCTR only" else study.id % len(pool)]
        named = [own_nct] if study.pattern.startswith("CT.gov") else []
        ids = {
            "nct": named[0] if named else None,
            "org_study_id": None,
            "registry_ids": [own_chictr, *named],
            "secondary_ids": [],
        }
    date = f"{study.year}-{study.month:02d}-{study.day:02d}"
    data = dict(template)
    data |= ident
    data |= {
        "identifiers": ids,
        "title": study.title if role == "ctgov" else template["title"],
        "first_posted": date,
        "start_date": date,
        "published": date,
    }
    return data


# --- the labelled title pairs ---


@dataclass(frozen=True)
class Pair:
    """Two records' data (only what the title rule reads) and whether they are one paper."""

    category: str
    same: bool
    a: dict[str, Any]
    b: dict[str, Any]


def labelled_pairs(samples: Samples, per_category: int = 30, seed: int = 7) -> list[Pair]:
    """Positives (one title as two sources write it) and hard negatives (two papers), built from
    the sample titles; `per_category` pairs of each kind when enough titles allow it."""
    rng = random.Random(seed)
    pool = list(samples.papers)
    rng.shuffle(pool)
    pairs: list[Pair] = []

    def slim(data: dict[str, Any], title: str, **changes: Any) -> dict[str, Any]:
        keep = ("kind", "published", "epublished", "authors", "publication_types", "corrections")
        return {"title": title, **{k: data.get(k) for k in keep}, **changes}

    for number, (name, make) in enumerate(POSITIVE_VARIANTS.items()):
        made = 0
        for data in pool[number * 97 :] + pool[: number * 97]:
            variant = make(data["title"], rng)
            if variant and variant != data["title"]:
                pairs.append(Pair(name, True, slim(data, data["title"]), slim(data, variant)))
                made += 1
            if made == per_category:
                break
    for number, (name, make_pair) in enumerate(PAIR_NEGATIVES.items()):
        made = 0
        for data in pool[number * 89 :] + pool[: number * 89]:
            titles = make_pair(data["title"], rng)
            if titles:
                a, b = titles
                pairs.append(Pair(name, False, slim(data, a), slim(data, b)))
                made += 1
            if made == per_category:
                break
    others = [a for a in samples.authors if not a.lower().endswith(" et al")]
    for data in pool[:per_category]:
        title = data["title"]
        notice = rng.choice(NOTICE_PREFIXES) + title
        pairs.append(Pair("correction notice", False, slim(data, title), slim(data, notice)))
    for data in pool[per_category : 2 * per_category]:
        year = int((data.get("published") or data.get("epublished"))[:4]) + rng.choice((-1, 1))
        b = slim(data, data["title"], published=f"{year}-06", epublished=None)
        pairs.append(Pair("same title, another year", False, slim(data, data["title"]), b))
    for data in pool[2 * per_category : 3 * per_category]:
        first = data["authors"][0]
        other = rng.choice([a for a in others if _surname(a) != _surname(first)])
        b = slim(data, data["title"], authors=[other, *data["authors"][1:]])
        pairs.append(Pair("same title, another first author", False, slim(data, data["title"]), b))
    return pairs

"""Citations of studies for reference managers: RIS (Zotero, EndNote, Mendeley), BibTeX and
CSL-JSON (Zotero, Pandoc, citeproc), from one record each. Plain functions over record data.

Every format is written by a library that knows its rules (rispy for RIS, bibtexparser with
pylatexenc's encoder for BibTeX's special characters, the json module for CSL-JSON, whose
schema is plain JSON), so a title with `&`, `%`, braces or Chinese characters arrives in the
reference manager as the characters it holds. Each citation carries authors, title, journal,
year, DOI, PMID and PMCID where the record has them, the study page's address, and an
open-access link (the PMC full text, or the preprint server's record) where there is one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import rispy
from bibtexparser.entrypoint import write_string
from bibtexparser.library import Library
from bibtexparser.model import Entry, Field
from pylatexenc.latexencode import RULE_DICT, UnicodeToLatexConversionRule, UnicodeToLatexEncoder

from etl.digest.view import journal_name, trial_identifier
from etl.studies.timeline import source_url

# The three formats: file suffix → (content type, what the download is).
FORMATS = {
    "ris": "application/x-research-info-systems; charset=utf-8",
    "bib": "application/x-bibtex; charset=utf-8",
    "json": "application/vnd.citationstyles.csl+json; charset=utf-8",
}
# Words that make a display name a group's name, cited as written rather than split.
_GROUP = re.compile(
    r"\b(?:group|consortium|committee|network|investigators|collaborative|society|team|"
    r"alliance|association|trialists)\b",
    re.I,
)
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "2nd", "3rd"})
# BibTeX files are UTF-8 (biber, Zotero, JabRef, EndNote read them so): only the characters
# LaTeX gives a meaning are escaped, so a Chinese title or a superscript "10⁶" stays as written.
_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
    "#": r"\#", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
}  # fmt: skip
_LATEX = UnicodeToLatexEncoder(
    conversion_rules=[
        UnicodeToLatexConversionRule(RULE_DICT, {ord(k): v for k, v in _SPECIAL.items()})
    ],
    unknown_char_policy="keep",
    unknown_char_warning=False,
)


@dataclass(frozen=True)
class Cited:
    """One study as citations need it: its record, its slug and its page's address."""

    data: dict[str, Any]
    slug: str
    page: str  # the study page's absolute (or site-relative) address


@dataclass(frozen=True)
class Name:
    family: str
    given: str = ""
    suffix: str = ""
    literal: str = ""  # a group author, cited as written


def split_name(display: str) -> Name:
    """A display name ("Wei Zhang", "John A Smith Jr", "MS Lee") as family and given names:
    records write given names first, family name last, a suffix after it."""
    words = display.split()
    if not words:
        return Name("")
    if len(words) == 1 or _GROUP.search(display):
        return Name("", literal=display)
    suffix = ""
    if words[-1].lower() in _SUFFIXES and len(words) > 2:
        suffix = words.pop()
    return Name(words[-1], " ".join(words[:-1]), suffix)


def open_access_url(data: dict[str, Any]) -> str | None:
    """A free full text: the PMC article, else a preprint's record at its source."""
    ids = data.get("identifiers") or {}
    if ids.get("pmcid"):
        return f"https://pmc.ncbi.nlm.nih.gov/articles/{ids['pmcid']}/"
    if data.get("preprint"):
        return source_url(data.get("source", ""), data)
    return None


def _title(data: dict[str, Any]) -> str:
    title = " ".join(str(data.get("title") or "").split())
    if title.startswith("[") and title.endswith("]."):
        title = title[1:-2]
    return title.rstrip(".") if not title.endswith("..") else title


_DATES = ("published", "epublished", "created")


def _date_parts(data: dict[str, Any]) -> list[int]:
    """The date a reference manager files the item under: a paper's publication, a trial's
    first posting (a registry record's "published" is its start date)."""
    keys = ("first_posted", "published") if data.get("kind") == "trial" else _DATES
    for key in keys:
        value = str(data.get(key) or "")
        if value[:4].isdigit():
            return [int(p) for p in value.split("-")[:3] if p.isdigit()]
    return []


def _container(data: dict[str, Any]) -> str:
    if data.get("kind") == "trial":
        return "ClinicalTrials.gov" if data.get("source") == "ctgov" else "WHO ICTRP"
    if data.get("preprint"):
        return str(data.get("preprint_server") or data.get("journal") or "")
    return journal_name(data, "en")


def _trial_url(data: dict[str, Any]) -> str | None:
    return source_url(data.get("source", ""), data)


def csl_item(cited: Cited) -> dict[str, Any]:
    """One CSL-JSON item (CSL 1.0.2 variables)."""
    data = cited.data
    ids = data.get("identifiers") or {}
    trial = data.get("kind") == "trial"
    item: dict[str, Any] = {
        "id": cited.slug,
        "type": "webpage" if trial else "article" if data.get("preprint") else "article-journal",
        "title": _title(data),
        "container-title": _container(data),
    }
    names = [split_name(a) for a in data.get("authors") or []]
    authors = [
        {"literal": n.literal}
        if n.literal
        else {
            k: v for k, v in (("family", n.family), ("given", n.given), ("suffix", n.suffix)) if v
        }
        for n in names
        if n.literal or n.family
    ]
    if authors:
        item["author"] = authors
    elif trial and data.get("sponsor"):
        item["author"] = [{"literal": data["sponsor"]}]
    parts = _date_parts(data)
    if parts:
        item["issued"] = {"date-parts": [parts]}
    if data.get("journal_abbrev") and not trial:
        item["container-title-short"] = data["journal_abbrev"]
    if ids.get("doi"):
        item["DOI"] = ids["doi"]
    if ids.get("pmid"):
        item["PMID"] = ids["pmid"]
    if ids.get("pmcid"):
        item["PMCID"] = ids["pmcid"]
    if trial:
        scheme, trial_id = trial_identifier(data)
        item["number"] = trial_id
        item["genre"] = "Clinical trial registration"
    item["URL"] = _trial_url(data) if trial else _link(data) or cited.page
    if data.get("abstract"):
        item["abstract"] = data["abstract"]
    language = {"eng": "en", "chi": "zh"}.get(str(data.get("language") or ""))
    if language:
        item["language"] = language
    note = [f"Study page: {cited.page}"]
    free = open_access_url(data)
    if free:
        note.append(f"Open access: {free}")
    item["note"] = "\n".join(note)
    return item


def _link(data: dict[str, Any]) -> str | None:
    ids = data.get("identifiers") or {}
    if ids.get("doi"):
        return f"https://doi.org/{ids['doi']}"
    return source_url(data.get("source", ""), data)


def csl_json(items: list[Cited]) -> str:
    return json.dumps([csl_item(c) for c in items], ensure_ascii=False, indent=2) + "\n"


def ris(items: list[Cited]) -> str:
    """RIS: JOUR for an article, a preprint as such (Zotero reads RIS type `PREPRINT` too old
    readers do not, so `JOUR` with the server as the journal, as EndNote does), `DBASE` for a
    registry record."""
    entries = []
    for cited in items:
        item = csl_item(cited)
        data = cited.data
        trial = data.get("kind") == "trial"
        entry: dict[str, Any] = {
            "type_of_reference": "DBASE" if trial else "JOUR",
            "title": item["title"],
        }
        authors = [_ris_name(a) for a in item.get("author", [])]
        if authors:
            entry["authors"] = authors
        if item.get("container-title"):
            key = "name_of_database" if trial else "journal_name"
            entry[key] = item["container-title"]
        if item.get("container-title-short"):
            entry["alternate_title1"] = item["container-title-short"]
        parts = _date_parts(data)
        if parts:
            entry["year"] = str(parts[0])
            entry["date"] = "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts))
        if item.get("DOI"):
            entry["doi"] = item["DOI"]
        if item.get("PMID"):
            entry["accession_number"] = item["PMID"]
            entry["database_provider"] = "PubMed"
        elif trial:
            entry["accession_number"] = item["number"]
        urls = [u for u in (item.get("URL"), open_access_url(data), cited.page) if u]
        entry["urls"] = list(dict.fromkeys(urls))
        if item.get("abstract"):
            entry["abstract"] = item["abstract"]
        notes = []
        if item.get("PMID"):
            notes.append(f"PMID: {item['PMID']}")
        if item.get("PMCID"):
            notes.append(f"PMCID: {item['PMCID']}")
        entry["notes"] = notes + item["note"].split("\n")
        if item.get("language"):
            entry["language"] = item["language"]
        entries.append(entry)
    text: str = rispy.dumps(entries, skip_unknown_tags=True, enforce_list_tags=False)
    return text


def _ris_name(author: dict[str, str]) -> str:
    if "literal" in author:
        return author["literal"]
    name = author["family"] + (", " + author["given"] if author.get("given") else "")
    return name + (", " + author["suffix"] if author.get("suffix") else "")


def bibtex(items: list[Cited]) -> str:
    """BibTeX: @article (a preprint @misc with the server, a registry record @misc with its
    id); text fields LaTeX-encoded (`&` → `\\&`), DOIs and addresses verbatim."""
    library = Library()
    for cited in items:
        item = csl_item(cited)
        data = cited.data
        article = item["type"] == "article-journal"
        fields = [Field("title", "{" + _latex(item["title"]) + "}")]
        authors = [_bib_name(a) for a in item.get("author", [])]
        if authors:
            fields.append(Field("author", " and ".join(authors)))
        if item.get("container-title"):
            key = "journal" if article else "howpublished"
            fields.append(Field(key, _latex(item["container-title"])))
        parts = _date_parts(data)
        if parts:
            fields.append(Field("year", str(parts[0])))
            if len(parts) > 1:
                fields.append(Field("month", str(parts[1])))
        for key, name in (("DOI", "doi"), ("PMID", "pmid"), ("PMCID", "pmcid")):
            if item.get(key):
                fields.append(Field(name, item[key]))
        if item.get("number"):
            fields.append(Field("number", item["number"]))
        fields.append(Field("url", item["URL"] or cited.page))
        free = open_access_url(data)
        if free:
            fields.append(Field("eprint", free))
        fields.append(Field("note", _latex(f"Study page: {cited.page}")))
        key = re.sub(r"[^a-z0-9]+", "_", cited.slug).strip("_")  # any BibTeX reader takes it
        library.add(Entry("article" if article else "misc", key, fields))
    text: str = write_string(library)
    return text


def _bib_name(author: dict[str, str]) -> str:
    if "literal" in author:
        return "{" + _latex(author["literal"]) + "}"
    name = _latex(author["family"])
    if author.get("suffix"):
        name += ", " + _latex(author["suffix"])
    return name + (", " + _latex(author["given"]) if author.get("given") else "")


def _latex(text: str) -> str:
    encoded: str = _LATEX.unicode_to_latex(text)
    return encoded


def export(fmt: str, items: list[Cited]) -> str:
    """The citations of `items` in one of FORMATS."""
    if fmt == "ris":
        return ris(items)
    if fmt == "bib":
        return bibtex(items)
    if fmt == "json":
        return csl_json(items)
    raise ValueError(f"no citation format {fmt!r} (one of {', '.join(FORMATS)})")

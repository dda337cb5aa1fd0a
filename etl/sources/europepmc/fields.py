"""One Europe PMC search result (as the JSON format holds it) -> the public paper record shape.

The record has the keys of a PubMed record, so the pipeline treats both alike, plus `preprint`,
`preprint_server`, `published_version` (a preprint's journal version) and `preprints` (a journal
article's preprints). `core` results carry much more than `lite` ones (abstract, MeSH, keywords,
affiliations, comment/correction links); any wrapper may be missing, and a list of one may come
as the bare object (XML does that), so every read goes through `values`. Only a result without its
Europe PMC key (`source` + `id`) is an error: without it the record has no identity.
"""

from __future__ import annotations

import re
from typing import Any

from etl.normalize.identifiers import (
    find_registry_ids,
    normalize_doi,
    normalize_pmcid,
    normalize_pmid,
    unique,
)
from etl.normalize.text import iso_date, squash
from etl.records import Correction, Identifiers, Preprint
from etl.sources.europepmc.links import (
    RETRACTED_LINKS,
    corrections,
    links_of,
    preprints,
    published_version,
)
from etl.sources.europepmc.markup import abstract_text, plain_text
from etl.sources.europepmc.values import date, items, listed, obj, text

SOURCE = "europepmc"
PREPRINT_SOURCE = "PPR"
MAX_AFFILIATIONS = 20  # as for PubMed: consortium papers list hundreds
RETRACTED_TYPE = "retracted publication"  # not "retraction of publication": that is the notice

_ISSUE_DATE = re.compile(r"(\d{4})(?:\s+([A-Za-z]+)(?:\s+(\d{1,2}))?)?")
_SURNAME_INITIALS = re.compile(r"^(.*\S)\s+([A-Z]{1,4})$")


class ParseError(ValueError):
    """A result that is well-formed but has no usable Europe PMC key."""


def paper_record(result: dict[str, Any]) -> Preprint:
    """The public record shape for one search result; ParseError without `source` and `id`."""
    source, ident = record_key(result)
    title = plain_text(text(result.get("title")))
    abstract = abstract_text(text(result.get("abstractText")))
    types = _publication_types(result)
    links = links_of(result)
    preprint = source == PREPRINT_SOURCE
    fixes = corrections(links)
    languages = unique(text(v).lower() for v in items(result.get("language")))
    return {
        "source": SOURCE,
        "source_id": f"{source}:{ident}",
        "kind": "paper",
        "deleted": False,
        "identifiers": _identifiers(result, source, ident, f"{title}\n{abstract}"),
        "title": title,
        "vernacular_title": None,
        "abstract": abstract,
        "journal": _journal(result, preprint),
        "journal_abbrev": _journal_abbrev(result),
        "published": _published(result),
        "epublished": date(result.get("electronicPublicationDate")),
        "created": date(result.get("firstIndexDate")) or date(result.get("firstPublicationDate")),
        "revised": date(result.get("dateOfRevision")),
        "status": None,
        "language": languages[0] if languages else None,
        "languages": languages,
        "publication_types": types,
        "mesh_terms": _mesh_terms(result),
        "keywords": unique(squash(text(k)) for k in listed(result, "keyword")),
        "authors": _authors(result),
        "affiliations": _affiliations(result),
        "retracted": _retracted(title, types, fixes),
        "corrections": fixes,
        "preprint": preprint,
        "preprint_server": _server(result) if preprint else None,
        "published_version": published_version(links) if preprint else None,
        "preprints": [] if preprint else preprints(links),
    }


def record_key(result: dict[str, Any]) -> tuple[str, str]:
    """(source, id) of a result, e.g. ("MED", "20516115"); ParseError when either is missing."""
    source = text(result.get("source")).strip().upper()
    ident = text(result.get("id")).strip()
    if not source or not ident:
        missing = " and ".join(name for name, v in (("source", source), ("id", ident)) if not v)
        raise ParseError(f"no {missing}: a result needs both to be identified")
    if source == "MED" and normalize_pmid(ident) is None:
        raise ParseError(f"MED result whose id is not a PMID: {ident!r}")
    return source, ident


def _identifiers(result: dict[str, Any], source: str, ident: str, prose: str) -> Identifiers:
    full_text_ids = [text(v) for v in listed(result, "fullTextId")]
    # fullTextIdList names PMCIDs, but a preprint lists its own PPR id there: keep only PMC ids.
    pmcids = [v for v in full_text_ids if v.upper().startswith("PMC")]
    return {
        "pmid": normalize_pmid(result.get("pmid")) or (ident if source == "MED" else None),
        "doi": normalize_doi(result.get("doi")),
        "pmcid": normalize_pmcid(result.get("pmcid"))
        or (normalize_pmcid(ident) if source == "PMC" else None)
        or next(filter(None, map(normalize_pmcid, pmcids)), None),
        "pii": None,
        "ppr": ident if source == PREPRINT_SOURCE else None,
        "registry_ids": unique(value for _, value in find_registry_ids(prose)),
    }


def _journal(result: dict[str, Any], preprint: bool) -> str:
    """Journal title (core), or the lite `journalTitle` (usually the MEDLINE abbreviation); for a
    preprint its server, for a book chapter (GeneReviews) the book."""
    journal = obj(obj(result, "journalInfo"), "journal")
    book = obj(result, "bookOrReportDetails")
    candidates = (
        journal.get("title"),
        result.get("journalTitle"),
        _server(result) if preprint else None,
        book.get("comprisingTitle"),
    )
    return next((squash(text(c)) for c in candidates if text(c).strip()), "")


def _journal_abbrev(result: dict[str, Any]) -> str | None:
    journal = obj(obj(result, "journalInfo"), "journal")
    abbrev = text(journal.get("isoabbreviation")) or text(journal.get("medlineAbbreviation"))
    return squash(abbrev) or None


def _server(result: dict[str, Any]) -> str | None:
    """The preprint server: `bookOrReportDetails.publisher` ("bioRxiv", "Research Square")."""
    server = text(obj(result, "bookOrReportDetails").get("publisher")) or text(
        result.get("publisher")
    )
    return squash(server) or None


def _published(result: dict[str, Any]) -> str | None:
    """The issue date as precise as the journal gives it (core); else the first publication date,
    which is a preprint's posting date and, for lite results, Europe PMC's estimate."""
    info = obj(result, "journalInfo")
    match = _ISSUE_DATE.match(text(info.get("dateOfPublication")).strip())
    if match:
        return iso_date(match[1], match[2], match[3])
    year = text(info.get("yearOfPublication"))
    if year:
        return iso_date(year, text(info.get("monthOfPublication")) or None)
    return (
        date(info.get("printPublicationDate"))
        or date(result.get("firstPublicationDate"))
        or date(result.get("pubYear"))
    )


def _publication_types(result: dict[str, Any]) -> list[str]:
    """core: `pubTypeList.pubType[]`; lite: one `pubType` string joined with "; "."""
    types = [squash(text(t)) for t in listed(result, "pubType")]
    if types:
        return unique(types)
    return unique(squash(part) for part in text(result.get("pubType")).split(";"))


def _mesh_terms(result: dict[str, Any]) -> list[str]:
    """Descriptor names only, as for PubMed; qualifiers ("/therapy") are left out."""
    return unique(squash(text(h.get("descriptorName"))) for h in listed(result, "meshHeading"))


def _authors(result: dict[str, Any]) -> list[str]:
    """Display names "First Last", as PubMed records have them; from `authorList` (core) or
    the "Surname Initials, ..." `authorString` (lite). Two co-authors may share a display name
    ("Qiu Z", "Qiu Z"): each is kept, in order, as PubMed keeps them."""
    authors = listed(result, "author")
    if authors:
        return [name for name in map(_author_name, authors) if name]
    names = text(result.get("authorString")).strip().rstrip(".").split(",")
    return [_from_surname_initials(squash(n)) for n in names if squash(n) and squash(n) != "et al"]


def _author_name(author: dict[str, Any]) -> str:
    first, last = squash(text(author.get("firstName"))), squash(text(author.get("lastName")))
    if last:
        return f"{first} {last}".strip()
    collective = squash(text(author.get("collectiveName")))
    return collective or _from_surname_initials(squash(text(author.get("fullName"))))


def _from_surname_initials(name: str) -> str:
    """Surname first to first name first ("Lee MS" -> "MS Lee"), as PubMed names go."""
    match = _SURNAME_INITIALS.match(name)
    return f"{match[2]} {match[1]}" if match else name


def _affiliations(result: dict[str, Any]) -> list[str]:
    found = [
        squash(text(item.get("affiliation")))
        for author in listed(result, "author")
        for item in listed(author, "authorAffiliation")
    ]
    found.append(squash(text(result.get("affiliation"))))  # the first author's, in core results
    return unique(found)[:MAX_AFFILIATIONS]


def _retracted(title: str, types: list[str], fixes: list[Correction]) -> bool:
    """Retracted publication (not a retraction notice): by type, by Elsevier's "RETRACTED:"
    title prefix (upper case only: Hindawi titles its notices "Retracted: ..."), or by a
    "Retraction in" link."""
    return (
        any(t.lower() == RETRACTED_TYPE for t in types)
        or title.startswith("RETRACTED")
        or any(c["type"] in RETRACTED_LINKS for c in fixes)
    )

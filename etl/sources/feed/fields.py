"""One feedparser entry -> the public paper record shape (the keys of a PubMed record, plus `url`).

Feeds say little and say it in many dialects, so each field has an order of places to look:
identifiers in PRISM/Dublin Core fields, the guid and the link before the text; the journal in
`dc:source` or `prism:publicationName` before the feed's own title. Text is HTML in most feeds and
is reduced to one squashed line. Only an entry with nothing to identify it (no DOI, guid or link)
is an error: without it the record has no identity.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from etl.normalize.html import Block, html_blocks, html_text
from etl.normalize.identifiers import (
    find_dois,
    find_registry_ids,
    normalize_doi,
    normalize_pmcid,
    normalize_pmid,
    unique,
)
from etl.normalize.languages import pubmed_language
from etl.normalize.text import squash
from etl.records import FeedItem, Identifiers
from etl.sources.feed.dates import entry_published
from etl.sources.feed.names import display_names, split_list

SOURCE = "feed"

# PubMed's "Create RSS" feeds: guid "pubmed:34929406", dc:identifier "pmid:…" and "doi:…".
_PMID_ID = re.compile(r"^(?:pmid|pubmed)\s*:\s*(\d{1,9})$", re.I)
_PUBMED_GUID = re.compile(r"^pubmed:\d{1,9}$")
_PUBMED_URL = re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)(\d{1,9})\b")
_PMC_URL = re.compile(r"/pmc/articles/(PMC\d+)\b", re.I)
# Ids stated in text as labels ("doi: 10.…", "PMID: 123"); a bare DOI in prose is left alone:
# a blog post or a news item cites other papers, and their DOIs must not become its identity.
_DOI_LABEL = re.compile(r"\bdoi:\s*(10\.\d{4,9}/[^\s\"<>|]+)", re.I)
_PMID_LABEL = re.compile(r"\bPMID:\s*(\d{1,9})\b")
# ScienceDirect summaries are labelled lines instead of an abstract.
_LABELLED = re.compile(r"^(Publication date|Source|Author\(s\)):\s*(.*)$", re.I)
# CNKI: "Name;Name;</br>Abstract…" in the description.
_LEADING_NAMES = re.compile(r"^\s*((?:[^;<>]{1,60};\s*)+)<\s*/?\s*br\s*/?\s*>", re.I)
_ABSTRACT_LABEL = "abstract"


class ParseError(ValueError):
    """An entry with nothing that identifies it."""


def paper_record(
    entry: dict[str, Any], feed: dict[str, Any], feed_name: str = ""
) -> FeedItem:
    """The public record shape for one entry of a feed (`feed` is feedparser's `parsed.feed`)."""
    markup = _best_text(entry)
    leading = _LEADING_NAMES.match(markup) if not entry.get("authors") else None
    if leading:
        markup = markup[leading.end() :]
    blocks = html_blocks(markup)
    labels, blocks = _labelled(blocks)
    ids = _identifiers(entry, " ".join(text for _, text in blocks))
    title = html_text(entry.get("title"))
    abstract = _abstract(blocks, pubmed=_is_pubmed(entry))
    language = pubmed_language(squash(feed.get("language")))
    authors = display_names([a.get("name") or "" for a in entry.get("authors") or []])
    if not authors:
        names = leading[1] if leading else labels.get("author(s)", "")
        authors = split_list(names) if names else []
    return {
        "source": SOURCE,
        "source_id": _source_id(entry, ids["doi"], feed_name),
        "kind": "paper",
        "deleted": False,
        "identifiers": {**ids, "registry_ids": _registry_ids(f"{title}\n{abstract}")},
        "title": title,
        "vernacular_title": None,
        "abstract": abstract,
        "journal": _journal(entry, feed, labels.get("source", "")),
        "journal_abbrev": None,
        "published": entry_published(entry, labels.get("publication date", "")),
        "epublished": None,
        "created": None,
        "revised": None,
        "status": None,
        "language": language,
        "languages": [language] if language else [],
        "publication_types": [],
        "mesh_terms": [],
        "keywords": unique(squash(t.get("term")) for t in entry.get("tags") or []),
        "authors": authors,
        "affiliations": [],
        "retracted": title.startswith("RETRACTED"),
        "corrections": [],
        "url": squash(entry.get("link")) or None,
    }


def _source_id(entry: dict[str, Any], doi: str | None, feed_name: str) -> str:
    """The DOI if the entry has one (stable across feeds and tracking parameters), else its guid
    (feedparser's `id`, which falls back to the link), else the link."""
    ident = doi or squash(entry.get("id")) or squash(entry.get("link"))
    if not ident:
        raise ParseError("no DOI, guid or link to identify the entry")
    return f"{feed_name}:{ident}" if feed_name else ident


def _identifiers(entry: dict[str, Any], text: str) -> Identifiers:
    """DOI, PMID and PMCID from the entry's fields first, then from ids labelled in its text."""
    fields = [entry.get(k) for k in ("prism_doi", "dc_identifier", "id", "link")]
    # the entry's own links only: an Atom "related" link may well be a cited paper's DOI
    links = [link for link in entry.get("links") or [] if link.get("rel") == "alternate"]
    fields += [link.get("href") for link in links]
    values = [squash(v) for v in fields if isinstance(v, str) and squash(v)]
    dois = [_doi_of(v) for v in values] + [normalize_doi(m) for m in _DOI_LABEL.findall(text)]
    pmids = [_pmid_of(v) for v in values] + [normalize_pmid(m) for m in _PMID_LABEL.findall(text)]
    pmcids = [normalize_pmcid(m[1]) for v in values if (m := _PMC_URL.search(v))]
    return {
        "pmid": next(filter(None, pmids), None),
        "doi": next(filter(None, dois), None),
        "pmcid": next(filter(None, pmcids), None),
        "pii": None,
    }


def _doi_of(value: str) -> str | None:
    """A DOI given as such ("doi:10.…", "10.…") or in a link's path, never its query string
    ("…/10.1099/ijsem.0.005019?TRACK=RSS")."""
    if value.lower().startswith(("http://", "https://")):
        try:
            path = urlsplit(value).path
        except ValueError:  # "http://[bad" is no URL: no DOI in its path
            return None
        found = find_dois(unquote(path))
        return found[0] if found else None
    return normalize_doi(value)


def _pmid_of(value: str) -> str | None:
    match = _PMID_ID.match(value) or _PUBMED_URL.search(value)
    return normalize_pmid(match[1]) if match else None


def _is_pubmed(entry: dict[str, Any]) -> bool:
    """An item of a PubMed RSS feed: its guid is "pubmed:NNN"."""
    return bool(_PUBMED_GUID.match(squash(entry.get("id"))))


def _registry_ids(text: str) -> list[str]:
    return unique(value for _, value in find_registry_ids(text))


def _best_text(entry: dict[str, Any]) -> str:
    """The longest of the entry's contents and summary: PubMed and Wiley put a teaser in the
    description ("TAXON, EarlyView.") and the abstract in `content:encoded`."""
    texts = [c.get("value") or "" for c in entry.get("content") or []]
    texts.append(entry.get("summary") or "")
    return max(texts, key=len)


def _labelled(blocks: list[Block]) -> tuple[dict[str, str], list[Block]]:
    """ScienceDirect's "Publication date: …", "Source: …", "Author(s): …" lines taken out."""
    labels: dict[str, str] = {}
    kept = []
    for kind, text in blocks:
        match = _LABELLED.match(text)
        if match:
            labels[match[1].lower()] = match[2]
        else:
            kept.append((kind, text))
    return labels, kept


def _abstract(blocks: list[Block], pubmed: bool) -> str:
    """The text after an "Abstract" label if there is one: what precedes it is a citation or a
    box title. PubMed RSS wraps the abstract in a citation line, an "ABSTRACT" label and a
    "PMID: … | DOI: …" line, and has no label when the paper has no abstract."""
    texts = [text for _, text in blocks]
    starts = [i for i, text in enumerate(texts) if text.rstrip(":").lower() == _ABSTRACT_LABEL]
    if starts:
        texts = texts[starts[0] + 1 :]
    elif pubmed:
        return ""
    if pubmed:
        texts = [t for t in texts if not t.startswith("PMID:")]
    return squash(" ".join(texts))


def _journal(entry: dict[str, Any], feed: dict[str, Any], labelled_source: str) -> str:
    """`dc:source` (PubMed RSS, Taylor & Francis), `prism:publicationName` of the entry or the
    feed, ScienceDirect's "Source:" line, then the feed's title. Taylor & Francis repeats the
    article title in the entry's `prism:publicationName`, so one equal to the title is skipped."""
    title = squash(entry.get("title"))
    candidates = [
        entry.get("dc_source"),
        entry.get("prism_publicationname"),
        feed.get("prism_publicationname"),
        labelled_source.split(", Volume")[0],
        feed.get("title"),
    ]
    names = [squash(c) for c in candidates if isinstance(c, str)]
    return next((n for n in names if n and n != title), "")

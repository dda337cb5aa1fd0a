"""One PubmedArticle (or PubmedBookArticle) element -> the public record shape.

Extraction walks each element's children once and dispatches on the tag, instead of asking
ElementPath for every field: the same result, at a fraction of the cost, which matters for
baseline files of 30,000 records (see bench/README.md).
"""

from __future__ import annotations

from functools import lru_cache

from lxml import etree

from etl.normalize.identifiers import (
    find_registry_ids,
    normalize_doi,
    normalize_pii,
    normalize_pmcid,
    normalize_pmid,
    short_id_possible,
)
from etl.normalize.text import date_of, inner_text, iso_date
from etl.records import Correction, Paper

SOURCE = "pubmed"
RETRACTED_TYPES = frozenset({"Retracted Publication"})
RETRACTED_REFS = frozenset({"RetractionIn", "RetractedandRepublishedIn"})
_ID_KINDS = {
    "doi": ("doi", normalize_doi),
    "pmc": ("pmcid", normalize_pmcid),
    "pii": ("pii", normalize_pii),
}
MAX_AFFILIATIONS = 20

# Every registry pattern needs six digits in a row. In UTF-8, an ASCII digit is one of 0-9 and
# any other digit is made of bytes >= 0x80: mapping all of those to "0" keeps every run of digits.
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789" + bytes(range(0x80, 0x100)), b"0" * (9 + 0x80))


def _squash(text: str | None) -> str:
    """etl.normalize.text.squash, the same result without a regex scan.

    Short text is split and joined outright. For long text `isascii()` is free (CPython keeps
    the flag), and substring tests for the whitespace that split() would cut cost a third of a
    character-class scan, so clean ASCII text (most abstracts) is only stripped.
    """
    if not text:
        return ""
    if len(text) > 80 and text.isascii() and not _odd_ascii_space(text):
        return text.strip()
    return " ".join(text.split())


def _odd_ascii_space(text: str) -> bool:
    """Whether ASCII text holds whitespace other than single plain spaces (str.split's set)."""
    return (
        "  " in text
        or "\n" in text
        or "\t" in text
        or "\r" in text
        or "\x0b" in text
        or "\x0c" in text
        or "\x1c" in text
        or "\x1d" in text
        or "\x1e" in text
        or "\x1f" in text
    )


def _squash_all(texts: list[str]) -> list[str]:
    """_squash for a list, with one test of the joined text in the common case."""
    joined = "\x00".join(texts)
    if joined.isascii() and not _odd_ascii_space(joined):
        return [text.strip() for text in texts]
    return [" ".join(text.split()) for text in texts]


def _text(elem: etree._Element) -> str:
    """inner_text, with the common case (no inline markup) handled here."""
    if len(elem):
        return inner_text(elem)
    return _squash(elem.text)


def _pmid_of(text: str | None) -> str | None:
    """normalize_pmid, with the usual case (plain digits, no leading zero) taken as it is."""
    if text and text.isdigit() and text.isascii() and text[0] != "0" and len(text) <= 9:
        return text
    return normalize_pmid(text)


def _unique(values: list[str]) -> list[str]:
    """etl.normalize.identifiers.unique for a list, without a generator per call."""
    return list(dict.fromkeys(filter(None, values))) if values else []


def _date(elem: etree._Element | None) -> str | None:
    """etl.normalize.text.date_of, with the usual Year/Month/Day shape read here.

    Four dates in every record: one walk over the parts and a cache of their ISO form (dates
    repeat heavily within a file); anything without a Year goes to date_of itself.
    """
    if elem is None:
        return None
    year = month = day = season = None
    for child in elem:
        tag = child.tag
        if tag == "Year":
            year = child.text
        elif tag == "Month":
            month = child.text
        elif tag == "Day":
            day = child.text
        elif tag == "Season":
            season = child.text
    if not year:
        return date_of(elem)
    return _iso(year, month, day, season)


@lru_cache(maxsize=4096)
def _iso(year: str, month: str | None, day: str | None, season: str | None) -> str | None:
    if month is None:
        return iso_date(year, season.split("-")[0] if season else None)
    return iso_date(year, month, day)


def _registry_ids(text: str) -> list[str]:
    """find_registry_ids for the title and abstract, skipped when no id can be in the text.

    Nearly every registry's pattern needs six digits in a row (in the upper-cased text;
    upper-casing never makes a digit), and most abstracts have none: one byte translation and one
    substring test say so, at a tenth of the cost of the token tests. Non-ASCII characters count
    as digits here, so the test can only let through too much, never too little. The registries
    with shorter ids (NTR, NL, ReBEC's RBR-) are let through by their tokens.
    """
    if b"000000" not in text.encode().translate(_DIGITS_TO_ZERO) and not short_id_possible(text):
        return []
    return [value for _, value in find_registry_ids(text)]


class ParseError(ValueError):
    """A record that is well-formed XML but not a usable PubMed record."""


class _Fields:
    """Everything read from one record, filled by one pass over each container."""

    __slots__ = (
        "pmid",
        "status",
        "title",
        "vernacular",
        "book_title",
        "abstract",
        "journal",
        "abbrev",
        "published",
        "epublished",
        "revised",
        "created",
        "pubmed_date",
        "languages",
        "types",
        "mesh",
        "keywords",
        "authors",
        "affiliations",
        "corrections",
        "databank",
        "ids",
        "article_seen",
    )

    def __init__(self) -> None:
        self.pmid: str | None = None
        self.status: str | None = None
        self.title = ""
        self.vernacular: str | None = None
        self.book_title = ""
        self.abstract = ""
        self.journal = ""
        self.abbrev: str | None = None
        self.published: str | None = None
        self.epublished: str | None = None
        self.revised: str | None = None
        self.created: str | None = None
        self.pubmed_date: etree._Element | None = None  # read only if "entrez" is missing
        self.languages: list[str] = []
        self.types: list[str] = []
        self.mesh: list[str] = []
        self.keywords: list[str] = []
        self.authors: list[str] = []
        self.affiliations: list[str] = []
        self.corrections: list[Correction] = []
        self.databank: list[str] = []
        self.ids: dict[str, str] = {}
        self.article_seen = False

    def read(self, container: etree._Element) -> None:
        """Fields of MedlineCitation, Article and BookDocument share one dispatch table."""
        # The tag filter runs in C, so the children nobody reads never become Python objects.
        handlers = _HANDLERS
        for child in container.iterchildren(_HANDLED):
            handlers[child.tag](self, child)


def paper_record(elem: etree._Element) -> Paper:
    """The public record shape for one PubmedArticle or PubmedBookArticle element."""
    book = elem.tag == "PubmedBookArticle"
    fields = _Fields()
    citation = data = None
    for child in elem:
        if child.tag in ("MedlineCitation", "BookDocument"):
            citation = child
        elif child.tag in ("PubmedData", "PubmedBookData"):
            data = child
    if citation is None:
        raise ParseError(f"{elem.tag} has no {'BookDocument' if book else 'MedlineCitation'}")
    fields.status = citation.get("Status") or ("Book" if book else None)
    fields.read(citation)
    pmid = _pmid_of(fields.pmid)
    if pmid is None:
        raise ParseError(f"missing or malformed PMID: {fields.pmid!r}")
    if not book and not fields.article_seen:
        raise ParseError("MedlineCitation has no Article")
    if data is not None:
        _read_pubmed_data(fields, data)
    _fill_from_locations(fields)
    return _record(pmid, fields, book)


def _record(pmid: str, f: _Fields, book: bool) -> Paper:
    title = untranslated(f.title or (f.book_title if book else ""))
    registry = (
        [v for number in f.databank for _, v in find_registry_ids(number)] if f.databank else []
    )
    registry += _registry_ids(f"{title}\n{f.abstract}")
    retracted = not RETRACTED_TYPES.isdisjoint(f.types) or (
        bool(f.corrections) and any(c["type"] in RETRACTED_REFS for c in f.corrections)
    )
    return {
        "source": SOURCE,
        "source_id": pmid,
        "kind": "paper",
        "deleted": False,
        "identifiers": {
            "pmid": pmid,
            "doi": f.ids.get("doi"),
            "pmcid": f.ids.get("pmcid"),
            "pii": f.ids.get("pii"),
            "registry_ids": _unique(registry),
        },
        "title": title or (f.vernacular or ""),
        "vernacular_title": f.vernacular,
        "abstract": f.abstract,
        "journal": f.journal,
        "journal_abbrev": f.abbrev,
        "published": f.published,
        "epublished": f.epublished,
        "created": f.created or _date(f.pubmed_date),
        "revised": f.revised,
        "status": f.status,
        "language": f.languages[0] if f.languages else None,
        "languages": f.languages,
        "publication_types": f.types,
        "mesh_terms": _unique(f.mesh),
        "keywords": _unique(f.keywords),
        "authors": f.authors,
        "affiliations": _unique(f.affiliations)[:MAX_AFFILIATIONS],
        "retracted": retracted,
        "corrections": f.corrections,
    }


def untranslated(title: str) -> str:
    """PubMed puts translated titles of non-English papers in square brackets: the brackets go
    only when they enclose the whole title ("[Effect of X on Y]." -> "Effect of X on Y."), never
    from a title that starts with a radiotracer ("[18F]FDG PET/CT…", "[⁶⁸Ga]Ga-PSMA…
    [corrected]."). "[Not Available]." is no title: "" (the vernacular title stands in)."""
    if not title.startswith("["):
        return title
    depth = 0
    for index, char in enumerate(title):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                rest = title[index + 1 :]
                if rest.strip(" ."):
                    return title  # the first bracket closes before the title ends
                inner = title[1:index].strip()
                if inner.lower() == "not available":
                    return ""
                return f"{inner}{rest.strip()}"
    return title


def _pmid(f: _Fields, e: etree._Element) -> None:
    if f.pmid is None:
        f.pmid = e.text


def _article(f: _Fields, e: etree._Element) -> None:
    f.article_seen = True
    f.read(e)


def _title(f: _Fields, e: etree._Element) -> None:
    f.title = _text(e)


def _vernacular(f: _Fields, e: etree._Element) -> None:
    f.vernacular = _text(e) or None


def _abstract(f: _Fields, e: etree._Element) -> None:
    """Sections as paragraphs; labelled ones as "LABEL: text"."""
    paragraphs = []
    for section in e.iterchildren("AbstractText"):
        text = _text(section)
        if text:
            label = section.get("Label")
            paragraphs.append(f"{label.strip()}: {text}" if label and label.strip() else text)
    f.abstract = "\n\n".join(paragraphs)


_JOURNAL_PARTS = ("Title", "ISOAbbreviation", "JournalIssue")


def _journal(f: _Fields, e: etree._Element) -> None:
    for child in e.iterchildren(_JOURNAL_PARTS):
        tag = child.tag
        if tag == "Title":
            f.journal = _squash(child.text)
        elif tag == "ISOAbbreviation":
            f.abbrev = _squash(child.text) or None
        else:
            for part in child.iterchildren("PubDate"):
                f.published = _date(part)


def _book(f: _Fields, e: etree._Element) -> None:
    for child in e:
        if child.tag == "BookTitle":
            f.book_title = _text(child)
            f.journal = f.book_title
        elif child.tag == "PubDate":
            f.published = _date(child)


def _location(f: _Fields, e: etree._Element) -> None:
    kind = e.get("EIdType")
    if kind in ("doi", "pii"):
        f.ids.setdefault(f"_eloc_{kind}", e.text or "")


_AUTHOR_PARTS = (
    "Author",
    "LastName",
    "ForeName",
    "Initials",
    "Suffix",
    "CollectiveName",
    "Affiliation",
)


def _authors(f: _Fields, e: etree._Element) -> None:
    if f.authors:  # a book's editors list comes after its authors: keep the authors
        return
    # One C-level walk over just the parts we read, in document order; "Author" opens a new one.
    # The parts live in locals, not a dict per author: this runs for every author of every record.
    authors, affiliations = f.authors, f.affiliations
    valid = seen = False
    last = fore = initials = suffix = None
    for item in e.iter(_AUTHOR_PARTS):
        tag = item.tag
        if tag == "Author":
            if seen:
                _add_author(authors, fore or initials, last, suffix)
            valid = item.get("ValidYN") != "N"
            seen = False
            last = fore = initials = suffix = None
        elif not valid:
            continue
        elif tag == "Affiliation":
            affiliations.append(inner_text(item) if len(item) else _squash(item.text))
        elif tag == "CollectiveName":
            last, seen = _text(item), True
        else:
            text = item.text
            if text:
                seen = True
                if tag == "LastName":
                    last = text
                elif tag == "ForeName":
                    fore = text
                elif tag == "Initials":
                    initials = text
                else:
                    suffix = text
    if seen:
        _add_author(authors, fore or initials, last, suffix)


def _add_author(
    authors: list[str], first: str | None, last: str | None, suffix: str | None
) -> None:
    # one split for the whole name: the same as squashing each part, at a third of the cost
    name = " ".join(f"{first or ''} {last or ''} {suffix or ''}".split())
    if name:
        authors.append(name)


def _affiliation(f: _Fields, e: etree._Element) -> None:  # pre-2013 records: one per article
    f.affiliations.append(_text(e))


def _language(f: _Fields, e: etree._Element) -> None:
    if e.text:
        f.languages.append(e.text.strip().lower())


def _types(f: _Fields, e: etree._Element) -> None:
    f.types.extend(_squash_all([t for p in e.iterchildren("PublicationType") if (t := p.text)]))


def _one_type(f: _Fields, e: etree._Element) -> None:  # BookDocument lists them bare
    if e.text and e.text.strip():
        f.types.append(_squash(e.text))


def _article_date(f: _Fields, e: etree._Element) -> None:
    if f.epublished is None:
        f.epublished = _date(e)


def _revised(f: _Fields, e: etree._Element) -> None:
    f.revised = _date(e)


def _mesh(f: _Fields, e: etree._Element) -> None:
    f.mesh.extend(_squash_all([t for d in e.iter("DescriptorName") if (t := d.text)]))


def _keywords(f: _Fields, e: etree._Element) -> None:
    f.keywords.extend(text for text in map(_text, e) if text)


def _databank(f: _Fields, e: etree._Element) -> None:
    for bank in e:
        for numbers in bank:
            if numbers.tag == "AccessionNumberList":
                f.databank.extend(n.text for n in numbers if n.text)


def _corrections(f: _Fields, e: etree._Element) -> None:
    for item in e:
        ref_type = item.get("RefType")
        if not ref_type or ref_type == "Cites":
            continue
        pmid = source = None
        for part in item:
            if part.tag == "PMID":
                pmid = _pmid_of(part.text)
            elif part.tag == "RefSource":
                source = _squash(part.text) or None
        f.corrections.append({"type": ref_type, "pmid": pmid, "ref": source})


def _id_list(f: _Fields, e: etree._Element) -> None:
    for item in e:
        known = _ID_KINDS.get(item.get("IdType") or "")
        if known and known[0] not in f.ids:
            value = known[1](item.text)
            if value:
                f.ids[known[0]] = value


def _read_pubmed_data(f: _Fields, data: etree._Element) -> None:
    for child in data.iterchildren(("ArticleIdList", "History")):
        if child.tag == "ArticleIdList":
            _id_list(f, child)
        else:
            for item in child:
                status = item.get("PubStatus")
                if status == "entrez" and f.created is None:
                    f.created = _date(item)
                elif status == "pubmed" and f.pubmed_date is None:
                    f.pubmed_date = item


def _fill_from_locations(f: _Fields) -> None:
    """ELocationID only fills what the record's own ArticleIdList left empty."""
    for kind, (name, normalize) in _ID_KINDS.items():
        fallback = f.ids.pop(f"_eloc_{kind}", None)
        if fallback and name not in f.ids:
            value = normalize(fallback)
            if value:
                f.ids[name] = value


_HANDLERS = {
    "PMID": _pmid,
    "Article": _article,
    "ArticleTitle": _title,
    "VernacularTitle": _vernacular,
    "Abstract": _abstract,
    "Journal": _journal,
    "Book": _book,
    "ELocationID": _location,
    "AuthorList": _authors,
    "Affiliation": _affiliation,
    "Language": _language,
    "PublicationTypeList": _types,
    "PublicationType": _one_type,
    "ArticleDate": _article_date,
    "DateRevised": _revised,
    "MeshHeadingList": _mesh,
    "KeywordList": _keywords,
    "DataBankList": _databank,
    "CommentsCorrectionsList": _corrections,
    "ArticleIdList": _id_list,
}
_HANDLED = tuple(_HANDLERS)

"""Every citation in an article of the genre, and the passage each one vouches for.

Articles like the seed cite a paper on a line of its own after the paragraphs it
supports: 论文：《title》（《journal》，2024 年，DOI：10.…），a trial as
临床试验：《title》（ClinicalTrials.gov 注册号：NCT…）, with full- or half-width marks as
the writer's keyboard gave them, and DOIs broken by spaces ("10.1016/S2352-3026 (24)
00089-1"). Others cite by a bare DOI, a PMID, a PubMed link or a trial id in the sentence. A
reader can only check such a claim against the record if the checker knows which sentences the
citation stands for: the text before it, back to the previous citation or heading.

Positions (`span`, `passage_span`) are offsets into `Document.text`: the article itself for
Markdown and plain text, and for HTML the text of its blocks (headings as Markdown headings), so
one set of offsets serves every format.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from etl.normalize.html import html_blocks
from etl.normalize.identifiers import normalize_doi, normalize_pmid, registry_matches


class CitationKind(StrEnum):
    PAPER = "paper"  # a citation line naming a paper (title, journal, year, ids)
    TRIAL = "trial"  # a citation line naming a registered trial
    DOI = "doi"  # a bare DOI (or doi.org link) in the text
    PMID = "pmid"  # a bare PMID or PubMed link
    PMCID = "pmcid"  # a bare PMCID
    REGISTRY = "registry"  # a bare trial registry id


@dataclass(frozen=True)
class Citation:
    """One citation: its ids (scheme -> canonical value), what it says of the work, where it is,
    and the passage it supports."""

    kind: CitationKind
    ids: dict[str, str]
    span: tuple[int, int]
    text: str
    passage_span: tuple[int, int]
    passage: str
    title: str | None = None
    journal: str | None = None
    year: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "ids": dict(self.ids),
            "title": self.title,
            "journal": self.journal,
            "year": self.year,
            "span": list(self.span),
            "text": self.text,
            "passage_span": list(self.passage_span),
            "passage": self.passage,
        }


@dataclass(frozen=True)
class Document:
    """An article as text, with the spans of its headings (a passage never reaches past one)."""

    text: str
    format: str
    headings: tuple[tuple[int, int], ...] = field(default=())


FORMATS = ("markdown", "html", "text")
_HTML_HINT = re.compile(r"<(?:p|div|h[1-6]|br|li|ul|ol|span|a|strong|em|table|body|html)\b", re.I)


def read_document(text: str, format: str | None = None) -> Document:
    """The article as text with its headings found: HTML through the project's block reader
    (headings become "# " lines), Markdown and plain text as written. `format` None: guessed
    from the text (HTML when it holds block tags)."""
    fmt = format or ("html" if _HTML_HINT.search(text) else "markdown")
    if fmt not in FORMATS:
        raise ValueError(f"unknown article format {fmt!r}: one of {', '.join(FORMATS)}")
    if fmt == "html":
        text = "\n\n".join(
            f"# {block}" if kind == "heading" else block for kind, block in html_blocks(text)
        )
    return Document(text, fmt, tuple(_headings(text)))


# Labels that open a citation line, in Chinese and English, Markdown emphasis allowed around them.
_LABEL = (
    r"(?:参考论文|参考文献|参考资料|原始论文|相关论文|论文|文献|出处|来源|原文|研究|"
    r"临床试验|注册试验|试验|Paper|Reference|Ref\.|Source|Study|Clinical\s+trial|Trial)"
)
_TRIAL_LABEL = re.compile(r"试验|trial", re.I)
_MARK = r"[*_]{0,2}"
_TITLE = r"(?:《(?P<t1>[^《》\n]{3,400})》|“(?P<t2>[^“”\n]{3,400})”|\"(?P<t3>[^\"\n]{3,400})\")"
_CITE_LINE = re.compile(
    rf"(?:(?P<label>{_MARK}{_LABEL}{_MARK})\s*[:：]\s*{_MARK}\s*)?{_TITLE}{_MARK}",
    re.I,
)
_OPEN, _CLOSE = "(（[", ")）]"
_DOI_LEAD = re.compile(r"(?:DOI\s*[:：]?\s*|https?://(?:dx\.)?doi\.org/)", re.I)
# A DOI may be broken by spaces and hold a parenthesised part ("10.1016/S2352-3026 (24)
# 00089-1"); it ends at a space not followed by such a part, or at a mark that closes a citation.
_DOI_CHARS = r"[^\s，。；、,;）)\]《》\"“”<>]+"
_DOI_BODY = re.compile(
    rf"10\.\d{{4,9}}\s*/\s*{_DOI_CHARS}(?:\s*\([^()\s]{{1,12}}\)\s*{_DOI_CHARS})*"
)
_PMID = re.compile(
    r"PMID\s*[:：]?\s*(\d{1,9})\b"
    r"|pubmed\.ncbi\.nlm\.nih\.gov/(\d{1,9})|ncbi\.nlm\.nih\.gov/pubmed/(\d{1,9})",
    re.I,
)
_PMCID = re.compile(r"(?<![A-Za-z0-9])PMC\s?(\d{5,9})\b")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)\s*年?")
_INNER_TITLE = re.compile(r"《([^《》]+)》")
_SEPARATORS = re.compile(r"\s*[,，;；、]\s*")
_SENTENCE_END = "。．.!！?？;；:："
_LIST_ITEM = re.compile(r"^(?:[-*+•·]\s|\d+[.)]\s|\|)")  # list items and table rows
HEADING_MAX = 40  # characters: a line this short without closing punctuation is a heading


def find_citations(doc: Document) -> list[Citation]:
    """Every citation in the document, in text order, each with the passage it supports."""
    text = doc.text
    found: list[tuple[int, int, CitationKind, dict[str, str], dict[str, Any]]] = []
    for match in _CITE_LINE.finditer(text):
        title = match["t1"] or match["t2"] or match["t3"]
        group = _group_after(text, match.end())
        inside = text[group[0] + 1 : group[1] - 1] if group else ""
        ids = _ids_in(inside)
        if not match["label"] and not ids:
            continue  # a book or journal named in a sentence, not a citation
        end = group[1] if group else match.end()
        trial = bool(match["label"] and _TRIAL_LABEL.search(match["label"])) or (
            bool(ids) and not ({"doi", "pmid", "pmcid"} & set(ids))
        )
        about = {"title": unescaped(title), **_journal_and_year(inside)}
        kind = CitationKind.TRIAL if trial else CitationKind.PAPER
        found.append((match.start(), end, kind, ids, about))
    taken = [(start, end) for start, end, *_ in found]
    found.extend(_bare(text, taken))
    found.sort(key=lambda item: item[0])
    citations = []
    previous_end = 0
    for start, end, kind, ids, about in found:
        begin = _passage_start(doc, previous_end, start)
        bare = kind not in (CitationKind.PAPER, CitationKind.TRIAL)
        # A line citation follows what it supports; an id in a sentence supports that sentence.
        passage_end = _sentence_end(text, end) if bare else start
        citations.append(
            Citation(
                kind,
                ids,
                (start, end),
                text[start:end],
                (begin, passage_end),
                text[begin:passage_end].strip(),
                about.get("title"),
                about.get("journal"),
                about.get("year"),
            )
        )
        previous_end = max(end, passage_end)
    return citations


def unescaped(value: str) -> str:
    """A title or journal as the reader sees it: Markdown's backslash escapes and HTML's
    entities ("Hematology &amp; Oncology", "IL\\-12") read as the characters they stand for."""
    return html.unescape(re.sub(r"\\([\\`*_\[\]<>&|()#+.!-])", r"\1", value)).strip()


def _group_after(text: str, position: int) -> tuple[int, int] | None:
    """The parenthesised group right after a title (full- or half-width), nesting counted so
    that a DOI's own "(24)" stays inside: (open index, index after the close)."""
    at = position
    while at < len(text) and text[at] in " \t*_]":  # a Markdown link's text ends in "]"
        at += 1
    if at >= len(text) or text[at] not in _OPEN:
        return None
    depth = 0
    for index in range(at, min(len(text), at + 600)):
        char = text[index]
        if char == "\n":
            return None
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
            if depth == 0:
                return at, index + 1
    return None


def _ids_in(text: str) -> dict[str, str]:
    """The DOI, PMID and registry ids written in a citation's group."""
    ids: dict[str, str] = {}
    doi = _doi_in(text)
    if doi:
        ids["doi"] = doi
    pmid = _PMID.search(text)
    if pmid:
        value = normalize_pmid(next(group for group in pmid.groups() if group))
        if value:
            ids["pmid"] = value
    pmcid = _PMCID.search(text)
    if pmcid:
        ids["pmcid"] = f"PMC{pmcid[1]}"
    for _, _, scheme, value in registry_matches(_without_doi(text)):
        ids.setdefault(scheme, value)
    return ids


def _doi_in(text: str) -> str | None:
    lead = _DOI_LEAD.search(text)
    body = _DOI_BODY.search(text, lead.end() if lead else 0)
    if body is None:
        return None
    return normalize_doi(re.sub(r"\s+", "", body[0]))


def _without_doi(text: str) -> str:
    """The text with its DOIs blanked (same length): "10.1200/JCO.24.02356" is not a trial id."""
    return _DOI_BODY.sub(lambda m: " " * len(m[0]), text)


def _journal_and_year(inside: str) -> dict[str, Any]:
    """Journal (in 《》, else the first part that is neither a year nor an id) and year."""
    about: dict[str, Any] = {}
    inside = unescaped(inside)  # "&amp;" holds a semicolon, which separates parts
    rest = _DOI_LEAD.split(inside)[0] if _DOI_LEAD.search(inside) else inside
    rest = _PMID.split(rest)[0]
    year = _YEAR.search(rest)
    if year:
        about["year"] = int(year[1])
    journal = _INNER_TITLE.search(rest)
    if journal:
        about["journal"] = unescaped(journal[1])
    else:
        for part in _SEPARATORS.split(rest):
            part = part.strip(" *_")
            if (
                part
                and not _YEAR.fullmatch(part)
                and not registry_matches(part)
                and ("注册" not in part and re.search(r"[A-Za-z\u4e00-\u9fff]", part))
            ):
                about["journal"] = unescaped(part)
                break
    return about


def _bare(
    text: str, taken: list[tuple[int, int]]
) -> list[tuple[int, int, CitationKind, dict[str, str], dict[str, Any]]]:
    """DOIs, PMIDs and registry ids in the text outside the citation lines."""

    def free(start: int, end: int) -> bool:
        return not any(a < end and start < b for a, b in taken)

    found: list[tuple[int, int, CitationKind, dict[str, str], dict[str, Any]]] = []
    for match in _DOI_BODY.finditer(text):
        doi = normalize_doi(re.sub(r"\s+", "", match[0]))
        if doi and free(match.start(), match.end()):
            found.append((match.start(), match.end(), CitationKind.DOI, {"doi": doi}, {}))
    for match in _PMID.finditer(text):
        pmid = normalize_pmid(next(group for group in match.groups() if group))
        if pmid and free(match.start(), match.end()):
            found.append((match.start(), match.end(), CitationKind.PMID, {"pmid": pmid}, {}))
    for match in _PMCID.finditer(text):
        if free(match.start(), match.end()):
            ids = {"pmcid": f"PMC{match[1]}"}
            found.append((match.start(), match.end(), CitationKind.PMCID, ids, {}))
    blanked = _without_doi(text)
    for start, end, scheme, value in registry_matches(blanked):
        if free(start, end):
            found.append((start, end, CitationKind.REGISTRY, {scheme: value}, {}))
    return found


def _headings(text: str) -> list[tuple[int, int]]:
    """Heading lines: Markdown headings, and short lines that end without a sentence mark
    (the genre's "1.2、免疫调节：…" and "降低移植后 GVHD 发生率")."""
    spans = []
    at = 0
    for line in text.splitlines(keepends=True):
        bare = line.strip()
        if bare and (
            bare.startswith("#")
            or (
                len(bare) <= HEADING_MAX
                and bare[-1] not in _SENTENCE_END
                and not _LIST_ITEM.match(bare)
                and not _is_citation_line(bare)
            )
        ):
            spans.append((at, at + len(line)))
        at += len(line)
    return spans


def _is_citation_line(line: str) -> bool:
    return bool(_CITE_LINE.search(line) and re.search(r"DOI|PMID|NCT|注册号", line, re.I))


def _passage_start(doc: Document, previous_end: int, start: int) -> int:
    """Where the passage before a citation starts: after the previous citation line or the last
    heading before it, whichever is later."""
    begin = previous_end
    for head_start, head_end in doc.headings:
        if head_end <= start and head_end > begin:
            begin = head_end
        elif head_start >= start:
            break
    return begin


def _sentence_end(text: str, position: int) -> int:
    """After the mark that ends the sentence holding `position` (or the end of its line)."""
    for index in range(position, len(text)):
        if text[index] in "。！？!?\n" or (
            text[index] == "." and text[index + 1 : index + 2] in " \n"
        ):
            return index + (text[index] != "\n")
    return len(text)

"""Europe PMC's XML format (`format=xml`, or no format at all) read into the JSON format's shape.

The XML answer is the JSON one spelt in elements: `<responseWrapper>` holds `hitCount`,
`nextCursorMark`, `request` and `resultList/result`; a wrapped list is an element per item. So
each element becomes what JSON would hold (text, object, or a list where a name repeats), and one
mapping serves both formats. Entities are never resolved and nothing is fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from etl.sources.xmlstream import CHUNK_PARSER, split_position

ROOT = "responseWrapper"
XML_ROOTS = frozenset({ROOT.lower()})
_DUBLIN_CORE = "http://purl.org/dc/elements/1.1/"

# Elements that are formatting inside a text field, not data: their parent is kept as markup.
_MARKUP_TAGS = frozenset(
    {"i", "b", "u", "em", "strong", "sup", "sub", "sc", "span", "a", "p", "br", "div"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "inf"}
)
_RESULT_CHUNK = re.compile(rb"<result\b[^>]*>.*?</result\s*>", re.S)
_ID = re.compile(rb"<id>\s*([^<]+?)\s*</id>")
_SOURCE = re.compile(rb"<source>\s*([A-Za-z]+)\s*</source>")


class XmlPage:
    """A parsed XML search page: its paging fields and its result elements."""

    def __init__(self, body: bytes) -> None:
        """Raises etree.XMLSyntaxError for a body that is not well-formed, ValueError for one
        that is XML but not a search response."""
        self.root = etree.fromstring(body, CHUNK_PARSER)
        name = etree.QName(self.root).localname
        if name != ROOT:
            raise ValueError(f"XML whose root is <{name}>, not a Europe PMC <{ROOT}>")
        if _dublin_core(self.root):
            raise ValueError(
                "this is a Europe PMC page in Dublin Core format (format=dc), which this parser "
                "does not read: ask with format=json (or format=xml) and resultType=core"
            )

    def header(self) -> dict[str, Any]:
        """The top-level fields (version, hitCount, nextCursorMark, request), results left out."""
        return element_dict(self.root, skip=("resultList",))

    def results(self) -> list[etree._Element]:
        return list(self.root.iterfind("resultList/result"))


def _dublin_core(root: etree._Element) -> bool:
    """Whether a page holds Dublin Core descriptions (format=dc) instead of `<result>`s."""
    if root.findtext("request/format", "").strip().lower() == "dc":
        return True
    result_list = root.find("resultList")
    if result_list is None or result_list.find("result") is not None:
        return False
    return any(
        isinstance(elem.tag, str) and etree.QName(elem).namespace == _DUBLIN_CORE
        for elem in result_list.iter()
    )


def element_dict(elem: etree._Element, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The children of an element as the JSON format holds them: repeated names become lists."""
    groups: dict[str, list[Any]] = {}
    for child in elem:
        if not isinstance(child.tag, str):  # comments and processing instructions
            continue  # type: ignore[unreachable]  # lxml-stubs type every tag as str
        name = etree.QName(child).localname
        if name not in skip:
            groups.setdefault(name, []).append(_value(child))
    return {name: values[0] if len(values) == 1 else values for name, values in groups.items()}


def _value(elem: etree._Element) -> Any:
    if len(elem) and not _is_markup(elem):
        return element_dict(elem)
    text = _inner_markup(elem) if len(elem) else (elem.text or "")
    if elem.attrib:  # e.g. <authorId type="ORCID">…</authorId>, JSON {"type", "value"}
        return {**{etree.QName(k).localname: v for k, v in elem.attrib.items()}, "value": text}
    return text


def _is_markup(elem: etree._Element) -> bool:
    """A text field with inline HTML: text beside its children, or formatting children."""
    if (elem.text or "").strip() or any((c.tail or "").strip() for c in elem):
        return True
    return any(isinstance(c.tag, str) and etree.QName(c).localname in _MARKUP_TAGS for c in elem)


def _inner_markup(elem: etree._Element) -> str:
    """The element's content as markup; an entity reference (never resolved) leaves only the
    text after it, never "&xxe;"."""
    return (elem.text or "") + "".join(
        etree.tostring(child, encoding="unicode", with_tail=True)
        if child.tag is not etree.Entity
        else (child.tail or "")
        for child in elem
    )


def parse_result(chunk: bytes) -> etree._Element:
    """One `<result>` element cut out of a broken page; etree.XMLSyntaxError if it is broken too."""
    return etree.fromstring(chunk, CHUNK_PARSER)


def result_chunks(body: bytes) -> Iterator[tuple[int, bytes]]:
    """(line, bytes) of each `<result>` element in a body that does not parse as a whole."""
    line, counted_to = 1, 0
    for match in _RESULT_CHUNK.finditer(body):
        line += body.count(b"\n", counted_to, match.start())
        counted_to = match.start()
        yield line, match.group(0)


def chunk_key(chunk: bytes) -> str:
    """The key of a result's bytes ("MED:20516115") as far as they can be read, else ""."""
    ident, source = _ID.search(chunk), _SOURCE.search(chunk)
    if ident and source:
        return f"{source[1].decode()}:{ident[1].decode(errors='replace')}"
    return ident[1].decode(errors="replace") if ident else ""


def describe_error(exc: etree.XMLSyntaxError, first_line: int = 1) -> str:
    """The error as "not well-formed XML at line L, column C: …"; lines from `first_line`."""
    message, line, column = split_position(exc)
    return f"not well-formed XML at line {first_line + line - 1}, column {column}: {message}"

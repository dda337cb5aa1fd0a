"""What a file is, from its first bytes, so a parser can refuse the wrong one by name.

A parser given the wrong file must not report success with 0 records: an HTML error page, an
E-utilities `<ERROR>` answer, esummary output or an RSS feed handed to `parse pubmed` would
otherwise look like a quiet day. The first 64 KiB say what a file is: its root element (after the
XML declaration, comments and DOCTYPE), or JSON, or nothing. Each parser names what it expects,
and `wrong_file` says what the file is instead.
"""

from __future__ import annotations

import re

HEAD = 1 << 16

_PROLOG = re.compile(rb"\A(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)*", re.S | re.I)
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_TITLE = re.compile(rb"<title[^>]*>(.{0,200}?)</title", re.S | re.I)
_ERROR = re.compile(rb"<ERROR>(.{0,300}?)</ERROR>", re.S)
_DECLARED = re.compile(rb"\A\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", re.I)
_SINGLE_BYTE = frozenset({"iso-8859-1", "latin-1", "latin1", "iso_8859-1", "windows-1252",
                          "cp1252", "us-ascii", "ascii", "iso-8859-15"})  # fmt: skip
# UTF-8 multi-byte sequences: in a file really in a single-byte encoding they are rare pairs
# like "Ã©"; here they are what a UTF-8 file holds.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)

# root element -> what a person calls that file
_KNOWN_ROOTS = {
    "pubmedarticleset": "PubMed XML (<PubmedArticleSet>)",
    "pubmedarticle": "PubMed XML (<PubmedArticle>)",
    "pubmedbookarticle": "PubMed XML (<PubmedBookArticle>)",
    "esummaryresult": "E-utilities esummary output (<eSummaryResult>)",
    "esearchresult": "E-utilities esearch output (<eSearchResult>)",
    "elinkresult": "E-utilities elink output (<eLinkResult>)",
    "einforesult": "E-utilities einfo output (<eInfoResult>)",
    "epostresult": "E-utilities epost output (<ePostResult>)",
    "rss": "an RSS feed (<rss>)",
    "rdf:rdf": "an RSS 1.0 feed (<rdf:RDF>)",
    "feed": "an Atom feed (<feed>)",
    "responsewrapper": "a Europe PMC search page (<responseWrapper>)",
    "trials_downloaded_from_ictrp": "an ICTRP export (<Trials_downloaded_from_ICTRP>)",
    "html": "an HTML page",
}
_FEED_ROOTS = frozenset({"rss", "rdf:rdf", "feed"})


def root_name(head: bytes) -> str | None:
    """The root element's name as written, or None when the head shows none."""
    prolog = _PROLOG.match(head)
    match = _ROOT.match(head, prolog.end() if prolog else 0)
    return match[1].decode("ascii", "replace") if match else None


def describe(head: bytes) -> str:
    """What the file looks like, for a message: "an HTML page (title "503 …")", "JSON", …"""
    head = head[:HEAD]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        return "UTF-16 text"
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not body:
        return "an empty file"
    if body[:1] in (b"{", b"["):
        return "JSON"
    if not body.startswith(b"<"):
        return "not XML (it does not start with '<')"
    error = _ERROR.search(head)
    if error:
        return f"an E-utilities error answer (<ERROR>{_clip(error[1])}</ERROR>)"
    root = root_name(body)
    if root is None:
        return "XML without a root element"
    known = _KNOWN_ROOTS.get(root.lower())
    if root.lower() == "html" or b"<!doctype html" in body[:200].lower():
        title = _TITLE.search(head)
        return f'an HTML page (title "{_clip(title[1])}")' if title else "an HTML page"
    return known or f"XML with the root element <{root}>"


_NOT_XML = ("UTF-16", "JSON", "not XML", "an E-utilities", "an HTML", "an empty")


def wrong_file(
    head: bytes, expected: str, roots: frozenset[str], strict: bool = True
) -> str | None:
    """The refusal of a file that is not what a parser reads, or None when it may be.

    `roots` are the format's root elements (lower case). `strict=False` is for a format whose
    root varies (ICTRP exports): then only a file known to be something else is refused."""
    what = describe(head)
    root = (root_name(head.lstrip(b"\xef\xbb\xbf \t\r\n")) or "").lower()
    if what.startswith(_NOT_XML):
        bad = True
    elif strict:
        bad = bool(root) and root not in roots  # a root beyond the head: the parser will see
    else:
        bad = root in _KNOWN_ROOTS and root not in roots
    return f"this is {what}, not {expected}" if bad else None


def feed_refusal(head: bytes) -> str | None:
    """A file that is certainly not a feed; anything else goes to feedparser, which reads HTML
    pages, other encodings and broken XML loosely and judges them itself."""
    what = describe(head)
    root = (root_name(head.lstrip(b"\xef\xbb\xbf \t\r\n")) or "").lower()
    if what.startswith(("JSON", "an E-utilities", "an empty")) or (
        root in _KNOWN_ROOTS and root not in _FEED_ROOTS and root != "html"
    ):
        return f"this is {what}, not an RSS or Atom feed (<rss>, <rdf:RDF> or <feed>)"
    return None


def utf8_declared_otherwise(head: bytes) -> tuple[bytes, str | None]:
    """A head that declares a single-byte encoding but holds UTF-8 (every byte above 0x7F in a
    valid UTF-8 sequence) would be read as mojibake ("MÃ¼ller"): the declaration is replaced by
    UTF-8 and a warning saying so is returned. Only the first 64 KiB are looked at."""
    declared = _DECLARED.match(head)
    if not declared or declared[1].decode().lower() not in _SINGLE_BYTE:
        return head, None
    found = _UTF8_SEQUENCE.findall(head[:HEAD])
    high = sum(1 for byte in head[:HEAD] if byte >= 0x80)
    if not found or high != sum(len(sequence) for sequence in found):
        return head, None
    name = declared[1].decode()
    fixed = head[: declared.start(1)] + b"UTF-8" + head[declared.end(1) :]
    warning = (
        f"the file declares encoding {name!r} but its bytes are UTF-8 ({len(found)} multi-byte "
        "sequences in its first 64 KiB): read as UTF-8; fix the declaration"
    )
    return fixed, warning


def _clip(text: bytes) -> str:
    return " ".join(text.decode("utf-8", "replace").split())[:120]

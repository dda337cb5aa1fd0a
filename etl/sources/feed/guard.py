"""What a feed body must pass before feedparser sees it.

feedparser reads anything, and pays for it: 30 MB of nested tags took minutes and gigabytes, and
a character reference to a surrogate or past U+10FFFF (`&#55357;`, `&#x110000;`) makes it raise
instead of setting `bozo`. So a body larger than the configured cap or nested deeper than any
feed is refused with a reason, and such character references are rewritten first: a surrogate
pair written as two references becomes the character it stands for, anything else U+FFFD.
"""

from __future__ import annotations

import contextlib
import re

from lxml import etree

MAX_BYTES = 10 * 1024 * 1024  # default of [sources.feed] max_bytes
MAX_DEPTH = 256  # libxml2's limit without XML_PARSE_HUGE; real feeds stay under 20
_RESOURCE_LIMIT = etree.ErrorTypes.ERR_RESOURCE_LIMIT

_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,16})|([0-9]{1,20}));")
_PAIR = re.compile(
    rb"&#(?:[xX]0*([dD][89abAB][0-9a-fA-F]{2})|(5[56][0-9]{3}));"
    rb"&#(?:[xX]0*([dD][c-fC-F][0-9a-fA-F]{2})|(5[67][0-9]{3}));"
)


class _Elements:
    """A parser target that keeps nothing and takes no text (text is never decoded)."""

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        pass

    def end(self, tag: str) -> None:
        pass

    def close(self) -> None:
        return None


def fix_char_refs(body: bytes) -> bytes:
    """Character references feedparser cannot take, made harmless (see the module's note)."""
    if b"&#" not in body:
        return body
    body = _PAIR.sub(_joined, body)
    return _CHAR_REF.sub(_checked, body)


def _joined(match: re.Match[bytes]) -> bytes:
    high = int(match[1], 16) if match[1] else int(match[2])
    low = int(match[3], 16) if match[3] else int(match[4])
    if not (0xD800 <= high <= 0xDBFF and 0xDC00 <= low <= 0xDFFF):
        return match[0]
    return b"&#x%X;" % (0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))


def _checked(match: re.Match[bytes]) -> bytes:
    code = int(match[1], 16) if match[1] else int(match[2])
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return b"&#xFFFD;"
    return match[0]


def body_problem(body: bytes, max_bytes: int = MAX_BYTES) -> str | None:
    """Why a body is refused before parsing, or None."""
    if len(body) > max_bytes:
        return (
            f"the feed is larger than the limit of {max_bytes:,} bytes "
            "([sources.feed] max_bytes in config/sources.toml); not parsed"
        )
    if too_deep(body):
        return f"elements nested more than {MAX_DEPTH} deep: not a feed anyone writes"
    return None


def too_deep(body: bytes) -> bool:
    """Whether elements nest past libxml2's default limit of 256, read in recovery mode (a feed
    need not be well formed) and without building a tree: milliseconds for a real feed."""
    parser = etree.XMLParser(
        # lxml-stubs require every target method; lxml calls only those a target has (no `data`:
        # text is never decoded)
        target=_Elements(),  # type: ignore[arg-type]
        recover=True, huge_tree=False, resolve_entities=False,
        no_network=True, load_dtd=False,
    )  # fmt: skip
    # Not XML, or text libxml2 passes on but cannot decode: feedparser's loose parser judges it.
    with contextlib.suppress(etree.XMLSyntaxError, ValueError):
        etree.fromstring(body, parser)
    return any(entry.type == _RESOURCE_LIMIT for entry in parser.error_log)

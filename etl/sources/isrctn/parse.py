"""ISRCTN API answers (and saved files of them) -> normalised trial records, offline.

An answer is one `<fullTrial>` (`/api/trial/<number>/format/default`) or an `<allTrials>` list of
them (`/api/query/...`); either is small, so it is read whole with entities never resolved and
nothing fetched. A `<fullTrial>` without a number is quarantined by its position while the others
come through; a body that is no XML, or XML of something else, is one quarantine entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from etl.records import Quarantined, SourceRecord, failure_reason
from etl.sources.base import MAX_PAGE, read_page
from etl.sources.isrctn.fields import SOURCE, trial_record
from etl.sources.xmlstream import SAFE_XML

ROOTS = frozenset({"fulltrial", "alltrials"})

ParseResult = SourceRecord | Quarantined


def parse_isrctn(source: str | Path | bytes, location: str | None = None) -> Iterator[ParseResult]:
    """Records (and quarantined failures) from an ISRCTN API answer or a saved file of one
    (`.xml` or `.xml.gz`); `location` names it in messages (the file name, or `<response>`)."""
    where, body = read_page(SOURCE, source, location, "an ISRCTN answer", MAX_PAGE)
    if isinstance(body, Quarantined):
        yield body
        return
    try:
        root = etree.fromstring(body, etree.XMLParser(**SAFE_XML))
    except etree.XMLSyntaxError as exc:
        yield Quarantined(SOURCE, where, "", f"not well-formed XML: {exc}", body, whole_file=True)
        return
    name = etree.QName(root).localname.lower() if isinstance(root.tag, str) else ""
    if name not in ROOTS:
        reason = f"not an ISRCTN answer: the root is <{name}>, not <fullTrial> or <allTrials>"
        yield Quarantined(SOURCE, where, "", reason, body[:4096], whole_file=True)
        return
    trials = [root] if name == "fulltrial" else [
        child for child in root if isinstance(child.tag, str)
        and etree.QName(child).localname == "fullTrial"
    ]  # fmt: skip
    for number, full in enumerate(trials, 1):
        raw = etree.tostring(full, with_tail=False)
        try:
            yield SourceRecord(trial_record(full), raw, where)
        except Exception as exc:  # a ParseError, or a value no rule foresaw: this trial's failure
            reason = f"fullTrial {number} in the answer: {failure_reason(exc)}"
            yield Quarantined(SOURCE, where, "", reason, raw)

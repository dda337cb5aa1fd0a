"""One `<Trial>` of a WHO ICTRP XML export -> the public trial record shape (as CT.gov's).

The export is flat text fields copied from each primary registry, with each registry's own
wording: statuses, phases, study types and date formats differ per registry, ChiCTR pads titles
with hundreds of spaces, and some text arrives escaped twice (`&amp;#32;` for a space, `&lt;br&gt;`
for a line break). Status and phase are mapped to CT.gov's vocabulary where the mapping is
unambiguous, and the registry's own words are kept beside them (`status_text`, `phase_text`).
"""

from __future__ import annotations

import datetime as dt
import html
import re

from lxml import etree

from etl.normalize.id_fields import registry_ids_in_field
from etl.normalize.identifiers import unique
from etl.normalize.script import shift_tags
from etl.normalize.text import drop_unresolved, month_number, squash
from etl.records import Identifiers, Trial
from etl.sources.base import registry_identifiers

SOURCE = "ictrp"

_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_BREAK = re.compile(r"<br\s*/?>", re.I)
_LIST_SEPARATOR = re.compile(r";|<br\s*/?>", re.I)
_ID_SEPARATOR = re.compile(r"[;,]|<br\s*/?>", re.I)

# Status words whose upper-snake spelling is not already CT.gov's.
_STATUS_ALIASES = {"UNKNOWN_STATUS": "UNKNOWN"}

# "0" alone is ChiCTR's default, used by observational studies too: it says nothing.
_NO_PHASE = frozenset({"", "0", "n/a", "na", "not applicable", "none", "not specified"})
_NUMERAL = r"(?:iv|iii|ii|i|[0-4])[ab]?"
_PHASE_PART = rf"(?:phase\s*)?{_NUMERAL}"
_PHASE_LIST = re.compile(
    rf"{_PHASE_PART}(?:(?:\s*(?:/|-|,|&|\+|\band\b|\bto\b)\s*|\s+){_PHASE_PART})*"
)
_PHASE_NUMBER = re.compile(r"(?<![a-z0-9])(iv|iii|ii|i|[0-4])(?:[ab])?(?![a-z0-9])")
_PHASE_VALUES = {"0": 0, "i": 1, "1": 1, "ii": 2, "2": 2, "iii": 3, "3": 3, "iv": 4, "4": 4}
_PHASE_NAMES = ("EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4")
_EARLY_PHASE = re.compile(r"early\s+phase\s*(?:1|i)")

_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ]\d{1,2}:\d{2}\S*)?")
_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+\d{1,2}:\d{2}.*)?")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})")
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})")
_GROUP_SIZE = re.compile(r":\s*(\d+)\s*$")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


class ParseError(ValueError):
    """A `<Trial>` that is well-formed XML but not a usable record (no TrialID)."""


def trial_record(trial: etree._Element) -> Trial:
    """The public record shape for one `<Trial>` element; ParseError when it has no TrialID."""
    fields = _fields(trial)
    trial_id = clean(fields.get("trialid"))
    if not trial_id:
        raise ParseError("no TrialID")
    status_text = clean(fields.get("recruitment_status"))
    phase_text = clean(fields.get("phase"))
    start = parse_date(fields.get("date_enrollement"))
    refreshed = parse_date(fields.get("last_refreshed_on"))
    title = clean(fields.get("public_title"))
    official = clean(fields.get("scientific_title"))
    return {
        "source": SOURCE,
        "source_id": trial_id,
        "kind": "trial",
        "deleted": False,
        "identifiers": _identifiers(trial_id, fields),
        "title": title or official or "",
        "official_title": official,
        "acronym": clean(fields.get("acronym")),
        "abstract": "",
        "status": status_of(status_text),
        "status_text": status_text,
        "why_stopped": None,
        "phases": phases_of(phase_text),
        "phase_text": phase_text,
        "study_type": study_type_of(clean(fields.get("study_type"))),
        "conditions": items(fields.get("condition")),
        "keywords": [],
        "interventions": items(fields.get("intervention")),
        "arms": [],
        "sponsor": clean(fields.get("primary_sponsor")),
        "collaborators": items(fields.get("secondary_sponsor")),
        "enrollment": enrollment_of(fields.get("target_size")),
        "enrollment_type": None,
        "countries": items(fields.get("countries")),
        "start_date": start,
        "primary_completion_date": None,
        "completion_date": parse_date(fields.get("results_date_completed")),
        "first_posted": parse_date(fields.get("date_registration3"))
        or parse_date(fields.get("date_registration")),
        "last_update_posted": refreshed,
        "has_results": _has_results(fields),
        "results_first_posted": parse_date(fields.get("results_date_posted")),
        "reference_pmids": [],
        "mesh_terms": [],
        "published": start,
        "revised": refreshed,
        "retracted": False,
        "corrections": [],
        "url": clean(fields.get("web_address")),
    }


def _fields(trial: etree._Element) -> dict[str, str]:
    """Child texts by lower-cased tag (column names vary in case); repeated tags joined by ";"."""
    found: dict[str, str] = {}
    for child in trial:
        if not isinstance(child.tag, str):
            # comments and processing instructions (lxml-stubs type every tag as str)
            continue  # type: ignore[unreachable]
        text = (child.text or "") if len(child) == 0 else _text_of(child)
        key = child.tag.lower()
        found[key] = f"{found[key]};{text}" if key in found else text
    return found


def _text_of(elem: etree._Element) -> str:
    """itertext() without what an unresolved entity reference would put in ("&xxe;"): entities
    are never resolved, so a reference stands for nothing; the text after it is kept."""
    parts = [elem.text or ""]
    for node in elem.iterdescendants():
        if isinstance(node.tag, str):
            parts.append(node.text or "")
        parts.append(node.tail or "")
    return "".join(parts)


def _identifiers(trial_id: str, fields: dict[str, str]) -> Identifiers:
    """The trial's own id (canonical when it is a known registry's) and ids in Secondary_IDs.

    An id of a registry without a normaliser (IRCT, PACTR, NL…) is kept as given: it is still the
    registry's id of this trial, and the only one it has.
    """
    registry = registry_ids_in_field(trial_id, eudract_hint=True) or [trial_id]
    secondary: list[str] = []
    raw = ";".join(fields.get(name, "") for name in ("secondary_ids", "secondary_id"))
    for part in _ID_SEPARATOR.split(decoded(raw)):
        value = squash(part)
        found = registry_ids_in_field(value, eudract_hint=True)
        if found:
            registry.extend(found)
        elif value:
            secondary.append(value)
    return registry_identifiers(registry, secondary)


def _has_results(fields: dict[str, str]) -> bool:
    flag = (clean(fields.get("results_yes_no")) or "").lower()
    return flag in ("yes", "true") or bool(clean(fields.get("results_url_link")))


def decoded(text: str | None) -> str:
    """Character references left over from double escaping resolved: "a&#32;b" -> "a b"."""
    if not text:
        return ""
    if "&" not in text:
        return text
    return drop_unresolved(_ENTITY.sub(lambda m: html.unescape(m[0]), text))


def clean(text: str | None) -> str | None:
    """One text field: entities resolved, escaped breaks and padding squashed; None if empty."""
    return squash(_BREAK.sub(" ", shift_tags(decoded(text)))) or None


def items(text: str | None) -> list[str]:
    """A multi-value field split on ";" and escaped line breaks, each value squashed, no repeats.

    Entities are resolved first: "&#32;" itself contains a ";".
    """
    return unique(squash(part) for part in _LIST_SEPARATOR.split(decoded(text)))


def status_of(text: str | None) -> str | None:
    """CT.gov's spelling of a recruitment status ("Not yet recruiting" -> NOT_YET_RECRUITING).

    Statuses CT.gov has no word for keep the registry's, in the same upper-snake form:
    "Not Recruiting" -> NOT_RECRUITING, "Pending" -> PENDING.
    """
    if not text:
        return None
    snake = re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")
    return _STATUS_ALIASES.get(snake, snake) or None


def phases_of(text: str | None) -> list[str]:
    """CT.gov phases for a registry's phase text; [] for "not applicable" and for anything unclear.

    "Phase 1" -> [PHASE1]; "Phase I/II", "1-2", "Phase 1/Phase 2" -> [PHASE1, PHASE2];
    "Early Phase 1" and "Phase 0" -> [EARLY_PHASE1] (CT.gov's name for phase 0);
    "N/A", "0", "Retrospective study" -> [].
    """
    key = squash(text).lower()
    if key in _NO_PHASE:
        return []
    if _EARLY_PHASE.fullmatch(key):
        return ["EARLY_PHASE1"]
    if not _PHASE_LIST.fullmatch(key):
        return []
    numbers = {_PHASE_VALUES[n] for n in _PHASE_NUMBER.findall(key.replace("phase", " "))}
    return [_PHASE_NAMES[n] for n in sorted(numbers)]


def study_type_of(text: str | None) -> str | None:
    """CT.gov's study type where the registry's is one of them; else the registry's own words.

    ChiCTR's "Diagnostic test", "Treatment study", "Prevention"… do not say whether patients are
    assigned to an intervention, so they are kept as written.
    """
    if not text:
        return None
    key = text.lower()
    for prefix, name in (
        ("interventional", "INTERVENTIONAL"),
        ("observational", "OBSERVATIONAL"),
        ("expanded access", "EXPANDED_ACCESS"),
    ):
        if key.startswith(prefix):
            return name
    return text


def enrollment_of(text: str | None) -> int | None:
    """Target size: a number, or ChiCTR's per-group "Experimental group:30;Control group:30;"
    summed; None when any part is not a count."""
    value = _THOUSANDS.sub("", clean(text) or "")
    if value.isdigit():
        return int(value)
    parts = [part for part in map(squash, value.split(";")) if part]
    sizes = [_GROUP_SIZE.search(part) for part in parts]
    if not parts or not all(sizes):
        return None
    return sum(int(match[1]) for match in sizes if match)


def parse_date(text: str | None) -> str | None:
    """ISO date (partial allowed) from the formats registries use in ICTRP exports.

    "20200314", "2020-03-14", "14/03/2020" (day first, as ICTRP writes it; read month first only
    when the second number cannot be a month), "14 March 2020", "March 14, 2020", "March 2020".
    An impossible date (31 February) is None rather than a guess.
    """
    value = clean(text)
    if not value:
        return None
    if match := _COMPACT_DATE.fullmatch(value):
        return _iso(match[1], match[2], match[3])
    if match := _ISO_DATE.fullmatch(value):
        return _iso(match[1], match[2], match[3])
    if match := _SLASH_DATE.fullmatch(value):
        day, month = match[1], match[2]
        if int(month) > 12 >= int(day):
            day, month = month, day
        return _iso(match[3], month, day)
    if match := _DAY_MONTH_YEAR.fullmatch(value):
        return _iso(match[3], match[2], match[1])
    if match := _MONTH_DAY_YEAR.fullmatch(value):
        return _iso(match[3], match[1], match[2])
    return None


def _iso(year: str, month: str | None, day: str | None) -> str | None:
    """A partial ISO date, checked against the calendar; None if impossible."""
    if month is None:
        return year
    number = month_number(month)
    if number is None:
        return None
    if day is None:
        return f"{year}-{number:02d}"
    try:
        return dt.date(int(year), number, int(day)).isoformat()
    except ValueError:
        return None

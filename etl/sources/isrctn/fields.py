"""One ISRCTN `<fullTrial>` (the registry's XML API, namespace http://www.67bricks.com/isrctn) ->
the public trial record shape, as CT.gov's and ICTRP's trials have it.

The registry writes its number without the prefix (`<isrctn>12345678</isrctn>`), its phase per
intervention ("Phase II", "Not Applicable"), its countries and conditions as repeated elements,
and other registries' ids in `externalRefs` (where "Nil known" and "N/A" mean none). Phase, study
type and enrolment reuse ICTRP's readers: the ISRCTN wording is the one ICTRP passes on.
"""

from __future__ import annotations

from lxml import etree

from etl.normalize.id_fields import registry_ids_in_field
from etl.normalize.identifiers import unique
from etl.normalize.text import squash
from etl.records import Identifiers, Trial
from etl.sources.base import registry_identifiers
from etl.sources.ictrp.fields import enrollment_of, parse_date, phases_of, status_of, study_type_of

SOURCE = "isrctn"
RECORD_URL = "https://www.isrctn.com/ISRCTN{number}"

# externalRefs children that hold another registry's id of the same trial.
_REGISTRY_REFS = ("clinicalTrialsGovNumber", "eudraCTNumber", "euCtNumber", "otherRegistryIds")
# externalRefs children that are the sponsor's or funder's own numbers: kept, never merged on.
_OTHER_REFS = ("protocolSerialNumber", "irasNumber", "secondaryNumbers")
_NONE = frozenset({"", "nil known", "n/a", "na", "none", "not applicable", "not provided"})


class ParseError(ValueError):
    """A `<fullTrial>` that is well-formed XML but not a usable record (no ISRCTN number)."""


def trial_record(full: etree._Element) -> Trial:
    """The public record shape for one `<fullTrial>`; ParseError when it has no number."""
    trial = _child(full, "trial")
    if trial is None:
        raise ParseError("no <trial> in the <fullTrial>")
    number = "".join(ch for ch in (_text(trial, "isrctn") or "") if ch.isdigit())
    if len(number) != 8:
        raise ParseError(f"no 8-digit isrctn number (found {_text(trial, 'isrctn')!r})")
    source_id = f"ISRCTN{number}"
    description = _child(trial, "trialDescription")
    design = _child(trial, "trialDesign")
    participants = _child(trial, "participants")
    interventions = _all(trial, "interventions", "intervention")
    conditions = _all(trial, "conditions", "condition")
    countries = _all(participants, "recruitmentCountries", "country")
    phase_text = "; ".join(unique(_text(item, "phase") for item in interventions)) or None
    status_text = _text(participants, "recruitmentStatusOverride") or _text(
        design, "overallStatusOverride"
    )
    title = _text(description, "title")
    official = _text(description, "scientificTitle")
    start = parse_date(_text(design, "overallStartDate") or _text(participants, "recruitmentStart"))
    updated = parse_date(trial.get("lastUpdated"))
    registered = parse_date(trial.get("dateAssigned") or trial.get("dateIdAssigned"))
    return {
        "source": SOURCE,
        "source_id": source_id,
        "kind": "trial",
        "deleted": False,
        "identifiers": _identifiers(source_id, _child(trial, "externalRefs")),
        "title": title or official or "",
        "official_title": official,
        "acronym": _text(description, "acronym"),
        "abstract": _text(description, "plainEnglishSummary") or "",
        "status": status_of(status_text),
        "status_text": status_text,
        "why_stopped": None,
        "phases": phases_of(phase_text),
        "phase_text": phase_text,
        "study_type": study_type_of(_text(design, "primaryStudyDesign")),
        "conditions": unique(_text(item, "description") for item in conditions),
        "keywords": [],
        "interventions": unique(_intervention(item) for item in interventions),
        "arms": [],
        "sponsor": next((name for name in map(_sponsor, _children(full, "sponsor")) if name), None),
        "collaborators": unique(_text(funder, "name") for funder in _children(full, "funder")),
        "enrollment": enrollment_of(_text(participants, "targetEnrolment")),
        "enrollment_type": "ESTIMATED" if _text(participants, "targetEnrolment") else None,
        "countries": unique(squash(country.text) for country in countries),
        "start_date": start,
        "primary_completion_date": None,
        "completion_date": parse_date(_text(design, "overallEndDate")),
        "first_posted": registered,
        "last_update_posted": updated,
        "has_results": False,
        "results_first_posted": None,
        "reference_pmids": [],
        "mesh_terms": [],
        "published": registered or start,
        "revised": updated,
        "retracted": False,
        "corrections": [],
        "url": RECORD_URL.format(number=number),
    }


def _identifiers(source_id: str, refs: etree._Element | None) -> Identifiers:
    """The ISRCTN number first, then other registries' ids of the trial; sponsors' numbers apart."""
    registry = [source_id]
    secondary: list[str] = []
    for name in _REGISTRY_REFS:
        value = _text(refs, name)
        if value and value.lower() not in _NONE:
            registry.extend(registry_ids_in_field(value, eudract_hint=True))
    for name in _OTHER_REFS:
        value = _text(refs, name)
        if value and value.lower() not in _NONE:
            secondary.append(value)
    return registry_identifiers(registry, secondary)


def _intervention(item: etree._Element) -> str | None:
    """Type and drug names as CT.gov writes an intervention ("Drug: X"), else its description."""
    kind = _text(item, "interventionType")
    name = _text(item, "drugNames") or _text(item, "description")
    if not name:
        return None
    return f"{kind}: {name}" if kind and kind.lower() != "other" else name


def _sponsor(sponsor: etree._Element) -> str | None:
    return _text(sponsor, "organisation") or _text(sponsor, "name")


def _local(elem: etree._Element) -> str:
    return etree.QName(elem).localname if isinstance(elem.tag, str) else ""


def _children(parent: etree._Element | None, name: str) -> list[etree._Element]:
    """Children named `name` in any namespace (the API's is a default namespace)."""
    if parent is None:
        return []
    return [child for child in parent if _local(child) == name]


def _child(parent: etree._Element | None, name: str) -> etree._Element | None:
    found = _children(parent, name)
    return found[0] if found else None


def _all(parent: etree._Element | None, group: str, name: str) -> list[etree._Element]:
    return [item for holder in _children(parent, group) for item in _children(holder, name)]


def _text(parent: etree._Element | None, name: str) -> str | None:
    elem = _child(parent, name)
    if elem is None:
        return None
    return squash("".join(str(part) for part in elem.itertext())) or None

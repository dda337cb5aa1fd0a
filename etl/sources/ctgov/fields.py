"""One CT.gov API v2 study object -> the public trial record shape.

The API omits modules that were not requested (`fields=`) and fields that are empty, and later
2.0.x releases add fields and enum values; so every read here tolerates a missing or mistyped
value and falls back to None or [] instead of failing the whole study. Only a study without a
usable NCT id is an error: without it the record has no identity.
"""

from __future__ import annotations

import re
from typing import Any

from etl.normalize.identifiers import normalize_pmid, unique
from etl.normalize.text import squash
from etl.sources.ctgov.ids import nct_of, registry_ids_in_field

SOURCE = "ctgov"

# Secondary id types that name a funder's or agency's number, never a trial registry's.
GRANT_TYPES = frozenset({"NIH", "FDA", "VA", "CDC", "AHRQ", "SAMHSA", "OTHER_GRANT"})

_ISO_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
# CommonMark backslash escapes (the API's default markup is markdown): "\[rHGG\]" -> "[rHGG]".
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


class ParseError(ValueError):
    """A study that is valid JSON but not a usable record (no NCT id)."""


def study_record(study: dict[str, Any]) -> dict[str, Any]:
    """The public record shape for one study object; ParseError when it has no NCT id."""
    protocol = _obj(study, "protocolSection")
    ident = _obj(protocol, "identificationModule")
    raw_nct = ident.get("nctId")
    if raw_nct is None or (isinstance(raw_nct, str) and not raw_nct.strip()):
        raise ParseError("no NCT id (protocolSection.identificationModule.nctId)")
    nct = nct_of(raw_nct)
    if nct is None:
        raise ParseError(f"malformed NCT id: {raw_nct!r}")
    status = _obj(protocol, "statusModule")
    design = _obj(protocol, "designModule")
    enrollment = _obj(design, "enrollmentInfo")
    sponsors = _obj(protocol, "sponsorCollaboratorsModule")
    arms = _obj(protocol, "armsInterventionsModule")
    conditions = _obj(protocol, "conditionsModule")
    start = _date(status, "startDateStruct")
    updated = _date(status, "lastUpdatePostDateStruct")
    return {
        "source": SOURCE,
        "source_id": nct,
        "kind": "trial",
        "deleted": False,
        "identifiers": _identifiers(nct, ident),
        "title": _text(ident.get("briefTitle")) or "",
        "official_title": _text(ident.get("officialTitle")),
        "acronym": _text(ident.get("acronym")),
        "abstract": _markdown_text(_obj(protocol, "descriptionModule").get("briefSummary")),
        "status": _text(status.get("overallStatus")),
        "why_stopped": _text(status.get("whyStopped")),
        "phases": _texts(design.get("phases")),
        "study_type": _text(design.get("studyType")),
        "conditions": unique(_texts(conditions.get("conditions"))),
        "keywords": unique(_texts(conditions.get("keywords"))),
        "interventions": unique(_intervention(i) for i in _objs(arms.get("interventions"))),
        "arms": [_arm(group) for group in _objs(arms.get("armGroups"))],
        "sponsor": _text(_obj(sponsors, "leadSponsor").get("name")),
        "collaborators": unique(_text(c.get("name")) for c in _objs(sponsors.get("collaborators"))),
        "enrollment": _count(enrollment.get("count")),
        "enrollment_type": _text(enrollment.get("type")),
        "countries": _countries(protocol),
        "start_date": start,
        "primary_completion_date": _date(status, "primaryCompletionDateStruct"),
        "completion_date": _date(status, "completionDateStruct"),
        "first_posted": _date(status, "studyFirstPostDateStruct"),
        "last_update_posted": updated,
        "has_results": study.get("hasResults") is True,
        "results_first_posted": _date(status, "resultsFirstPostDateStruct"),
        "primary_results": _primary_results(study),
        "reference_pmids": _reference_pmids(protocol),
        "mesh_terms": _mesh_terms(study),
        "published": start,
        "revised": updated,
        "retracted": False,
        "corrections": [],
    }


def _identifiers(nct: str, ident: dict[str, Any]) -> dict[str, Any]:
    """The NCT id first, then merged-away NCT ids, then registry ids filed as secondary ids.

    Secondary ids that are no registry's (grant numbers, sponsor codes, French IDRCB numbers)
    are kept apart as plain strings: they help a person, but must never merge two works.
    """
    registry = [nct]
    registry.extend(alias for alias in map(nct_of, _texts(ident.get("nctIdAliases"))) if alias)
    secondary: list[str | None] = []
    for info in _objs(ident.get("secondaryIdInfos")):
        value = _text(info.get("id"))
        kind = _text(info.get("type")) or ""
        domain = (_text(info.get("domain")) or "").lower()
        hint = kind not in GRANT_TYPES or "eudra" in domain
        found = registry_ids_in_field(value, eudract_hint=hint)
        if found:
            registry.extend(found)
        else:
            secondary.append(value)
    return {
        "nct": nct,
        "org_study_id": _text(_obj(ident, "orgStudyIdInfo").get("id")),
        "registry_ids": unique(registry),
        "secondary_ids": unique(secondary),
    }


def _intervention(item: dict[str, Any]) -> str | None:
    """Type and name as the API itself writes arm groups' interventions: "Biological: X"."""
    name = _text(item.get("name"))
    kind = _text(item.get("type"))
    if not name:
        return None
    return f"{kind.replace('_', ' ').title()}: {name}" if kind else name


def _arm(group: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": _text(group.get("label")),
        "type": _text(group.get("type")),
        "description": _text(group.get("description")),
        "interventions": _texts(group.get("interventionNames")),
    }


def _primary_results(study: dict[str, Any]) -> list[dict[str, Any]]:
    """The measured values of each primary outcome with posted results: per group its title,
    participants analysed and first value; the first analysis's hazard ratio and P value. The
    digest reports these figures, not just that results were posted."""
    module = _obj(_obj(study, "resultsSection"), "outcomeMeasuresModule")
    found = []
    for measure in _objs(module.get("outcomeMeasures")):
        if _text(measure.get("type")) != "PRIMARY":
            continue
        titles = {_text(g.get("id")): _text(g.get("title")) for g in _objs(measure.get("groups"))}
        counts: dict[str | None, str | None] = {}
        for denom in _objs(measure.get("denoms"))[:1]:
            counts = {
                _text(c.get("groupId")): _text(c.get("value")) for c in _objs(denom.get("counts"))
            }
        values: dict[str | None, str | None] = {}
        for klass in _objs(measure.get("classes"))[:1]:
            for category in _objs(klass.get("categories"))[:1]:
                for item in _objs(category.get("measurements")):
                    values.setdefault(_text(item.get("groupId")), _text(item.get("value")))
        analysis = next(iter(_objs(measure.get("analyses"))), {})
        kind = _text(analysis.get("paramType")) or ""
        found.append(
            {
                "title": _text(measure.get("title")),
                "unit": _text(measure.get("unitOfMeasure")),
                "time_frame": _text(measure.get("timeFrame")),
                "param_type": _text(measure.get("paramType")),
                "groups": [
                    {"title": title, "n": counts.get(gid), "value": values.get(gid)}
                    for gid, title in titles.items()
                ],
                "hr": _text(analysis.get("paramValue")) if "hazard" in kind.lower() else None,
                "p": _text(analysis.get("pValue")),
            }
        )
    return found


def _countries(protocol: dict[str, Any]) -> list[str]:
    locations = _objs(_obj(protocol, "contactsLocationsModule").get("locations"))
    return unique(_text(site.get("country")) for site in locations)


def _reference_pmids(protocol: dict[str, Any]) -> list[str]:
    references = _objs(_obj(protocol, "referencesModule").get("references"))
    return unique(normalize_pmid(ref.get("pmid")) for ref in references)


def _mesh_terms(study: dict[str, Any]) -> list[str]:
    derived = _obj(study, "derivedSection")
    terms: list[str | None] = []
    for module in ("conditionBrowseModule", "interventionBrowseModule"):
        terms.extend(_text(mesh.get("term")) for mesh in _objs(_obj(derived, module).get("meshes")))
    return unique(terms)


def _date(module: dict[str, Any], key: str) -> str | None:
    """A `{date, type}` struct's date when it is ISO (`yyyy`, `yyyy-MM` or `yyyy-MM-dd`)."""
    value = _text(_obj(module, key).get("date"))
    return value if value and _ISO_DATE.match(value) else None


def _count(value: Any) -> int | None:
    # bool is an int subclass; a JSON true is no enrollment count
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _markdown_text(value: Any) -> str:
    """Plain text from a markdown field: escapes undone, whitespace (paragraphs too) squashed."""
    text = _text(value) or ""
    return _MARKDOWN_ESCAPE.sub(r"\1", text) if "\\" in text else text


def _text(value: Any) -> str | None:
    """A squashed non-empty string, or None (for absent, empty and non-string values)."""
    return (squash(value) or None) if isinstance(value, str) else None


def _texts(value: Any) -> list[str]:
    """The non-empty strings of a JSON list, squashed; [] when it is not a list."""
    if not isinstance(value, list):
        return []
    return [text for text in map(_text, value) if text]


def _obj(container: dict[str, Any], key: str) -> dict[str, Any]:
    value = container.get(key)
    return value if isinstance(value, dict) else {}


def _objs(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON list; anything else in it (or a non-list) is skipped."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []

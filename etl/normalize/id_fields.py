"""Registry ids in *id fields* (not prose), shared by the CT.gov and ICTRP parsers.

`find_registry_ids` is built for free text, so it only accepts a EudraCT number next to a
"EudraCT" label (a bare `2020-001234-56` in an abstract may be a date range or a phone number).
An id field is different: CT.gov files EudraCT numbers bare under type `EUDRACT_NUMBER`, and ICTRP
writes them as `EUCTR2020-001234-56-PT` (country suffix). The helpers here accept those spellings
when the field says so, and otherwise defer to `etl.normalize.identifiers` for the canonical form.
"""

from __future__ import annotations

import re

from etl.normalize.identifiers import find_registry_ids, normalize_registry_id
from etl.normalize.text import squash

# A EudraCT number alone in the field, optionally as ICTRP spells EU CTR records.
_EUDRACT_FIELD = re.compile(r"(?:EUCTR\s*-?\s*)?((?:19|20)\d{2}-\d{6}-\d{2})(?:-[A-Z]{2,3})?", re.I)
_EUCTR_PREFIX = re.compile(r"^EUCTR", re.I)


def registry_ids_in_field(value: object, eudract_hint: bool = False) -> list[str]:
    """Canonical registry ids in one id field, first appearance first; [] when there is none.

    `eudract_hint` says the field may hold a bare EudraCT number (a registry-id field, or a CT.gov
    secondary id that is not a grant number); an `EUCTR…` spelling is accepted without it.
    """
    text = squash(value if isinstance(value, str) else None)
    if not text:
        return []
    found = [canonical for _, canonical in find_registry_ids(text)]
    if found:
        return found
    match = _EUDRACT_FIELD.fullmatch(text)
    if match and (eudract_hint or _EUCTR_PREFIX.match(text)):
        parsed = normalize_registry_id(f"EudraCT {match[1]}")
        return [parsed[1]] if parsed else []
    return []


def nct_of(value: object) -> str | None:
    """The canonical NCT id when `value` is exactly one NCT id, else None."""
    parsed = normalize_registry_id(value) if isinstance(value, str) else None
    return parsed[1] if parsed and parsed[0] == "nct" else None

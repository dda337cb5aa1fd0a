"""Problems core code reports to a person (a guard that stops an issue, a job's health, where a
reference was looked for) as a code and its facts, not as a finished sentence: the command line
and the logs print the English below, and the editor pages word the same facts in the editor's
language through their catalog (`etl/digest/i18n.py`), which has an entry for every code here.

A parameter may itself be a Problem (a link's fault inside "link …: {reason}"), worded in the
same language as the problem that holds it. A tuple is a list: of problems, separated as clauses
("; ", "；"), or of names ("pubmed, ctgov", "pubmed、ctgov").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# The English of every code: exactly the texts the command line has always printed.
ENGLISH: dict[str, str] = {
    # the digest's guards (etl/digest/guards.py)
    "guard_in_edition": "{edition}: {problem}",
    "edition_of_zh": "zh edition",
    "edition_of_en": "en edition",
    "guard_text_part": "text part: {problem}",
    "guard_html_size": (
        "HTML is {size:.1f} KB as sent, over the {limit:.0f} KB limit (Gmail clips it)"
    ),
    "guard_long_lines": "{edition}: {count} line(s) of the message are over {limit} octets",
    "guard_link": "link {value!r} ({label!r}): {reason}",
    "guard_text_link": "link {value!r}: {reason}",
    "guard_empty_heading": "heading {heading!r} has nothing under it",
    "guard_old_item": (
        "item {position} (work {work_id}, {title!r}) is shown as new but dates from {day}, "
        "outside {first}..{last}"
    ),
    "link_empty": "empty",
    "link_whitespace": "contains whitespace",
    "link_mailto": "mailto without an address",
    "link_scheme": "not an absolute http(s) or mailto link",
    "link_host": "no proper host name",
    # a job's health (etl/ops/health.py)
    "health_never_run": "no finished run yet",
    "health_late": (
        "no run since it was due at {due:%Y-%m-%d %H:%M %Z}: is `mscwatch run` running?"
    ),
    "health_partial": "worked, but set records aside: see the run's counts",
    "health_quiet_since": "the service answered; nothing new since {since:%Y-%m-%d}",
    "health_quiet_yet": "the service answered; nothing new yet",
    "health_ok": "worked",
    "health_stale": (
        "the service answers, but with nothing new since {since:%Y-%m-%d} ({silence}), where "
        "the {runs} runs before that brought news at least every {gap}: the query, the "
        "service's index or the window may be stuck"
    ),
    "health_days": "{n:.0f} days",
    "health_hours": "{n:.0f} hours",
    "health_failed": "failed: {error}",
    "health_failed_silently": "failed: no reason recorded",
    "health_empty": (
        "answered with no records at all, where the {runs} runs before fetched a median of "
        "{median:g}: the query or the service may have changed"
    ),
    "health_streak": "{streak} runs in a row; the last {reason}",
    "health_disabled": (
        "{feeds}; no longer fetched: fix its url in config/sources.toml, or remove the feed there"
    ),
    "health_disabled_feed": "feed {name}: {reason}",
    "health_said": "{text}",
    "separator": "; ",
    "name_separator": ", ",
    "alert_open_mailed": "open since {since} (operators mailed)",
    "alert_open_unmailed": "open since {since} (not mailed)",
    # where a reference was looked for (etl/pipeline/lookup.py)
    "lookup_not_asked": "not in the database (sources not asked)",
    "lookup_no_source": "not in the database, and no source fetches {scheme} ids",
    "lookup_nowhere": "not in the database, nor at {sources}",
}


class Problem(str):
    """What is wrong, as `code` (a key of ENGLISH and of the editor catalog) and the facts its
    wording needs. It is its English text as well, so whatever joined, compared, logged or put
    into JSON the old sentences still does, unchanged; only a page in another language asks for
    `worded`."""

    code: str
    params: Mapping[str, Any]

    def __new__(cls, code: str, **params: Any) -> Problem:
        if code not in ENGLISH:
            raise KeyError(f"no wording for the problem code {code!r}")
        made = super().__new__(cls, _worded(code, params, ENGLISH.__getitem__))
        made.code, made.params = code, params
        return made

    def worded(self, template: Callable[[str], str]) -> str:
        """The problem in the words `template` gives for each code, nested problems alike."""
        return _worded(self.code, self.params, template)

    def __reduce__(self) -> tuple[Any, ...]:
        """Copied and pickled as a code and its facts (as a str it would come back as a code)."""
        return _rebuilt, (self.code, dict(self.params))


def _rebuilt(code: str, params: dict[str, Any]) -> Problem:
    return Problem(code, **params)


def _worded(code: str, params: Mapping[str, Any], template: Callable[[str], str]) -> str:
    return template(code).format(**{name: _value(v, template) for name, v in params.items()})


def _value(value: Any, template: Callable[[str], str]) -> Any:
    """A parameter as the wording needs it: a problem worded, a tuple of them listed."""
    if isinstance(value, Problem):
        return value.worded(template)
    if isinstance(value, tuple):
        clauses = any(isinstance(item, Problem) for item in value)
        joint = template("separator" if clauses else "name_separator")
        return joint.join(str(_value(item, template)) for item in value)
    return value

"""Health verdicts: from a job's recent runs, tell a quiet period from a broken source.

Plain functions over run facts, so the rules are tested without a database or a clock. A
verdict is one of:

- `ok`: the last run worked and brought something.
- `quiet`: the last run worked, the service answered, and there was nothing new.
- `partial`: the last run worked, but set records aside (quarantined or not returned).
- `failing`: the last run failed, or came back empty where the history says it never is,
  fewer than `after_failures` times in a row. Probably passing; shown, not yet alerted.
- `broken`: the same, `after_failures` times in a row or more.
- `late`: the job's time passed (with its grace) and it has not run since: is the daemon up?
- `disabled`: the source stopped asking for part of what it is configured to fetch (a feed that
  answered 410 Gone) until the operator fixes or removes it.
- `stale`: the service keeps answering, but only with records we already have (the overlap of
  each window), for longer than the gaps between news in its history: a quiet week for a
  source that is often quiet, a stuck query or index for one that never is.
- `never run`.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from etl.db.states import Outcome, Verdict
from etl.problems import Problem

ALARMING = (Verdict.BROKEN, Verdict.LATE, Verdict.STALE, Verdict.DISABLED)
QUIET_KINDS = (Verdict.LATE, Verdict.STALE, Verdict.DISABLED)  # alarming with no failed run
FINE = (Verdict.OK, Verdict.QUIET, Verdict.NEVER_RUN)
"""Verdicts that open an alert (a failed send alerts at `failing` already: readers wait)."""


@dataclass(frozen=True)
class RunFacts:
    """One finished or running run, as the verdict needs it. `fetched` and `new` are None for
    jobs that do not fetch (digest, archive)."""

    started_at: datetime
    outcome: str  # running | ok | partial | failed | stopped | interrupted
    error: str | None = None
    fetched: int | None = None
    new: int | None = None


@dataclass(frozen=True)
class Health:
    verdict: str
    reason: Problem  # English as `str`; the operators' page words it in the editor's language
    streak: int = 0  # failed (or suspiciously empty) runs in a row
    last_success: datetime | None = None
    last_failure: datetime | None = None
    last_error: str | None = None


def judge(
    runs: Sequence[RunFacts],
    now: datetime,
    *,
    after_failures: int,
    due: datetime | None = None,
    grace: timedelta = timedelta(hours=1),
    news: Sequence[datetime] | None = None,
    disabled: Problem | str | None = None,
) -> Health:
    """The verdict on a job from its runs (newest first) and its last scheduled time `due`.

    `news` is when the newest runs that brought something new started (newest first), read
    further back than `runs` reach, so a long silence is still measured against the history
    before it; without it the news of `runs` is used. `disabled` says what the source stopped
    fetching (None: nothing)."""
    done = [run for run in runs if run.outcome in (Outcome.OK, Outcome.PARTIAL, Outcome.FAILED)]
    good = [run for run in done if run.outcome != Outcome.FAILED]
    bad = [run for run in done if run.outcome == Outcome.FAILED]
    facts: dict[str, Any] = {
        "last_success": good[0].started_at if good else None,
        "last_failure": bad[0].started_at if bad else None,
        "last_error": bad[0].error if bad else None,
    }
    if not done:
        if due is not None and runs and runs[0].started_at < due and now > due + grace:
            return Health(Verdict.LATE, _late(due), **facts)
        return Health(Verdict.NEVER_RUN, Problem("health_never_run"), **facts)
    if due is not None and runs[0].started_at < due and now > due + grace:
        return Health(Verdict.LATE, _late(due), **facts)
    streak, reason = _trouble(done)
    if reason is not None:  # the newest runs in a row failed
        verdict = Verdict.BROKEN if streak >= after_failures else Verdict.FAILING
        return Health(verdict, reason, streak, **facts)
    if disabled:
        said = disabled if isinstance(disabled, Problem) else Problem("health_said", text=disabled)
        return Health(Verdict.DISABLED, said, **facts)
    last = done[0]
    if last.outcome == Outcome.PARTIAL:
        return Health(Verdict.PARTIAL, Problem("health_partial"), **facts)
    if news is None:
        news = [run.started_at for run in done if run.new]
    stale = _stale_reason(news, now) if last.new == 0 else None
    if stale:
        return Health(Verdict.STALE, stale, **facts)
    if last.new == 0:
        since = next((run.started_at for run in done if run.new), None)
        quiet = Problem("health_quiet_since", since=since) if since else None
        return Health(Verdict.QUIET, quiet or Problem("health_quiet_yet"), **facts)
    return Health(Verdict.OK, Problem("health_ok"), **facts)


STALE_FACTOR = 2
"""A silence this many times the longest gap between news in the history is not normal."""


def _stale_reason(news: Sequence[datetime], now: datetime) -> Problem | None:
    """Why the silence since the last news is longer than the history allows; None when it is
    not, or when fewer than three runs brought news (too little history to say)."""
    if len(news) < 3:
        return None
    recent = sorted(news[:10], reverse=True)
    longest = max(newer - older for newer, older in zip(recent, recent[1:], strict=False))
    silence = now - recent[0]
    if silence <= STALE_FACTOR * longest:
        return None
    return Problem(
        "health_stale",
        since=recent[0],
        silence=_days(silence),
        runs=len(recent),
        gap=_days(longest),
    )


def _days(span: timedelta) -> Problem:
    days = span / timedelta(days=1)
    if days >= 2:
        return Problem("health_days", n=days)
    return Problem("health_hours", n=span / timedelta(hours=1))


def _late(due: datetime) -> Problem:
    return Problem("health_late", due=due)


def _trouble(done: Sequence[RunFacts]) -> tuple[int, Problem | None]:
    """How many of the newest runs in a row failed or came back empty against the history
    before them, and why the newest of them is a problem."""
    first_good = 0
    while first_good < len(done) and (
        done[first_good].outcome == Outcome.FAILED or done[first_good].fetched == 0
    ):
        first_good += 1
    baseline = done[first_good:]
    usual = _usually_fetches(baseline)
    streak = 0
    reason: Problem | None = None
    for run in done[:first_good]:
        if run.outcome == Outcome.FAILED and run.error:
            why = Problem("health_failed", error=run.error)
        elif run.outcome == Outcome.FAILED:
            why = Problem("health_failed_silently")
        elif usual:
            why = _empty_reason(baseline)
        else:
            break
        streak += 1
        reason = reason or why
    if streak > 1:
        reason = Problem("health_streak", streak=streak, reason=reason)
    return streak, reason


def _usually_fetches(history: Sequence[RunFacts]) -> bool:
    """Whether the runs before always brought records back: at least three of them, and
    four in five of those that worked fetched something."""
    worked = [
        run for run in history[:10] if run.outcome != Outcome.FAILED and run.fetched is not None
    ]
    if len(worked) < 3:
        return False
    fetching = sum(1 for run in worked if run.fetched)
    return fetching >= 0.8 * len(worked)


def _empty_reason(history: Sequence[RunFacts]) -> Problem:
    worked = [run.fetched or 0 for run in history[:10] if run.outcome != Outcome.FAILED]
    return Problem("health_empty", runs=len(worked), median=statistics.median(worked))

"""Health verdicts from run history: a quiet week is not a broken source, and the other way
round."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from etl.ops.health import RunFacts, judge

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def runs(*specs: tuple[str, int | None, int | None]) -> list[RunFacts]:
    """Newest first, one a day back from NOW: (outcome, fetched, new)."""
    return [
        RunFacts(NOW - DAY * i, outcome, "boom" if outcome == "failed" else None, fetched, new)
        for i, (outcome, fetched, new) in enumerate(specs)
    ]


def verdict(history: list[RunFacts], **kw: object) -> str:
    return judge(history, NOW, after_failures=2, **kw).verdict  # type: ignore[arg-type]


def test_a_run_that_brought_news_is_ok_and_one_without_is_quiet() -> None:
    assert verdict(runs(("ok", 40, 3), ("ok", 38, 0))) == "ok"
    quiet = judge(runs(("ok", 40, 0), ("ok", 38, 0), ("ok", 39, 5)), NOW, after_failures=2)
    assert quiet.verdict == "quiet"
    assert "nothing new since" in quiet.reason and quiet.last_success == NOW


def test_empty_answers_are_quiet_where_the_history_is_empty_too() -> None:
    assert verdict(runs(("ok", 0, 0), ("ok", 0, 0), ("ok", 0, 0), ("ok", 2, 1))) == "quiet"


def test_a_sudden_drop_to_zero_is_trouble_where_the_history_says_otherwise() -> None:
    history = runs(("ok", 0, 0), ("ok", 40, 2), ("ok", 41, 0), ("ok", 39, 1), ("ok", 42, 0))
    health = judge(history, NOW, after_failures=2)
    assert health.verdict == "failing" and health.streak == 1
    assert "no records at all" in health.reason and "median of 40.5" in health.reason
    twice = runs(("ok", 0, 0), ("ok", 0, 0), ("ok", 40, 2), ("ok", 41, 0), ("ok", 39, 1))
    assert verdict(twice) == "broken"


def test_failures_in_a_row_turn_failing_then_broken() -> None:
    once = judge(runs(("failed", None, None), ("ok", 40, 2)), NOW, after_failures=2)
    assert (once.verdict, once.streak, once.last_error) == ("failing", 1, "boom")
    twice = judge(runs(("failed", 0, 0), ("failed", 0, 0), ("ok", 40, 2)), NOW, after_failures=2)
    assert twice.verdict == "broken" and twice.reason.startswith("2 runs in a row")
    assert twice.last_success == NOW - 2 * DAY
    recovered = runs(("ok", 40, 1), ("failed", 0, 0), ("failed", 0, 0), ("ok", 40, 2))
    assert verdict(recovered) == "ok"


def test_stopped_and_interrupted_runs_neither_help_nor_hurt() -> None:
    history = runs(("interrupted", None, None), ("stopped", 3, 1), ("failed", 0, 0), ("ok", 9, 1))
    assert verdict(history) == "failing"


def test_partial_runs_are_said_apart() -> None:
    assert verdict(runs(("partial", 40, 2))) == "partial"


def test_a_job_that_has_not_run_since_it_was_due_is_late() -> None:
    due = NOW - timedelta(hours=3)
    history = [RunFacts(due - DAY, "ok")]
    late = judge(history, NOW, after_failures=2, due=due, grace=timedelta(hours=1))
    assert late.verdict == "late" and "is `mscwatch run` running?" in late.reason
    within = judge(history, NOW, after_failures=2, due=due, grace=timedelta(hours=4))
    assert within.verdict == "ok"
    ran = [RunFacts(due + timedelta(seconds=1), "ok")]
    assert verdict(ran, due=due, grace=timedelta(hours=1)) == "ok"
    assert verdict([], due=due) == "never run"


def test_only_overlap_for_longer_than_the_history_allows_is_stale() -> None:
    daily = [NOW - DAY * days for days in (3, 4, 5, 6)]  # news every day, then three days none
    history = runs(("ok", 40, 0), ("ok", 38, 0), ("ok", 39, 0), ("ok", 41, 2))
    stale = judge(history, NOW, after_failures=2, news=daily)
    assert stale.verdict == "stale"
    assert "nothing new since 2026-11-22 (3 days)" in stale.reason
    assert "at least every 24 hours" in stale.reason
    weekly = [NOW - DAY * days for days in (3, 10, 17, 24)]  # a weekly source: three days is normal
    assert verdict(history, news=weekly) == "quiet"
    assert verdict(history, news=daily[:2]) == "quiet"  # too little history to say


def test_a_source_that_stopped_fetching_part_of_itself_is_disabled() -> None:
    health = judge(runs(("ok", 40, 3)), NOW, after_failures=2, disabled="feed old: 410 Gone")
    assert (health.verdict, health.reason) == ("disabled", "feed old: 410 Gone")
    failed = runs(("failed", None, None), ("failed", None, None))
    assert verdict(failed, disabled="feed old: 410 Gone") == "broken"  # worse news first

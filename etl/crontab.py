"""Crontab expressions as operators write them, read the way crontab reads them.

APScheduler 3 numbers weekdays from Monday = 0, so its `from_crontab` would fire a crontab "1"
(Monday) on Tuesday. Numbers in the day-of-week field are therefore translated to day names,
with crontab's meaning (0 and 7 are Sunday), before APScheduler sees them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekday_names(field: str) -> str:
    """The day-of-week field with crontab's numbers (0-7, Sunday = 0 and 7) spelt as names.

    Numeric parts, ranges and steps are expanded with crontab's meaning ("1-5" Monday to Friday,
    "*/2" Sunday, Tuesday, Thursday, Saturday); parts written with names pass through."""
    parts = []
    for part in field.split(","):
        if part == "*" or any(c.isalpha() for c in part):
            parts.append(part)
            continue
        body, _, step_text = part.partition("/")
        if body == "*":
            first, last = 0, 6
        else:
            low, _, high = body.partition("-")
            first = _number(low)
            last = _number(high) if high else (6 if step_text else first)
        step = _number(step_text) if step_text else 1
        if last < first or step < 1:
            raise ValueError(f"day-of-week range {part!r} is empty")
        parts.append(",".join(dict.fromkeys(_DAYS[n] for n in range(first, last + 1, step))))
    return ",".join(parts)


def _number(text: str) -> int:
    if not text.isdigit() or int(text) > 7:
        raise ValueError(f"day of week {text!r} is not 0-7 (0 and 7 are Sunday) or a day name")
    return int(text)


def parse_cron(expression: str, timezone: str) -> CronTrigger:
    """A trigger for a five-field crontab expression; ValueError says what is wrong."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"{expression!r} has {len(fields)} fields, not 5 (minute hour day month day-of-week)"
        )
    minute, hour, day, month, dow = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=weekday_names(dow),
            timezone=ZoneInfo(timezone),
        )
    except (ValueError, KeyError) as exc:
        raise ValueError(f"{expression!r} is not a valid crontab expression: {exc}") from None


def next_fire(expression: str, timezone: str, now: datetime) -> datetime:
    """When the expression fires next after `now`."""
    fire: datetime | None = parse_cron(expression, timezone).get_next_fire_time(None, now)
    assert fire is not None  # a cron trigger without an end date always fires again
    return fire


def previous_fire(expression: str, timezone: str, now: datetime) -> datetime | None:
    """The last time the expression fired at or before `now` (within about a year): what a
    catch-up run after downtime and a "late" health verdict compare against."""
    trigger = parse_cron(expression, timezone)
    # CronTrigger has no reverse iteration; step back until a fire time lands at or before now.
    for days in (1, 2, 8, 32, 367):
        start = now - timedelta(days=days)
        fire: datetime | None = trigger.get_next_fire_time(None, start)
        last: datetime | None = None
        while fire is not None and fire <= now:
            last = fire
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
        if last is not None:
            return last
    return None

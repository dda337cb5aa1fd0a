"""Issue periods: consecutive runs of days from a fixed anchor.

Fixing periods to an anchor means the period after any issue, and so the slug and web address
of the next issue, is known before that issue exists: an email can link to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, order=True)
class Period:
    start: date  # first day
    end: date  # the day after the last

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def slug(self) -> str:
        """The issue's address in the archive: its first day, which no other period has."""
        return self.start.isoformat()

    def following(self) -> Period:
        return Period(self.end, self.end + (self.end - self.start))

    def preceding(self) -> Period:
        return Period(self.start - (self.end - self.start), self.start)


def period_containing(day: date, anchor: date, days: int) -> Period:
    offset = (day - anchor).days // days
    start = anchor + timedelta(days=offset * days)
    return Period(start, start + timedelta(days=days))


def last_complete_period(today: date, anchor: date, days: int) -> Period:
    """The newest period that has ended by `today`: what a build with no --period covers."""
    return period_containing(today, anchor, days).preceding()


def parse_period(text: str, anchor: date, days: int) -> Period:
    """`--period`: a date inside the period wanted (any day of it), or `START..END` for an
    explicit period that must fall on the configured grid."""
    try:
        if ".." in text:
            first, last = (date.fromisoformat(part) for part in text.split("..", 1))
            wanted = Period(first, last + timedelta(days=1))
            on_grid = period_containing(first, anchor, days)
            if wanted != on_grid:
                raise ValueError(
                    f"periods run {days} days from {anchor.isoformat()}; the one holding "
                    f"{first.isoformat()} is {on_grid.start.isoformat()}..{on_grid.last_day}"
                )
            return wanted
        return period_containing(date.fromisoformat(text), anchor, days)
    except ValueError as exc:
        raise ValueError(f"--period {text!r}: {exc}") from None

"""When a subscription is due: `every = "monday 08:00 Europe/Berlin"` or a 5-field cron
expression (`"0 8 * * 1"`, read in UTC unless a zone follows: `"0 8 * * 1 Europe/Berlin"`).

A tiny cron matcher rather than a dependency: minute, hour, day of month, month, day of
week; each field `*`, a number, `a-b`, a list `a,b` and steps `*/n` or `a-b/n`; Sunday is 0
or 7; as in cron, when both day fields are restricted either may match. Times are matched
in the subscription's zone (zoneinfo), so 08:00 Berlin stays 08:00 across DST.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_NAMES = ("minute", "hour", "day of month", "month", "day of week")


@dataclass(frozen=True)
class Schedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]          # 0 = Sunday
    zone: ZoneInfo
    any_day: bool = True              # day-of-month field was `*`
    any_weekday: bool = True          # day-of-week field was `*`
    text: str = ""

    def matches(self, moment: datetime) -> bool:
        """Whether the minute of `moment` (aware) is one this schedule fires on."""
        local = moment.astimezone(self.zone)
        weekday = (local.weekday() + 1) % 7
        if self.any_day or self.any_weekday:
            day_ok = local.day in self.days and weekday in self.weekdays
        else:  # cron: either day field may match when both are restricted
            day_ok = local.day in self.days or weekday in self.weekdays
        return (local.minute in self.minutes and local.hour in self.hours
                and local.month in self.months and day_ok)

    def next_after(self, moment: datetime, horizon_days: int = 366) -> datetime | None:
        """The first matching minute strictly after `moment` (within a year), aware UTC."""
        t = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(horizon_days * 24 * 60):
            if self.matches(t):
                return t
            t += timedelta(minutes=1)
        return None


def _field(text: str, index: int) -> tuple[frozenset[int], bool]:
    low, high = _RANGES[index]
    values: set[int] = set()
    for part in text.split(","):
        match = re.fullmatch(r"(\*|\d+(?:-\d+)?)(?:/(\d+))?", part)
        if not match:
            raise ValueError(f"{_NAMES[index]} field {text!r} is not cron syntax")
        span, step = match.group(1), int(match.group(2) or 1)
        if span == "*":
            a, b = low, high
        elif "-" in span:
            a, b = (int(x) for x in span.split("-"))
        else:
            a = b = int(span)
            if match.group(2):
                b = high
        if not (low <= a <= b <= high) or step < 1:
            raise ValueError(f"{_NAMES[index]} field {text!r} is outside {low}-{high}")
        values.update(range(a, b + 1, step))
    if index == 4 and 7 in values:
        values = (values - {7}) | {0}
    return frozenset(values), text == "*"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def parse_every(text: str) -> Schedule:
    """`monday 08:00 Europe/Berlin`, `daily 07:30 UTC`, or cron fields [+ zone];
    ValueError with the reason otherwise."""
    words = text.split()
    if words and (words[0].lower() in DAYS or words[0].lower() == "daily"):
        if len(words) not in (2, 3) or not re.fullmatch(r"\d{1,2}:\d{2}", words[1]):
            raise ValueError(f"{text!r}: expected like \"monday 08:00 Europe/Berlin\"")
        hour, minute = (int(x) for x in words[1].split(":"))
        if hour > 23 or minute > 59:
            raise ValueError(f"{text!r}: {words[1]} is not a time of day")
        day = words[0].lower()
        weekdays = frozenset(range(7)) if day == "daily" else frozenset({DAYS.index(day)})
        return Schedule(frozenset({minute}), frozenset({hour}), frozenset(range(1, 32)),
                        frozenset(range(1, 13)), weekdays,
                        _zone(words[2] if len(words) == 3 else "UTC"),
                        any_weekday=day == "daily", text=text)
    if len(words) not in (5, 6):
        raise ValueError(f"{text!r}: expected \"monday 08:00 Europe/Berlin\" or 5 cron "
                         "fields (minute hour day month weekday) and an optional zone")
    fields = [_field(w, i) for i, w in enumerate(words[:5])]
    return Schedule(fields[0][0], fields[1][0], fields[2][0], fields[3][0], fields[4][0],
                    _zone(words[5] if len(words) == 6 else "UTC"),
                    any_day=fields[2][1], any_weekday=fields[4][1], text=text)

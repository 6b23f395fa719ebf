"""The shared filter every KPI query takes: a half-open UTC window and the model scope."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

NO_BUSINESS_UNIT = ""  # matches nothing: an empty id is never loaded

# The days a window may cover: what ingest accepts (1970..2199). Outside them, `previous()`
# of a wide window leaves the calendar (0001-01-01 minus its length is an OverflowError).
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2199, 12, 31)


@dataclass(frozen=True)
class Filter:
    """`[start, end)` in UTC (naive datetimes are UTC) and the models in scope.

    An empty tuple means "no restriction" for that dimension. `allowed_business_units` is
    the user's access scope (None: all): every query is bound within it, whatever was
    chosen. Frozen and hashable, so it can key a cache (and a scope is part of the key).
    """

    start: datetime
    end: datetime
    business_units: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    allowed_business_units: tuple[str, ...] | None = None

    def __post_init__(self):
        if self.end <= self.start:
            raise ValueError(f"empty window: end {self.end} is not after start {self.start}")

    @classmethod
    def for_days(cls, first: date, last: date, **scope) -> Filter:
        """Whole days `first`..`last` inclusive."""
        start = datetime.combine(first, time())
        return cls(start, datetime.combine(last, time()) + timedelta(days=1), **_tuples(scope))

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def previous(self) -> Filter:
        """The equal-length window just before this one (for "change vs previous period")."""
        length = self.end - self.start
        return replace(self, start=self.start - length, end=self.start)

    @property
    def effective_business_units(self) -> tuple[str, ...]:
        """The business units a query is limited to; () = all, only for an open scope.

        Within an access scope, "all" means all the user may see, and a choice outside it
        leaves nothing: the empty id matches no business unit (ingest never stores one).
        """
        if self.allowed_business_units is None:
            return self.business_units
        allowed = set(self.allowed_business_units)
        chosen = self.business_units or self.allowed_business_units
        return tuple(b for b in chosen if b in allowed) or (NO_BUSINESS_UNIT,)

    def params(self) -> dict:
        """Bound parameters for the named SQL files."""
        return {
            "start": self.start,
            "end": self.end,
            "business_units": list(self.effective_business_units),
            "teams": list(self.teams),
            "models": list(self.models),
        }


def clamp_days(first: date, last: date) -> tuple[tuple[date, date], str | None]:
    """`first`, `last` moved into EARLIEST_DAY..LATEST_DAY, and a note for the page when
    either had to move (None when both were inside)."""
    days = tuple(min(max(d, EARLIEST_DAY), LATEST_DAY) for d in (first, last))
    if days == (first, last):
        return days, None
    return days, (f"The link's dates were outside what modelops supports ({EARLIEST_DAY} to "
                  f"{LATEST_DAY}) and were moved into that range.")


def _tuples(scope: dict) -> dict:
    return {k: None if v is None else tuple(v) for k, v in scope.items()}

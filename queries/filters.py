"""The shared filter every KPI query takes: a half-open UTC window and the model scope."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta


@dataclass(frozen=True)
class Filter:
    """`[start, end)` in UTC (naive datetimes are UTC) and the models in scope.

    An empty tuple means "no restriction" for that dimension. Frozen and hashable, so it
    can key a cache.
    """

    start: datetime
    end: datetime
    business_units: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    models: tuple[str, ...] = ()

    def __post_init__(self):
        if self.end <= self.start:
            raise ValueError(f"empty window: end {self.end} is not after start {self.start}")

    @classmethod
    def for_days(cls, first: date, last: date, **scope) -> "Filter":
        """Whole days `first`..`last` inclusive."""
        start = datetime.combine(first, time())
        return cls(start, datetime.combine(last, time()) + timedelta(days=1), **_tuples(scope))

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def previous(self) -> "Filter":
        """The equal-length window just before this one (for "change vs previous period")."""
        length = self.end - self.start
        return replace(self, start=self.start - length, end=self.start)

    def params(self) -> dict:
        """Bound parameters for the named SQL files."""
        return {
            "start": self.start,
            "end": self.end,
            "business_units": list(self.business_units),
            "teams": list(self.teams),
            "models": list(self.models),
        }


def _tuples(scope: dict) -> dict:
    return {k: tuple(v) for k, v in scope.items()}

"""Number formats for reading (display only; the data stays raw). A missing value is "–"."""

from __future__ import annotations

import math

from modelops.reports.labels import digits_apart


def missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def pct(x, digits: int = 2) -> str:
    return "–" if missing(x) else f"{x * 100:.{digits}f}%"


def ms(x) -> str:
    return "–" if missing(x) else f"{x:,.0f} ms"


def pct_against(x, target, digits: int = 2) -> str:
    """A share beside its target, with as many decimals as tell them apart: 99.496% is
    "99.496%" beside an SLO of "99.50%", never "99.50%" (a miss must not read as equal)."""
    if missing(x) or missing(target):
        return pct(x, digits)
    return pct(x, digits_apart(x, target, digits, 100))


def ms_against(x, target) -> str:
    """Milliseconds beside a target: 200.5 ms beside 200 ms, never "200 ms"."""
    if missing(x) or missing(target):
        return ms(x)
    return f"{x:,.{digits_apart(x, target, 0)}f} ms"


def usd(x) -> str:
    """Compact dollars for tiles: $812, $2.1k, $961.2k, $1.23M (four significant digits at
    most, so a tile's value fits its width)."""
    if missing(x):
        return "–"
    sign, x = ("-" if x < 0 else ""), abs(x)
    if x >= 1e6:
        return f"{sign}${x / 1e6:,.2f}M"
    if x >= 1e3:
        return f"{sign}${x / 1e3:,.1f}k"
    return f"{sign}${x:,.0f}" if x >= 100 else f"{sign}${x:,.2f}"


def count(x) -> str:
    if missing(x):
        return "–"
    x = float(x)
    if abs(x) >= 1e9:
        return f"{x / 1e9:.2f}B"
    if abs(x) >= 1e6:
        return f"{x / 1e6:.2f}M"
    if abs(x) >= 1e4:
        return f"{x / 1e3:.1f}k"
    return f"{x:,.0f}" if x == int(x) else f"{x:,.2f}"


def minutes(x) -> str:
    """Short durations (time to detect or acknowledge, downtime): whole minutes."""
    return "–" if missing(x) else f"{x:,.0f} min"


def hours(minutes: float | None) -> str:
    """Long durations given in minutes (MTTR, lead time, recovery, age): hours, one
    decimal, whatever their size, so a tile and a table read the same."""
    return "–" if missing(minutes) else f"{minutes / 60:,.1f} h"


def ratio(x) -> str:
    return "–" if missing(x) else f"{x:.2f}"


"""Parameter sets for every named query, shared by the cross-engine tests.

Values come from the parameter's name, so a new query with the usual parameters needs no
change here; a query with a parameter named nowhere below fails with a message saying so.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

# Several values for the parameters that pick a branch (every branch is rendered).
CHOICES = {
    "group_by": ("model", "team", "business_unit", "all"),
    "dimension": ("team", "business_unit", "vendor", "category"),
    "period": ("day", "week", "month"),
}


def base_values(end: datetime, business_units: list[str]) -> dict:
    """One value per known parameter name, for a warehouse whose data ends at `end`."""
    start = end - timedelta(days=45)
    week_start = end - timedelta(days=end.weekday() + 7)
    year, week, _ = week_start.isocalendar()
    return {
        "start": start, "end": end, "at": end - timedelta(hours=5, minutes=30),
        "today": (end - timedelta(days=1)).date(),
        "business_units": [], "teams": [], "models": [],
        "limit": 50, "entity": None, "week": f"{year}-W{week:02d}",
        "group_by": "model", "dimension": "team", "period": "week",
        "_week_start": week_start,
    }


# Choices a query refuses by design (its SQL raises a clear error for them).
REFUSED = {"follow_ups": {"group_by": {"model"}}}


def cases(name: str, wanted: frozenset[str], values: dict, business_units: list[str]):
    """(label, params) pairs for one query: the defaults, each choice, one scoped run."""
    unknown = wanted - values.keys()
    if unknown:
        raise AssertionError(f"{name}: give tests/portable_cases.py a value for "
                             f"{', '.join(sorted(unknown))}")
    params = {k: values[k] for k in wanted}
    refused = REFUSED.get(name, {})
    for choice, bad in refused.items():  # a query that refuses a choice runs with another
        if params.get(choice) in bad:
            params[choice] = next(o for o in CHOICES[choice] if o not in bad)
    if name == "weekly_report" and "start" in wanted:
        start = values["_week_start"]
        params.update(start=start, end=start + timedelta(days=7))
    out = [("default", params)]
    for choice, options in CHOICES.items():
        if choice in wanted:
            out += [(f"{choice}={o}", {**params, choice: o}) for o in options
                    if o != params[choice] and o not in refused.get(choice, ())]
    if "business_units" in wanted and business_units:
        out.append(("scoped", {**params, "business_units": business_units[:1]}))
    if "limit" in wanted:
        out.append(("no limit", {**params, "limit": None}))
    return out


__all__ = ["CHOICES", "assert_same", "base_values", "cases", "date"]


def assert_same(expected, actual, where: str, tolerance: float = 1e-9) -> None:
    """Two result frames hold the same rows in the same order: the same columns, numbers
    equal (floats to `tolerance`, relative above 1), everything else exactly."""
    import polars as pl

    assert expected.columns == actual.columns, (where, expected.columns, actual.columns)
    assert expected.height == actual.height, (where, expected.height, actual.height)
    for column in expected.columns:
        a, b = expected[column], actual[column]
        if a.dtype.is_numeric() and b.dtype.is_numeric():
            a, b = a.cast(pl.Float64), b.cast(pl.Float64)
            assert (a.is_null() == b.is_null()).all(), (where, column, "nulls")
            off = ((a - b).abs() > tolerance * pl.Series([1.0] * len(a)).zip_with(
                a.abs() > 1, a.abs())).fill_null(False)
            if off.any():
                i = off.arg_true()[0]
                raise AssertionError((where, column, i, a[i], b[i]))
        else:
            if a.dtype != b.dtype:
                b = b.cast(a.dtype, strict=False)
            assert a.to_list() == b.to_list(), (where, column, a.to_list()[:5],
                                                b.to_list()[:5])

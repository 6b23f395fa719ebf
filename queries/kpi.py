"""The KPI layer: one function per question the dashboard and the report ask.

Each function runs one named SQL file (queries/<name>.sql, where the math lives and is
documented against METRICS.md) with the shared filter's bound parameters, and returns a
polars DataFrame: raw numbers, ratios as fractions, NULL where METRICS.md leaves a value
undefined. Nothing here formats for display, and nothing loops over rows: the frames are
small because the SQL aggregates. The row lists (logs, failing checks, versions) take an
optional `limit`; hourly series are meant for short windows or a few models.

`by` chooses the grouping where a KPI exists per model and per group of models. A group's
ratios and percentiles are computed from the group's summed counts (METRICS.md,
"Aggregation rule"), never averaged from its models'.
"""

from __future__ import annotations

from datetime import date, datetime, time

import polars as pl

from queries.filters import Filter
from queries.warehouse import run

GROUPS = ("model", "team", "business_unit", "all")
COST_DIMENSIONS = ("team", "business_unit", "vendor", "category")
PERIODS = ("day", "week", "month")


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _moment(at: datetime | date) -> datetime:
    """A date means its midnight (UTC), so `at` is always bound as a TIMESTAMP."""
    if isinstance(at, datetime):
        return at
    return datetime.combine(at, time())


def _day(today: date | datetime) -> date:
    return today.date() if isinstance(today, datetime) else today


# --- serving ----------------------------------------------------------------------------

def serving(con, f: Filter, by: str = "model") -> pl.DataFrame:
    """Every serving KPI over the window, per model or per group.

    by="model": one row per scoped model with its own SLO targets and whether it met them
    (serving_by_model.sql). by="team" | "business_unit" | "all": one row per group, with
    the group rule for the error budget and merged-histogram percentiles, plus how many of
    its models met their own SLOs (serving_by_group.sql).
    """
    _choice(by, GROUPS, "by")
    if by == "model":
        return run(con, "serving_by_model", **f.params())
    return run(con, "serving_by_group", **f.params(), group_by=by)


def serving_series(con, f: Filter, by: str = "all") -> pl.DataFrame:
    """Requests, errors, availability, budget consumed and latency per day, from the daily
    rollup. Columns: day, group_id, group_name, requests, errors, availability,
    error_budget_allowed, error_budget_consumed, latency_p50/p95/p99_ms.
    """
    _choice(by, GROUPS, "by")
    return run(con, "serving_daily", **f.params(), group_by=by)


def burn_rates(con, f: Filter, at: datetime | date) -> pl.DataFrame:
    """Burn rate over 1 h, 2 h, 6 h, 1 d, 3 d ending at `at` (its hour), and the alert flags
    fast_burn, slow_burn (page) and ticket_burn (ticket).

    Only the filter's scope is used (the windows are fixed lengths before `at`). Metrics
    are hourly, so the 5 min / 30 min short windows are approximated by the last hour; see
    burn_rates.sql.
    """
    return run(con, "burn_rates", **f.params(), at=_moment(at))


def slo_compliance_by_month(con, f: Filter) -> pl.DataFrame:
    """Per model and calendar month: availability and p95 against the SLOs."""
    return run(con, "slo_compliance_by_month", **f.params())


# --- incidents --------------------------------------------------------------------------

def incidents_over_time(con, f: Filter, period: str = "week") -> pl.DataFrame:
    """Incidents started per period (day / ISO week / month), severity and root cause."""
    _choice(period, PERIODS, "period")
    return run(con, "incidents_over_time", **f.params(), period=period)


def incident_summary(con, f: Filter, by: str = "all") -> pl.DataFrame:
    """Counts by severity, MTTD / MTTA (incidents started in the window), MTTR (resolved
    in the window, open ones excluded) and open at the window's end, per group."""
    _choice(by, GROUPS, "by")
    return run(con, "incident_summary", **f.params(), group_by=by)


def incident_log(con, f: Filter, limit: int | None = None) -> pl.DataFrame:
    """The incidents started in the window, newest first, with durations and postmortems."""
    return run(con, "incident_log", **f.params(), limit=limit)


def open_incidents(con, f: Filter, at: datetime | date) -> pl.DataFrame:
    """Incidents open at `at` (started before, not resolved before), with age in minutes."""
    return run(con, "open_incidents", **f.params(), at=_moment(at))


# --- releases ---------------------------------------------------------------------------

def dora(con, f: Filter, by: str = "team") -> pl.DataFrame:
    """DORA four keys per group with the counts behind each ratio."""
    _choice(by, GROUPS, "by")
    return run(con, "dora", **f.params(), group_by=by)


def deployment_log(con, f: Filter, limit: int | None = None) -> pl.DataFrame:
    """Every deployment in the window, newest first, with approver, ticket, outcome and
    whether it is a failed change."""
    return run(con, "deployment_log", **f.params(), limit=limit)


def live_versions(con, f: Filter, at: datetime | date) -> pl.DataFrame:
    """The version live in production at `at` per model, with its registry record."""
    return run(con, "live_versions", **f.params(), at=_moment(at))


# --- cost and value ---------------------------------------------------------------------

def cost_value(con, f: Filter, by: str = "team") -> pl.DataFrame:
    """Cost, requests, cost per 1k requests, value, net value and ROI per group."""
    _choice(by, GROUPS, "by")
    return run(con, "cost_value", **f.params(), group_by=by)


def cost_breakdown(con, f: Filter, by: str = "vendor") -> pl.DataFrame:
    """Showback: cost by team, business unit, vendor or category, with share of total."""
    _choice(by, COST_DIMENSIONS, "by")
    return run(con, "cost_breakdown", **f.params(), dimension=by)


def cost_value_series(con, f: Filter, by: str = "all") -> pl.DataFrame:
    """Daily cost, value, net value, requests and cost per 1k per group."""
    _choice(by, GROUPS, "by")
    return run(con, "cost_value_daily", **f.params(), group_by=by)


def vendor_scorecard(con, f: Filter) -> pl.DataFrame:
    """Per vendor: SLA target vs measured availability, cost, vendor-caused incidents."""
    return run(con, "vendor_scorecard", **f.params())


# --- model quality ----------------------------------------------------------------------

def drift_alerts(con, f: Filter, limit: int | None = None) -> pl.DataFrame:
    """Model/feature pairs with drift alerts (score > threshold) in the window, most first."""
    return run(con, "drift_alerts", **f.params(), limit=limit)


def data_quality(con, f: Filter, by: str = "all") -> pl.DataFrame:
    """Checks run, passed / warned / failed, pass rate, and drift alerts per group."""
    _choice(by, GROUPS, "by")
    return run(con, "data_quality", **f.params(), group_by=by)


def failing_checks(con, f: Filter, limit: int | None = None) -> pl.DataFrame:
    """The checks in the window that did not pass (`fail`, then `warn`; newest first)."""
    return run(con, "failing_checks", **f.params(), limit=limit)


def validation_coverage(con, f: Filter, by: str = "all",
                        at: datetime | date | None = None) -> pl.DataFrame:
    """Production models whose current version has a passed post-deployment validation.

    "Current" is as of `at`, by default the end of the filter's window.
    """
    _choice(by, GROUPS, "by")
    return run(con, "validation_coverage", **f.params(), group_by=by,
               at=_moment(at) if at is not None else f.end)


# --- governance -------------------------------------------------------------------------

def overdue_reviews(con, f: Filter, today: date) -> pl.DataFrame:
    """Models not retired whose latest risk review is past due on `today`, or never done."""
    return run(con, "overdue_reviews", **f.params(), today=_day(today))


def governance_gaps(con, f: Filter, today: date) -> pl.DataFrame:
    """Per production model: each compliance gap as a flag, and how many it has."""
    return run(con, "governance_gaps", **f.params(), today=_day(today))


def model_versions(con, f: Filter, at: datetime | date | None = None,
                   limit: int | None = None) -> pl.DataFrame:
    """Registered versions with artifact digest, commit, data ref and production history.

    `live_in_production` is as of `at`, by default the end of the filter's window.
    """
    return run(con, "model_versions", **f.params(), limit=limit,
               at=_moment(at) if at is not None else f.end)


def risk_tiers(con, f: Filter, by: str = "all") -> pl.DataFrame:
    """Models per risk tier (and how many in production) per group."""
    _choice(by, GROUPS, "by")
    return run(con, "risk_tiers", **f.params(), group_by=by)


# --- headline tiles ---------------------------------------------------------------------

def kpi_tiles(con, f: Filter) -> pl.DataFrame:
    """One row of headline numbers for the scope and window (always exactly one row)."""
    return run(con, "kpi_tiles", **f.params())

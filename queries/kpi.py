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

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import polars as pl

from queries.filters import Filter
from queries.named import run

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


def latest_serving_hour(con, f: Filter) -> datetime | None:
    """The end of the latest complete hour of serving metrics in the filter's scope (its
    window is not used): "now" for the burn rates. None without any metrics."""
    return run(con, "latest_serving_hour", **f.params())["serving_through"][0]


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


def _float(value) -> float | None:
    return None if value is None else float(value)


# --- the weekly operations review (issue 14) --------------------------------------------

REVIEW_GROUPS = ("team", "business_unit", "all")


def team_load(con, f: Filter) -> pl.DataFrame:
    """On-call load per team over the window (team_load.sql), busiest first.

    Columns: team_id, team, business_unit_id, business_unit, time_zone, pages,
    out_of_hours_pages (before 08:00 or from 18:00 in the team's time zone),
    out_of_hours_share, sev1_sev2_pages, acknowledged_pages, median_minutes_to_acknowledge,
    responders, oncall_weeks (distinct responder x ISO week with a page),
    pages_per_oncall_week, incidents (on the team's models), top3_model_incidents,
    top3_model_share.
    """
    return run(con, "team_load", **f.params())


def responder_load(con, f: Filter) -> pl.DataFrame:
    """On-call load per responder (responder_load.sql), busiest first.

    Columns: team_id, team, time_zone, responder, pages, out_of_hours_pages,
    out_of_hours_share, sev1_sev2_pages, acknowledged_pages, median_minutes_to_acknowledge,
    oncall_weeks (distinct ISO weeks with a page), pages_per_oncall_week.
    """
    return run(con, "responder_load", **f.params())


def follow_ups(con, f: Filter, by: str = "team") -> pl.DataFrame:
    """Postmortem / review follow-ups per team, business unit or all (follow_ups.sql).

    Columns: group_id, group_name, action_items, open_action_items, overdue_action_items
    (open at the window's end, due before it), closed_action_items (closed in the window),
    median_days_to_close, sev1_sev2_incidents, with_postmortem, postmortem_share,
    follow_ups_closed_30d, follow_ups_closed_30d_share.
    """
    _choice(by, REVIEW_GROUPS, "by")
    return run(con, "follow_ups", **f.params(), group_by=by)


def follow_ups_by_owner(con, f: Filter) -> pl.DataFrame:
    """Follow-ups per owner, with follow_ups.sql's scope and states
    (follow_ups_by_owner.sql), most overdue first.

    Columns: owner, teams, action_items, open_action_items, overdue_action_items,
    closed_action_items, median_days_to_close.
    """
    return run(con, "follow_ups_by_owner", **f.params())


def overdue_action_items(con, f: Filter) -> pl.DataFrame:
    """Action items overdue at the window's end, most overdue first.

    Columns: action_item_id, owner, title, priority, team_id, team, business_unit_id,
    incident_id, model_id, created_at, due_at, days_overdue.
    """
    return run(con, "overdue_action_items", **f.params())


def rework_rate(con, f: Filter, by: str = "team") -> pl.DataFrame:
    """DORA deployment rework rate per group (rework_rate.sql).

    Columns: group_id, group_name, deployments (production), rework_deployments
    (remediating an incident), rework_rate.
    """
    _choice(by, GROUPS, "by")
    return run(con, "rework_rate", **f.params(), group_by=by)


def runbook_health(con, f: Filter, by: str = "team") -> pl.DataFrame:
    """Production models without a runbook, or whose runbook was not reviewed in the 180
    days before the window's end (runbook_health.sql); by="model" lists models.

    Columns: group_id, group_name, production_models, without_runbook, runbook_stale,
    healthy, last_reviewed_at, days_since_last_review.
    """
    _choice(by, GROUPS, "by")
    return run(con, "runbook_health", **f.params(), group_by=by, at=f.end)


def quarterly_trends(con, f: Filter, by: str = "all") -> pl.DataFrame:
    """Per calendar quarter touched by the window: DORA keys, MTTR, availability and cost
    per 1k requests, each with `<name>_change` against the quarter before
    (quarterly_trends.sql).

    Columns: group_id, group_name, quarter ('2026-Q3'), quarter_start, quarter_end, days,
    deployments, deployments_per_week, lead_time_median_minutes, failed_changes,
    change_failure_rate, recovery_time_median_minutes, mttr_minutes, requests,
    availability, cost_usd, cost_per_1k_requests, and the *_change columns.
    """
    _choice(by, GROUPS, "by")
    return run(con, "quarterly_trends", **f.params(), group_by=by)


def reviews_due(con, f: Filter) -> pl.DataFrame:
    """Risk reviews falling due in the 14 days from the window's end (reviews_due.sql).

    Columns: model_id, model, team_id, team, business_unit_id, next_review_due,
    days_until_due.
    """
    return run(con, "reviews_due", **f.params())


def incident_follow_ups(con, f: Filter) -> pl.DataFrame:
    """Sev 1-2 incidents started in the window with their postmortem and follow-ups.

    Columns: incident_id, model_id, model, team_id, team, severity, title, started_at,
    resolved_at, with_postmortem, action_items, open_action_items, overdue_action_items.
    """
    return run(con, "incident_follow_ups", **f.params())


# --- the week in review -----------------------------------------------------------------

# How much a week's cost or value must move against the week before to be reported.
REVIEW_MOVE = 0.10


@dataclass(frozen=True)
class ReviewItem:
    """One line of the week in review.

    key: stable id of what the line is about (`slo:<model_id>`, `incident:<id>`, ...);
    text: what it says, without numbers; number: the figure (its `unit`: count, ratio,
    usd, days); change: number - the previous week's (None when not comparable);
    page: the dashboard page to open for details (a path such as `/reliability`).
    """

    key: str
    text: str
    number: float | None
    change: float | None
    unit: str
    page: str


@dataclass(frozen=True)
class ReviewSection:
    """A named section; `nothing` is the one line to show when `items` is empty."""

    name: str
    title: str
    items: tuple[ReviewItem, ...]
    nothing: str


REVIEW_SECTIONS = (
    ("slos", "SLOs missed and budgets burning", "Every model met its SLOs within budget."),
    ("incidents", "New sev 1-2 incidents and their follow-ups", "No new sev 1-2 incident."),
    ("changes", "Failed changes and rework", "No failed change and no rework deployment."),
    ("cost_value", "Cost and value moving more than 10%",
     "No team's cost or value moved more than 10% against the week before."),
    ("due", "Reviews and validations due in the next 14 days",
     "No risk review or validation falls due in the next 14 days."),
    ("follow_ups", "Overdue follow-ups by owner", "No follow-up is overdue."),
)


def week_in_review(con, f: Filter) -> list[ReviewSection]:
    """The week in review for the filter's window (normally one ISO week) and scope, each
    section compared with the window before (`f.previous()`).

    Sections, in order (name: what its items are):
    slos: models that missed an SLO or overspent the window's error budget (number: budget
      consumed, change vs the week before); incidents: the count of new sev 1-2 incidents,
      then each with its open follow-ups; changes: failed changes, change failure rate and
      rework rate of the scope (then each failed change); cost_value: teams whose cost or
      value moved more than 10%; due: risk reviews due in the 14 days from the window's end
      and production models whose deployed version has no passed validation; follow_ups:
      owners with overdue action items (number: how many; change vs the week before).
    """
    before = f.previous()
    sections = {
        "slos": _slo_items(con, f, before),
        "incidents": _incident_items(con, f, before),
        "changes": _change_items(con, f, before),
        "cost_value": _cost_value_items(con, f, before),
        "due": _due_items(con, f),
        "follow_ups": _follow_up_items(con, f, before),
    }
    return [ReviewSection(name, title, tuple(sections[name]), nothing)
            for name, title, nothing in REVIEW_SECTIONS]


def week_in_review_frame(sections: list[ReviewSection]) -> pl.DataFrame:
    """The sections as one frame (a row per item; an empty section as one row whose key
    is empty and whose text is its `nothing` line)."""
    rows = []
    for s in sections:
        for item in s.items or (ReviewItem("", s.nothing, None, None, "", ""),):
            rows.append({"section": s.name, "title": s.title, "key": item.key,
                         "text": item.text, "number": _float(item.number),
                         "change": _float(item.change), "unit": item.unit,
                         "page": item.page})
    return pl.DataFrame(rows, schema={
        "section": pl.String, "title": pl.String, "key": pl.String, "text": pl.String,
        "number": pl.Float64, "change": pl.Float64, "unit": pl.String, "page": pl.String})


def _change(now, before):
    return None if now is None or before is None else float(now) - float(before)


def _slo_items(con, f, before) -> list[ReviewItem]:
    now = serving(con, f, "model")
    then = {r["model_id"]: r for r in serving(con, before, "model").iter_rows(named=True)}
    items = []
    for r in now.iter_rows(named=True):
        problems = [text for flag, text in (
            (r["availability_slo_met"] is False, "availability SLO missed"),
            (r["latency_slo_met"] is False, "p95 latency SLO missed"),
            ((r["error_budget_consumed"] or 0) > 1, "error budget overspent"),
        ) if flag]
        if problems:
            previous = then.get(r["model_id"], {}).get("error_budget_consumed")
            items.append(ReviewItem(
                f"slo:{r['model_id']}", f"{r['model']} ({r['team']}): {', '.join(problems)}",
                r["error_budget_consumed"], _change(r["error_budget_consumed"], previous),
                "ratio", "/reliability"))
    return sorted(items, key=lambda i: (-(i.number or 0), i.key))


def _incident_items(con, f, before) -> list[ReviewItem]:
    now = incident_follow_ups(con, f)
    if now.is_empty():
        return []
    items = [ReviewItem("incidents:sev1_sev2", "New sev 1-2 incidents", now.height,
                        now.height - incident_follow_ups(con, before).height, "count",
                        "/incidents")]
    for r in now.iter_rows(named=True):
        postmortem = "postmortem written" if r["with_postmortem"] else "no postmortem yet"
        items.append(ReviewItem(
            f"incident:{r['incident_id']}",
            f"{r['incident_id']} sev {r['severity']} on {r['model']}: {r['title']} "
            f"({postmortem}; follow-ups open of {r['action_items']})",
            r["open_action_items"], None, "count", "/incidents"))
    return items


def _change_items(con, f, before) -> list[ReviewItem]:
    now, then = dora(con, f, "all"), dora(con, before, "all")
    rework_now, rework_then = rework_rate(con, f, "all"), rework_rate(con, before, "all")
    if now.is_empty():
        return []
    n, p = now.row(0, named=True), then.row(0, named=True)
    rn, rp = rework_now.row(0, named=True), rework_then.row(0, named=True)
    if not n["failed_changes"] and not rn["rework_deployments"]:
        return []
    items = [
        ReviewItem("changes:failed", "Failed changes", n["failed_changes"],
                   _change(n["failed_changes"], p["failed_changes"]), "count", "/releases"),
        ReviewItem("changes:change_failure_rate", "Change failure rate",
                   n["change_failure_rate"],
                   _change(n["change_failure_rate"], p["change_failure_rate"]), "ratio",
                   "/releases"),
        ReviewItem("changes:rework_rate", "Deployment rework rate (fixes for incidents)",
                   rn["rework_rate"], _change(rn["rework_rate"], rp["rework_rate"]), "ratio",
                   "/releases"),
    ]
    failed = deployment_log(con, f).filter(
        pl.col("environment") == "production", pl.col("failed_change"))
    for r in failed.iter_rows(named=True):
        items.append(ReviewItem(
            f"deployment:{r['deployment_id']}",
            f"{r['deployment_id']}: {r['model']} {r['version']} {r['outcome']}"
            + (f", named by {r['incidents']} incident(s)" if r["incidents"] else ""),
            None, None, "count", "/releases"))
    return items


def _cost_value_items(con, f, before) -> list[ReviewItem]:
    now = cost_value(con, f, "team")
    then = {r["group_id"]: r for r in cost_value(con, before, "team").iter_rows(named=True)}
    items = []
    for r in now.iter_rows(named=True):
        p = then.get(r["group_id"], {})
        for column, what in (("cost_usd", "cost"), ("business_value_usd", "value")):
            current, previous = r[column] or 0.0, p.get(column) or 0.0
            if previous == 0 and current == 0:
                continue
            moved = (abs(current - previous) / abs(previous) if previous
                     else float("inf"))
            if moved > REVIEW_MOVE:
                direction = "up" if current > previous else "down"
                items.append(ReviewItem(
                    f"{what}:{r['group_id']}", f"{r['group_name']}: {what} {direction}",
                    current, current - previous, "usd", "/cost_value"))
    return sorted(items, key=lambda i: (-abs(i.change or 0), i.key))


def _due_items(con, f) -> list[ReviewItem]:
    items = [ReviewItem(f"review:{r['model_id']}",
                        f"{r['model']} ({r['team']}): risk review due {r['next_review_due']}",
                        r["days_until_due"], None, "days", "/governance")
             for r in reviews_due(con, f).iter_rows(named=True)]
    gaps = governance_gaps(con, f, (f.end - timedelta(microseconds=1)).date())
    for r in gaps.filter(pl.col("no_passed_validation")).iter_rows(named=True):
        version = r["deployed_version"] or "no deployed version"
        items.append(ReviewItem(
            f"validation:{r['model_id']}",
            f"{r['model']} ({r['team']}): validation of {version} owed", None, None,
            "count", "/model_quality"))
    return items


def _follow_up_items(con, f, before) -> list[ReviewItem]:
    now = overdue_action_items(con, f)
    if now.is_empty():
        return []
    then = dict(overdue_action_items(con, before).group_by("owner").len().iter_rows())
    per_owner = now.group_by("owner").agg(pl.len().alias("overdue"),
                                          pl.col("due_at").min().alias("oldest_due"))
    per_owner = per_owner.sort(["overdue", "owner"], descending=[True, False])
    return [ReviewItem(f"owner:{r['owner']}",
                       f"{r['owner']}: overdue follow-ups (oldest due {r['oldest_due']:%Y-%m-%d})",
                       r["overdue"], r["overdue"] - then.get(r["owner"], 0), "count", "/team")
            for r in per_owner.iter_rows(named=True)]

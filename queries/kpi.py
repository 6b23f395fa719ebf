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
    """Requests, errors, availability, budget consumed and latency per UTC day, from the
    daily rollup (a part day at either end of the window from its hours). Columns: day, group_id, group_name, requests, errors, availability,
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

# On-call load in the week (METRICS.md, "On-call load in the week"): a responder is flagged
# when any count reaches its limit. In the spirit of PagerDuty's operational reviews, which
# count sleep-hour (22:00-08:00), off-hour and all interruptions per responder: three broken
# nights, six pages outside 08:00-18:00, or ten pages in all (two a working day) in one week.
ONCALL_LIMITS = {"sleep_hour_pages": 3, "out_of_hours_pages": 6, "pages": 10}


@dataclass(frozen=True)
class ReviewColumn:
    """One column of a review section. unit: text, count, share (a fraction, shown as %),
    pp (a change of a share), usd, change (a relative change, 0.1 = +10%), date, ms."""

    name: str
    label: str
    unit: str


@dataclass(frozen=True)
class ReviewItem:
    """One row of a review section: what someone must act on.

    key: stable id of what the row is about (`slo:<model_id>`, `incident:<id>`, ...);
    values: one per column of its section, raw (numbers as numbers, None when undefined);
    link: the app path that shows this item (`/model?id=m1`, `/incidents?model=m1`), to
    which the page and the file add the reviewed week and the scope.
    """

    key: str
    values: tuple
    link: str

    def cell(self, section: ReviewSection, name: str):
        return self.values[[c.name for c in section.columns].index(name)]


@dataclass(frozen=True)
class ReviewFigure:
    """A figure of the whole scope shown above a section's rows (a rate, a total), with
    its change against the week before (None when not comparable). unit as a column's."""

    label: str
    value: float | None
    change: float | None
    unit: str


@dataclass(frozen=True)
class ReviewSection:
    """A named section: its columns and rows, figures of the whole scope, and `count`,
    the number of things someone must act on (the summary's counter). `nothing` is the one
    line shown when `count` is 0; `counted` says what `count` counts."""

    name: str
    title: str
    columns: tuple[ReviewColumn, ...]
    items: tuple[ReviewItem, ...]
    nothing: str
    count: int
    counted: str
    figures: tuple[ReviewFigure, ...] = ()


def _columns(*spec: tuple[str, str, str]) -> tuple[ReviewColumn, ...]:
    return tuple(ReviewColumn(*c) for c in spec)


# name, title, counter's words, the line when nothing is to act on, columns
REVIEW_SECTIONS = (
    ("slos", "SLOs missed", "SLOs missed", "Every model met its SLOs within budget.",
     _columns(("model", "Model", "text"), ("team", "Team", "text"),
              ("missed", "Missed", "text"), ("availability", "Availability", "share"),
              ("slo_availability", "Availability SLO", "share"),
              ("latency_p95_ms", "p95 latency", "ms"), ("slo_latency_p95_ms", "p95 SLO", "ms"),
              ("error_budget_consumed", "Error budget used", "share"),
              ("error_budget_change", "Budget used vs week before", "pp"))),
    ("incidents", "New sev 1-2 incidents", "incidents to follow up",
     "No new sev 1-2 incident.",
     _columns(("incident_id", "Incident", "text"), ("severity", "Severity", "text"),
              ("model", "Model", "text"), ("title", "Title", "text"),
              ("started_at", "Started (UTC)", "datetime"), ("postmortem", "Postmortem", "text"),
              ("open_action_items", "Follow-ups open", "count"),
              ("action_items", "Follow-ups", "count"),
              ("overdue_action_items", "Follow-ups overdue", "count"))),
    ("changes", "Failed changes", "failed changes", "No failed change in production.",
     _columns(("deployment_id", "Deployment", "text"), ("model", "Model", "text"),
              ("version", "Version", "text"), ("outcome", "Outcome", "text"),
              ("deployed_at", "Deployed (UTC)", "datetime"),
              ("incidents", "Incidents naming it", "count"))),
    ("cost_value", "Cost and value moving more than 10%", "cost or value moves",
     "No team's cost or value moved more than 10% against the week before.",
     _columns(("team", "Team", "text"), ("measure", "Measure", "text"),
              ("this_week", "This week", "usd"), ("week_before", "Week before", "usd"),
              ("change_usd", "Change", "usd"), ("change_share", "Change %", "change"),
              ("reading", "Reading", "text"))),
    ("oncall", "On-call load", "people overloaded on call",
     "Nobody reached an on-call limit this week.",
     _columns(("responder", "Responder", "text"), ("team", "Team", "text"),
              ("pages", "Pages", "count"), ("out_of_hours_pages", "Out of hours", "count"),
              ("sleep_hour_pages", "Sleep hours (22-08)", "count"),
              ("over", "Limits reached", "text"))),
    ("due", "Reviews overdue or due in 14 days", "reviews overdue or due",
     "No risk review or validation is overdue or falls due in the next 14 days.",
     _columns(("model", "Model", "text"), ("team", "Team", "text"),
              ("what", "What", "text"), ("status", "Status", "text"),
              ("due", "Due", "date"))),
    ("follow_ups", "Overdue follow-ups by owner", "overdue follow-ups",
     "No follow-up is overdue.",
     _columns(("owner", "Owner", "text"), ("overdue", "Overdue", "count"),
              ("overdue_change", "vs week before", "count_change"),
              ("oldest_due", "Oldest due", "date"))),
)


def week_in_review(con, f: Filter) -> list[ReviewSection]:
    """The week in review for the filter's window (normally one ISO week) and scope, each
    section compared with the window before (`f.previous()`) where a change is shown.

    Sections (name: its rows; what `count` counts):
    slos: models that missed an SLO or overspent the window's error budget, most budget
      used first; incidents: the new sev 1-2 incidents, those needing follow-up (no
      postmortem yet, or follow-ups open) first; count: those needing follow-up;
    changes: failed production changes; figures: failed changes, change failure rate and
      rework rate of the scope; cost_value: teams whose cost or value moved more than
      REVIEW_MOVE; oncall: responders at or over an ONCALL_LIMITS count;
    due: risk reviews overdue at the window's end (never done, or due before it; most
      overdue first), then those due in the 14 days after it, then production models
      whose deployed version has no passed validation;
    follow_ups: owners with overdue action items; count: the overdue items.
    """
    before = f.previous()
    built = {
        "slos": _slo_items(con, f, before),
        "incidents": _incident_items(con, f, before),
        "changes": _change_items(con, f, before),
        "cost_value": _cost_value_items(con, f, before),
        "oncall": _oncall_items(con, f),
        "due": _due_items(con, f),
        "follow_ups": _follow_up_items(con, f, before),
    }
    out = []
    for name, title, counted, nothing, columns in REVIEW_SECTIONS:
        items, count, figures = built[name]
        assert all(len(i.values) == len(columns) for i in items), name
        out.append(ReviewSection(name, title, columns, tuple(items), nothing, count, counted,
                                 tuple(figures)))
    return out


def _change(now, before):
    return None if now is None or before is None else float(now) - float(before)


def _slo_items(con, f, before):
    now = serving(con, f, "model")
    then = dict(serving(con, before, "model").select("model_id", "error_budget_consumed")
                .iter_rows())
    items = []
    for r in now.iter_rows(named=True):
        missed = [text for flag, text in (
            (r["availability_slo_met"] is False, "availability"),
            (r["latency_slo_met"] is False, "p95 latency"),
            ((r["error_budget_consumed"] or 0) > 1, "error budget overspent"),
        ) if flag]
        if missed:
            used = r["error_budget_consumed"]
            items.append(ReviewItem(
                f"slo:{r['model_id']}",
                (r["model"], r["team"], ", ".join(missed), r["availability"],
                 r["slo_availability"], r["latency_p95_ms"], r["slo_latency_p95_ms"], used,
                 _change(used, then.get(r["model_id"]))),
                f"/model?id={r['model_id']}"))
    items.sort(key=lambda i: (-(i.values[7] or 0), i.key))
    return items, len(items), ()


def _incident_items(con, f, before):
    now = incident_follow_ups(con, f)
    if now.is_empty():
        return [], 0, ()
    needing = (~pl.col("with_postmortem")) | (pl.col("open_action_items") > 0)
    now = now.with_columns(needing.alias("needing")).sort(
        ["needing", "started_at", "incident_id"], descending=[True, True, False])
    items = [ReviewItem(
        f"incident:{r['incident_id']}",
        (r["incident_id"], f"Sev {r['severity']}", r["model"], r["title"], r["started_at"],
         "written" if r["with_postmortem"] else "not yet", r["open_action_items"],
         r["action_items"], r["overdue_action_items"]),
        f"/incidents?model={r['model_id']}") for r in now.iter_rows(named=True)]
    total = ReviewFigure("New sev 1-2 incidents", now.height,
                         now.height - incident_follow_ups(con, before).height, "count")
    return items, int(now["needing"].sum()), (total,)


def _change_items(con, f, before):
    now, then = dora(con, f, "all"), dora(con, before, "all")
    if now.is_empty():
        return [], 0, ()
    rework_now, rework_then = rework_rate(con, f, "all"), rework_rate(con, before, "all")
    n, p = now.row(0, named=True), then.row(0, named=True)
    rn, rp = rework_now.row(0, named=True), rework_then.row(0, named=True)
    figures = (
        ReviewFigure("Failed changes", n["failed_changes"],
                     _change(n["failed_changes"], p["failed_changes"]), "count"),
        ReviewFigure("Change failure rate", n["change_failure_rate"],
                     _change(n["change_failure_rate"], p["change_failure_rate"]), "share"),
        ReviewFigure("Deployment rework rate (fixes for incidents)", rn["rework_rate"],
                     _change(rn["rework_rate"], rp["rework_rate"]), "share"),
    )
    failed = deployment_log(con, f).filter(
        pl.col("environment") == "production", pl.col("failed_change"))
    items = [ReviewItem(
        f"deployment:{r['deployment_id']}",
        (r["deployment_id"], r["model"], r["version"], r["outcome"].replace("_", " "),
         r["deployed_at"], r["incidents"]),
        f"/model?id={r['model_id']}") for r in failed.iter_rows(named=True)]
    return items, len(items), figures


def _cost_value_items(con, f, before):
    now = cost_value(con, f, "team")
    then = {r["group_id"]: r for r in cost_value(con, before, "team").iter_rows(named=True)}
    items = []
    for r in now.iter_rows(named=True):
        p = then.get(r["group_id"], {})
        for column, what in (("cost_usd", "cost"), ("business_value_usd", "value")):
            current, previous = r[column] or 0.0, p.get(column) or 0.0
            if previous == 0 and current == 0:
                continue
            moved = (current - previous) / abs(previous) if previous else None
            if moved is None or abs(moved) > REVIEW_MOVE:
                up = current > previous
                # Cost up is worse, value up is better.
                reading = ("worse" if up else "better") if what == "cost" else (
                    "better" if up else "worse")
                items.append(ReviewItem(
                    f"{what}:{r['group_id']}",
                    (r["group_name"], f"{what} {'up' if up else 'down'}", current, previous,
                     current - previous, moved, reading),
                    f"/cost_value?team={r['group_id']}"))
    items.sort(key=lambda i: (-abs(i.values[4]), i.key))
    return items, len(items), ()


def oncall_week(con, f: Filter) -> pl.DataFrame:
    """On-call interruptions per responder over the window (oncall_week.sql), with
    `over`: the ONCALL_LIMITS names each responder reached (empty when none).

    Columns: team_id, team, responder, pages, out_of_hours_pages, sleep_hour_pages,
    sev1_sev2_pages, over (list of str).
    """
    frame = run(con, "oncall_week", **f.params())
    reached = [pl.when(pl.col(c) >= limit).then(pl.lit(c)) for c, limit in ONCALL_LIMITS.items()]
    return frame.with_columns(pl.concat_list(reached).list.drop_nulls().alias("over"))


_LIMIT_WORDS = {"sleep_hour_pages": "sleep-hour pages", "out_of_hours_pages": "out-of-hours pages",
                "pages": "pages"}


def _oncall_items(con, f):
    load = oncall_week(con, f).filter(pl.col("over").list.len() > 0)
    items = [ReviewItem(
        f"oncall:{r['team_id']}:{r['responder']}",
        (r["responder"], r["team"], r["pages"], r["out_of_hours_pages"],
         r["sleep_hour_pages"],
         ", ".join(f"{_LIMIT_WORDS[c]} ≥ {ONCALL_LIMITS[c]}" for c in r["over"])),
        f"/team?team={r['team_id']}") for r in load.iter_rows(named=True)]
    return items, len(items), ()


def _due_items(con, f):
    today = f.end.date()  # the Monday after the week: due on Sunday and not done is overdue
    overdue = overdue_reviews(con, f, today)
    items = []
    for r in overdue.iter_rows(named=True):
        status = ("never reviewed" if r["never_assessed"]
                  else f"overdue by {r['days_overdue']:,} days")
        items.append(ReviewItem(f"review:{r['model_id']}",
                                (r["model"], r["team"], "risk review", status,
                                 r["next_review_due"]),
                                f"/model?id={r['model_id']}"))
    for r in reviews_due(con, f).iter_rows(named=True):
        days = r["days_until_due"]
        items.append(ReviewItem(f"review:{r['model_id']}",
                                (r["model"], r["team"], "risk review",
                                 f"due in {days} day{'' if days == 1 else 's'}"
                                 if days else "due today", r["next_review_due"]),
                                f"/model?id={r['model_id']}"))
    gaps = governance_gaps(con, f, (f.end - timedelta(microseconds=1)).date())
    for r in gaps.filter(pl.col("no_passed_validation")).iter_rows(named=True):
        version = r["deployed_version"]
        items.append(ReviewItem(
            f"validation:{r['model_id']}",
            (r["model"], r["team"],
             f"validation of version {version}" if version else "validation",
             "owed: no passed validation" + ("" if version else " (no deployed version)"),
             None),
            f"/model?id={r['model_id']}"))
    return items, len(items), ()


def _follow_up_items(con, f, before):
    now = overdue_action_items(con, f)
    if now.is_empty():
        return [], 0, ()
    then = dict(overdue_action_items(con, before).group_by("owner").len().iter_rows())
    per_owner = now.group_by("owner").agg(pl.len().alias("overdue"),
                                          pl.col("due_at").min().alias("oldest_due"))
    per_owner = per_owner.sort(["overdue", "owner"], descending=[True, False])
    items = [ReviewItem(f"owner:{r['owner']}",
                        (r["owner"], r["overdue"], r["overdue"] - then.get(r["owner"], 0),
                         r["oldest_due"].date()),
                        "/team")
             for r in per_owner.iter_rows(named=True)]
    return items, now.height, ()

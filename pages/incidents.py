"""Incidents: what broke, how often and why, how fast it was found, picked up and fixed,
and what is still open."""

from datetime import UTC, datetime, timedelta

import polars as pl
import streamlit as st

from dashboard import charts, identity, loading, presentation, shell, tables, tiles
from dashboard.text import chart_text
from queries import kpi

f = shell.current_filter()
shell.page_header(
    "Incidents",
    "Incidents count in the period they started in. MTTD = mean(detected - started), MTTA "
    "= mean(acknowledged - detected) over those incidents; MTTR = mean(resolved - started) "
    "over incidents resolved in the period — open incidents never get a made-up time.",
    presentation.INCIDENTS, reads=("incidents", "action_items"),
)

# "Open now" is judged at the current time (UTC, whole minutes, so reruns reuse the cached
# answer), whatever the period: a preset ends at today's midnight, up to ~23 h ago.
at = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)

SEVERITY_COLOURS = {1: "#7f1d1d", 2: "#dc2626", 3: "#f59e0b", 4: "#94a3b8"}

# Everything the page draws, fetched together: the queries not cached yet run side by side.
data = loading.load_many(
    current=(kpi.incident_summary, f, {"by": "all"}),
    previous=(kpi.incident_summary, f.previous(), {"by": "all"}),
    teams=(kpi.incident_summary, f, {"by": "team"}),
    open_now=(kpi.open_incidents, f, {"at": at}),
    log=(kpi.incident_log, f, {}),
)


def http_only(column: str) -> pl.Expr:
    """Links from the data are followed only when they are plain web addresses."""
    return (pl.when(pl.col(column).str.contains(r"(?i)^https?://"))
            .then(pl.col(column)).alias(column))


# --- headline ---------------------------------------------------------------------------
current, previous = tiles.first_row(data.current), tiles.first_row(data.previous)
TILES = [
    tiles.Tile("incidents"),
    tiles.Tile("sev1_sev2_incidents", f"Sev 1: {current.get('sev1_incidents', 0)}, "
                                      f"sev 2: {current.get('sev2_incidents', 0)}."),
    tiles.Tile("mttd_minutes", f"Over {current.get('detected_incidents', 0)} incidents."),
    tiles.Tile("mtta_minutes", f"Over {current.get('acknowledged_incidents', 0)} "
                               "acknowledged incidents."),
    tiles.Tile("mttr_minutes", f"Over {current.get('resolved_incidents', 0)} incidents."),
    tiles.Tile("open_at_end"),
]
if not current.get("incidents") and not current.get("resolved_incidents") \
        and not current.get("open_at_end"):
    shell.empty_state("No incident started, was resolved or was open for the filtered models in "
                   "this period. Widen the period or the filters, or load incidents (see the "
                   "Data page).")
tiles.kpi_tiles(TILES, current, previous)

# --- over time --------------------------------------------------------------------------
@identity.fragment
def incidents_over_time(f) -> None:
    """The section with its own control: choosing "Per" reruns only this section."""
    st.subheader("Incidents over time")
    period = st.segmented_control("Per", ["day", "week", "month"], default="week",
                                  format_func={"day": "Day", "week": "ISO week",
                                               "month": "Month"}.get,
                                  key="incidents_period") or "week"
    over_time = loading.load(kpi.incidents_over_time, f, period=period)
    if over_time.height == 0:
        shell.empty_state("No incident started in this period, so there is nothing to chart.")
    else:
        label = {"day": "day", "week": "week starting", "month": "month"}[period]
        x_format = "%b %Y" if period == "month" else "%a %d %b %Y"
        # One tick per bar for weeks and months, so both charts label the same periods.
        ticks = {"week": dict(dtick=7 * 86_400_000, tick0=over_time["period_start"].min(),
                              tickformat="%d %b"),
                 "month": dict(dtick="M1", tickformat="%b %Y")}.get(period, {})

        def days_in(start) -> int:
            if period == "month":
                return ((start.replace(day=28) + timedelta(days=4)).replace(day=1)
                        - start).days
            return {"day": 1, "week": 7}[period]

        def partial(starts: pl.Series) -> dict:
            """A bucket the period covers only in part (a week with 3 of its days) is
            drawn lighter and hatched, and its hover says "partial: 3 of 7 days", so it
            does not read as a dip."""
            parts = charts.partial_days(starts.to_list(), period, f.start, f.end)
            note = ["" if p is None else f" · partial: {p:g} of {days_in(s)} days"
                    for s, p in zip(starts.to_list(), parts)]
            return {"customdata": note,
                    "marker": {"opacity": [1.0 if p is None else 0.45 for p in parts],
                               "pattern": {"shape": ["" if p is None else "/"
                                                     for p in parts]}}}

        if over_time["period_start"].n_unique() and any(
                p is not None for p in charts.partial_days(
                    over_time["period_start"].unique().to_list(), period, f.start, f.end)):
            st.caption(f"Lighter, hatched bars: a {period} the period covers only in part "
                       "(hover for its days), so fewer incidents there are not a dip.")
        def over_time_chart() -> None:
            """Incidents per period, stacked by severity and by root cause."""
            def stacked(fig, key: str) -> None:
                """Draw `fig` as bars stacked per period, its legend beside them."""
                fig.update_layout(barmode="stack", legend=dict(
                    orientation="v", x=1.02, xanchor="left", y=1, yanchor="top",
                    traceorder="normal"))
                fig.update_xaxes(hoverformat=x_format, title=label, **ticks)
                charts.plot(fig, key=key)

            left, right = st.columns(2)
            with left:
                by_severity = (over_time.group_by("period_start", "severity")
                               .agg(pl.col("incidents").sum()).sort("severity", "period_start"))
                fig = charts.figure(f"Incidents per {period} by severity", "incidents started")
                for (severity,), group in by_severity.group_by("severity", maintain_order=True):
                    fig.add_bar(x=group["period_start"], y=group["incidents"],
                                name=f"Sev {severity}",
                                marker_color=SEVERITY_COLOURS.get(severity, "#64748b"),
                                **partial(group["period_start"]),
                                hovertemplate=f"Sev {severity}: %{{y}}%{{customdata}}"
                                              "<extra></extra>")
                stacked(fig, key="incidents_by_severity")
            with right:
                by_cause = (over_time.with_columns(pl.col("root_cause").fill_null("not named"))
                            .group_by("period_start", "root_cause")
                            .agg(pl.col("incidents").sum()))
                # Biggest cause at the bottom of each stack and first in the legend.
                order = (by_cause.group_by("root_cause").agg(pl.col("incidents").sum())
                         .sort(["incidents", "root_cause"], descending=[True, False])["root_cause"])
                fig = charts.figure(f"Incidents per {period} by root cause", "incidents started")
                for cause in order:
                    group = by_cause.filter(pl.col("root_cause") == cause).sort("period_start")
                    fig.add_bar(x=group["period_start"], y=group["incidents"],
                                name=cause.replace("_", " "), **partial(group["period_start"]),
                                hovertemplate=f"{chart_text(cause.replace('_', ' '))}: "
                                              "%{y}%{customdata}<extra></extra>")
                stacked(fig, key="incidents_by_cause")

        def over_time_table() -> None:
            """Incidents per period, by severity and by root cause: the charts' numbers."""
            starts = over_time["period_start"].unique().sort()
            parts = charts.partial_days(starts.to_list(), period, f.start, f.end)
            covers = pl.DataFrame({
                "period_start": starts,
                "covers": [None if p is None else f"partial: {p:g} of {days_in(s)} days"
                           for s, p in zip(starts.to_list(), parts)]})

            def per_period(group: pl.Expr) -> pl.DataFrame:
                """A column of incidents per group, a row per period."""
                return (over_time.with_columns(group.alias("group"))
                        .pivot("group", index="period_start", values="incidents",
                               aggregate_function="sum", sort_columns=True)
                        .fill_null(0))

            severity = per_period(pl.format("Sev {}", pl.col("severity")))
            cause = per_period(pl.col("root_cause").fill_null("not named")
                               .str.replace_all("_", " "))
            totals = over_time.group_by("period_start").agg(pl.col("incidents").sum())
            table = (covers.join(totals, on="period_start")
                     .join(severity, on="period_start").join(cause, on="period_start")
                     .sort("period_start", descending=True))
            tables.table(table, {"period_start": label, "incidents": "incidents started"},
                         lead=["period_start", "incidents"], height=400,
                         key="incidents_over_time_table")

        shell.table_then_chart("incidents_over_time_view", over_time_table, over_time_chart,
                               "Charts")


incidents_over_time(f)

# --- per team ---------------------------------------------------------------------------
st.subheader("Per team")
teams = data.teams.filter(
    (pl.col("incidents") > 0) | (pl.col("resolved_incidents") > 0) | (pl.col("open_at_end") > 0))
if teams.height == 0:
    shell.empty_state("No team had an incident in this period.")
else:
    st.caption("Each mean sits beside the number of incidents behind it; a team's means are "
               "over its incidents, not averages of its models' means.")
    tables.table(teams.sort("incidents", descending=True).select(
            "group_name", "incidents", "sev1_incidents", "sev2_incidents", "sev3_incidents",
            "sev4_incidents", "mttd_minutes", "detected_incidents", "mtta_minutes",
            "acknowledged_incidents", "mttr_minutes", "resolved_incidents", "open_at_end"),
                 {"group_name": "team", "sev1_incidents": "sev 1", "sev2_incidents": "sev 2",
                  "sev3_incidents": "sev 3", "sev4_incidents": "sev 4",
                  "detected_incidents": "detected", "acknowledged_incidents": "acknowledged",
                  "resolved_incidents": "resolved"},
                 key="incidents_teams_table")

# --- open now ---------------------------------------------------------------------------
st.subheader(f"Open now ({at:%d %b %Y %H:%M} UTC)")
if data.open_now.height == 0:
    shell.empty_state(f"No incident of the filtered models is open now ({at:%d %b %Y %H:%M} "
                      "UTC; this list ignores the period).")
else:
    st.caption("Open at this moment, whatever the period chosen (as loaded: an incident "
               "resolved since the last load still shows as open). Most severe and oldest "
               "first. Detection and acknowledgement that happened "
               "after this moment are shown as not yet happened.")
    tables.table(tables.with_detail_link(data.open_now.with_columns(
            pl.col("age_minutes").map_elements(
                presentation.MEASURES["age_minutes"].show, return_dtype=pl.String).alias("age"),
            http_only("postmortem_url"),
        )).select("severity", "age", "incident_id", "title", "model", "team", "root_cause",
                  "started_at", "detected_at", "acknowledged_at", "deployment_id",
                  "postmortem_url", "detail"),
                 {"incident_id": "incident", "deployment_id": "caused by deployment",
                  "postmortem_url": "postmortem", "detail": "model detail"},
                 key="incidents_open_table")

# --- log --------------------------------------------------------------------------------
st.subheader("Incident log")
if data.log.height == 0:
    shell.empty_state("No incident started in this period for the filtered models.")
else:
    log = data.log.with_columns(http_only("postmortem_url"))
    with_postmortem = log.filter(pl.col("postmortem_url").is_not_null()).height
    st.caption(f"{log.height} incidents started in the period, newest first; "
               f"{with_postmortem} have a postmortem. Time to detect and to acknowledge in "
               "minutes, to resolve in hours; empty while the step has not happened.")
    tables.table(tables.with_detail_link(log).select(
            "started_at", "incident_id", "severity", "title", "model", "team", "root_cause",
            "deployment_id", "time_to_detect_minutes", "time_to_acknowledge_minutes",
            "time_to_resolve_minutes", "resolved_at", "open", "postmortem_url", "detail"),
                 {"incident_id": "incident", "deployment_id": "caused by deployment",
                  "open": "still open", "postmortem_url": "postmortem", "detail": "model detail"},
                 height=420,
                 key="incidents_log_table")

"""Reliability: is each model up and fast enough, how much error budget is left, and what
changed when it was not."""

from datetime import UTC, datetime

import polars as pl
import streamlit as st

from dashboard import charts, formats, loading, presentation, shell, tables, tiles
from queries import kpi

f = shell.current_filter()
shell.page_header(
    "Reliability",
    "Availability (1 - errors / requests) and latency p95 (merged histogram) against each "
    "model's SLO; error budget consumed = errors / ((1 - SLO) × requests), summed over "
    "models for a group; burn rate = error rate / (1 - SLO).",
    presentation.SERVING,
)
st.caption(shell.window_caption(f))

# The moment "now" on this page: the window's end, or the current hour if the window runs
# on into the present. Whole hours, because burn rates use complete hours (and a stable
# value keeps the cache warm between reruns).
now = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
at = min(f.end, now)

# Everything the page draws, fetched together: the queries not cached yet run side by side.
data = loading.load_many(
    current=(kpi.serving, f, {"by": "all"}),
    previous=(kpi.serving, f.previous(), {"by": "all"}),
    models=(kpi.serving, f, {"by": "model"}),
    burn=(kpi.burn_rates, f, {"at": at}),
    history=(kpi.slo_compliance_by_month, f, {}),
    deployments=(kpi.deployment_log, f, {}),
    incidents=(kpi.incident_log, f, {}),
)

# --- headline ---------------------------------------------------------------------------
current, previous = tiles.first_row(data.current), tiles.first_row(data.previous)
served_models = current.get("models_with_requests") or 0


def of_served(value) -> str:
    """A count of models "of" the models that served requests: 43/46."""
    shown = formats.count(value)
    return shown if shown == "–" else f"{shown}/{served_models}"


TILES = [
    tiles.Tile("availability"),
    tiles.Tile("error_budget_consumed"),
    tiles.Tile("downtime_minutes"),
    tiles.Tile("latency_p95_ms"),
    tiles.Tile("models_availability_slo_met", show=of_served),
    tiles.Tile("models_latency_slo_met", show=of_served),
]
if not current.get("requests"):
    shell.empty_state("No requests were served by the filtered models in this period, so "
                   "there is no availability, latency or error budget to show. Widen the "
                   "period or the filters, or load metrics_hourly (see the Data page).")
tiles.kpi_tiles(TILES, current, previous)

# --- SLOs per model ---------------------------------------------------------------------
st.subheader("SLOs per model")
served = data.models.filter(pl.col("requests") > 0)
if served.height == 0:
    shell.empty_state("No model served requests in this period: SLOs are measured on "
                   "requests, so there is nothing to compare against the targets.")
else:
    top = served.sort("error_budget_consumed", descending=True, nulls_last=True).head(25)
    left, right = st.columns(2)
    with left:
        fig = charts.figure("Error budget consumed per model" + (
                            f" · the {top.height} highest of {served.height}"
                            if served.height > top.height else ""),
                        "", "share of the period's error budget",
                        height=max(360, 22 * top.height + 110))
        colours = ["#dc2626" if c > 1 else "#f59e0b" if c > 0.75 else "#16a34a"
                   for c in top["error_budget_consumed"]]
        fig.add_bar(
            y=top["model"], x=top["error_budget_consumed"], orientation="h", name="consumed",
            marker_color=colours,
            customdata=top.select("errors", "error_budget_allowed", "slo_availability",
                                  "availability").rows(),
            hovertemplate="%{y}<br>consumed %{x:.1%}<br>%{customdata[0]:,} errors of "
                          "%{customdata[1]:,.0f} allowed<br>availability %{customdata[3]:.3%} "
                          "(SLO %{customdata[2]:.2%})<extra></extra>")
        fig.add_vline(x=1, line_dash="dash", line_color="#dc2626",
                      annotation_text="100% = budget spent", annotation_position="top")
        fig.update_layout(hovermode="closest", showlegend=False)
        fig.update_xaxes(tickformat=".0%")
        fig.update_yaxes(autorange="reversed", title="")
        charts.plot(fig, key="reliability_budget_chart", models=[top["model_id"].to_list()])
    with right:
        with_latency = served.filter(pl.col("latency_p95_ms").is_not_null())
        fig = charts.figure("Latency p95 against its SLO · above the line = SLO missed",
                        "measured p95 (ms)", "p95 target (ms)",
                        height=max(360, 22 * top.height + 110))
        # One trace per verdict: a colour per point would be validated point by point.
        point_models = []
        for met, colour in ((True, "#16a34a"), (False, "#dc2626")):
            points = with_latency.filter(pl.col("latency_slo_met") == met)
            point_models.append(points["model_id"].to_list())
            fig.add_scatter(
                x=points["slo_latency_p95_ms"].to_numpy(),
                y=points["latency_p95_ms"].to_numpy(), text=points["model"].to_numpy(),
                mode="markers", name="SLO met" if met else "SLO missed",
                marker=dict(size=9, color=colour),
                hovertemplate="%{text}<br>p95 %{y:,.0f} ms (target %{x:,.0f} ms)"
                              "<extra></extra>")
        bounds = [1, 10000]
        if with_latency.height:
            low = min(with_latency["slo_latency_p95_ms"].min(),
                      with_latency["latency_p95_ms"].min())
            high = max(with_latency["slo_latency_p95_ms"].max(),
                       with_latency["latency_p95_ms"].max())
            bounds = [max(low * 0.7, 0.1), high * 1.4]
        fig.add_scatter(x=bounds, y=bounds, mode="lines", name="p95 = target",
                        line=dict(dash="dash", color="#64748b"), hoverinfo="skip")
        if with_latency.height > charts.WEBGL_POINTS:  # the same picture, drawn by WebGL
            for trace in fig.data[:2]:
                trace["type"] = "scattergl"
        fig.update_layout(hovermode="closest", showlegend=False)
        ticks = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]
        fig.update_xaxes(type="log", tickvals=ticks)
        fig.update_yaxes(type="log", tickvals=ticks)
        charts.plot(fig, key="reliability_latency_chart", models=point_models)

    table = tables.with_detail_link(data.models).select(
        "model", "team", "business_unit", "requests", "errors", "availability",
        "slo_availability", "availability_slo_met", "error_budget_allowed",
        "error_budget_consumed", "error_budget_remaining", "downtime_minutes",
        "latency_p95_ms", "slo_latency_p95_ms", "latency_slo_met", "detail",
    ).sort("error_budget_consumed", descending=True, nulls_last=True)
    st.caption("All filtered models, most budget consumed first; a model without requests "
               "has no availability or latency (empty), not 0 or 100%. Pick a row, or a "
               "model in the charts above, to open its detail.")
    tables.table(table,
                 height=400,
                 key="reliability_models_table")

# --- below the fold: burn rate, monthly history, series --------------------------------
# Three sections a manager opens one at a time. As lazy tabs only the open one is drawn and
# sent (each of the others is a table or three charts with markers), and switching tabs
# reruns only this fragment.
SECTIONS = {"burn": "Burn rate now", "history": "SLO compliance by month",
            "series": "Serving over time"}


def burn_rate(burn: pl.DataFrame) -> None:
    """Error-budget burn rate at the window's end, per live model."""
    st.caption(
        f"Burn rate over the whole hours 1 h, 2 h, 6 h, 1 d and 3 d before {at:%d %b %Y %H:%M} UTC "
        "(the window's end, or the last complete hour). 1 = the budget would last exactly the SLO "
        "period. Fast burn (page): 1 h > 14.4; slow burn (page): 6 h and 1 h > 6 — metrics are "
        "hourly, so the last whole hour stands in for the 5 and 30 minute short windows. Ticket "
        "burn: 1 d and 2 h > 3, or 3 d and 6 h > 1.")
    if burn.height == 0:
        shell.empty_state("No live model in scope served requests in the three days before this "
                       "moment, so there is no burn rate.")
    else:
        fast = burn.filter(pl.col("fast_burn")).height
        slow = burn.filter(pl.col("slow_burn")).height
        ticket = burn.filter(pl.col("ticket_burn")).height
        tiles.kpi_tiles([tiles.Tile(kpi_name) for kpi_name in (
            "fast_burn_alerts", "slow_burn_alerts", "ticket_burn_alerts", "models_checked")],
            {"fast_burn_alerts": fast, "slow_burn_alerts": slow, "ticket_burn_alerts": ticket,
             "models_checked": burn.height},
            {}, per_row=4)
        alert = (pl.when(pl.col("fast_burn")).then(pl.lit("🔴 fast burn"))
                 .when(pl.col("slow_burn")).then(pl.lit("🟠 slow burn"))
                 .when(pl.col("ticket_burn")).then(pl.lit("🟡 ticket burn"))
                 .when(pl.col("requests_1h") == 0).then(pl.lit("⚪ no traffic last hour"))
                 .otherwise(pl.lit("🟢 ok")))
        tables.table(
            burn.with_columns(alert.alias("alert")).select(
                "alert", "ticket_burn", "model", "team", "slo_availability",
                "burn_rate_1h", "errors_1h", "requests_1h",
                "burn_rate_2h", "errors_2h", "requests_2h",
                "burn_rate_6h", "errors_6h", "requests_6h",
                "burn_rate_1d", "errors_1d", "requests_1d",
                "burn_rate_3d", "errors_3d", "requests_3d"),
            height=320, key="reliability_burn_table")



def slo_history(history: pl.DataFrame) -> None:
    """Month-by-month SLO results: the models that missed, then every model's table."""
    if history.height == 0:
        shell.empty_state("No serving metrics in this period, so no month has an SLO result.")
    else:
        st.caption("Each calendar month is clipped to the selected period (hover shows the days "
                   "it covers); pick a longer period for more history. A month met its SLOs "
                   "when availability >= target and p95 <= target over that month's counts.")
        status = (
            pl.when(pl.col("availability_slo_met").is_null()).then(pl.lit("no traffic"))
            .when(pl.col("availability_slo_met") & pl.col("latency_slo_met"))
            .then(pl.lit("✅ met"))
            .when(~pl.col("availability_slo_met") & ~pl.col("latency_slo_met"))
            .then(pl.lit("❌ both missed"))
            .when(~pl.col("availability_slo_met")).then(pl.lit("❌ availability"))
            .otherwise(pl.lit("❌ latency"))
        )
        history = history.with_columns(status.alias("status"),
                                       pl.col("month").dt.strftime("%Y-%m").alias("month_label"))
        missed = (history.group_by("model_id")
                  .agg(pl.col("status").str.starts_with("❌").sum().alias("months_missed"))
                  .filter(pl.col("months_missed") > 0)
                  .sort(["months_missed", "model_id"], descending=[True, False]))
        missed_count, missed = missed.height, missed.head(30)
        months = sorted(history["month_label"].unique())
        if missed.height:
            shown = history.join(missed, on="model_id").sort(
                ["months_missed", "model", "month"], descending=[True, False, False])
            names = shown.unique("model_id", maintain_order=True)
            score = {"✅ met": 2, "❌ availability": 1, "❌ latency": 1, "❌ both missed": 0}
            cells = {(r["model_id"], r["month_label"]): r for r in shown.iter_rows(named=True)}

            def hover(row) -> str:
                if row is None:
                    return "no metrics"
                return (f"{row['model']} · {row['month_label']} ({row['days']} days)<br>"
                        f"{row['status']}<br>availability {formats.pct(row['availability'], 3)} "
                        f"(SLO {formats.pct(row['slo_availability'])})<br>p95 "
                        f"{formats.ms(row['latency_p95_ms'])} (SLO {formats.ms(row['slo_latency_p95_ms'])})"
                        f"<br>budget consumed {formats.pct(row['error_budget_consumed'], 1)}")

            grid = [[cells.get((m, month)) for month in months] for m in names["model_id"]]
            fig = charts.figure("Models that missed an SLO in at least one month · " + (
                                f"the {missed.height} with most misses of {missed_count}"
                                if missed_count > missed.height else f"{missed_count}"),
                            "", "month", height=max(260, 26 * names.height + 120))
            fig.add_heatmap(
                x=months, y=names["model"].to_list(),
                z=[[None if c is None else score.get(c["status"]) for c in row] for row in grid],
                text=[[hover(c) for c in row] for row in grid],
                hovertemplate="%{text}<extra></extra>",
                zmin=0, zmax=2, showscale=False, xgap=2, ygap=2,
                colorscale=[[0, "#dc2626"], [0.5, "#f59e0b"], [1, "#16a34a"]])
            fig.update_layout(hovermode="closest")
            fig.update_yaxes(autorange="reversed", title="")
            fig.update_xaxes(type="category")
            charts.plot(fig, key="reliability_history_chart")
            st.caption("Red: both SLOs missed · amber: one missed · green: both met · blank: no "
                       "metrics that month.")
        else:
            st.success("Every model met both SLOs in every month of the period.")
        pivot = history.pivot("month_label", index=["model", "team"], values="status",
                              sort_columns=True).sort("model")
        pivot = pivot.with_columns(pl.col(months).fill_null("no metrics"))
        with st.expander(f"Month-by-month table, all {pivot.height} models"):
            tables.table(pivot,
                         key="reliability_history_table")



def serving_over_time(f, deployments: pl.DataFrame, incidents: pl.DataFrame) -> None:
    """Serving per day with what changed; "Lines for" reruns only the fragment."""
    by = st.segmented_control("Lines for", ["all", "team"], default="all",
                              format_func={"all": "All filtered models", "team": "Each team"}.get,
                              key="reliability_series_by") or "all"
    series = loading.load(kpi.serving_series, f, by=by)
    if series.height == 0:
        shell.empty_state("No serving metrics in this period, so there is no time series.")
    else:
        every_event = st.toggle("Mark every deployment and incident",
                                key="reliability_every_event",
                                help="Off: only failed changes and sev 1–2 incidents are "
                                     "marked, the events that explain a change.")
        markers = charts.event_markers(deployments.filter(pl.col("environment") == "production"),
                                       incidents, everything=every_event)
        st.caption(("▲ production deployment · ✕ incident start; red: " if every_event else
                    "▲ failed change · ✕ sev 1–2 incident; red: ")
                   + "a failed change or a sev 1–2 incident. Hover a marker for its id, model "
                   "and version or severity (with more than "
                   f"{charts.EVENT_MARKERS} events, one marker per day counts them).")

        per_team = by == "team"

        def chart(title: str, y_title: str, column: str, hover: str):
            """One line per group; with many teams the legend goes to the right and the chart
            takes the full width, so lines stay readable."""
            fig = charts.figure(title, y_title, height=460 if per_team else 360)
            for (name,), group in series.group_by("group_name", maintain_order=True):
                fig.add_scatter(x=group["day"], y=group[column], name=name if per_team else
                                "all models", mode="lines" if per_team else "lines+markers",
                                marker=dict(size=4), hovertemplate=hover)
            if per_team:
                fig.update_layout(hovermode="closest", legend=dict(
                    orientation="v", x=1.02, xanchor="left", y=1, yanchor="top"))
                for trace in fig.data:
                    trace["hovertemplate"] = (f"{trace['name']}<br>%{{x|%a %d %b %Y}}: {hover}"
                                              "<extra></extra>")
            return fig

        availability = chart("Availability per day", "availability", "availability", "%{y:.3%}")
        availability.update_yaxes(tickformat=".2%")
        budget = chart("Error budget consumed per day (100% = the day's allowance)",
                       "share of the day's error budget", "error_budget_consumed", "%{y:.1%}")
        budget.add_hline(y=1, line_dash="dash", line_color="#dc2626")
        budget.update_yaxes(tickformat=".0%", rangemode="tozero")
        latency = chart("Latency p95 per day (merged histogram)", "milliseconds",
                        "latency_p95_ms", "%{y:,.0f} ms")
        latency.update_yaxes(rangemode="tozero")
        figures = {"reliability_availability": availability,
                   "reliability_budget_series": budget,
                   "reliability_latency_series": latency}
        if per_team:
            for key, fig in figures.items():
                charts.plot(charts.mark_events(fig, markers), key=key)
        else:
            left, right = st.columns(2)
            for column, key in ((left, "reliability_availability"),
                                (right, "reliability_budget_series")):
                with column:
                    charts.plot(charts.mark_events(figures[key], markers), key=key)
            charts.plot(charts.mark_events(latency, markers),
                    key="reliability_latency_series")


@st.fragment
def below_the_fold(f, data) -> None:
    tabs = dict(zip(SECTIONS, st.tabs(list(SECTIONS.values()), key="reliability_section",
                                      on_change="rerun")))
    if tabs["burn"].open:
        with tabs["burn"]:
            burn_rate(data.burn)
    if tabs["history"].open:
        with tabs["history"]:
            slo_history(data.history)
    if tabs["series"].open:
        with tabs["series"]:
            serving_over_time(f, data.deployments, data.incidents)


below_the_fold(f, data)

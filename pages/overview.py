"""Overview: the week's headline numbers, every model's status, and the trends."""

import polars as pl
import streamlit as st

from dashboard import charts, loading, presentation, shell, tables, tiles
from queries import kpi

f = shell.current_filter()
shell.page_header(
    "Overview",
    "Headline KPIs for the filtered models over the period, with the change against the "
    "period before; ratios come from summed counts, never averages of model ratios.",
    presentation.AGGREGATION,
)

# What the tiles and the models draw, fetched together: the queries not cached yet run side
# by side. The trends load their own when their tab is opened.
data = loading.load_many(
    now=(kpi.kpi_tiles, f, {}),
    before=(kpi.kpi_tiles, f.previous(), {}),
    serving=(kpi.serving, f, {"by": "model"}),
)

# --- KPI tiles --------------------------------------------------------------------------
TILES = [tiles.Tile(kpi_name) for kpi_name in (
    "requests", "availability", "error_budget_consumed", "latency_p95_ms", "incidents",
    "mttr_minutes", "deployments", "change_failure_rate", "cost_usd", "business_value_usd",
    "roi", "dq_pass_rate")]
now, before = tiles.first_row(data.now), tiles.first_row(data.before)
if not now.get("requests") and not now.get("incidents") and not now.get("cost_usd"):
    shell.empty_state("No serving metrics, incidents or costs for these models in this period. "
                   "Widen the period or the filters, or load data (see the Data page).")
tiles.kpi_tiles(TILES, now, before)

# --- models and trends: lazy tabs (shell.lazy_tabs), only the open one drawn ------------
# The trends are three charts: a fresh browser's first chart costs 1.5-2.5 s of loading
# Streamlit's Plotly bundle (docs/PERFORMANCE.md, "First load"), so the page opens on the
# models' table and draws the charts when asked.


def models_section() -> None:
    """Every filtered model's status, worst first."""
    st.subheader("Models")
    if data.serving.height == 0:
        shell.empty_state("No models match the filters.")
    else:
        # Worst first: a severity rank (missed, at risk, healthy, no traffic), then the most
        # error budget consumed; never the status text's alphabetical order.
        missed = (~pl.col("availability_slo_met") | ~pl.col("latency_slo_met")
                  | (pl.col("error_budget_consumed") > 1))
        at_risk = pl.col("error_budget_consumed") > 0.75
        no_traffic = pl.col("requests") == 0
        rank = (pl.when(no_traffic).then(3).when(missed).then(0).when(at_risk).then(1)
                .otherwise(2))
        status = (pl.when(no_traffic).then(pl.lit("– no traffic"))
                  .when(missed).then(pl.lit("✗ SLO missed"))
                  .when(at_risk).then(pl.lit("! budget at risk"))
                  .otherwise(pl.lit("✓ healthy")))
        models = tables.with_detail_link(data.serving.with_columns(
            status.alias("status"), rank.alias("rank"))).sort(
            ["rank", "error_budget_consumed", "model"], descending=[False, True, False],
            nulls_last=True).select(
            "status", "model", "error_budget_consumed", "availability", "slo_availability",
            "latency_p95_ms", "slo_latency_p95_ms", "requests", "team", "business_unit",
            "lifecycle_stage", "detail",
        )
        st.caption("✗ an SLO missed or the error budget overspent · ! over 75% of the budget "
                   "consumed · ✓ within SLO · – no requests in the period (the words say it; "
                   "the marks are text, not colour)")
        tables.table(models, height=420, key="overview_models_table")


def trends_section() -> None:
    """Availability, latency, cost and value per day, with deployments and incidents."""
    trends = loading.load_many(
        series=(kpi.serving_series, f, {"by": "all"}),
        deployments=(kpi.deployment_log, f, {}),
        incidents=(kpi.incident_log, f, {}),
        costs=(kpi.cost_value_series, f, {"by": "all"}),
    )
    st.subheader("Trends")
    every_event = st.toggle("Mark every deployment and incident", key="overview_every_event",
                            help="Off: only failed changes and sev 1–2 incidents are marked, "
                                 "the events that explain a dip.")
    production = trends.deployments.filter(pl.col("environment") == "production")
    markers = charts.event_markers(production, trends.incidents, everything=every_event)
    st.caption(("▲ production deployment · ✕ incident start; red: " if every_event else
                "▲ failed change · ✕ sev 1–2 incident; red: ")
               + "a failed change or a sev 1–2 incident. Hover a marker for the event, or the "
               f"day's count when there are more than {charts.EVENT_MARKERS}.")
    left, right = st.columns(2)
    with left:
        if trends.series.height:
            fig = charts.figure("Availability per day, with deployments and incidents",
                                "availability")
            fig.add_scatter(x=trends.series["day"], y=trends.series["availability"],
                            name="availability", mode="lines+markers", hovertemplate="%{y:.3%}")
            fig.update_yaxes(tickformat=".2%")
            charts.plot(charts.mark_events(fig, markers))
        else:
            shell.empty_state("No serving metrics in this period.")
    with right:
        if trends.series.height:
            fig = charts.figure("Latency per day (merged histogram)", "milliseconds")
            for q in ("p50", "p95", "p99"):
                fig.add_scatter(x=trends.series["day"], y=trends.series[f"latency_{q}_ms"],
                                name=q, mode="lines", hovertemplate="%{y:.0f} ms")
            charts.plot(charts.mark_events(fig, markers))

    if trends.costs.height:
        fig = charts.figure("Cost and business value per day", "US dollars")
        fig.add_bar(x=trends.costs["day"], y=trends.costs["cost_usd"], name="cost",
                    marker_color=charts.COLOURS["cost"], hovertemplate="$%{y:,.0f}")
        fig.add_scatter(x=trends.costs["day"], y=trends.costs["business_value_usd"],
                        name="value", mode="lines", line_color=charts.COLOURS["business_value"],
                        hovertemplate="$%{y:,.0f}")
        charts.plot(fig)


shell.lazy_tabs("overview_section", {"Models": models_section, "Trends": trends_section})

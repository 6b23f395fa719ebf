"""Overview: the week's headline numbers, every model's status, and the trends."""

import polars as pl
import streamlit as st

from pages import state, ui
from queries import kpi

f = ui.current_filter()
ui.page_header(
    "Overview",
    "Headline KPIs for the filtered models over the period, with the change against the "
    "period before; ratios come from summed counts, never averages of model ratios.",
)
st.caption(ui.window_caption(f))

# Everything the page draws, fetched together: the queries not cached yet run side by side.
now, before, serving, series, deployments, incidents, costs = state.load_many(
    (kpi.kpi_tiles, f, {}),
    (kpi.kpi_tiles, f.previous(), {}),
    (kpi.serving, f, {"by": "model"}),
    (kpi.serving_series, f, {"by": "all"}),
    (kpi.deployment_log, f, {}),
    (kpi.incident_log, f, {}),
    (kpi.cost_value_series, f, {"by": "all"}),
)

# --- KPI tiles --------------------------------------------------------------------------
TILES = [
    ui.Tile("Requests", "requests", ui.count),
    ui.Tile("Availability", "availability", ui.pct, as_points=True),
    ui.Tile("Error budget consumed", "error_budget_consumed", ui.pct, False, as_points=True,
            help="Errors / allowed errors ((1 - SLO) × requests), summed over models."),
    ui.Tile("Latency p95", "latency_p95_ms", ui.ms, False,
            help="From the merged latency histogram of all filtered models."),
    ui.Tile("Incidents", "incidents", ui.count, False),
    ui.Tile("MTTR", "mttr_minutes", ui.minutes, False,
            help="Mean time to resolve, over incidents resolved in the period."),
    ui.Tile("Deployments", "deployments", ui.count, None),
    ui.Tile("Change failure rate", "change_failure_rate", ui.pct, False, as_points=True),
    ui.Tile("Cost", "cost_usd", ui.usd, False),
    ui.Tile("Business value", "business_value_usd", ui.usd),
    ui.Tile("ROI", "roi", lambda x: ui.pct(x, 1), as_points=True, help="(value - cost) / cost"),
    ui.Tile("Data-quality pass rate", "dq_pass_rate", ui.pct, as_points=True),
]
now, before = ui.first_row(now), ui.first_row(before)
if not now.get("requests") and not now.get("incidents") and not now.get("cost_usd"):
    ui.empty_state("No serving metrics, incidents or costs for these models in this period. "
                   "Widen the period or the filters, or load data (see the Data page).")
ui.kpi_tiles(TILES, now, before)

# --- models -----------------------------------------------------------------------------
st.subheader("Models")
if serving.height == 0:
    ui.empty_state("No models match the filters.")
else:
    status = (
        pl.when(pl.col("requests") == 0).then(pl.lit("⚪ no traffic"))
        .when(~pl.col("availability_slo_met") | ~pl.col("latency_slo_met")
              | (pl.col("error_budget_consumed") > 1)).then(pl.lit("🔴 SLO missed"))
        .when(pl.col("error_budget_consumed") > 0.75).then(pl.lit("🟠 budget at risk"))
        .otherwise(pl.lit("🟢 healthy"))
    )
    models = ui.with_detail_link(serving.with_columns(status.alias("status"))).select(
        "status", "model", "team", "business_unit", "lifecycle_stage", "requests",
        "availability", "slo_availability", "error_budget_consumed", "latency_p95_ms",
        "slo_latency_p95_ms", "detail",
    ).sort(["status", "error_budget_consumed"], descending=[True, True], nulls_last=True)
    st.caption("🔴 an SLO missed or the error budget overspent · 🟠 over 75% of the budget "
               "consumed · 🟢 within SLO · ⚪ no requests in the period")
    ui.table(models, {"requests": "int", "availability": "pct", "slo_availability": "pct",
                      "error_budget_consumed": "pct", "latency_p95_ms": "ms",
                      "slo_latency_p95_ms": "ms", "detail": "link"}, height=420)

# --- trends -----------------------------------------------------------------------------
st.subheader("Trends")
markers = ui.event_markers(deployments.filter(pl.col("environment") == "production"),
                           incidents)
left, right = st.columns(2)
with left:
    if series.height:
        fig = ui.figure("Availability per day, with deployments and incidents", "availability")
        fig.add_scatter(x=series["day"], y=series["availability"], name="availability",
                        mode="lines+markers", hovertemplate="%{y:.3%}")
        fig.update_yaxes(tickformat=".2%")
        ui.plot(ui.mark_events(fig, markers))
    else:
        ui.empty_state("No serving metrics in this period.")
with right:
    if series.height:
        fig = ui.figure("Latency per day (merged histogram)", "milliseconds")
        for q in ("p50", "p95", "p99"):
            fig.add_scatter(x=series["day"], y=series[f"latency_{q}_ms"], name=q,
                            mode="lines", hovertemplate="%{y:.0f} ms")
        ui.plot(ui.mark_events(fig, markers))

if costs.height:
    fig = ui.figure("Cost and business value per day", "US dollars")
    fig.add_bar(x=costs["day"], y=costs["cost_usd"], name="cost", hovertemplate="$%{y:,.0f}")
    fig.add_scatter(x=costs["day"], y=costs["business_value_usd"], name="value",
                    mode="lines", hovertemplate="$%{y:,.0f}")
    ui.plot(fig)

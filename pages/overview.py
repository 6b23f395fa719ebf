"""Overview: the week's headline numbers, every model's status, and the trends."""

import polars as pl
import streamlit as st

from dashboard import charts, formats, loading, shell, tables, tiles
from queries import kpi

f = shell.current_filter()
shell.page_header(
    "Overview",
    "Headline KPIs for the filtered models over the period, with the change against the "
    "period before; ratios come from summed counts, never averages of model ratios.",
)
st.caption(shell.window_caption(f))

# Everything the page draws, fetched together: the queries not cached yet run side by side.
now, before, serving, series, deployments, incidents, costs = loading.load_many(
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
    tiles.Tile("Requests", "requests", formats.count),
    tiles.Tile("Availability", "availability", formats.pct, as_points=True),
    tiles.Tile("Error budget consumed", "error_budget_consumed", formats.pct, False, as_points=True,
            help="Errors / allowed errors ((1 - SLO) × requests), summed over models."),
    tiles.Tile("Latency p95", "latency_p95_ms", formats.ms, False,
            help="From the merged latency histogram of all filtered models."),
    tiles.Tile("Incidents", "incidents", formats.count, False),
    tiles.Tile("MTTR", "mttr_minutes", formats.minutes, False,
            help="Mean time to resolve, over incidents resolved in the period."),
    tiles.Tile("Deployments", "deployments", formats.count, None),
    tiles.Tile("Change failure rate", "change_failure_rate", formats.pct, False, as_points=True),
    tiles.Tile("Cost", "cost_usd", formats.usd, False),
    tiles.Tile("Business value", "business_value_usd", formats.usd),
    tiles.Tile("ROI", "roi", lambda x: formats.pct(x, 1), as_points=True, help="(value - cost) / cost"),
    tiles.Tile("Data-quality pass rate", "dq_pass_rate", formats.pct, as_points=True),
]
now, before = tiles.first_row(now), tiles.first_row(before)
if not now.get("requests") and not now.get("incidents") and not now.get("cost_usd"):
    shell.empty_state("No serving metrics, incidents or costs for these models in this period. "
                   "Widen the period or the filters, or load data (see the Data page).")
tiles.kpi_tiles(TILES, now, before)

# --- models -----------------------------------------------------------------------------
st.subheader("Models")
if serving.height == 0:
    shell.empty_state("No models match the filters.")
else:
    status = (
        pl.when(pl.col("requests") == 0).then(pl.lit("⚪ no traffic"))
        .when(~pl.col("availability_slo_met") | ~pl.col("latency_slo_met")
              | (pl.col("error_budget_consumed") > 1)).then(pl.lit("🔴 SLO missed"))
        .when(pl.col("error_budget_consumed") > 0.75).then(pl.lit("🟠 budget at risk"))
        .otherwise(pl.lit("🟢 healthy"))
    )
    models = tables.with_detail_link(serving.with_columns(status.alias("status"))).select(
        "status", "model", "team", "business_unit", "lifecycle_stage", "requests",
        "availability", "slo_availability", "error_budget_consumed", "latency_p95_ms",
        "slo_latency_p95_ms", "detail",
    ).sort(["status", "error_budget_consumed"], descending=[True, True], nulls_last=True)
    st.caption("🔴 an SLO missed or the error budget overspent · 🟠 over 75% of the budget "
               "consumed · 🟢 within SLO · ⚪ no requests in the period")
    tables.table(models, {"requests": "int", "availability": "pct", "slo_availability": "pct",
                      "error_budget_consumed": "pct", "latency_p95_ms": "ms",
                      "slo_latency_p95_ms": "ms", "detail": "link"}, height=420)

# --- trends -----------------------------------------------------------------------------
st.subheader("Trends")
markers = charts.event_markers(deployments.filter(pl.col("environment") == "production"),
                           incidents)
left, right = st.columns(2)
with left:
    if series.height:
        fig = charts.figure("Availability per day, with deployments and incidents", "availability")
        fig.add_scatter(x=series["day"], y=series["availability"], name="availability",
                        mode="lines+markers", hovertemplate="%{y:.3%}")
        fig.update_yaxes(tickformat=".2%")
        charts.plot(charts.mark_events(fig, markers))
    else:
        shell.empty_state("No serving metrics in this period.")
with right:
    if series.height:
        fig = charts.figure("Latency per day (merged histogram)", "milliseconds")
        for q in ("p50", "p95", "p99"):
            fig.add_scatter(x=series["day"], y=series[f"latency_{q}_ms"], name=q,
                            mode="lines", hovertemplate="%{y:.0f} ms")
        charts.plot(charts.mark_events(fig, markers))

if costs.height:
    fig = charts.figure("Cost and business value per day", "US dollars")
    fig.add_bar(x=costs["day"], y=costs["cost_usd"], name="cost", hovertemplate="$%{y:,.0f}")
    fig.add_scatter(x=costs["day"], y=costs["business_value_usd"], name="value",
                    mode="lines", hovertemplate="$%{y:,.0f}")
    charts.plot(fig)

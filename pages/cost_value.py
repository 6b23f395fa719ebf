"""Cost & value: where the money goes (showback), what the models earn, and the vendors."""

import polars as pl
import streamlit as st

from dashboard import charts, identity, loading, presentation, shell, tables, tiles
from queries import kpi

f = shell.current_filter()
shell.page_header(
    "Cost & value",
    "Cost, business value, net value (value - cost) and ROI ((value - cost) / cost) of the "
    "filtered models over the period; cost per 1k requests = cost / requests × 1000. A "
    "model's cost counts wholly to its team and that team's business unit.",
    presentation.COST, reads=("costs_daily", "business_value_daily", "metrics_hourly"),
)

# --- KPI tiles --------------------------------------------------------------------------
TILES = [tiles.Tile(kpi_name) for kpi_name in (
    "cost_usd", "business_value_usd", "net_value_usd", "roi", "cost_per_1k_requests",
    "requests")]
# What the tiles and the first tab draw, fetched together: the queries not cached yet run
# side by side. The other tabs load their own when opened.
data = loading.load_many(
    now=(kpi.kpi_tiles, f, {}),
    before=(kpi.kpi_tiles, f.previous(), {}),
    by_team=(kpi.cost_value, f, {"by": "team"}),
    by_model=(kpi.cost_value, f, {"by": "model"}),
)
now, before = tiles.first_row(data.now), tiles.first_row(data.before)
if not now.get("cost_usd") and not now.get("business_value_usd"):
    shell.empty_state("No costs or business value are recorded for these models in this "
                   "period. Widen the period or the filters, or load costs_daily and "
                   "business_value_daily (see the Data page).")
tiles.kpi_tiles(TILES, now, before, per_row=3)

# --- showback ---------------------------------------------------------------------------
DIMENSIONS = {"team": "Team", "business_unit": "Business unit", "vendor": "Vendor",
              "category": "Cost category"}


@identity.fragment
def where_the_cost_goes(f) -> None:
    """The section with its own control: "Break the cost down by" reruns only this
    section."""
    st.subheader("Where the cost goes")
    # The dimension lives in the URL (`?cost_dimension=vendor`) like the filter bar's state:
    # a link seeds the selector once per session, then the selector writes it back.
    if "cost_value_dimension_from_link" not in st.session_state:
        asked = st.query_params.get("cost_dimension", "team")
        st.session_state["cost_value_dimension_from_link"] = (
            asked if asked in DIMENSIONS else "team")
    dimension = st.segmented_control(
        "Break the cost down by", list(DIMENSIONS), format_func=DIMENSIONS.get,
        default=st.session_state["cost_value_dimension_from_link"], key="cost_dimension")
    if dimension not in kpi.COST_DIMENSIONS:
        dimension = "team"  # a second click on the chosen option clears it: keep the default
    if dimension != "team":
        st.query_params["cost_dimension"] = dimension
    elif "cost_dimension" in st.query_params:
        del st.query_params["cost_dimension"]
    breakdown = loading.load(kpi.cost_breakdown, f, by=dimension)
    if breakdown.height == 0:
        shell.empty_state("No cost rows for these models in this period, so there is nothing to "
                       "break down.")
    else:
        label = DIMENSIONS[dimension].lower()
        # Cost rows that name no vendor form one group with an empty id: say so in words.
        names = pl.col("group_name")
        if dimension == "category":  # a contract code ("inference_api") read as words
            names = names.str.replace_all("_", " ")
        shown = breakdown.with_columns(names.fill_null(pl.lit(f"(no {label})")))

        def cost_chart() -> None:
            """The cost of each group, largest at the top."""
            bars = shown.sort("cost_usd")  # largest at the top of a horizontal bar chart
            fig = charts.figure(f"Cost by {label}", "", "US dollars",
                                height=max(260, 40 + 28 * bars.height))
            fig.add_bar(x=bars["cost_usd"], y=bars["group_name"], orientation="h", name="cost",
                        marker_color=charts.COLOURS["cost"], customdata=bars["share_of_cost"],
                        hovertemplate="%{y}: $%{x:,.0f} (%{customdata:.1%} of the cost)"
                                      "<extra></extra>")
            fig.update_layout(hovermode="closest", showlegend=False)
            fig.update_xaxes(tickprefix="$", tickformat=",.0f")
            charts.plot(fig, key="cost_value_breakdown_chart")

        def cost_table() -> None:
            """Each group's cost and its share of the whole."""
            tables.table(shown.select("group_name", "cost_usd", "share_of_cost"),
                         {"group_name": DIMENSIONS[dimension]},
                         key="cost_value_breakdown_table")

        shell.table_then_chart("cost_value_breakdown_view", cost_table, cost_chart)


where_the_cost_goes(f)

# --- below the fold: value and ROI, per day, vendors -------------------------------------
# Three sections a manager opens one at a time, as lazy tabs (shell.lazy_tabs): they hold 4
# of the page's 5 charts and 4 of its 5 tables, and only the open one is drawn and sent.


def value_and_roi(data) -> None:
    """Cost, value, net value and ROI by team, then per model."""
    st.subheader("Value and ROI by team")
    if data.by_team.height == 0:
        shell.empty_state("No models match the filters.")
    else:
        def team_chart() -> None:
            """Cost and business value of each team, highest net value at the top."""
            bars = data.by_team.sort("net_value_usd", nulls_last=False)
            fig = charts.figure("Cost and business value by team (sorted by net value)", "",
                                "US dollars", height=max(280, 60 + 40 * bars.height))
            fig.add_bar(x=bars["cost_usd"], y=bars["group_name"], orientation="h", name="cost",
                        marker_color=charts.COLOURS["cost"],
                        hovertemplate="cost $%{x:,.0f}<extra>%{y}</extra>")
            fig.add_bar(x=bars["business_value_usd"], y=bars["group_name"], orientation="h",
                        name="business value", marker_color=charts.COLOURS["business_value"],
                        customdata=bars.select("net_value_usd", "roi").to_numpy(),
                        hovertemplate="value $%{x:,.0f} · net $%{customdata[0]:,.0f} · "
                                      "ROI %{customdata[1]:.2%}<extra>%{y}</extra>")
            fig.update_layout(barmode="group", hovermode="closest")
            fig.update_xaxes(tickprefix="$", tickformat=",.0f")
            charts.plot(fig, key="cost_value_team_chart")

        def team_table() -> None:
            """Each team's net value, ROI, cost and value."""
            # The chart's order, top to bottom: highest net value first, with net value and
            # ROI as columns (not only on hover).
            tables.table(data.by_team.sort("net_value_usd", descending=True, nulls_last=True)
                         .select("group_name", "net_value_usd", "roi", "cost_usd",
                                 "business_value_usd", "requests", "cost_per_1k_requests"),
                {"group_name": "team"}, key="cost_value_team_table")

        shell.table_then_chart("cost_value_team_view", team_table, team_chart)

    st.subheader("Value and ROI per model")
    if data.by_model.height == 0:
        shell.empty_state("No models match the filters.")
    else:
        teams = loading.visible_models(st.session_state["access"]).select(
            pl.col("model_id").alias("group_id"), "team", "business_unit")
        per_model = tables.with_detail_link(
            data.by_model.join(teams, on="group_id", how="left"), column="group_id"
        ).select("group_name", "cost_usd", "net_value_usd", "roi", "business_value_usd",
                 "requests", "cost_per_1k_requests", "team", "business_unit", "detail"
                 ).sort("cost_usd", descending=True, nulls_last=True)
        st.caption("Most expensive first; net value and ROI beside each cost. ROI is empty when a model had no cost; cost per 1k "
                   "requests is empty when it served no requests.")
        tables.table(per_model, {"group_name": "model"}, height=420, key="cost_value_model_table")


def cost_and_value_per_day(data) -> None:
    """Daily cost against business value, and the cost per 1k requests."""
    st.subheader("Cost and value per day")
    if data.daily.height == 0:
        shell.empty_state("No cost, value or serving rows in this period.")
    else:
        left, right = st.columns(2)
        with left:
            charts.plot(charts.cost_against_value(data.daily, net=True),
                        key="cost_value_daily_chart")
        with right:
            fig = charts.figure("Cost per 1k requests per day", "US dollars per 1k requests")
            fig.add_scatter(x=data.daily["day"], y=data.daily["cost_per_1k_requests"],
                            name="cost per 1k requests", mode="lines+markers",
                            line_color=charts.COLOURS["cost"],
                            customdata=data.daily["requests"],
                            hovertemplate="$%{y:,.2f} per 1k (%{customdata:,} requests)")
            # From zero: a cost axis starting at $3.5 turns day-to-day noise into swings.
            fig.update_yaxes(tickprefix="$", rangemode="tozero")
            fig.update_layout(showlegend=False)
            charts.plot(fig, key="cost_value_unit_cost_chart")


def vendor_scorecard(data) -> None:
    """Each vendor's SLA against the availability measured on its models."""
    st.subheader("Vendor scorecard")
    st.caption("SLA target against the availability measured on the filtered models that use "
               "the vendor (1 - errors / requests from their summed counts), the vendor's cost, "
               "and incidents on those models whose root cause is `vendor`.")
    if data.vendors.height == 0:
        shell.empty_state("No filtered model uses a vendor, and no vendor billed for one in this "
                       "period.")
    else:
        scorecard = data.vendors.with_columns(
            pl.when(pl.col("sla_met")).then(pl.lit("✓ met"))
            .when(~pl.col("sla_met")).then(pl.lit("✗ missed"))
            .when(pl.col("sla_availability").is_null()).then(pl.lit("– no SLA"))
            .otherwise(pl.lit("– no traffic")).alias("SLA")
        )
        measured = scorecard.filter(pl.col("measured_availability").is_not_null()
                                    | pl.col("sla_availability").is_not_null())
        if measured.height:
            fig = charts.figure("Measured availability vs SLA target per vendor", "", "availability",
                            height=max(240, 60 + 40 * measured.height))
            met_colour = ["#16a34a" if met else "#dc2626" if met is False else "#9ca3af"
                          for met in measured["sla_met"]]
            fig.add_scatter(x=measured["sla_availability"], y=measured["vendor"], mode="markers",
                            name="SLA target",
                            marker={"symbol": "line-ns-open", "size": 18, "color": "#111827",
                                    "line": {"width": 3}},
                            hovertemplate="SLA target %{x:.3%}<extra>%{y}</extra>")
            fig.add_scatter(x=measured["measured_availability"], y=measured["vendor"],
                            mode="markers", name="measured",
                            # the shape says it too: ● met, ✕ missed, ○ no SLA or traffic
                            marker={"size": 12, "color": met_colour, "symbol": [
                                "circle" if met else "x" if met is False else "circle-open"
                                for met in measured["sla_met"]]},
                            customdata=measured.select("requests", "errors").to_numpy(),
                            hovertemplate="measured %{x:.3%} (%{customdata[1]:,} errors in "
                                          "%{customdata[0]:,} requests)<extra>%{y}</extra>")
            fig.update_layout(hovermode="closest")
            fig.update_xaxes(tickformat=".2%")
            charts.plot(fig, key="cost_value_vendor_chart")
        billing_only = scorecard.filter((pl.col("models") == 0) & (pl.col("cost_usd") > 0))
        if billing_only.height:
            # Counted, not named: vendor names are data, and a caption is markdown.
            st.caption(
                f"{billing_only.height} vendor{'s' if billing_only.height > 1 else ''} with cost "
                "but 0 models: not the serving vendor of any filtered model, it bills for work "
                "on them (labelling, data, a model hosted elsewhere). That cost is in those "
                "models' cost rows and in the totals above; it has no availability to measure.")
        tables.table(scorecard.select("SLA", "vendor", "kind", "sla_availability",
                                  "measured_availability", "models", "requests", "errors",
                                  "cost_usd", "vendor_incidents"),
                     {"sla_availability": "SLA target", "measured_availability": "measured"},
                     key="cost_value_vendor_table")

        vendor_incidents = data.incidents.filter(
            pl.col("root_cause") == "vendor"
        ).with_columns(  # postmortem URLs are free text in the contract: link only http(s) ones
            pl.when(pl.col("postmortem_url").str.contains(r"(?i)^https?://"))
            .then(pl.col("postmortem_url")).alias("postmortem_url"))
        if vendor_incidents.height:
            with st.expander(f"Incidents with root cause vendor ({vendor_incidents.height})"):
                tables.table(tables.with_detail_link(vendor_incidents).select(
                    "incident_id", "severity", "title", "model", "team", "started_at",
                    "resolved_at", "time_to_resolve_minutes", "postmortem_url", "detail"),
                             {"postmortem_url": "postmortem"},
                             key="cost_value_vendor_incidents")


shell.lazy_tabs("cost_value_section", {
    "Value and ROI": lambda: value_and_roi(data),
    "Cost and value per day": lambda: cost_and_value_per_day(loading.load_many(
        daily=(kpi.cost_value_series, f, {"by": "all"}))),
    "Vendor scorecard": lambda: vendor_scorecard(loading.load_many(
        vendors=(kpi.vendor_scorecard, f, {}), incidents=(kpi.incident_log, f, {}))),
})

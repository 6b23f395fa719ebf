"""Reliability: is each model up and fast enough, how much error budget is left, and what
changed when it was not."""

from datetime import UTC, datetime, timedelta

import polars as pl
import streamlit as st

from dashboard import charts, formats, loading, presentation, shell, tables, tiles
from dashboard.text import chart_text
from queries import kpi

f = shell.current_filter()
shell.page_header(
    "Reliability",
    "Availability (1 - errors / requests) and latency p95 (merged histogram) against each "
    "model's SLO; error budget consumed = errors / ((1 - SLO) × requests), summed over "
    "models for a group; burn rate = error rate / (1 - SLO).",
    presentation.SERVING, reads=("metrics_hourly", "deployments", "incidents"),
)

# "Now" for the burn rates: the end of the latest complete hour of serving metrics in
# scope, whatever the period (a preset ends at today's midnight, up to ~23 h before the
# newest data); the current hour when there are no metrics at all.
wall = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
at = loading.load(kpi.latest_serving_hour, f) or wall

# What the tiles, the SLO section and the first tab draw, fetched together: the queries not
# cached yet run side by side. The other tabs load their own when opened.
data = loading.load_many(
    current=(kpi.serving, f, {"by": "all"}),
    previous=(kpi.serving, f.previous(), {"by": "all"}),
    models=(kpi.serving, f, {"by": "model"}),
    burn=(kpi.burn_rates, f, {"at": at}),
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


def slo_charts() -> None:
    """Error budget consumed, and p95 against its target: the 25 models furthest over each."""
    top = served.sort("error_budget_consumed", descending=True, nulls_last=True).head(25)
    left, right = st.columns(2)
    with left:
        fig = charts.figure("Error budget consumed per model" + (
                            f" · the {top.height} highest of {served.height}"
                            if served.height > top.height else ""),
                        "", "share of the period's error budget",
                        height=max(360, 22 * top.height + 110))
        # Clipped at 200%: one model at ~1,700% would squash every other bar; a clipped
        # bar is labelled with its real value and hovers it.
        shown_x, clip_labels = charts.clipped(top["error_budget_consumed"].to_list(), 2.0)
        budget_ids = charts.status_bars(
            fig, top["model"].to_list(), shown_x,
            ["bad" if c > 1 else "at_risk" if c > 0.75 else "ok"
             for c in top["error_budget_consumed"].fill_null(0)],
            {"bad": "over budget (>100%)", "at_risk": "at risk (>75%)",
             "ok": "within budget"},
            top["model_id"].to_list(),
            text=clip_labels, textposition="inside", insidetextanchor="end",
            customdata=top.select("errors", "error_budget_allowed", "slo_availability",
                                  "availability", "error_budget_consumed").rows(),
            hovertemplate="%{y}<br>consumed %{customdata[4]:.1%}<br>%{customdata[0]:,} errors of "
                          "%{customdata[1]:,.0f} allowed<br>availability %{customdata[3]:.3%} "
                          "(SLO %{customdata[2]:.2%})<extra></extra>")
        fig.add_vline(x=1, line_dash="dash", line_color="#6b7280",
                      annotation_text="100% = budget spent", annotation_position="top")
        fig.update_layout(hovermode="closest", barmode="overlay", showlegend=True)
        fig.update_xaxes(tickformat=".0%", range=[0, 2.05 if any(clip_labels) else None])
        if any(clip_labels):
            subtitle = fig.layout["title"].get("subtitle", {}).get("text", "")
            fig.update_layout(title={"subtitle": {"text": " · ".join(
                filter(None, [subtitle, "bars clipped at 200% (▶ real value)"]))}})
        fig.update_yaxes(autorange="reversed", title="")
        charts.plot(fig, key="reliability_budget_chart", models=budget_ids)
    with right:
        # Ranked by p95 ÷ target: which models are furthest over (or closest to) their own
        # target, one bar each, instead of ~170 points stacked on a few target values.
        ranked = (served.filter(pl.col("latency_p95_ms").is_not_null()
                                & (pl.col("slo_latency_p95_ms") > 0))
                  .with_columns((pl.col("latency_p95_ms") / pl.col("slo_latency_p95_ms"))
                                .alias("of_target"))
                  .sort("of_target", descending=True).head(25))
        fig = charts.figure("Latency p95 ÷ target per model" + (
                            f" · the {ranked.height} highest" if served.height > ranked.height
                            else "") + " · over 100% = SLO missed",
                            "", "p95 as a share of its target",
                            height=max(360, 22 * ranked.height + 110))
        shown_x, clip_labels = charts.clipped(ranked["of_target"].to_list(), 2.0)
        latency_ids = charts.status_bars(
            fig, ranked["model"].to_list(), shown_x,
            ["bad" if r > 1 else "ok" for r in ranked["of_target"]],
            {"bad": "SLO missed (over 100%)", "ok": "SLO met"},
            ranked["model_id"].to_list(),
            text=clip_labels, textposition="inside", insidetextanchor="end",
            customdata=ranked.select("latency_p95_ms", "slo_latency_p95_ms",
                                     "of_target").rows(),
            hovertemplate="%{y}<br>p95 %{customdata[0]:,.0f} ms of a %{customdata[1]:,.0f} ms "
                          "target (%{customdata[2]:.0%})<extra></extra>")
        fig.add_vline(x=1, line_dash="dash", line_color="#6b7280",
                      annotation_text="100% = at target", annotation_position="top")
        fig.update_layout(hovermode="closest", barmode="overlay", showlegend=True)
        fig.update_xaxes(tickformat=".0%", range=[0, 2.05 if any(clip_labels) else None])
        fig.update_yaxes(autorange="reversed", title="")
        charts.plot(fig, key="reliability_latency_chart", models=latency_ids)


def slo_table() -> None:
    """Every filtered model's SLO results, most budget consumed first."""
    table = tables.with_detail_link(data.models).select(
        "model", "error_budget_consumed", "availability", "slo_availability",
        "availability_slo_met", "latency_p95_ms", "slo_latency_p95_ms", "latency_slo_met",
        "requests", "errors", "error_budget_allowed", "error_budget_remaining",
        "downtime_minutes", "team", "business_unit", "detail",
    ).sort("error_budget_consumed", descending=True, nulls_last=True)
    st.caption("All filtered models, most budget consumed first; a model without requests "
               "has no availability or latency (empty), not 0 or 100%. Pick a row, or a "
               "bar in the Charts tab, to open its detail.")
    tables.table(table,
                 height=400,
                 key="reliability_models_table")


if served.height == 0:
    shell.empty_state("No model served requests in this period: SLOs are measured on "
                   "requests, so there is nothing to compare against the targets.")
else:
    # The table first, the charts one click away: a first visit does not wait for the
    # chart library (shell.table_then_chart).
    shell.table_then_chart("reliability_slo_view", slo_table, slo_charts, "Charts")

# --- below the fold: burn rate, monthly history, series --------------------------------
# Three sections a manager opens one at a time, as lazy tabs (shell.lazy_tabs): only the
# open one is drawn and sent (each of the others is a table or three charts with markers).


def burn_rate(burn: pl.DataFrame) -> None:
    """Error-budget burn rate at the window's end, per live model."""
    st.caption(
        f"Burn rate over the whole hours 1 h, 2 h, 6 h, 1 d and 3 d before {at:%d %b %Y %H:%M} UTC "
        "the end of the latest complete hour of serving data (whatever the period chosen). "
        "1 = the budget would last exactly the SLO period. Fast burn (page): 1 h > 14.4; slow burn (page): 6 h and 1 h > 6 — metrics are "
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
        alert = (pl.when(pl.col("fast_burn")).then(pl.lit("✗ fast burn"))
                 .when(pl.col("slow_burn")).then(pl.lit("! slow burn"))
                 .when(pl.col("ticket_burn")).then(pl.lit("! ticket burn"))
                 .when(pl.col("requests_1h") == 0).then(pl.lit("– no traffic last hour"))
                 .otherwise(pl.lit("✓ ok")))
        tables.table(
            burn.with_columns(alert.alias("alert")).select(
                "alert", "model", "team", "slo_availability",
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
            .then(pl.lit("✓ met"))
            .when(~pl.col("availability_slo_met") & ~pl.col("latency_slo_met"))
            .then(pl.lit("✗ both missed"))
            .when(~pl.col("availability_slo_met")).then(pl.lit("✗ availability"))
            .otherwise(pl.lit("✗ latency"))
        )
        # A month the period covers only in part is labelled so ("2026-11 · 12 of 30 days"):
        # it is not a full month's result.
        month_starts = history["month"].unique().sort().to_list()

        def month_label(m, part) -> str:
            whole = ((m.replace(day=28) + timedelta(days=4)).replace(day=1) - m).days
            return f"{m:%Y-%m}" if part is None else f"{m:%Y-%m} · {part:g} of {whole} days"

        labels = {m: month_label(m, part) for m, part in
                  zip(month_starts, charts.partial_days(month_starts, "month", f.start, f.end))}
        history = history.with_columns(
            status.alias("status"),
            pl.col("month").replace_strict(labels, return_dtype=pl.String).alias("month_label"))
        missed = (history.group_by("model_id")
                  .agg(pl.col("status").str.starts_with("✗").sum().alias("months_missed"))
                  .filter(pl.col("months_missed") > 0)
                  .sort(["months_missed", "model_id"], descending=[True, False]))
        missed_count, missed = missed.height, missed.head(30)
        months = sorted(history["month_label"].unique())
        if missed.height:
            shown = history.join(missed, on="model_id").sort(
                ["months_missed", "model", "month"], descending=[True, False, False])
            names = shown.unique("model_id", maintain_order=True)
            score = {"✓ met": 2, "✗ availability": 1, "✗ latency": 1, "✗ both missed": 0}
            cells = {(r["model_id"], r["month_label"]): r for r in shown.iter_rows(named=True)}

            def hover(row) -> str:
                if row is None:
                    return "no metrics"
                return (f"{chart_text(row['model'])} · {row['month_label']} "
                        f"({row['days']} days)<br>"
                        f"{row['status']}<br>availability "
                        f"{formats.pct_against(row['availability'], row['slo_availability'], 3)} "
                        f"(SLO {formats.pct(row['slo_availability'])})<br>p95 "
                        f"{formats.ms_against(row['latency_p95_ms'], row['slo_latency_p95_ms'])}"
                        f" (SLO {formats.ms(row['slo_latency_p95_ms'])})"
                        f"<br>budget consumed {formats.pct(row['error_budget_consumed'], 1)}")

            grid = [[cells.get((m, month)) for month in months] for m in names["model_id"]]
            fig = charts.figure("Models that missed an SLO in at least one month · " + (
                                f"the {missed.height} with most misses of {missed_count}"
                                if missed_count > missed.height else f"{missed_count}"),
                            "", "month", height=max(260, 26 * names.height + 120))
            # Colour-blind-safe (Okabe-Ito vermillion, orange, bluish green) and a mark in
            # each cell, so the status never rests on colour alone.
            mark = {0: "✗", 1: "!", 2: "✓"}
            z = [[None if c is None else score.get(c["status"]) for c in row] for row in grid]
            fig.add_heatmap(
                x=months, y=names["model"].to_list(), z=z,
                text=[[mark.get(v, "") for v in row] for row in z], texttemplate="%{text}",
                customdata=[[hover(c) for c in row] for row in grid],
                hovertemplate="%{customdata}<extra></extra>",
                zmin=0, zmax=2, showscale=False, xgap=2, ygap=2,
                colorscale=[[0, "#D55E00"], [0.5, "#E69F00"], [1, "#009E73"]])
            fig.update_layout(hovermode="closest")
            fig.update_yaxes(autorange="reversed", title="")
            fig.update_xaxes(type="category")
            charts.plot(fig, key="reliability_history_chart")
            st.caption("✗ both SLOs missed (vermillion) · ! one missed (orange) · ✓ both met "
                       "(green) · blank: no metrics that month.")
        else:
            st.success("Every model met both SLOs in every month of the period.")
        pivot = history.pivot("month_label", index=["model", "team"], values="status",
                              sort_columns=True).sort("model")
        pivot = pivot.with_columns(pl.col(months).fill_null("no metrics"))
        with st.expander(f"Month-by-month table, all {pivot.height} models"):
            tables.table(pivot,
                         key="reliability_history_table")


def serving_over_time(f) -> None:
    """Serving per day with what changed; "Lines for" reruns only the fragment."""
    events = loading.load_many(deployments=(kpi.deployment_log, f, {}),
                               incidents=(kpi.incident_log, f, {}))
    deployments, incidents = events.deployments, events.incidents
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
            # A colour per team from a 24-colour palette (no two of 20 teams share one),
            # legend sorted by name.
            colours = charts.colour_for(series["group_name"].to_list())
            for (name,), group in series.sort("group_name").group_by("group_name",
                                                                     maintain_order=True):
                fig.add_scatter(x=group["day"], y=group[column], name=name if per_team else
                                "all models", mode="lines" if per_team else "lines+markers",
                                line_color=colours[name] if per_team
                                else charts.COLOURS["availability"],
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


shell.lazy_tabs("reliability_section", {
    "Burn rate now": lambda: burn_rate(data.burn),
    "SLO compliance by month": lambda: slo_history(loading.load(kpi.slo_compliance_by_month, f)),
    "Serving over time": lambda: serving_over_time(f),
})

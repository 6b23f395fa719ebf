"""Model quality: is the input healthy? Drift alerts, data-quality checks, validations."""

import polars as pl
import streamlit as st

from dashboard import charts, formats, loading, presentation, shell, tables, tiles
from queries import kpi

f = shell.current_filter()
shell.page_header(
    "Model quality",
    "Drift alerts = drift results with score > threshold; data-quality pass rate = checks "
    "passed / checks run (a warning is not a pass); validation coverage = production models "
    "whose current version has a passed post-deployment validation / production models.",
    presentation.QUALITY, reads=("drift", "data_quality", "validations"),
)

# --- KPI tiles --------------------------------------------------------------------------
TILES = [tiles.Tile(kpi_name) for kpi_name in (
    "drift_alerts", "drift_results", "pass_rate", "failed", "warned", "validation_coverage")]


# What the tiles and the first tab draw, fetched together: the queries not cached yet run
# side by side. The other tabs load their own when opened.
SHOWN = 500  # failing checks listed
data = loading.load_many(
    quality_now=(kpi.data_quality, f, {"by": "all"}),
    coverage_now=(kpi.validation_coverage, f, {"by": "all"}),
    quality_before=(kpi.data_quality, f.previous(), {"by": "all"}),
    coverage_before=(kpi.validation_coverage, f.previous(), {"by": "all"}),
    drift=(kpi.drift_alerts, f, {}),
    quality_by_model=(kpi.data_quality, f, {"by": "model"}),  # ranks the drift chart too
)
# The data-quality and validation-coverage rows of the scope, side by side.
now = {**tiles.first_row(data.quality_now), **tiles.first_row(data.coverage_now)}
before = {**tiles.first_row(data.quality_before), **tiles.first_row(data.coverage_before)}
if not now.get("checks") and not now.get("drift_results") and not now.get("production_models"):
    shell.empty_state("No drift results, data-quality checks or production models for these "
                   "filters in this period. Widen the period or the filters, or load drift, "
                   "data_quality and validations (see the Data page).")
tiles.kpi_tiles(TILES, now, before, per_row=3)

# --- below the fold: drift, data quality, validation coverage ---------------------------
# Three sections a manager opens one at a time, as lazy tabs (shell.lazy_tabs): only the
# open one is drawn and sent.


def drift_alerts(data) -> None:
    """Drift alerts by model and feature, the top models charted."""
    st.subheader("Drift alerts by model and feature")
    if data.drift.height == 0:
        shell.empty_state("No drift alert in this period: no feature's drift score went above its "
                       "threshold for the filtered models.")
    else:
        def drift_chart() -> None:
            """Alerts per model (the 20 with the most), a segment per feature."""
            TOP = 20
            ranked = None
            if data.drift.select("model_id").n_unique() > TOP:
                ranked = (data.quality_by_model
                          .sort("drift_alerts", descending=True).head(TOP)
                          .select(pl.col("group_id").alias("model_id")))
            shown = (data.drift if ranked is None
                     else data.drift.join(ranked, on="model_id", how="semi"))
            fig = charts.figure(
                "Drift alerts per model, one segment per feature"
                + ("" if ranked is None else f" (the {TOP} models with the most)"),
                "", "alerts (score > threshold)",
                height=max(260, 60 + 30 * shown.select("model_id").n_unique()))
            # One trace per feature keeps each segment's hover to its own feature; the
            # segment carries the feature's name, so no legend is needed. Every segment is an
            # alert, so one colour for all (a colour per feature would cycle and mean
            # nothing), white between.
            for feature, rows in shown.group_by("feature", maintain_order=True):
                fig.add_bar(
                    x=rows["alerts"], y=rows["model"], orientation="h", name=feature[0],
                    marker={"color": charts.COLOURS["drift_alerts"],
                            "line": {"color": "#ffffff", "width": 1.5}},
                    text=rows["feature"], textposition="inside", insidetextanchor="middle",
                    customdata=rows.select("results", "max_score").to_numpy(),
                    hovertemplate="%{text}: %{x} alerts in %{customdata[0]} results, "
                                  "highest score %{customdata[1]:.3f}<extra>%{y}</extra>")
            fig.update_layout(barmode="stack", hovermode="closest", showlegend=False,
                              uniformtext={"minsize": 9, "mode": "hide"})
            fig.update_yaxes(categoryorder="total ascending")
            charts.plot(fig, key="model_quality_drift_chart")

        def drift_table() -> None:
            """Every model and feature with an alert."""
            tables.table(tables.with_detail_link(data.drift).select(
                "model", "feature", "team", "alerts", "results", "max_score", "latest_method",
                "latest_score", "latest_threshold", "first_alert_at", "last_alert_at", "detail"),
                {"results": "drift results", "max_score": "highest score",
                 "latest_method": "method", "latest_threshold": "threshold"},
                height=360, key="model_quality_drift_table")
            st.caption("PSI reference: below 0.1 no significant shift, 0.1–0.25 moderate, "
                       "above 0.25 significant. Latest = the most recent result for the "
                       "feature in the period.")

        shell.table_then_chart("model_quality_drift_view", drift_table, drift_chart)


def data_quality(data) -> None:
    """Data-quality pass rate by team and model, then the failing checks."""
    st.subheader("Data-quality pass rate")
    by_team = data.quality_by_team.filter(pl.col("checks") > 0)
    if by_team.height == 0:
        shell.empty_state("No data-quality check ran for the filtered models in this period.")
    else:
        bars = by_team.sort("pass_rate", descending=True)
        fig = charts.figure("Data-quality pass rate by team", "", "checks passed / checks run",
                        height=max(260, 60 + 28 * bars.height))
        # Dots, not bars: pass rates sit close to 100%, and a bar axis must start at 0.
        fig.add_scatter(x=bars["pass_rate"], y=bars["group_name"], mode="markers+text",
                        name="pass rate", marker={"size": 11, "color": "#2563eb"},
                        text=[formats.pct(r, 1) for r in bars["pass_rate"]], textposition="middle right",
                        customdata=bars.select("passed", "checks", "warned", "failed").to_numpy(),
                        hovertemplate="%{x:.1%} — %{customdata[0]:,} of %{customdata[1]:,} "
                                      "passed, %{customdata[2]:,} warned, %{customdata[3]:,} "
                                      "failed<extra>%{y}</extra>")
        fig.update_layout(hovermode="closest", showlegend=False)
        fig.update_xaxes(tickformat=".0%")
        charts.plot(fig, key="model_quality_dq_chart")

        per_model = data.quality_by_model.filter(pl.col("checks") > 0)
        tables.table(tables.with_detail_link(per_model, "group_id").select(
            "group_name", "checks", "passed", "warned", "failed", "pass_rate", "drift_alerts",
            "detail").sort("pass_rate", nulls_last=True),
                     {"group_name": "model"},
                     height=320,
                     key="model_quality_dq_table")

    st.subheader("Failing checks")
    if data.failing.height == 0:
        shell.empty_state("Every data-quality check run in this period passed (or none ran).")
    else:
        st.caption("Checks that did not pass: failures first, then warnings, newest first, "
                   f"with how many rows failed (at most {SHOWN}; the totals are in the table "
                   "above).")
        tables.table(tables.with_detail_link(data.failing).select(
            "status", "run_at", "model", "pipeline", "check_name", "rows_checked", "rows_failed",
            "failed_row_fraction", "team", "detail"),
                     {"check_name": "check", "failed_row_fraction": "rows failed (share)"},
                     height=360,
                     key="model_quality_failing_table")


def validation_coverage(data) -> None:
    """Production models whose live version has a passed validation."""
    st.subheader("Validation coverage")
    coverage = data.coverage_by_team.filter(
        pl.col("production_models") > 0)
    if coverage.height == 0:
        shell.empty_state("None of the filtered models is in production, so validation coverage is "
                       "not defined.")
    else:
        st.caption("As of the end of the period: a production model is covered when the version "
                   "live in production has a passed post-deployment validation.")
        left, right = st.columns([3, 2])
        with left:
            bars = coverage.sort("validation_coverage", descending=True)
            fig = charts.figure("Validation coverage by team", "", "covered / production models",
                            height=max(260, 60 + 28 * bars.height))
            fig.add_bar(x=bars["validation_coverage"], y=bars["group_name"], orientation="h",
                        customdata=bars.select("covered_models", "production_models").to_numpy(),
                        hovertemplate="%{x:.0%} — %{customdata[0]} of %{customdata[1]} "
                                      "production models<extra>%{y}</extra>")
            fig.update_layout(hovermode="closest", showlegend=False)
            fig.update_xaxes(tickformat=".0%", range=[0, 1.05])
            charts.plot(fig, key="model_quality_coverage_chart")
        with right:
            # The KPI right after the team, so a narrow column never cuts it.
            tables.table(coverage.sort("validation_coverage", descending=True).select(
                             "group_name", "validation_coverage", "covered_models",
                             "production_models", "deployed_production_models"),
                         {"group_name": "team", "deployed_production_models": "with a live version",
                          "covered_models": "covered"},
                         key="model_quality_coverage_table")
        uncovered = data.coverage_by_model.filter(
            (pl.col("production_models") > 0) & (pl.col("covered_models") == 0))
        if uncovered.height:
            st.markdown("**Production models without a passed post-deployment validation**")
            # Who to ask: team and owner beside each model; whether it has a live version in
            # words only where it has none (the usual case, a version without a validation,
            # needs no column).
            owners = loading.visible_models(st.session_state["access"]).select(
                pl.col("model_id").alias("group_id"), "team", "owner")
            uncovered = uncovered.join(owners, on="group_id", how="left").with_columns(
                pl.when(pl.col("deployed_production_models") > 0)
                .then(pl.lit("live version not validated"))
                .otherwise(pl.lit("no live production version")).alias("why"))
            tables.table(tables.with_detail_link(uncovered, "group_id").select(
                "group_name", "team", "owner", "why", "detail").sort("team", "group_name"),
                         {"group_name": "model"},
                         key="model_quality_uncovered_table")


shell.lazy_tabs("model_quality_section", {
    "Drift alerts": lambda: drift_alerts(data),
    "Data quality": lambda: data_quality(loading.load_many(
        quality_by_model=(kpi.data_quality, f, {"by": "model"}),
        quality_by_team=(kpi.data_quality, f, {"by": "team"}),
        failing=(kpi.failing_checks, f, {"limit": SHOWN}))),
    "Validation coverage": lambda: validation_coverage(loading.load_many(
        coverage_by_team=(kpi.validation_coverage, f, {"by": "team"}),
        coverage_by_model=(kpi.validation_coverage, f, {"by": "model"}))),
})

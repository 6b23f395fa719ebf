"""Model detail: one model end to end — who owns it, how it serves, what changed, what broke,
what it costs and earns, how healthy its input is, and whether it is governed.

The model comes from the link (`/model?id=<model_id>`, as every table's detail column
writes it) or from the picker, which then writes the id into the URL so the view can be
shared. The model's numbers are the other pages' numbers with the filter narrowed to it.
"""

from dataclasses import replace

import polars as pl
import streamlit as st

from dashboard import charts, filter_bar, formats, loading, model_search, shell, tables, tiles
from queries import kpi

f = shell.current_filter()
shell.page_header(
    "Model detail",
    "One model over the period: serving against its own SLOs, incidents, deployments, "
    "versions, cost and value, drift and data quality, and governance — each number "
    "defined exactly as on the other pages, for this model alone.",
)

# --- which model ------------------------------------------------------------------------
scope = loading.visible_models(st.session_state["access"])
for column, chosen in (("business_unit_id", f.effective_business_units),
                       ("team_id", f.teams),
                       ("model_id", f.models)):
    if chosen:
        scope = scope.filter(pl.col(column).is_in(chosen))
names = dict(scope.select("model_id", "model").iter_rows())
requested = st.query_params.get("id")
if requested is not None and requested not in names:
    # The id is never echoed: it is whatever the link says, and this text is markdown.
    st.warning("The model in this link is unknown, or outside the business units, teams and "
               "models chosen in the filter bar. Check the link, or widen the filters.",
               icon=":material/warning:")
    st.stop()
if not names:
    shell.empty_state("No models match the filters, so there is no model to show. Widen the "
                   "filters, or load models (see the Data page).")
    st.stop()


def _picked() -> None:
    """The picker writes its choice into the URL, so the link names the model shown."""
    if st.session_state.get("detail_model"):
        st.query_params["id"] = st.session_state["detail_model"]


if requested is not None and st.session_state.get("detail_model") != requested:
    st.session_state["detail_model"] = requested
if st.session_state.get("detail_model") not in names:
    st.session_state.pop("detail_model", None)
# Past model_search.LISTED models, a search box lists only the matches (and the model shown).
options = model_search.search_box(st, names, "detail_find", label="Find a model",
                                  keep=[st.session_state.get("detail_model")])
model_id = st.selectbox(
    "Model", options, index=None, key="detail_model",
    format_func=lambda m: f"{names[m]} · {m}", on_change=_picked,
    placeholder="Choose a model")
if model_id is None:
    shell.empty_state("Choose a model above, or open one from the detail link in any table.")
    st.stop()
if model_id != requested:
    st.query_params["id"] = model_id

# The filter narrowed to this model; its business units and teams still apply.
mf = replace(f, models=(model_id,))
today = filter_bar.today()

# Everything the page draws, fetched together: the queries not cached yet run side by side.
data = loading.load_many(
    gap_row=(kpi.governance_gaps, mf, {"today": today}),
    now=(kpi.kpi_tiles, mf, {}),
    before=(kpi.kpi_tiles, mf.previous(), {}),
    series=(kpi.serving_series, mf, {"by": "model"}),
    deployments=(kpi.deployment_log, mf, {}),
    incidents=(kpi.incident_log, mf, {}),
    live=(kpi.live_versions, mf, {"at": f.end}),
    versions=(kpi.model_versions, mf, {}),
    drift=(kpi.drift_alerts, mf, {}),
    failing=(kpi.failing_checks, mf, {}),
    quality=(kpi.data_quality, mf, {"by": "model"}),
    daily=(kpi.cost_value_series, mf, {"by": "model"}),
    cost_categories=(kpi.cost_breakdown, mf, {"by": "category"}),
    overdue=(kpi.overdue_reviews, mf, {"today": today}),
)


def safe_links(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """Keep only http(s) links from the data, so a link cell can never run a script."""
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(r"(?i)^https?://")).then(pl.col(c)).alias(c)
        for c in columns)


# --- who and what -----------------------------------------------------------------------
profile = scope.filter(pl.col("model_id") == model_id).row(0, named=True)
gap_row = tiles.first_row(data.gap_row)
runbook = gap_row.get("runbook_url")
facts = [
    ("Model", f"{profile['model']} ({model_id})"),
    ("Team", profile["team"]),
    ("Business unit", profile["business_unit"]),
    ("Owner", profile["owner"] or "none on record"),
    ("Risk tier", profile["risk_tier"]),
    ("Lifecycle stage", profile["lifecycle_stage"]),
    ("Availability SLO", formats.pct(profile["slo_availability"], 2)),
    ("Latency SLO (p95)", formats.ms(profile["slo_latency_p95_ms"])),
]
with st.container(border=True):
    for start in range(0, len(facts), 4):
        for column, (label, value) in zip(st.columns(4), facts[start:start + 4]):
            column.caption(label)
            column.text(value)  # data as plain text, never markdown
    if runbook and safe_links(pl.DataFrame({"u": [runbook]}), "u")["u"][0]:
        st.link_button("Open the runbook", runbook, icon=":material/menu_book:")
    elif profile["lifecycle_stage"] == "production":
        st.caption("No runbook on record for this production model (a compliance gap).")
    else:
        st.caption("Runbook links are listed for production models only.")

# --- status headline --------------------------------------------------------------------
def status_headline(now: dict, slo_availability, slo_p95) -> tuple[str, str]:
    """The model's verdict over the period in one line, as the Overview's status column
    judges it: ("error" | "warning" | "success" | "info", text)."""
    if not now.get("requests"):
        return "info", "No traffic in the period: no SLO to judge."
    availability, p95 = now.get("availability"), now.get("latency_p95_ms")
    budget = now.get("error_budget_consumed")
    missed = []
    if availability is not None and slo_availability is not None \
            and availability < slo_availability:
        missed.append(f"availability {formats.pct_against(availability, slo_availability)}"
                      f" vs {formats.pct(slo_availability)}")
    if p95 is not None and slo_p95 is not None and p95 > slo_p95:
        missed.append(f"latency p95 {formats.ms_against(p95, slo_p95)} vs "
                      f"{formats.ms(slo_p95)}")
    budget_text = f"budget {formats.pct(budget, 0)}" if budget is not None else ""
    if missed or (budget is not None and budget > 1):
        return "error", "SLO missed: " + ", ".join(missed + [budget_text] if budget_text
                                                   else missed) + "."
    within = (f"availability {formats.pct_against(availability, slo_availability)} vs "
              f"{formats.pct(slo_availability)}, p95 {formats.ms_against(p95, slo_p95)} vs "
              f"{formats.ms(slo_p95)}, {budget_text} consumed")
    if budget is not None and budget > 0.75:
        return "warning", f"Error budget at risk: {within}."
    return "success", f"Within SLO: {within}."


kind, headline = status_headline(tiles.first_row(data.now), profile["slo_availability"],
                                 profile["slo_latency_p95_ms"])
getattr(st, kind)(headline, icon={"error": ":material/error:", "warning": ":material/warning:",
                                  "success": ":material/check_circle:",
                                  "info": ":material/info:"}[kind])

# --- KPI tiles --------------------------------------------------------------------------
TILES = [tiles.Tile(kpi_name) for kpi_name in (
    "availability", "error_budget_consumed", "latency_p95_ms", "incidents", "mttr_minutes",
    "deployments", "change_failure_rate", "cost_usd", "business_value_usd", "roi",
    "drift_alerts", "dq_pass_rate")]
now, before = tiles.first_row(data.now), tiles.first_row(data.before)
if not now.get("requests") and not now.get("incidents") and not now.get("cost_usd"):
    shell.empty_state("This model has no serving metrics, incidents or costs in this period. "
                   "Widen the period, or check its lifecycle stage below.")
tiles.kpi_tiles(TILES, now, before, per_row=4)

# --- serving ----------------------------------------------------------------------------
st.subheader("Serving per day")
production = data.deployments.filter(pl.col("environment") == "production")
# One model: its few deployments and incidents are all worth marking.
markers = charts.event_markers(production, data.incidents, everything=True)
if data.series.height == 0:
    shell.empty_state("No serving metrics for this model in this period.")
else:
    def serving_charts() -> None:
        """Availability and latency per day against the SLOs, deployments and incidents
        marked."""
        left, right = st.columns(2)
        slo_line = {"color": "#dc2626", "dash": "dash"}
        with left:
            fig = charts.figure("Availability per day vs SLO", "availability")
            fig.add_scatter(x=data.series["day"], y=data.series["availability"],
                            name="availability",
                            mode="lines+markers",
                            customdata=data.series.select("errors", "requests").to_numpy(),
                            hovertemplate="%{y:.3%} (%{customdata[0]:,} errors in "
                                          "%{customdata[1]:,} requests)")
            if profile["slo_availability"] is not None:
                fig.add_hline(y=profile["slo_availability"], line=slo_line,
                              annotation_text=f"SLO {formats.pct(profile['slo_availability'])}")
            fig.update_yaxes(tickformat=".2%")
            charts.plot(charts.mark_events(fig, markers), key="model_detail_availability")
        with right:
            fig = charts.figure("Latency per day vs p95 SLO", "milliseconds")
            for q in ("p50", "p95", "p99"):
                fig.add_scatter(x=data.series["day"], y=data.series[f"latency_{q}_ms"], name=q,
                                mode="lines", hovertemplate="%{y:.0f} ms")
            if profile["slo_latency_p95_ms"] is not None:
                fig.add_hline(y=profile["slo_latency_p95_ms"], line=slo_line,
                              annotation_text="p95 SLO "
                                              f"{formats.ms(profile['slo_latency_p95_ms'])}")
            charts.plot(charts.mark_events(fig, markers), key="model_detail_latency")
        st.caption("▲ production deployment (green succeeded, red failed or rolled back) · "
                   "✕ incident started. Hover a marker for its id.")

    def serving_table() -> None:
        """The serving numbers per day, newest first."""
        tables.table(data.series.sort("day", descending=True).select(
            "day", "availability", "requests", "errors", "latency_p50_ms", "latency_p95_ms",
            "latency_p99_ms"), height=320, key="model_detail_serving_table")
        st.caption(f"SLOs: availability {formats.pct(profile['slo_availability'])}, "
                   f"p95 {formats.ms(profile['slo_latency_p95_ms'])}.")

    shell.table_then_chart("model_detail_serving_view", serving_table, serving_charts,
                           "Charts")

# --- lifecycle and versions -------------------------------------------------------------
st.subheader("Lifecycle and versions")
if data.live.height:
    st.caption("Live in production at the end of the period:")
    tables.table(data.live.select("version", "deployed_at", "deployment_id", "approved_by",
                         "change_ticket", "artifact_sha256", "code_commit",
                         "training_data_ref"),
                 {"deployed_at": "deployed", "artifact_sha256": "artifact SHA-256",
                  "code_commit": "commit", "training_data_ref": "training data"},
                 key="model_detail_live")
else:
    shell.empty_state("No version of this model was live in production at the end of the "
                   "period (no succeeded production deployment by then).")
if data.versions.height:
    tables.table(data.versions.select("version", "live_in_production", "registered_at",
                             "first_production_at", "last_production_at", "artifact_sha256",
                             "code_commit", "training_data_ref", "artifact_uri"),
                 {"live_in_production": "live", "registered_at": "registered",
                  "first_production_at": "first in production",
                  "last_production_at": "last deployed to production",
                  "artifact_sha256": "artifact SHA-256", "code_commit": "commit",
                  "training_data_ref": "training data", "artifact_uri": "artifact"},
                 height=260,
                 key="model_detail_versions")
else:
    shell.empty_state("No version of this model is registered.")

# --- incidents and deployments ----------------------------------------------------------
left, right = st.columns(2)
with left:
    st.subheader("Incidents")
    if data.incidents.height == 0:
        shell.empty_state("No incident started on this model in this period.")
    else:
        tables.table(safe_links(data.incidents, "postmortem_url").select(
            "incident_id", "severity", "title", "root_cause", "started_at", "open",
            "time_to_detect_minutes", "time_to_resolve_minutes", "deployment_id",
            "postmortem_url"),
                     {"started_at": "started", "deployment_id": "caused by deployment",
                      "postmortem_url": "postmortem"},
                     key="model_detail_incidents")
with right:
    st.subheader("Deployments")
    if data.deployments.height == 0:
        shell.empty_state("No deployment of this model in this period.")
    else:
        tables.table(data.deployments.select(
            "deployed_at", "environment", "version", "outcome", "failed_change",
            "incidents", "approved_by", "change_ticket", "lead_time_minutes"),
                     {"deployed_at": "deployed", "change_ticket": "ticket"},
                     key="model_detail_deployments")

# --- input quality ----------------------------------------------------------------------
st.subheader("Drift and data quality")
quality = tiles.first_row(data.quality)
if quality.get("checks"):
    st.caption(f"{quality['passed']:,} of {quality['checks']:,} data-quality checks passed "
               f"({formats.pct(quality['pass_rate'], 1)}); {quality['warned']:,} warned and "
               f"{quality['failed']:,} failed. {quality['drift_alerts']:,} drift alerts in "
               f"{quality['drift_results']:,} drift results.")
left, right = st.columns(2)
with left:
    if data.drift.height == 0:
        shell.empty_state("No drift alert on this model's features in this period.")
    else:
        tables.table(data.drift.select("feature", "alerts", "results", "max_score", "latest_method",
                              "latest_score", "latest_threshold", "last_alert_at"),
                     {"results": "drift results", "max_score": "highest score",
                      "latest_method": "method", "latest_threshold": "threshold"},
                     key="model_detail_drift")
with right:
    if data.failing.height == 0:
        shell.empty_state("Every data-quality check on this model passed in this period "
                       "(or none ran).")
    else:
        tables.table(data.failing.select("status", "run_at", "pipeline", "check_name", "rows_checked",
                                "rows_failed", "failed_row_fraction"),
                     {"check_name": "check", "failed_row_fraction": "rows failed (share)"},
                     key="model_detail_failing")

# --- cost and value ---------------------------------------------------------------------
st.subheader("Cost and value")
if data.daily.height == 0:
    shell.empty_state("No cost or business value recorded for this model in this period.")
else:
    def cost_chart() -> None:
        """Daily cost against business value."""
        # One model's cost is cents a day: hover in cents.
        charts.plot(charts.cost_against_value(data.daily, money="$%{y:,.2f}"),
                    key="model_detail_cost_chart")

    def cost_table() -> None:
        """The cost by category, then cost and value per day."""
        left, right = st.columns([2, 3])
        with left:
            tables.table(data.cost_categories.select(
                "group_name", "cost_usd", "share_of_cost"),
                {"group_name": "cost category"},
                key="model_detail_cost_categories")
        with right:
            tables.table(data.daily.sort("day", descending=True).select(
                "day", "cost_usd", "business_value_usd"), height=320,
                key="model_detail_cost_daily")
        st.caption(f"Cost per 1k requests: {formats.usd(now.get('cost_per_1k_requests'))} · "
                   f"net value: {formats.usd(now.get('net_value_usd'))}")

    shell.table_then_chart("model_detail_cost_view", cost_table, cost_chart)

# --- governance -------------------------------------------------------------------------
st.subheader("Governance")
if data.overdue.height:
    row = data.overdue.row(0, named=True)
    st.warning("Risk review overdue: " + (
        "this model has never been assessed." if row["never_assessed"] else
        f"the review was due {row['next_review_due']:%d %b %Y} "
        f"({row['days_overdue']:,} days ago)."), icon=":material/event_busy:")
GAP_LABELS = {
    "no_owner": "no owner",
    "no_runbook": "no runbook",
    "no_passed_validation": "no passed validation of the deployed version",
    "no_risk_assessment": "no risk assessment",
    "high_risk_not_approved": "high risk tier without an approved assessment",
}
if not gap_row:
    shell.empty_state("Compliance gaps are checked for production models only; this model is "
                   "not in production.")
else:
    missing = [label for key, label in GAP_LABELS.items() if gap_row[key]]
    if missing:
        st.error(f"{len(missing)} compliance gap{'s' if len(missing) > 1 else ''}: "
                 + "; ".join(missing) + ".", icon=":material/gpp_bad:")
    else:
        st.success("No compliance gaps: owner, runbook, passed validation of the deployed "
                   "version and a risk assessment are all on record.",
                   icon=":material/verified:")
    tables.table(pl.DataFrame([gap_row]).select(
        "deployed_version", "deployed_at", "last_assessed_at", "last_outcome", *GAP_LABELS),
        {**GAP_LABELS, "deployed_at": "deployed", "last_assessed_at": "last assessed",
         "last_outcome": "last assessment"},
        key="model_detail_gaps")

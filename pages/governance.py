"""Governance: risk tiers, risk reviews that are due, compliance gaps, the version audit trail."""

from dataclasses import replace
from datetime import datetime, time, timedelta

import polars as pl
import streamlit as st

from dashboard import charts, filter_bar, loading, presentation, shell, tables, tiles
from dashboard.text import chart_text
from queries import kpi

f = shell.current_filter()
today = filter_bar.today()
shell.page_header(
    "Governance",
    "Risk tier of every filtered model; reviews overdue = models not retired whose latest "
    "risk assessment's next review is before today (UTC) or that were never assessed; "
    "compliance gaps per production model; and the registry's audit trail of versions.",
    presentation.GOVERNANCE,
    reads=("models", "risk_assessments", "model_versions", "validations"),
)
# Reviews and gaps are a state on a day, not a sum over the window: compare today's state
# with the state one period-length earlier.
earlier = today - timedelta(days=round(f.days))
st.caption(f"As of today, {today:%a %d %b %Y} (UTC); changes are against "
           f"{earlier:%d %b %Y}, one period ({round(f.days)} days) earlier. Versions: live "
           f"in production at the end of the period ({shell.window_caption(f)}).")

# Runbook health is a state at a window's end: today (00:00 UTC), against `earlier`.
as_of_today = replace(f, start=datetime.combine(earlier, time()),
                      end=datetime.combine(today, time()))

# What the tiles and the first sections draw, fetched together: the queries not cached yet
# run side by side. The lazy tabs below load their own.
SHOWN = 1000  # versions listed; a model's full history is on its detail page
data = loading.load_many(
    overdue=(kpi.overdue_reviews, f, {"today": today}),
    gaps=(kpi.governance_gaps, f, {"today": today}),
    overdue_earlier=(kpi.overdue_reviews, f, {"today": earlier}),
    gaps_earlier=(kpi.governance_gaps, f, {"today": earlier}),
    tiers=(kpi.risk_tiers, f, {"by": "all"}),
    by_unit=(kpi.risk_tiers, f, {"by": "business_unit"}),
)


# --- KPI tiles --------------------------------------------------------------------------
def governance_counts(overdue: pl.DataFrame, gaps: pl.DataFrame) -> dict:
    """How many models are in each governance list (counts of listed rows)."""
    return {
        "overdue": overdue.height,
        "never_assessed": overdue.filter(pl.col("never_assessed")).height,
        "production_models": gaps.height,
        "with_gaps": gaps.filter(pl.col("gaps") > 0).height,
        "no_runbook": gaps.filter(pl.col("no_runbook")).height,
        "high_risk_not_approved": gaps.filter(pl.col("high_risk_not_approved")).height,
    }


TILES = [tiles.Tile(kpi_name) for kpi_name in (
    "overdue", "never_assessed", "production_models", "with_gaps", "no_runbook",
    "high_risk_not_approved")]
now = governance_counts(data.overdue, data.gaps)
before = governance_counts(data.overdue_earlier, data.gaps_earlier)
if data.tiers.height == 0:
    shell.empty_state("No models match the filters, so there is nothing to govern. Widen the "
                   "filters or load models (see the Data page).")
tiles.kpi_tiles(TILES, now, before, per_row=3)
if data.tiers.height == 0:
    st.stop()  # every section below would only repeat that there are no models

# --- risk tiers -------------------------------------------------------------------------
st.subheader("Risk tiers")
TIER_ORDER = ["high", "limited", "minimal"]
# Colour-blind-safe (Okabe-Ito) and a fill pattern per tier: a tier never rests on colour.
TIER_COLOURS = {"high": "#D55E00", "limited": "#E69F00", "minimal": "#009E73"}
TIER_PATTERNS = {"high": "x", "limited": "/", "minimal": ""}
if data.by_unit.height == 0:
    shell.empty_state("No models match the filters.")
else:
    def tiers_chart() -> None:
        """Models per risk tier in each business unit, a colour and a pattern per tier."""
        fig = charts.figure("Models per risk tier and business unit (EU AI Act tiers)", "",
                            "models",
                            height=max(260, 80 + 36 * data.by_unit["group_id"].n_unique()))
        tiers_present = data.by_unit["risk_tier"].unique().to_list()
        for tier in [t for t in TIER_ORDER if t in tiers_present] + sorted(
                t for t in tiers_present if t not in TIER_ORDER):
            rows = data.by_unit.filter(pl.col("risk_tier") == tier)
            fig.add_bar(x=rows["models"], y=rows["group_name"], orientation="h", name=tier,
                        marker={"color": TIER_COLOURS.get(tier, "#6b7280"),
                                "pattern": {"shape": TIER_PATTERNS.get(tier, ".")}},
                        customdata=rows["production_models"],
                        hovertemplate=f"{chart_text(tier)}: "
                                      "%{x} models, %{customdata} in production"
                                      "<extra>%{y}</extra>")
        fig.update_layout(barmode="stack", hovermode="closest")
        charts.plot(fig, key="governance_tiers_chart")

    def tiers_table() -> None:
        """The models of each tier, then each business unit's by tier."""
        left, right = st.columns([2, 3])
        with left:
            tables.table(data.tiers.select("risk_tier", "models", "production_models"),
                         key="governance_tiers_table")
        with right:
            tables.table(data.by_unit.select("group_name", "risk_tier", "models",
                                             "production_models"),
                         {"group_name": "business unit"}, height=300,
                         key="governance_tiers_by_unit_table")

    shell.table_then_chart("governance_tiers_view", tiers_table, tiers_chart)

# --- reviews overdue --------------------------------------------------------------------
st.subheader("Risk reviews overdue")
if data.overdue.height == 0:
    shell.empty_state("No risk review is overdue: every filtered model that is not retired has "
                   "an assessment whose next review is today or later.")
else:
    st.caption("Never-assessed models first, then the most overdue.")
    tables.table(tables.with_detail_link(data.overdue).select(
        "model", "team", "business_unit", "owner", "risk_tier", "lifecycle_stage",
        "never_assessed", "last_assessed_at", "last_outcome", "next_review_due",
        "days_overdue", "detail"),
                 {"lifecycle_stage": "stage", "last_assessed_at": "last assessed",
                  "next_review_due": "review due"},
                 height=320,
                 key="governance_overdue_table")

# --- below: compliance gaps, runbook health, the versions' audit trail -----------------
# Three sections a manager opens one at a time, as lazy tabs (shell.lazy_tabs): only the
# open one is drawn, sent and (for runbooks and versions) queried.
GAP_LABELS = {
    "no_owner": "no owner",
    "no_runbook": "no runbook",
    "no_passed_validation": "no passed validation",
    "no_risk_assessment": "no risk assessment",
    "high_risk_not_approved": "high risk, not approved",
}
# The table's columns ask what a model should have, so a cell reads yes or no.
GAP_CHECKS = {
    "no_owner": "owner named",
    "no_runbook": "runbook",
    "no_passed_validation": "deployed version validated",
    "no_risk_assessment": "risk assessed",
    "high_risk_not_approved": "approved if high risk",
}


def compliance_gaps(gaps: pl.DataFrame) -> None:
    """Each production model's compliance checks, the gaps counted in a chart."""
    st.subheader("Compliance gaps of production models")
    if gaps.height == 0:
        shell.empty_state("None of the filtered models is in production, so no compliance gaps "
                       "are checked.")
    else:
        open_gaps = gaps.filter(pl.col("gaps") > 0)
        if open_gaps.height == 0:
            st.success(f"All {gaps.height} production models pass every compliance check.",
                       icon=":material/verified:")
        else:
            def gaps_chart() -> None:
                """Production models per compliance gap."""
                per_gap = gaps.select(pl.col(list(GAP_LABELS)).cast(pl.Int64).sum()).row(
                    0, named=True)
                names = list(GAP_LABELS.values())
                counts = [per_gap[g] for g in GAP_LABELS]
                fig = charts.figure(f"Production models per compliance gap (of {gaps.height})",
                                    "", "production models", height=260)
                fig.add_bar(x=counts[::-1], y=names[::-1], orientation="h",
                            marker_color="#dc2626",
                            hovertemplate="%{y}: %{x} models<extra></extra>")
                fig.update_layout(hovermode="closest", showlegend=False)
                charts.plot(fig, key="governance_gaps_chart")

            def gaps_table() -> None:
                """Every production model with a gap, a column per check."""
                st.caption("Deployed version = the latest succeeded production deployment by "
                           "today. Each check says whether the model has what it should; ✗ no "
                           "marks a gap.")
                # Runbook URLs are free text in the contract: link only http(s) ones.
                linked = open_gaps.with_columns(
                    pl.when(pl.col("runbook_url").str.contains(r"(?i)^https?://"))
                    .then(pl.col("runbook_url")).alias("runbook_url"))
                tables.table(tables.with_detail_link(linked).select(
                    "model", "team", "gaps", *GAP_LABELS, "owner", "risk_tier",
                    "deployed_version", "last_outcome", "runbook_url", "detail"),
                    {**GAP_CHECKS, "last_outcome": "last assessment",
                     "runbook_url": "runbook link"},
                    height=360, key="governance_gaps_table")

            shell.table_then_chart("governance_gaps_view", gaps_table, gaps_chart)


def runbook_health() -> None:
    """Production models without a runbook or with one not reviewed in 180 days."""
    runbooks = loading.load_many(
        now=(kpi.runbook_health, as_of_today, {"by": "all"}),
        before=(kpi.runbook_health, as_of_today.previous(), {"by": "all"}),
        models=(kpi.runbook_health, as_of_today, {"by": "model"}),
    )
    st.subheader("Runbook health")
    st.caption(f"Production models as of today, against {earlier:%d %b %Y}: without a runbook, "
               "or with one never reviewed or not reviewed in the 180 days before.")
    tiles.kpi_tiles([tiles.Tile("without_runbook"), tiles.Tile("runbook_stale")],
                    tiles.first_row(runbooks.now), tiles.first_row(runbooks.before),
                    per_row=3)
    unhealthy = runbooks.models.filter((pl.col("without_runbook") > 0)
                                       | (pl.col("runbook_stale") > 0))
    if runbooks.models.height == 0:
        shell.empty_state("None of the filtered models is in production, so no runbook is checked.")
    elif unhealthy.height == 0:
        st.success(f"All {runbooks.models.height} production models have a runbook reviewed "
                   "in the last 180 days.", icon=":material/verified:")
    else:
        catalog = loading.visible_models(st.session_state["access"]).select("model_id", "team")
        unhealthy = unhealthy.join(catalog, left_on="group_id", right_on="model_id", how="left")
        unhealthy = unhealthy.with_columns(
            pl.when(pl.col("without_runbook") > 0).then(pl.lit("no runbook"))
            .when(pl.col("last_reviewed_at").is_null()).then(pl.lit("never reviewed"))
            .otherwise(pl.lit("not reviewed in 180 days")).alias("problem"),
        ).sort(["without_runbook", "days_since_last_review", "group_name"],
               descending=[True, True, False], nulls_last=False)
        st.caption(f"{unhealthy.height} production models: no runbook first, then the longest "
                   "since a review.")
        tables.table(tables.with_detail_link(unhealthy, "group_id").select(
            "group_name", "team", "problem", "last_reviewed_at", "days_since_last_review",
            "detail"),
            {"group_name": "model", "last_reviewed_at": "runbook last reviewed"},
            height=320, key="governance_runbooks_table")


def model_versions() -> None:
    """The registry's versions with digests, commits and when they served (the audit trail)."""
    versions = loading.load(kpi.model_versions, f, limit=SHOWN)
    st.subheader("Model versions (audit trail)")
    live_only = st.toggle("Only versions live in production at the end of the period",
                          key="governance_live_only")
    if live_only:
        versions = versions.filter(pl.col("live_in_production"))
    # A version live in production without an artifact digest cannot be traced to the bytes
    # that serve: flagged in its own column, and counted above the table.
    versions = versions.with_columns(
        (pl.col("live_in_production") & pl.col("artifact_sha256").is_null())
        .alias("live_without_digest"))
    undigested = versions.filter(pl.col("live_without_digest")).height
    if undigested:
        st.warning(f"{undigested} version{'s' if undigested > 1 else ''} live in production "
                   "without an artifact digest (SHA-256): what serves cannot be matched to the "
                   "registered artifact.", icon=":material/fingerprint:")
    if versions.height == 0:
        shell.empty_state("No registered versions for these models"
                       + (" is live in production." if live_only else "."))
    else:
        st.caption("Registered versions with their artifact digest (SHA-256), code commit and "
                   "training-data reference, and when they first and last went to production; "
                   "by business unit, team and model, newest version first. At most "
                   f"{SHOWN:,} are listed: narrow the filters, or open a model's detail page "
                   "for all of its versions.")
        tables.table(tables.with_detail_link(versions).select(
            "model", "version", "live_in_production", "live_without_digest", "registered_at",
            "first_production_at",
            "last_production_at", "artifact_sha256", "code_commit", "training_data_ref",
            "artifact_uri", "team", "detail"),
                     {"live_in_production": "live", "live_without_digest": "no artifact digest",
                      "registered_at": "registered",
                      "first_production_at": "first in production",
                      "last_production_at": "last deployed to production",
                      "artifact_sha256": "artifact SHA-256", "code_commit": "commit",
                      "training_data_ref": "training data", "artifact_uri": "artifact"},
                     height=420,
                     key="governance_versions_table")


shell.lazy_tabs("governance_section", {
    "Compliance gaps": lambda: compliance_gaps(data.gaps),
    "Runbook health": runbook_health,
    "Model versions (audit trail)": model_versions,
})

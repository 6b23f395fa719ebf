"""Releases: how often each team ships to production, how often it hurts and how fast it
recovers (the DORA four keys), every deployment, and which version was live when."""

from datetime import UTC, datetime, timedelta

import polars as pl
import streamlit as st

from dashboard import charts, formats, identity, loading, presentation, shell, tables, tiles
from queries import kpi

f = shell.current_filter()
shell.page_header(
    "Releases",
    "DORA four keys over production deployments: frequency = deployments / days; lead time "
    "= median(deployed - committed) of successful ones; change failure rate = failed "
    "changes (failed, rolled back or named by an incident) / deployments; recovery time = "
    "median(resolved - started) of deployment-caused incidents.",
    presentation.RELEASES, reads=("deployments", "incidents"),
)

# Everything the page draws, fetched together: the queries not cached yet run side by side.
data = loading.load_many(
    current=(kpi.dora, f, {"by": "all"}),
    previous=(kpi.dora, f.previous(), {"by": "all"}),
    teams=(kpi.dora, f, {"by": "team"}),
    log=(kpi.deployment_log, f, {}),
    rework=(kpi.rework_rate, f, {"by": "all"}),
    rework_before=(kpi.rework_rate, f.previous(), {"by": "all"}),
    rework_teams=(kpi.rework_rate, f, {"by": "team"}),
)

# --- headline ---------------------------------------------------------------------------
# Rework rate (DORA's fifth key) from its own query; the four keys' counts win a clash.
current = {**tiles.first_row(data.rework), **tiles.first_row(data.current)}
previous = {**tiles.first_row(data.rework_before), **tiles.first_row(data.previous)}
# Throughput on the first row, stability on the second (DORA's two pairs, and rework rate,
# DORA's fifth metric), each ratio beside the count it is taken from.
TILES = [
    tiles.Tile("deployments", f"{formats.count(current.get('days'))} days in the period."),
    tiles.Tile("deployments_per_week"),
    tiles.Tile("lead_time_median_minutes",
               f"Over {current.get('lead_time_deployments', 0)} deployments."),
    tiles.Tile("failed_changes"),
    tiles.Tile("change_failure_rate", f"{current.get('failed_changes', 0)} failed changes of "
                                      f"{current.get('deployments', 0)} deployments."),
    tiles.Tile("recovery_time_median_minutes",
               f"Over {current.get('recovered_incidents', 0)} incidents."),
    tiles.Tile("rework_rate", f"{current.get('rework_deployments', 0)} deployments fixing an "
                              f"incident of {current.get('deployments', 0)}."),
]
if not current.get("deployments") and not current.get("recovered_incidents"):
    shell.empty_state("No production deployment of the filtered models in this period. Widen "
                   "the period or the filters, or load deployments (see the Data page).")
tiles.kpi_tiles(TILES[:3], current, previous, per_row=4)
tiles.kpi_tiles(TILES[3:], current, previous, per_row=4)

# --- per team ---------------------------------------------------------------------------
st.subheader("Four keys per team")
teams = data.teams
if teams.height == 0 or not teams["deployments"].sum():
    shell.empty_state("No team deployed to production in this period, so there are no four "
                   "keys to compare.")
else:
    teams = teams.join(data.rework_teams.select("group_id", "rework_deployments",
                                                "rework_rate"), on="group_id", how="left")
    teams = teams.sort(["deployments", "group_name"], descending=[True, False])

    def teams_chart() -> None:
        """Production deployments per team, failed changes over them."""
        shipped = teams.filter(pl.col("deployments") > 0)
        fig = charts.figure("Production deployments per team · red = failed changes",
                            "deployments", height=380)
        fig.add_bar(x=shipped["group_name"], y=shipped["deployments"], name="deployments",
                    marker_color="#93c5fd",
                    customdata=shipped.select("deployments_per_week",
                                              "change_failure_rate").rows(),
                    hovertemplate="%{x}<br>%{y} deployments (%{customdata[0]:.1f} per week)"
                                  "<br>change failure rate %{customdata[1]:.1%}<extra></extra>")
        fig.add_bar(x=shipped["group_name"], y=shipped["failed_changes"], name="failed changes",
                    marker_color="#dc2626",
                    hovertemplate="%{x}<br>%{y} failed changes<extra></extra>")
        fig.update_layout(barmode="overlay", hovermode="closest")
        charts.plot(fig, key="releases_teams_chart")

    def teams_table() -> None:
        """Every team's four keys, with the counts each ratio rests on."""
        st.caption("Each ratio sits beside its counts. Teams that did not deploy have empty "
                   "ratios, not zero.")
        tables.table(teams.select(
            "group_name", "deployments", "deployments_per_week", "failed_changes",
            "change_failure_rate", "lead_time_median_minutes", "lead_time_deployments",
            "recovery_time_median_minutes", "recovered_incidents", "rework_deployments",
            "rework_rate"),
            {"group_name": "team", "lead_time_deployments": "deployments with commit time",
             "recovered_incidents": "deployment incidents resolved"},
            key="releases_teams_table")

    shell.table_then_chart("releases_teams_view", teams_table, teams_chart)

# --- deployment log ---------------------------------------------------------------------
st.subheader("Deployment log")
if data.log.height == 0:
    shell.empty_state("No deployment (in any environment) of the filtered models in this "
                   "period.")
else:
    environments = sorted(data.log["environment"].unique().to_list())
    default = ["production"] if "production" in environments else environments
    picked = st.pills("Environments", environments, selection_mode="multi", default=default,
                      key="releases_environments") or environments
    shown = data.log.filter(pl.col("environment").is_in(picked))
    st.caption(f"{shown.height} deployments, newest first. A failed change (production "
               "only) failed, was rolled back, or is named by an incident; lead time is "
               "commit to deployment.")
    tables.table(tables.with_detail_link(shown).select(
            "deployed_at", "model", "team", "version", "environment", "outcome",
            "failed_change", "incidents", "approved_by", "change_ticket",
            "lead_time_minutes", "committed_at", "deployment_id", "detail"),
        {"incidents": "incidents naming it", "approved_by": "approver",
         "change_ticket": "ticket", "deployment_id": "deployment", "detail": "model detail"},
        height=420, key="releases_log_table")

# --- live at a moment -------------------------------------------------------------------
@identity.fragment
def live_at_a_moment(f) -> None:
    """The section with its own control: picking a moment reruns only this section."""
    st.subheader("Which version was live in production")
    # The moment the pickers start at: the window's end, or now if the window runs on into
    # the present. Follow the window: when its end moves, the pickers move with it (a choice
    # the reader made stays until then, or until they leave the page, which drops the
    # widgets' state).
    now = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
    end = min(f.end, now)
    if (st.session_state.get("releases_at_default") != end
            or "releases_at_date" not in st.session_state
            or "releases_at_time" not in st.session_state):
        st.session_state["releases_at_default"] = end
        st.session_state["releases_at_date"] = end.date()
        st.session_state["releases_at_time"] = end.time()
    left, right, _ = st.columns([1, 1, 2])
    picked_date = left.date_input("Date (UTC)", key="releases_at_date", max_value=now.date())
    picked_time = right.time_input("Time (UTC)", key="releases_at_time",
                                   step=timedelta(minutes=15))
    at = datetime.combine(picked_date, picked_time)
    live = loading.load(kpi.live_versions, f, at=at)
    if live.height == 0:
        shell.empty_state(f"No filtered model had a successful production deployment at or before "
                       f"{at:%d %b %Y %H:%M} UTC.")
    else:
        st.caption(f"{live.height} models live at {at:%d %b %Y %H:%M} UTC: each model's latest "
                   "successful production deployment at or before that moment, with the "
                   "registry record of its version.")
        tables.table(tables.with_detail_link(live).select(
                "model", "team", "lifecycle_stage", "version", "deployed_at", "deployment_id",
                "approved_by", "change_ticket", "registered_at", "code_commit",
                "artifact_sha256", "artifact_uri", "training_data_ref", "detail"),
                     {"lifecycle_stage": "stage today", "deployment_id": "deployment",
                      "approved_by": "approver", "change_ticket": "ticket",
                      "training_data_ref": "training data", "detail": "model detail"},
                     height=420,
                     key="releases_live_table")


live_at_a_moment(f)

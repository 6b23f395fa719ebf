"""Team: on-call load per team, fairness between responders, follow-ups by team and
owner, and the quarter-over-quarter trends."""

import polars as pl
import streamlit as st

from dashboard import charts, loading, presentation, shell, tables, tiles
from queries import kpi

f = shell.current_filter()
shell.page_header(
    "Team",
    "On-call load per team (pages, the share outside 08:00–18:00 in the team's time zone, "
    "time to acknowledge, pages per on-call week), how evenly it falls on people, "
    "postmortem follow-ups by team and owner, and the quarter-over-quarter trends.",
    presentation.TEAM_LOAD, reads=("oncall_pages", "action_items", "incidents"),
)
st.caption(shell.window_caption(f))

# Everything the page draws, fetched together: the queries not cached yet run side by side.
data = loading.load_many(
    teams=(kpi.team_load, f, {}),
    responders=(kpi.responder_load, f, {}),
    follow_teams=(kpi.follow_ups, f, {"by": "team"}),
    owners=(kpi.follow_ups_by_owner, f, {}),
    quarters=(kpi.quarterly_trends, f, {"by": "all"}),
    quarters_teams=(kpi.quarterly_trends, f, {"by": "team"}),
)

# --- team load --------------------------------------------------------------------------
st.subheader("Team load")
teams = data.teams
if teams.height == 0 or not teams["pages"].sum():
    shell.empty_state("No on-call page for the filtered models in this period. Widen the "
                      "period or the filters, or load on-call pages (see the Data page).")
else:
    # The night load first: out-of-hours pages, not their share (a team paged twice, both
    # at night, has a share of 100% and no load to speak of).
    teams = teams.sort(["out_of_hours_pages", "out_of_hours_share", "team"],
                       descending=[True, True, False], nulls_last=True)

    def load_chart() -> None:
        """Pages per team, in hours and out of hours."""
        paged = teams.filter(pl.col("pages") > 0)
        fig = charts.figure("Pages per team · dark = out of hours (team's time zone)", "pages",
                            height=380)
        fig.add_bar(x=paged["team"], y=(paged["pages"] - paged["out_of_hours_pages"]),
                    name="in hours", marker_color="#93c5fd",
                    hovertemplate="%{x}<br>%{y} pages in hours<extra></extra>")
        fig.add_bar(x=paged["team"], y=paged["out_of_hours_pages"], name="out of hours",
                    marker_color="#1e3a8a", customdata=paged["out_of_hours_share"],
                    hovertemplate="%{x}<br>%{y} pages out of hours (%{customdata:.0%})"
                                  "<extra></extra>")
        fig.update_layout(barmode="stack", hovermode="closest")
        charts.plot(fig, key="team_load_chart")

    def load_table() -> None:
        """Every paged team's load, most out-of-hours pages first."""
        st.caption("Most out-of-hours pages first. Out of hours = before 08:00 or from 18:00 "
                   "in the team's time zone; an on-call week is a week a person was paged.")
        tables.table(teams.select(
            "team", "business_unit", "time_zone", "pages", "out_of_hours_pages",
            "out_of_hours_share", "sev1_sev2_pages", "median_minutes_to_acknowledge",
            "responders", "oncall_weeks", "pages_per_oncall_week", "incidents",
            "top3_model_incidents", "top3_model_share"),
            {"time_zone": "time zone", "incidents": "incidents on its models"},
            key="team_load_table")

    shell.table_then_chart("team_load_view", load_table, load_chart)

# --- on-call fairness -------------------------------------------------------------------
st.subheader("On-call fairness")
people = data.responders
if people.height == 0:
    shell.empty_state("No responder was paged in this period.")
else:
    people = people.with_columns(
        (pl.col("responder") + " (" + pl.col("team") + ")").alias("who"))
    people = people.sort(["pages", "out_of_hours_share", "who"],
                         descending=[True, True, False], nulls_last=True)

    def fairness_chart() -> None:
        """Pages per responder (the 40 most paged), in hours and out of hours."""
        shown = people.head(40)
        fig = charts.figure("Pages per responder · dark = out of hours", "",
                            "pages", height=max(260, 60 + 22 * shown.height))
        fig.add_bar(y=shown["who"], x=shown["pages"] - shown["out_of_hours_pages"],
                    orientation="h", name="in hours", marker_color="#93c5fd",
                    hovertemplate="%{y}<br>%{x} pages in hours<extra></extra>")
        fig.add_bar(y=shown["who"], x=shown["out_of_hours_pages"], orientation="h",
                    name="out of hours", marker_color="#1e3a8a",
                    customdata=shown["out_of_hours_share"],
                    hovertemplate="%{y}<br>%{x} pages out of hours (%{customdata:.0%})"
                                  "<extra></extra>")
        fig.update_layout(barmode="stack", hovermode="closest",
                          yaxis={"autorange": "reversed"})
        charts.plot(fig, key="team_fairness_chart")

    def fairness_table() -> None:
        """Every paged responder, most paged first."""
        st.caption("Most paged first" + (" (the Chart tab shows the 40 most paged)"
                                         if people.height > 40 else "")
                   + ". A person paged for two teams has a row per team.")
        tables.table(people.select(
            "responder", "team", "pages", "out_of_hours_pages", "out_of_hours_share",
            "sev1_sev2_pages", "median_minutes_to_acknowledge", "oncall_weeks",
            "pages_per_oncall_week"),
            height=420, key="team_fairness_table")

    shell.table_then_chart("team_fairness_view", fairness_table, fairness_chart)

# --- follow-ups -------------------------------------------------------------------------
st.subheader("Follow-ups")
follow = data.follow_teams
if follow.height == 0 or not follow["action_items"].sum():
    shell.empty_state("No postmortem or review follow-up for these teams up to the end of "
                      "this period.")
else:
    st.caption("Open and overdue at the end of the period; closed and median days to close "
               "over the follow-ups closed in it.")
    left, right = st.columns(2)
    with left:
        tables.table(follow.sort(["overdue_action_items", "open_action_items", "group_name"],
                                 descending=[True, True, False]).select(
            "group_name", "open_action_items", "overdue_action_items", "closed_action_items",
            "median_days_to_close", "sev1_sev2_incidents", "postmortem_share"),
            {"group_name": "team", "open_action_items": "open",
             "overdue_action_items": "overdue", "closed_action_items": "closed",
             "sev1_sev2_incidents": "sev 1–2 incidents"},
            key="team_follow_ups_table")
    with right:
        tables.table(data.owners.select(
            "owner", "teams", "open_action_items", "overdue_action_items",
            "closed_action_items", "median_days_to_close"),
            {"open_action_items": "open", "overdue_action_items": "overdue",
             "closed_action_items": "closed"},
            height=420, key="team_owners_table")

# --- quarter over quarter ---------------------------------------------------------------
st.subheader("Quarter over quarter")
TREND_KEYS = ("deployments_per_week", "lead_time_median_minutes", "change_failure_rate",
              "recovery_time_median_minutes", "mttr_minutes", "availability",
              "cost_per_1k_requests")
quarters = data.quarters
if quarters.height == 0:
    shell.empty_state("No models match the filters, so there are no trends.")
else:
    latest = quarters.row(-1, named=True)
    # The tiles' "before" is the quarter before, from the change the SQL computed.
    before = {k: (None if latest[k] is None or latest[f"{k}_change"] is None
                  else latest[k] - latest[f"{k}_change"]) for k in TREND_KEYS}
    to_date = latest["days"] < 89
    st.caption(f"{latest['quarter']}{' to date' if to_date else ''} "
               f"({latest['days']:.0f} days) against the quarter before: the four keys, "
               "MTTR, availability and cost per 1k requests. Rates only, so a quarter in "
               "progress compares fairly.")
    tiles.kpi_tiles([tiles.Tile(k) for k in TREND_KEYS], latest, before, per_row=4)
    shown = data.quarters_teams.filter(pl.col("quarter") == latest["quarter"])
    tables.table(
        pl.concat([quarters.with_columns(pl.lit("all teams").alias("group_name")), shown],
                  how="vertical_relaxed")
        .with_columns(pl.col("days").round().cast(pl.Int64))
        .select("group_name", "quarter", "days", "deployments", *TREND_KEYS, "requests"),
        {"group_name": "team", "days": "days covered"},
        height=420, key="team_quarters_table")
    st.caption("First the quarters the period touches for all filtered teams, then each "
               "team in the latest quarter.")

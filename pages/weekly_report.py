"""Weekly report: pick an ISO week and a grouping, preview it, download the CSV.

The download holds the same bytes as `modelops report weekly` for the same week, grouping,
business units and teams: both are `weekly.to_csv(weekly.weekly_report(...))`.
"""

from datetime import UTC, datetime, timedelta

import streamlit as st

from dashboard import identity, loading, presentation, shell, tables
from dashboard.text import code, plain
from modelops.reports import weekly
from modelops.warehouse import UsageError, WarehouseError

f = shell.current_filter()
shell.page_header(
    "Weekly report",
    "One row per model that existed during the ISO week (or per team / business unit, "
    "aggregated from summed counts), exactly as `modelops report weekly` writes it.",
    presentation.WEEKLY_REPORT, scope="units",
)

now = datetime.now(UTC).replace(tzinfo=None)
latest = weekly.last_complete_week(now)
weeks = [weekly.last_complete_week(now - timedelta(weeks=n)) for n in range(26)]
left, right = st.columns(2)
week = left.selectbox("ISO week", weeks, index=weeks.index(latest), key="report_week",
                      bind="query-params")
group_by = right.segmented_control("Group by", weekly.GROUP_BY, default="model",
                                   format_func=lambda g: g.replace("_", " "),
                                   key="report_group_by", bind="query-params") or "model"
start, end = weekly.parse_week(week)
st.caption(f"{start:%a %d %b %Y} – {end - timedelta(days=1):%a %d %b %Y} UTC, the ISO week "
           "picked here: the sidebar's period and models filter do not apply to this report, "
           "its business units and teams do.")

try:
    frame = loading.load(weekly.weekly_report, week=week, teams=f.teams, group_by=group_by,
                       business_units=f.effective_business_units)
except (WarehouseError, UsageError) as error:
    shell.empty_state(f"No report: {plain(error)}")
    st.stop()
if frame.height == 0:
    shell.empty_state(f"No model existed in {week} within this scope, so the report is empty.")
command = ["modelops report weekly", f"--week {week}", f"--group-by {group_by}"]
command += [f"--business-unit {b}" for b in f.business_units]
command += [f"--team {t}" for t in f.teams]
# The bytes are written when the button is clicked (a callable), not on every run.
st.download_button(
    "Download CSV", identity.guarded(lambda: weekly.to_csv(frame)),
    file_name=weekly.xlsx_file_name(week, group_by, f.business_units, f.teams, "csv"),
    mime="text/csv",
    on_click="ignore", icon=":material/download:", type="secondary",
)
st.caption("Same file from a scheduler: " + code(" ".join(command)))
for_people = frame if group_by == "model" else loading.load(
    weekly.weekly_report, week=week, teams=f.teams, group_by=group_by,
    business_units=f.effective_business_units, with_model_counts=True)
# For people: the same numbers as a spreadsheet (human headers, number formats, KPIs first,
# a model count beside each grouped SLO-met count). Built when clicked.
st.download_button(
    "Download spreadsheet (xlsx)",
    identity.guarded(lambda: weekly.to_xlsx(for_people, group_by)),
    file_name=weekly.xlsx_file_name(week, group_by, f.business_units, f.teams),
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    on_click="ignore", icon=":material/table_view:", key="weekly_report_xlsx",
)
st.caption("The spreadsheet: " + code(" ".join(command) + " --format xlsx"))

st.subheader(f"Preview · {frame.height} rows")
# A preview of the CSV: its columns as the file has them (MTTR in minutes, as the
# contract's `mttr_minutes` says), not converted for reading as on the other pages.
# KPIs first, ids last and hidden until picked (the download keeps the CSV's order).
tables.table(frame, units={"mttr_minutes": "minutes"}, height=520,
             lead=list(weekly.people_order(group_by)), key="weekly_report_preview")

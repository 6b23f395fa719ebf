"""Week in review: what needs a decision this week, one line per item, each with its
number, its change against the week before and a link to the page that explains it.

The sections are `modelops/reports/review.review_sections` for one ISO week and the filter bar's
business units and teams; the download is `modelops/reports/review.review_file` with the same
arguments, so it holds the same bytes as `modelops report review`.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import polars as pl
import streamlit as st

from dashboard import formats, identity, loading, presentation, shell, tables
from dashboard.text import code, plain
from modelops.reports import review, weekly
from modelops.warehouse import UsageError, WarehouseError
from queries import kpi
from queries.filters import Filter

f = shell.current_filter()
shell.page_header(
    "Week in review",
    "What needs a decision first, for one ISO week (Monday to Sunday, UTC) against the week "
    "before: SLOs missed, new sev 1–2 incidents, failed changes and rework, cost or value "
    "moving more than 10%, what falls due in the next 14 days, overdue follow-ups.",
    presentation.WEEK_IN_REVIEW,
)

# --- the week ---------------------------------------------------------------------------
# The rule: the last full ISO week that ends by the end of the sidebar's period. Every
# preset ends yesterday (or last Sunday), so by default this is the last full ISO week;
# a custom period picked in the sidebar moves it to the last full week of that period.
# The picker below chooses any other week; `?week=` in a link opens that week.
now = datetime.now(UTC).replace(tzinfo=None)
default = weekly.last_complete_week(f.end)
latest = weekly.last_complete_week(now)
weeks = [weekly.last_complete_week(now - timedelta(weeks=n)) for n in range(52)]
if default not in weeks:  # a custom period long ago
    weeks = [weekly.last_complete_week(f.end - timedelta(weeks=n)) for n in range(52)]
if st.session_state.get("review_week_default") != default or "review_week" not in st.session_state:
    asked = None
    if "review_week_default" not in st.session_state:  # a session's first run: the link
        try:
            asked = weekly.week_label(st.query_params.get("week", ""))
        except UsageError:
            asked = None
    st.session_state["review_week_default"] = default
    st.session_state["review_week"] = asked if asked in weeks else default


def week_text(week: str) -> str:
    start, end = weekly.parse_week(week)
    return f"{week} · {start:%a %d %b} – {end - timedelta(days=1):%a %d %b %Y}"


left, _ = st.columns([1, 2])
week = left.selectbox("ISO week", weeks, key="review_week", format_func=week_text)
if week != default:
    st.query_params["week"] = week
elif "week" in st.query_params:
    del st.query_params["week"]
start, end = weekly.parse_week(week)
monday, sunday = start.date(), (end - timedelta(days=1)).date()

units = f.effective_business_units
scope = []
if f.business_units:
    scope.append(f"business units {', '.join(f.business_units)}")
if f.teams:
    scope.append(f"teams {', '.join(f.teams)}")
st.caption(
    f"{monday:%a %d %b %Y} – {sunday:%a %d %b %Y} UTC, compared with the week before. "
    + ("Last full ISO week" if week == latest else "Week picked here")
    + " (by default the last full ISO week ending in the sidebar's period). Scope: "
    + ("; ".join(scope) if scope else "all business units and teams"
       + (" you may see" if f.allowed_business_units is not None else ""))
    + " (from the filter bar; the review is not limited by the models filter).")

try:
    _, _, sections = loading.load(review.review_sections, week=week, business_units=units,
                                  teams=f.teams)
except (WarehouseError, UsageError) as error:
    shell.empty_state(f"No review: {plain(error)}. Widen the filters, or load data (see the Data "
                      "page).")
    st.stop()


# --- links to the page that explains an item ------------------------------------------
def link(page: str) -> str:
    """The page with the current filters and the reviewed week as its period, in the query
    string the filter bar reads from a link."""
    params = [("period", "custom"), ("start", monday.isoformat()), ("end", sunday.isoformat())]
    params += [("bu", b) for b in f.business_units] + [("team", t) for t in f.teams]
    params += [("model", m) for m in f.models]
    return f"{page}?{urlencode(params)}"


def number(value, unit: str) -> str:
    if formats.missing(value):
        return ""
    if unit == "ratio":
        return formats.pct(value, 1)
    if unit == "usd":
        return formats.usd(value)
    if unit == "days":
        return f"{value:,.0f} days"
    return formats.count(value)


def change(value, unit: str) -> str:
    if formats.missing(value):
        return ""
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    if unit == "ratio":
        return f"{sign}{abs(value) * 100:.1f} pp"
    if unit == "usd":
        return sign + formats.usd(abs(value))
    return sign + formats.count(abs(value))


# --- the sections -----------------------------------------------------------------------
PAGE_TITLES = {"/reliability": "Reliability", "/incidents": "Incidents",
               "/releases": "Releases", "/cost_value": "Cost & value",
               "/governance": "Governance", "/model_quality": "Model quality",
               "/team": "Team"}
needing = [s for s in sections if s.items]
st.markdown(f"**{len(needing)} of {len(sections)} sections need attention.**"
            if needing else "**Nothing needs a decision this week.**")

for section in sections:
    st.subheader(f"{section.title} · {len(section.items)}" if section.items
                 else section.title)
    if not section.items:
        st.success(section.nothing, icon=":material/check_circle:")
        continue
    rows = pl.DataFrame(
        {"what": [i.text for i in section.items],
         "number": [number(i.number, i.unit) for i in section.items],
         "change vs week before": [change(i.change, i.unit) for i in section.items],
         "explained on": [PAGE_TITLES.get(i.page, i.page.strip("/")) for i in section.items],
         "open": [link(i.page) for i in section.items]},
        schema={c: pl.String for c in ("what", "number", "change vs week before",
                                        "explained on", "open")})
    tables.table(rows, units={"open": "link"}, key=f"review_{section.name}_table")
    if section.name == "follow_ups":
        # Which items and models are behind each owner's count.
        overdue = loading.load(kpi.overdue_action_items,
                               Filter(start, end, business_units=f.business_units,
                                      teams=f.teams,
                                      allowed_business_units=f.allowed_business_units))
        names = loading.visible_models(st.session_state["access"]).select("model_id", "model")
        overdue = overdue.join(names, on="model_id", how="left")
        st.caption(f"The {overdue.height} overdue follow-ups, most overdue first.")
        tables.table(tables.with_detail_link(overdue.sort("days_overdue", descending=True))
                     .select("owner", "model", "title", "priority", "team", "incident_id",
                             "due_at", "days_overdue", "detail"),
                     {"incident_id": "incident", "due_at": "due", "detail": "model detail"},
                     height=320, key="review_overdue_items_table")

# --- the file ---------------------------------------------------------------------------
st.subheader("The review as a file")
path = loading.warehouse_path()
left, right, _ = st.columns([1, 1, 2])
for column, fmt, mime in ((left, "md", "text/markdown"), (right, "html", "text/html")):
    # The bytes are built when the button is clicked, by the CLI's own function.
    column.download_button(
        f"Download {'Markdown' if fmt == 'md' else 'HTML'}",
        identity.guarded(
            lambda fmt=fmt: review.review_file(path, week, units, fmt, teams=f.teams)),
        file_name=f"modelops-review-{week}.{fmt}", mime=mime, on_click="ignore",
        icon=":material/download:", key=f"review_download_{fmt}")
command = ["modelops report review", f"--week {week}"]
command += [f"--business-unit {b}" for b in units if b]
command += [f"--team {t}" for t in f.teams]
st.caption("Same file from a scheduler: " + code(" ".join(command) + " --format md|html"))

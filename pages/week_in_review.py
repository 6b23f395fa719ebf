"""Week in review: what needs a decision this week. A summary of counters above the fold,
one per section and linking to it, then each section as its own table (own columns, units,
changes against the week before), each row linking to the model, incidents or team it is
about.

The sections are `modelops/reports/review.review_sections` for one ISO week (always in the
URL, `?week=2026-W47`) and the filter bar's business units and teams; the period and models
filters do not apply (folded away in the sidebar here). The download is
`modelops/reports/review.review_file` with the same arguments, so it holds the CLI's bytes.
"""

from datetime import UTC, datetime, timedelta

import polars as pl
import streamlit as st

from dashboard import identity, loading, presentation, shell, tables
from dashboard.text import code, plain
from modelops.reports import review, weekly
from modelops.reports.labels import digits_apart
from modelops.warehouse import UsageError, WarehouseError
from queries import kpi
from queries.filters import Filter

f = shell.current_filter()

# --- the week: always in the URL, so a shared link shows the same week next Monday -------
now = datetime.now(UTC).replace(tzinfo=None)
latest = weekly.last_complete_week(now)
weeks = [weekly.last_complete_week(now - timedelta(weeks=n)) for n in range(52)]
if "review_week" not in st.session_state:  # a session's first run: the link's week
    try:
        asked = weekly.week_label(st.query_params.get("week", ""))
    except UsageError:
        asked = latest
    if asked not in weeks:  # a week further back than the picker's year
        weeks.append(asked)
    st.session_state["review_week"] = asked
elif st.session_state["review_week"] not in weeks:
    weeks.append(st.session_state["review_week"])
week = st.session_state["review_week"]
st.query_params["week"] = week
start, end = weekly.parse_week(week)

shell.page_header(
    f"Week in review · {review.week_dates(week)}",
    "What needs a decision, for one ISO week (Monday to Sunday, UTC) against the week "
    "before.", presentation.WEEK_IN_REVIEW, scope=None)
units = f.effective_business_units
st.caption(f"Scope: {shell.scope_line(f, with_period=False)}"
           + (" (all you may see)" if f.allowed_business_units is not None
              and not f.business_units else "")
           + ". The sidebar's period and models do not apply: this page reviews the week "
           "picked here.")
left, _ = st.columns([3, 2])
left.selectbox("ISO week", weeks, key="review_week",
               format_func=lambda w: review.week_title(w).removeprefix("Week in review ")
               + (" (last full week)" if w == latest else ""))

try:
    _, _, sections = loading.load(review.review_sections, week=week, business_units=units,
                                  teams=f.teams)
except (WarehouseError, UsageError) as error:
    shell.empty_state(f"No review: {plain(error)}. Widen the filters, or load data (see the Data "
                      "page).")
    st.stop()

# --- the summary: one counter per section, above the fold --------------------------------
needing = [s for s in sections if s.count]
st.markdown(f"**{len(needing)} of {len(sections)} sections have something to act on.**"
            if needing else "**Nothing needs a decision this week.**")
counters = st.container(horizontal=True)
for s in sections:
    # The label is the link to the section (one click), the value what to act on.
    counters.metric(f"[{s.counted[0].upper() + s.counted[1:]}](#{review.anchor(s)})",
                    f"{s.count:,}", border=True, width=215)


# --- the sections ------------------------------------------------------------------------
def _format(column: kpi.ReviewColumn, digits: int | None):
    label, unit = column.label, column.unit
    if unit == "text":  # an incident's title gets the room to be read whole
        return st.column_config.TextColumn(label, width="large" if column.name == "title"
                                           else None)
    if unit == "date":
        return st.column_config.DateColumn(label, format="YYYY-MM-DD")
    if unit == "datetime":
        return st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")
    number = {"count": "%d", "count_change": "%+d", "usd": "dollar",
              "share": f"%.{2 if digits is None else digits}f%%", "pp": "%+.1f pp",
              "change": "%+.0f%%", "ms": f"%.{0 if digits is None else digits}f ms"}
    return st.column_config.NumberColumn(label, format=number.get(unit, "%d"))


def section_table(s: kpi.ReviewSection) -> range:
    """The section's rows in its own columns; shares in percent (sortable numbers); the
    first column opens the item (the model, its incidents, the team) for the week. Returns
    which of the section's items it shows (ROWS at a time)."""
    data, config = {}, {}
    for n, column in enumerate(s.columns):
        values = [i.values[n] for i in s.items]
        digits = None
        if column.name in ("availability", "latency_p95_ms"):  # never reads as its target
            target = s.columns[n + 1].name
            targets = [i.cell(s, target) for i in s.items]
            scale, base = (100, 2) if column.unit == "share" else (1, 0)
            digits = max(digits_apart(v, t, base, scale) for v, t in zip(values, targets))
        if column.unit in ("share", "pp", "change"):
            values = [None if v is None else v * 100 for v in values]
        data[column.name] = values
        config[column.name] = _format(column, digits)
    links = [review.item_url(i.link, week, units, f.teams) for i in s.items]
    frame = pl.DataFrame({"open": links, **data}, strict=False)
    first = 0
    if frame.height > tables.ROWS:  # a long section goes ROWS rows at a time, in its order
        first = tables.row_range(st, frame.height, f"review_{s.name}")
        frame = frame.slice(first, tables.ROWS)
    config["open"] = st.column_config.LinkColumn("Open", display_text="open ›",
                                                 help="The page that shows this item, "
                                                 "for the reviewed week")
    st.dataframe(frame.to_arrow(), column_config=config, hide_index=True,
                 placeholder=tables.MISSING,
                 height=min(35 * (frame.height + 1) + 3, 420), key=f"review_{s.name}_table")
    return range(first, first + frame.height)


for s in sections:
    st.subheader(f"{s.title} · {s.count:,}" if s.count else s.title, anchor=review.anchor(s))
    if s.count and s.count != len(s.items):  # the count is not the rows: say what it counts
        st.caption(f"{s.count:,} {s.counted}, of the {len(s.items):,} listed below."
                   if s.count < len(s.items) else f"{s.count:,} {s.counted}.")
    if s.figures:
        st.caption(" · ".join(review.figure_text(fig) for fig in s.figures))
    if not s.items:
        st.success(s.nothing, icon=":material/check_circle:")
        continue
    if s.name == "oncall":
        st.caption("Flagged: a responder with " + ", ".join(
            f"{limit} or more {what}" for what, limit in (
                ("sleep-hour pages (22:00–08:00 in the team's time zone)",
                 kpi.ONCALL_LIMITS["sleep_hour_pages"]),
                ("out-of-hours pages (before 08:00 or from 18:00)",
                 kpi.ONCALL_LIMITS["out_of_hours_pages"]),
                ("pages", kpi.ONCALL_LIMITS["pages"])))
            + " in the week. [Why these limits](/definitions#on-call-load-in-the-week)")
    shown = section_table(s)
    if any(c.name == "title" for c in s.columns):
        # A grid cuts long text at its column's width (at 390 px an incident's title and
        # postmortem state were "...errors and timeouts…"): the same rows as wrapped lines.
        lines = [review.item_in_words(s, s.items[n]) for n in shown]
        st.caption(f"Each of the {len(lines)} in full:" if len(shown) == len(s.items) else
                   f"Rows {shown.start + 1:,}–{shown.stop:,} of {len(s.items):,} in full:")
        st.markdown("\n".join(f"- **{plain(head)}** · {plain(rest)}" for head, rest in lines))
    if s.name == "follow_ups":
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
st.subheader("The review as a file", anchor="the-review-as-a-file")
path = loading.warehouse_path()
try:
    review.base_url()
except UsageError as error:
    st.warning(f"{plain(error)}. The file's rows show page paths instead of links.",
               icon=":material/link_off:")
    base = ""
else:
    base = None
left, right, _ = st.columns([1, 1, 2])
for column, fmt, mime in ((left, "md", "text/markdown"), (right, "html", "text/html")):
    # The bytes are built when the button is clicked, by the CLI's own function.
    column.download_button(
        f"Download {'Markdown' if fmt == 'md' else 'HTML'}",
        identity.guarded(lambda fmt=fmt: review.review_file(path, week, units, fmt,
                                                            teams=f.teams, base=base)),
        file_name=review.file_name(week, units, f.teams, fmt), mime=mime, on_click="ignore",
        icon=":material/download:", key=f"review_download_{fmt}")
command = ["modelops report review", f"--week {week}"]
command += [f"--business-unit {b}" for b in units if b]
command += [f"--team {t}" for t in f.teams]
st.caption("Same file from a scheduler: " + code(" ".join(command) + " --format md|html")
           + ". "
           f"Rows link to the dashboard when {review.BASE_URL_ENV} gives its address.")

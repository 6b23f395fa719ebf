"""Read-only tables, and which links from the data become clickable."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import polars as pl
import streamlit as st

from dashboard import identity, presentation

ROWS = 100  # rows of a table sent to the browser at a time
# A missing number or date is drawn as this, not the grid's grey "None"; a column that has
# one says what it means in its help.
MISSING = "–"
MISSING_HELP = "“–”: no value for this row (not defined or no data; see the definitions)."


def _config(label: str, unit: str, help: str | None):
    if unit == "link":
        return st.column_config.LinkColumn(label, display_text="open", help=help)
    if unit == "datetime":
        return st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm", help=help)
    if unit in presentation.TABLE_FORMATS:
        return st.column_config.NumberColumn(label, help=help,
                                             format=presentation.TABLE_FORMATS[unit][0])
    return st.column_config.Column(label, help=help)


def _in_a_header(label: str) -> str:
    """Table headers are lower case, as the rest of a table's words: "Cost" -> "cost",
    "MTTR" stays."""
    return label[0].lower() + label[1:] if label[1:2].islower() else label


def readable(frame: pl.DataFrame) -> pl.DataFrame:
    """Cells as words, by column kind: a contract code as words ("rolled back"), a severity
    as "Sev 2", a yes/no as its words (presentation.BOOL_WORDS, else "yes"/"no"), and a
    missing text as "–" (never "None"). Numbers and dates stay values, so they still sort."""
    out = []
    for column, dtype in frame.schema.items():
        col = pl.col(column)
        if dtype == pl.Boolean:
            yes, no = presentation.BOOL_WORDS.get(column, ("yes", "no"))
            out.append(pl.when(col).then(pl.lit(yes)).when(~col).then(pl.lit(no))
                       .otherwise(pl.lit("–")).alias(column))
        elif column == "severity" and dtype.is_integer():
            out.append(pl.when(col.is_null()).then(pl.lit("–"))
                       .otherwise(pl.format("Sev {}", col)).alias(column))
        elif dtype == pl.Date:  # ISO text sorts as the dates do; a missing one is "–"
            out.append(col.dt.strftime("%Y-%m-%d").fill_null("–").alias(column))
        elif dtype == pl.String and presentation.unit_for(column, dtype) == "text":
            shown = col.str.replace_all("_", " ") if column in presentation.ENUMS else col
            out.append(shown.fill_null("–").alias(column))
    return frame.with_columns(out) if out else frame


def table(frame: pl.DataFrame, labels: dict[str, str] | None = None,
          height: int | str = "auto", key: str | None = None,
          units: dict[str, str] | None = None, raw: bool = False,
          lead: list[str] | None = None) -> None:
    """A read-only table. Each column is presented as dashboard/presentation.py says (its
    measure, else the suffix rule): label, number format, help. `labels` names columns
    that are not measures in this table's words (`group_name` -> "team"); `units` gives
    a unit the rule cannot tell (a link column without the `_url` suffix).

    Cells read as words (see `readable`), unless `raw` (a preview of a file keeps the
    file's values). `lead` names columns to show first, in that order (the frame's order
    is kept for the data). Columns the registry marks as detail (ids, hashes, commits, digests:
    presentation.is_detail) go last and are hidden until picked in the table's "Columns"
    menu, so a table fits the page; they are sent to the browser only when picked.

    A table longer than ROWS is sent ROWS rows at a time, with a picker of the row range,
    a "Sort whole table by" picker (the grid's header sort only sees the rows sent) and an
    "All rows as CSV" button (the whole table, built when clicked: `csv_bytes`).

    A duration kept in minutes and shown in hours (`*_minutes`, unit "hours") is shown
    as `*_hours`, its value in hours: a column's name never says another unit than its
    values have.
    """
    labels, units = labels or {}, units or {}
    config, shown_names = {}, {}
    if not raw:
        frame = readable(frame)
    for column, dtype in frame.schema.items():
        shown = presentation.measure(column, dtype)
        # Words stay words (a date already written as ISO text is text, not a date-time).
        unit = units.get(column, "text" if dtype in (pl.Boolean, pl.String)
                         and shown.unit != "link" else shown.unit)
        if unit == "link":
            frame = frame.with_columns(safe_link(pl.col(column)).alias(column))
        factor = presentation.TABLE_FORMATS.get(unit, (None, 1))[1]
        name = column
        if factor != 1:
            name = column.removesuffix("_minutes") + "_hours"
            frame = frame.with_columns((pl.col(column) * factor).alias(column)).rename(
                {column: name})
        shown_names[name] = column
        help_text = shown.help or ""
        if frame[name].null_count():
            help_text = f"{help_text} {MISSING_HELP}".strip()
        config[name] = _config(labels.get(column, _in_a_header(shown.label)), unit,
                               help_text or None)
    leading = [n for c in (lead or []) for n, o in shown_names.items() if o == c]
    names = leading + [n for n in shown_names if n not in leading]
    main = [n for n in names if not presentation.is_detail(shown_names[n])]
    optional = [n for n in names if n not in main]
    order = main
    name = key or "table_" + "_".join(frame.columns)[:60]
    controls = (st.container(horizontal=True, vertical_alignment="center")
                if optional or frame.height > ROWS else None)
    if optional:
        by_label = {config[n]["label"]: n for n in optional}
        with controls.popover("Columns", icon=":material/view_column:"):
            extra = st.multiselect("Also show", list(by_label), default=[],
                                   key=f"{name}_columns",
                                   placeholder="ids, commits, digests ...")
        picked = {by_label[label] for label in extra}
        order = main + [n for n in optional if n in picked]
    # Only the columns shown, and at most ROWS rows at a time, go to the browser: a
    # 2,000-row table of twelve columns is most of a page's bytes and of its time there.
    # The whole table (every row, the columns shown) is one click away as CSV.
    first = 0
    if frame.height > ROWS:
        # The grid's own header sort orders only the rows sent; this orders the whole table
        # here, before the rows are cut (the byte savings of paging stay).
        by_label = {config[n]["label"]: n for n in order}
        picked = controls.selectbox(
            "Sort whole table by", ["as listed", *by_label], key=f"{name}_sort",
            width=200, help="Sorts every row, not only the ones shown (clicking a "
                            "column header sorts the rows shown)")
        if picked != "as listed":
            descending = controls.toggle("Descending", key=f"{name}_desc", value=True)
            frame = frame.sort(by_label[picked], descending=descending, nulls_last=True,
                               maintain_order=True)
        first = row_range(controls, frame.height, name)
        whole = frame.select(order)
        controls.download_button(
            "All rows as CSV", identity.guarded(lambda: csv_bytes(whole, config)),
            file_name=f"{(key or 'table').removesuffix('_table')}.csv",
            mime="text/csv", icon=":material/download:", on_click="ignore",
            key=f"{name}_csv")
    shown = frame.slice(first, ROWS)
    if isinstance(height, int):  # a short table does not draw empty rows
        height = min(height, 35 * (shown.height + 1) + 3)
    sent = shown.select(order)
    # As Arrow: Streamlit sends an Arrow table as it is, while a polars frame goes through
    # pandas first (a third of a table's time).
    if "detail" not in frame.columns:
        st.dataframe(sent.to_arrow(), column_config={n: config[n] for n in order},
                     hide_index=True, height=height, key=key, placeholder=MISSING)
        return
    # A table of models: picking a row opens that model's detail page in this tab, with the
    # filters kept (the `detail` link column, which Streamlit opens in a new tab, keeps
    # them too).
    picked = st.dataframe(sent.to_arrow(), column_config={n: config[n] for n in order},
                          hide_index=True, height=height, key=key, placeholder=MISSING,
                          on_select="rerun",
                          selection_mode="single-row")
    rows = picked.selection.rows if picked is not None else []
    if rows and rows[0] < shown.height and shown["detail"][rows[0]]:
        open_detail(parse_qs(urlsplit(shown["detail"][rows[0]]).query)["id"][0])


def row_range(container, rows: int, name: str) -> int:
    """The first of the ROWS rows to send, picked in `container` ("rows 101–200 of 989")."""
    return container.selectbox(
        "Rows", range(0, rows, ROWS), key=f"{name}_rows",
        format_func=lambda i: f"rows {i + 1:,}–{min(i + ROWS, rows):,} of {rows:,}",
        label_visibility="collapsed", width=220)


def csv_bytes(frame: pl.DataFrame, config: dict) -> bytes:
    """A table as its CSV download: the columns shown, headed by their labels, cells as
    the table shows them, text guarded against formulas as the weekly CSV is."""
    from modelops.reports.weekly import to_csv

    labels = [config[c]["label"] for c in frame.columns]
    if len(set(labels)) == len(labels):
        frame = frame.rename(dict(zip(frame.columns, labels, strict=True)))
    return to_csv(frame)


def safe_link(url: pl.Expr) -> pl.Expr:
    """Only web links and the app's own paths become links; `javascript:` and other
    schemes from the data are dropped, never made clickable."""
    return pl.when(url.str.contains(r"^(?i:https?://|/[^/])")).then(url)


# The filter bar's state in the URL (dashboard/filter_bar.py writes these keys).
FILTER_KEYS = ("period", "start", "end", "bu", "team", "model")


def filter_params() -> dict[str, list[str]]:
    """The current view's filters as the URL carries them, for links that keep the view."""
    return {k: st.query_params.get_all(k) for k in FILTER_KEYS if k in st.query_params}


def with_detail_link(frame: pl.DataFrame, column: str = "model_id") -> pl.DataFrame:
    """Add a `detail` link to the model-detail page, carrying the model id and the current
    filters in the URL."""
    kept = urlencode([(k, v) for k, values in filter_params().items() for v in values])
    # The id percent-encoded where a query string would read it otherwise: an id holding
    # `&bu=...`, `#` or `+` stays one value of `id` (vectorised: tables run to 2,000 rows).
    model_id = pl.col(column)
    for char in "%&#+ ":
        model_id = model_id.str.replace_all(char, f"%{ord(char):02X}", literal=True)
    return frame.with_columns(
        (pl.lit("/model?id=") + model_id + pl.lit(f"&{kept}" if kept else "")).alias("detail"))


def open_detail(model_id: str) -> None:
    """Go to the model's detail page in this tab, keeping the filters."""
    st.switch_page("pages/model_detail.py", query_params={"id": model_id, **filter_params()})


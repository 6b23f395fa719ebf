"""Read-only tables, and which links from the data become clickable."""

from __future__ import annotations

import polars as pl
import streamlit as st

_COLUMN_KINDS = {
    "pct": lambda label: st.column_config.NumberColumn(label, format="percent"),
    "usd": lambda label: st.column_config.NumberColumn(label, format="dollar"),
    "ms": lambda label: st.column_config.NumberColumn(label, format="%.0f ms"),
    "min": lambda label: st.column_config.NumberColumn(label, format="%.0f min"),
    "int": lambda label: st.column_config.NumberColumn(label, format="localized"),
    "float": lambda label: st.column_config.NumberColumn(label, format="%.2f"),
    "link": lambda label: st.column_config.LinkColumn(label, display_text="open"),
    "dt": lambda label: st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm"),
}


def table(frame: pl.DataFrame, formats: dict[str, str] | None = None,
          labels: dict[str, str] | None = None, height: int | str = "auto",
          key: str | None = None) -> None:
    """A read-only table; `formats` maps a column to a kind of _COLUMN_KINDS."""
    formats, labels = formats or {}, labels or {}
    links = [c for c in frame.columns if formats.get(c) == "link"]
    if links:
        frame = frame.with_columns(safe_link(pl.col(c)).alias(c) for c in links)
    config = {
        column: _COLUMN_KINDS.get(formats.get(column), st.column_config.Column)(
            labels.get(column, column.replace("_", " ")))
        for column in frame.columns
    }
    if isinstance(height, int):  # a short table does not draw empty rows
        height = min(height, 35 * (frame.height + 1) + 3)
    # As Arrow: Streamlit sends an Arrow table as it is, while a polars frame goes through
    # pandas first (a third of a table's time).
    st.dataframe(frame.to_arrow(), column_config=config, hide_index=True, height=height,
                 key=key)


def safe_link(url: pl.Expr) -> pl.Expr:
    """Only web links and the app's own paths become links; `javascript:` and other
    schemes from the data are dropped, never made clickable."""
    return pl.when(url.str.contains(r"^(?i:https?://|/[^/])")).then(url)


def with_detail_link(frame: pl.DataFrame, column: str = "model_id") -> pl.DataFrame:
    """Add a `detail` link to the model-detail page, carrying the model id in the URL."""
    return frame.with_columns(
        (pl.lit("/model?id=") + pl.col(column)).alias("detail"))


"""KPI tiles: one metric per tile with the change against the previous equal period.

A tile names its KPI (`Tile("mttr_minutes")`); label, format, direction and help come from
dashboard/presentation.py, so the same KPI reads the same on every page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
import streamlit as st

from dashboard import formats, presentation
from dashboard.formats import missing


@dataclass(frozen=True)
class Tile:
    key: str  # the KPI: a column of the KPI row, registered in presentation.MEASURES
    context: str | None = None  # this page's counts behind the number, after the definition
    show: Callable | None = None  # only for a value shown with its base ("43/46")

    @property
    def measure(self) -> presentation.Measure:
        return presentation.MEASURES[self.key]

    @property
    def help(self) -> str:
        definition = self.measure.help
        return f"{definition} {self.context}" if self.context else definition


def delta_text(measure: presentation.Measure, value, previous) -> str | None:
    """The change against the period before, in the KPI's own kind of number: a ratio in
    percentage points, a count as a count ("+3"), other quantities in percent of the
    previous value. "no change" when it rounds to nothing; None when either is missing."""
    if missing(value) or missing(previous):
        return None
    change = value - previous
    if measure.as_points:
        text = f"{change * 100:+.2f} pp"
    elif measure.unit in ("count", "int"):
        text = ("+" if change > 0 else "-" if change < 0 else "") + formats.count(abs(change))
    elif previous:
        text = f"{change / abs(previous) * 100:+.1f}%"
    else:
        return None
    return text if any(ch in "123456789" for ch in text.split()[0]) else "no change"


def kpi_tiles(tiles: list[Tile], now: dict, before: dict, per_row: int = 6) -> None:
    """One metric per tile with the change against the previous equal period; no arrow
    and no colour when nothing changed."""
    # A row is a horizontal container, not st.columns: each tile is as wide as its label and
    # value need and the row wraps when the window is narrow, so neither is ever cut off
    # ("Cost $961.…", "Error budget co…" in equal columns of a 1440 px window, worse on a
    # phone).
    for start in range(0, len(tiles), per_row):
        row = st.container(horizontal=True)
        for tile in tiles[start:start + per_row]:
            measure = tile.measure
            delta = delta_text(measure, now.get(tile.key), before.get(tile.key))
            unchanged = delta == "no change"
            colour = ("off" if measure.direction is None or delta is None or unchanged else
                      "normal" if measure.direction == "higher" else "inverse")
            shown = tile.show(now.get(tile.key)) if tile.show else measure.show(
                now.get(tile.key))
            row.metric(measure.label, shown, delta, delta_color=colour, help=tile.help,
                       border=True, width="stretch",
                       delta_arrow="off" if unchanged else "auto")


def first_row(frame: pl.DataFrame) -> dict:
    return frame.row(0, named=True) if frame.height else {}

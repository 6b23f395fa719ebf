"""KPI tiles: one metric per tile with the change against the previous equal period."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
import streamlit as st

from dashboard.formats import count, missing


@dataclass(frozen=True)
class Tile:
    label: str
    key: str  # column of the KPI row
    fmt: Callable = count
    higher_is_better: bool | None = True  # None: change has no good direction
    as_points: bool = False  # a ratio: show the change in percentage points
    help: str | None = None


def kpi_tiles(tiles: list[Tile], now: dict, before: dict, per_row: int = 6) -> None:
    """One metric per tile with the change against the previous equal period."""
    for start in range(0, len(tiles), per_row):
        columns = st.columns(per_row)
        for column, tile in zip(columns, tiles[start:start + per_row]):
            value, previous = now.get(tile.key), before.get(tile.key)
            delta = None
            if not missing(value) and not missing(previous):
                change = value - previous
                if tile.as_points:
                    delta = f"{change * 100:+.2f} pp"
                elif previous:
                    delta = f"{change / abs(previous) * 100:+.1f}%"
            colour = ("off" if tile.higher_is_better is None or not delta
                      or float(delta.split()[0].rstrip("%")) == 0 else
                      "normal" if tile.higher_is_better else "inverse")
            column.metric(tile.label, tile.fmt(value), delta, delta_color=colour,
                          help=tile.help, border=True)


def first_row(frame: pl.DataFrame) -> dict:
    return frame.row(0, named=True) if frame.height else {}


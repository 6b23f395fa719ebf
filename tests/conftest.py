"""Shared test helpers: build the exact tiny warehouse a test needs, through ingest."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from queries.ingest import load_frame
from queries.schema import ENTITIES, LOAD_ORDER
from queries.warehouse import writing


def build_warehouse(path: Path, tables: dict[str, list[dict]]) -> Path:
    """Load `tables` (entity -> rows as dicts) through the real ingest path.

    Columns a row leaves out are absent (NULL, or the contract's default). Fails the test
    if any row is quarantined, so a fixture can never silently lose rows.
    """
    with writing(path) as con:
        for name in LOAD_ORDER:
            rows = tables.get(name)
            if not rows:
                continue
            columns = [c for c in ENTITIES[name].column_names if any(c in r for r in rows)]
            frame = pl.DataFrame(
                {c: [None if r.get(c) is None else str(r[c]) for r in rows] for c in columns},
                schema={c: pl.String for c in columns},
            )
            result = load_frame(con, name, frame, source=f"test:{name}")
            assert result.quarantined == 0, (name, result.reasons)
    return path


@pytest.fixture
def make_warehouse(tmp_path):
    """`make_warehouse({"business_units": [...], ...}) -> Path` of a fresh warehouse."""
    counter = iter(range(1_000_000))

    def make(tables: dict[str, list[dict]]) -> Path:
        return build_warehouse(tmp_path / f"wh{next(counter)}.duckdb", tables)

    return make

"""What is in the warehouse: models in scope, row counts and freshness, loads, quarantine."""

from __future__ import annotations

import polars as pl

from modelops.warehouse.schema import ENTITIES
from queries.named import run


def model_catalog(con, business_units: tuple[str, ...] = ()) -> pl.DataFrame:
    return run(con, "model_catalog", business_units=list(business_units))


def entity_status(con) -> pl.DataFrame:
    """Per entity: rows, newest data point, last load time and last load status."""
    parts = []
    for name in ENTITIES:
        column = ENTITIES[name].time_column
        newest = f"max({column})::TIMESTAMP" if column else "NULL::TIMESTAMP"
        parts.append(f"SELECT '{name}' AS entity, count(*) AS rows, {newest} AS newest_data"
                     f" FROM {name}")
    # Table names come from the schema module, not from input: nothing here is user text.
    counts = con.sql(" UNION ALL ".join(parts)).pl()
    loads = con.sql("""
        SELECT entity, max(loaded_at) AS last_loaded,
               arg_max(status, load_id) AS last_status, count(*) AS loads
        FROM load_log WHERE entity IS NOT NULL GROUP BY entity
    """).pl()
    order = pl.DataFrame({"entity": list(ENTITIES), "_order": range(len(ENTITIES))})
    return (counts.join(loads, on="entity", how="left").join(order, on="entity")
            .sort("_order").drop("_order"))


def load_history(con, limit: int = 200) -> pl.DataFrame:
    return run(con, "load_log", limit=limit)


def loads_by_source(con) -> pl.DataFrame:
    """Per source (ingest or an importer): last import, files, rows, skipped, quarantined."""
    return run(con, "loads_by_source")


def quarantined_rows(con, entity: str | None = None, limit: int = 1000) -> pl.DataFrame:
    return run(con, "quarantine_rows", entity=entity, limit=limit)

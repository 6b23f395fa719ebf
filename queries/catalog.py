"""What is in the warehouse: models in scope, row counts and freshness, loads, quarantine."""

from __future__ import annotations

from datetime import UTC, datetime

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


def sync_status(con, at: datetime) -> pl.DataFrame:
    """Per source of `modelops sync` (table sync_sources): last attempt and success, rows
    new or changed by the last run, next run, last error; `behind` when its last success
    is older than twice its interval at `at` (or it never succeeded), `failed` when its
    last run failed. Why twice: one interval late is a slow run, two is a stalled one."""
    return con.sql("""
        SELECT name AS source, kind, every_s, last_success AS last_success_at, last_error,
               last_attempt AS last_attempt_at, next_run AS next_run_at,
               last_rows AS rows_changed,
               coalesce(date_diff('second', last_success, $at::TIMESTAMP) > 2 * every_s,
                        true) AS behind,
               last_error IS NOT NULL AS failed
        FROM sync_sources
        ORDER BY name
    """, params={"at": at.astimezone(UTC).replace(tzinfo=None)}).pl()


def data_as_of(con, entities: tuple[str, ...] = ()) -> datetime | None:
    """When the newest load (not a rejected one) of `entities` (default: any) committed,
    in UTC: what a page header calls "data as of"."""
    where, params = "", []
    if entities:
        where, params = " AND list_contains(?, entity)", [list(entities)]
    value = con.execute(f"SELECT max(loaded_at) FROM load_log WHERE status <> 'rejected'"
                        f"{where}", params).fetchall()[0][0]
    return value.replace(tzinfo=UTC) if value is not None else None

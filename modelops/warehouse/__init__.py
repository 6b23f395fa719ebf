"""The warehouse: one DuckDB file, opened safely from many processes, and loaded.

This __init__ is the façade the rest of modelops imports from.

    errors.py      WarehouseError, UsageError
    connect.py     the warehouse path; connect() with a bounded retry on lock conflicts,
                   open_migrated() for a write
    intent.py      a writer's intent file, held under flock while it means to write
    reader.py      reading(): the process's one shared read-only connection, via cursors
    writer.py      writing(): a migrated write connection, announced by an intent
    migrations.py  the schema's migrations, frozen literal DDL, and migrate()
    schema.py      the entities, their columns and checks (the data contract in code)
    ingest.py      CSV/Parquet/JSON files -> validated rows, bad ones quarantined
    latency.py     latency_quantile_ms, the UDF the KPI SQL calls

Named SQL (run(), the macros refresh) is queries/named.py. This layer opens DuckDB files
only; an Iceberg catalog is opened through modelops/backends, which gives the file (its
replica). See README, "Ingest while the dashboard serves".
"""

from __future__ import annotations

import warnings
from pathlib import Path

from modelops.warehouse.connect import (
    DEFAULT_WAREHOUSE,
    LOCK_TIMEOUT_S,
    READER_MEMORY,
    warehouse_path,
)
from modelops.warehouse.errors import UsageError, WarehouseError
from modelops.warehouse.migrations import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
from modelops.warehouse.reader import READER_IDLE_S, reading
from modelops.warehouse.writer import writing
from queries.named import QUERY_DIR, run, sql_text

# DuckDB warns that Arrow from an executed statement copies the rows once; KPI results are
# small, and that path skips a second bind of the statement (see queries/named.run).
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result",
                        category=UserWarning)

__all__ = [
    "DEFAULT_WAREHOUSE", "LOCK_TIMEOUT_S", "MIGRATIONS", "QUERY_DIR", "READER_IDLE_S",
    "READER_MEMORY", "SCHEMA_VERSION", "UsageError", "WarehouseError",
    "last_change", "migrate", "reading", "run", "schema_version", "sql_text",
    "warehouse_path", "writing",
]


def last_change(path: Path | None = None) -> int:
    """A cheap token that changes whenever the warehouse is written (for cache keys)."""
    path = warehouse_path(path)
    token = 0
    for p in (path, Path(f"{path}.wal")):
        try:
            st = p.stat()
            token ^= hash((st.st_ino, st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            pass
    return token

"""The warehouse layer's façade: what the rest of modelops imports.

The code lives in this package's modules (README, "Shape"): connecting with a bounded
wait on another process's lock, writer intents, the shared reader, the migrations, the
contract (schema.py), ingest. Named SQL is queries/named.py; an Iceberg catalog is opened
through modelops/backends. See README, "Ingest while the dashboard serves".
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
from modelops.warehouse.connect import last_change as _last_change
from modelops.warehouse.errors import UsageError, WarehouseError
from modelops.warehouse.migrations import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
from modelops.warehouse.reader import READER_IDLE_S, reading
from modelops.warehouse.writer import writing
from queries.named import QUERY_DIR, query, run, sql_text

# DuckDB warns that Arrow from an executed statement copies the rows once; KPI results are
# small, and that path skips a second bind of the statement (see queries/named.run).
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result",
                        category=UserWarning)

__all__ = [
    "DEFAULT_WAREHOUSE", "LOCK_TIMEOUT_S", "MIGRATIONS", "QUERY_DIR", "READER_IDLE_S",
    "READER_MEMORY", "SCHEMA_VERSION", "UsageError", "WarehouseError",
    "last_change", "migrate", "query", "reading", "run", "schema_version", "sql_text",
    "warehouse_path", "writing",
]


def last_change(path: Path | None = None) -> int:
    """A cheap token that changes whenever the warehouse is written (for cache keys)."""
    return _last_change(warehouse_path(path))

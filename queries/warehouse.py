"""The warehouse layer's façade: what the rest of modelops imports.

The code lives in queries/db/ (see its __init__ for the layout): connecting with a bounded
wait on another process's lock, writer intents, the shared reader, the migrations, named
SQL. See README, "Ingest while the dashboard serves".
"""

from __future__ import annotations

import warnings
from pathlib import Path

from queries.db.connect import (
    DEFAULT_WAREHOUSE,
    LOCK_TIMEOUT_S,
    READER_MEMORY,
    connect,
    warehouse_path,
)
from queries.db.errors import UsageError, WarehouseError
from queries.db.migrations import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
from queries.db.reader import READER_IDLE_S, reading
from queries.db.sql import QUERY_DIR, query, run, sql_text
from queries.db.sql import last_change as _last_change
from queries.db.writer import writing

# DuckDB warns that Arrow from an executed statement copies the rows once; KPI results are
# small, and that path skips a second bind of the statement (see queries/db/sql.run).
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result",
                        category=UserWarning)

__all__ = [
    "DEFAULT_WAREHOUSE", "LOCK_TIMEOUT_S", "MIGRATIONS", "QUERY_DIR", "READER_IDLE_S",
    "READER_MEMORY", "SCHEMA_VERSION", "UsageError", "WarehouseError", "connect",
    "last_change", "migrate", "query", "reading", "run", "schema_version", "sql_text",
    "warehouse_path", "writing",
]


def last_change(path: Path | None = None) -> int:
    """A cheap token that changes whenever the warehouse is written (for cache keys)."""
    return _last_change(warehouse_path(path))

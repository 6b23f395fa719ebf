"""Where the warehouse is, and opening it with a bounded wait on another process's lock."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb

from modelops.warehouse import latency, migrations
from modelops.warehouse.errors import WarehouseError

DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")
# Read at each call (tests and callers may change it): how long either side waits for the
# other's lock before it fails with a one-line error.
LOCK_TIMEOUT_S = float(os.environ.get("MODELOPS_LOCK_TIMEOUT", "60"))
# DuckDB's buffer pool may otherwise grow to 80% of RAM; the dashboard reads aggregates.
READER_MEMORY = os.environ.get("MODELOPS_READER_MEMORY", "256MB")
# A writer's too: unbounded, it kept every block it wrote or scanned (a 10,000-model demo
# peaked at 10.2 GB). Blocks already on disk are evicted and big joins spill to
# `<file>.tmp/`, so a load of any size runs in this much plus its frame in Python.
WRITER_MEMORY = os.environ.get("MODELOPS_WRITER_MEMORY", "1GB")


def warehouse_path(explicit: str | os.PathLike | None = None) -> Path:
    """`--warehouse`, else MODELOPS_WAREHOUSE, else data/warehouse.duckdb: a DuckDB file.

    Another kind of location (an Iceberg catalog, `iceberg+...`) is opened through
    modelops.backends, which gives the file to read (its replica); here it is an error
    rather than a file named after the URI."""
    location = str(explicit) if explicit else os.environ.get("MODELOPS_WAREHOUSE")
    if location and location.startswith("iceberg+"):
        raise WarehouseError(f"{location}: an Iceberg catalog, not a DuckDB file "
                             "(open it through modelops.backends)")
    return Path(location) if location else DEFAULT_WAREHOUSE


def last_change(path: Path) -> int:
    """A cheap token that changes whenever the file is written (for cache keys)."""
    token = 0
    for p in (path, Path(f"{path}.wal")):
        try:
            st = p.stat()
            token ^= hash((st.st_ino, st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            pass
    return token


def is_lock_error(error: Exception) -> bool:
    text = str(error).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def connect(path: Path, read_only: bool, timeout_s: float | None = None,
            started: float | None = None):
    """Open the file, retrying (bounded) while another process holds a conflicting lock.

    The connection is ready for the KPI SQL (UTC, latency_quantile_ms). If preparing it
    fails, it is closed before the error leaves: a connection that only a traceback still
    references would keep the file open, and writers out, for as long as the error lives.
    """
    timeout_s = LOCK_TIMEOUT_S if timeout_s is None else timeout_s
    deadline = time.monotonic() + timeout_s
    started = time.monotonic() if started is None else started  # for the message
    delay = 0.005
    config = {"memory_limit": READER_MEMORY if read_only else WRITER_MEMORY}
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=config)
            break
        except duckdb.Error as error:
            if not is_lock_error(error):
                raise WarehouseError(f"{path}: cannot open the warehouse: {error}") from None
            if time.monotonic() + delay > deadline:
                raise WarehouseError(
                    f"{path}: still locked by another process after"
                    f" {time.monotonic() - started:.0f} s"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
    try:
        con.execute("SET TimeZone = 'UTC'")
        latency.register(con)
    except BaseException:
        con.close()
        raise
    return con


def open_migrated(path: Path):
    """A write connection with the schema migrated to the current version (the macros are
    not stored: queries/named.py expands them into each statement). The caller has announced its intent (intent.py) and closes it: writer.py for a
    load, reader.py for the short write that brings an older file up to date."""
    con = connect(path, read_only=False)
    try:
        migrations.migrate(con)
    except BaseException:
        con.close()
        raise
    return con

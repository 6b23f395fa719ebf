"""Open the warehouse, keep its schema current, and run named SQL files.

One DuckDB file holds the warehouse. DuckDB lets one process write a file, or many read it,
never both at once. So nothing here keeps a connection open: readers open a short read-only
connection per batch of queries, the writer (ingest, demo) opens one for a load, and either
side retries with a bounded back-off while the other holds the lock. See README, "Ingest
while the dashboard serves".
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from queries.schema import ENTITIES, LATENCY_BUCKETS, SQL_TYPES

QUERY_DIR = Path(__file__).parent
DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")
LOCK_TIMEOUT_S = float(os.environ.get("MODELOPS_LOCK_TIMEOUT", "60"))


class WarehouseError(Exception):
    """A problem with the warehouse file that the user must act on."""


class UsageError(Exception):
    """A bad argument the user must fix (a week, an id); the CLI prints it as one line."""


def warehouse_path(explicit: str | os.PathLike | None = None) -> Path:
    """`--warehouse`, else MODELOPS_WAREHOUSE, else data/warehouse.duckdb."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("MODELOPS_WAREHOUSE")
    return Path(env) if env else DEFAULT_WAREHOUSE


def _is_lock_error(error: Exception) -> bool:
    text = str(error).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def connect(path: Path, read_only: bool, timeout_s: float = LOCK_TIMEOUT_S):
    """Open the file, waiting (bounded) while another process holds a conflicting lock.

    A writer first announces itself with an intent file beside the warehouse; readers that
    see a live writer's intent wait for it before opening, so a busy dashboard cannot
    starve `modelops ingest` by always holding a read lock when the writer retries.
    """
    deadline = time.monotonic() + timeout_s
    if read_only:
        _wait_for_writers(path, deadline)
    delay = 0.005
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.Error as error:
            if not _is_lock_error(error):
                raise
            if time.monotonic() + delay > deadline:
                raise WarehouseError(
                    f"{path}: still locked by another process after {timeout_s:.0f} s"
                ) from error
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
    con.execute("SET TimeZone = 'UTC'")
    return con


def _intent_file(path: Path) -> Path:
    return path.with_name(f"{path.name}.writer-{os.getpid()}")


def _wait_for_writers(path: Path, deadline: float) -> None:
    """Sleep while a live process has announced that it is about to write."""
    while time.monotonic() < deadline:
        waiting = False
        for intent in path.parent.glob(f"{path.name}.writer-*"):
            pid = intent.name.rsplit("-", 1)[-1]
            if pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid():
                waiting = True
            elif pid.isdigit() and not _alive(int(pid)):
                intent.unlink(missing_ok=True)  # left by a killed writer
        if not waiting:
            return
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def writing(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write connection with the schema migrated to the current version.

    Hold it for one load, not longer: while it is open, readers in other processes wait.
    """
    path = warehouse_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    intent = _intent_file(path)
    intent.touch()
    try:
        con = connect(path, read_only=False)
        try:
            migrate(con)
            _install_macros(con)
            yield con
        finally:
            con.close()
    finally:
        intent.unlink(missing_ok=True)


@contextmanager
def reading(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short read-only connection; closed on exit so writers are not starved."""
    path = warehouse_path(path)
    if not path.exists():
        raise WarehouseError(
            f"{path}: no warehouse here (run `modelops demo` or `modelops ingest`)")
    con = connect(path, read_only=True)
    try:
        version = schema_version(con)
        if version != SCHEMA_VERSION:
            con.close()
            # An older file is migrated by a short write, then read as usual.
            with writing(path):
                pass
            con = connect(path, read_only=True)
        _install_macros(con)
        yield con
    finally:
        con.close()


# --- schema -----------------------------------------------------------------------------

def _entity_ddl(name: str) -> str:
    entity = ENTITIES[name]
    cols = []
    for c in entity.columns:
        not_null = " NOT NULL" if (c.key or c.required) else ""
        cols.append(f"    {c.name} {SQL_TYPES[c.type]}{not_null}")
    return f"CREATE TABLE IF NOT EXISTS {name} (\n" + ",\n".join(cols) + "\n)"


def _v1() -> list[str]:
    buckets = ",\n".join(f"    {b} BIGINT NOT NULL" for b in LATENCY_BUCKETS)
    return [*(_entity_ddl(name) for name in ENTITIES), f"""
CREATE TABLE IF NOT EXISTS metrics_daily (
    model_id VARCHAR NOT NULL,
    day DATE NOT NULL,
    requests BIGINT NOT NULL,
    errors BIGINT NOT NULL,
{buckets}
)""", """
CREATE TABLE IF NOT EXISTS load_log (
    load_id BIGINT NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    file VARCHAR NOT NULL,
    sha256 VARCHAR,
    entity VARCHAR,
    status VARCHAR NOT NULL,      -- loaded | partial | rejected
    rows_read BIGINT NOT NULL,
    inserted BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    quarantined BIGINT NOT NULL,
    message VARCHAR
)""", """
CREATE TABLE IF NOT EXISTS quarantine (
    load_id BIGINT NOT NULL,
    quarantined_at TIMESTAMP NOT NULL,
    file VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    line BIGINT,
    row_as_read VARCHAR,
    reason VARCHAR NOT NULL
)"""]


# Each migration brings the schema from the previous version to its own. Append new ones
# (ALTER TABLE ... ADD COLUMN IF NOT EXISTS for a new optional contract column); never edit
# or drop an applied one: a warehouse's data is never dropped or rebuilt.
MIGRATIONS: list[tuple[int, callable]] = [
    (1, _v1),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def schema_version(con) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    rows = con.execute("SELECT max(version) FROM schema_version").fetchall()
    return rows[0][0] or 0


def migrate(con, migrations=None) -> int:
    """Apply every migration newer than the file's version, each in its own transaction."""
    migrations = MIGRATIONS if migrations is None else migrations
    current = schema_version(con)
    newest = migrations[-1][0]
    if current > newest:
        raise WarehouseError(
            f"the warehouse has schema version {current}, newer than this modelops ({newest});"
            " upgrade modelops"
        )
    for version, statements in migrations:
        if version <= current:
            continue
        con.execute("BEGIN")
        try:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version"
                " (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)"
            )
            for statement in statements():
                con.execute(statement)
            con.execute(
                "INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)", [version]
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return newest


# --- named queries ----------------------------------------------------------------------

@cache
def sql_text(name: str) -> str:
    path = QUERY_DIR / f"{name}.sql"
    if not path.exists():
        raise KeyError(f"no query named {name!r} ({path})")
    return path.read_text()


@cache
def _parameters(name: str) -> frozenset[str]:
    return frozenset(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", _strip_comments(sql_text(name))))


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def _install_macros(con) -> None:
    """SQL helpers (histogram_quantile, scoped_models, ...) as temporary macros.

    They are defined per connection from queries/macros.sql, so the KPI math always comes
    from the code that reads, never from whichever version last wrote the file.
    """
    con.execute(sql_text("macros"))


def run(con, name: str, **params) -> pl.DataFrame:
    """Run queries/<name>.sql with its `$name` parameters bound; extra params are ignored."""
    wanted = _parameters(name)
    missing = wanted - params.keys()
    if missing:
        raise TypeError(f"query {name!r} needs parameters: {', '.join(sorted(missing))}")
    bound = {k: v for k, v in params.items() if k in wanted}
    return con.sql(sql_text(name), params=bound).pl()


def query(name: str, path: Path | None = None, **params) -> pl.DataFrame:
    """Open a short read-only connection, run one named query, close."""
    with reading(path) as con:
        return run(con, name, **params)


def last_change(path: Path | None = None) -> int:
    """A cheap token that changes whenever the warehouse is written (for cache keys)."""
    path = warehouse_path(path)
    token = 0
    for p in (path, Path(f"{path}.wal")):
        try:
            st = p.stat()
            token ^= hash((st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            pass
    return token

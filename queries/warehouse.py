"""Open the warehouse, keep its schema current, and run named SQL files.

One DuckDB file holds the warehouse. DuckDB lets one process write a file, or many read it,
never both at once. So readers share one read-only connection per process that is let go
as soon as a writer announces itself or after a second idle (`_SharedReader`); the writer
(ingest, demo) opens one for a load; either side retries with a bounded back-off while the
other holds the lock. See README, "Ingest while the dashboard serves".
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from queries import latency
from queries.schema import ENTITIES, LATENCY_BUCKETS, SQL_TYPES

# DuckDB warns that Arrow from an executed statement copies the rows once; KPI results are
# small, and that path skips a second bind of the statement (see run()).
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result",
                        category=UserWarning)

QUERY_DIR = Path(__file__).parent
DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")
LOCK_TIMEOUT_S = float(os.environ.get("MODELOPS_LOCK_TIMEOUT", "60"))
# DuckDB's buffer pool may otherwise grow to 80% of RAM; the dashboard reads aggregates.
READER_MEMORY = os.environ.get("MODELOPS_READER_MEMORY", "256MB")


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
            config = {"memory_limit": READER_MEMORY} if read_only else {}
            con = duckdb.connect(str(path), read_only=read_only, config=config)
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
    latency.register(con)
    return con


def _intent_file(path: Path) -> Path:
    return path.with_name(f"{path.name}.writer-{os.getpid()}")


def _wait_for_writers(path: Path, deadline: float) -> None:
    """Sleep while a live process has announced that it is about to write."""
    while _writer_waiting(path) and time.monotonic() < deadline:
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
        _release_reader(path)  # this process's own shared reader, if any
        con = connect(path, read_only=False)
        try:
            migrate(con)
            _refresh_macros(con)
            yield con
        finally:
            con.close()
    finally:
        intent.unlink(missing_ok=True)


@contextmanager
def reading(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor on the process's shared connection to the warehouse."""
    path = warehouse_path(path)
    if not path.exists():
        raise WarehouseError(
            f"{path}: no warehouse here (run `modelops demo` or `modelops ingest`)")
    with _reader(path).cursor() as cur:
        yield cur


READER_IDLE_S = float(os.environ.get("MODELOPS_READER_IDLE", "1.0"))


class _SharedReader:
    """One read-only connection per warehouse per process, shared through cursors.

    Opening the file costs ~15 ms and starts with a cold buffer pool, so a page that opens
    one per query pays that many times. This connection stays open while queries come in,
    and is closed after READER_IDLE_S without a query, or as soon as no query is running
    once a writer has announced itself (its intent file): so `modelops ingest` waits at
    most for the queries in flight, or the idle time. While a writer waits, new reads do
    not use the shared connection: they open their own, which waits for the writer.
    """

    def __init__(self, path: Path):
        self.path = path
        # Reentrant: opening an outdated file migrates it through writing(), which asks
        # this same reader to let go of the file.
        self.lock = threading.RLock()
        self.con = None
        self.identity = None  # (inode, mtime) of the file the connection has open
        self.users = 0
        self.last_used = 0.0
        self.timer: threading.Timer | None = None

    @contextmanager
    def cursor(self):
        con = self._checkout()
        if con is None:  # a writer is waiting: read on a private connection after it
            private = _open_reader(self.path)
            try:
                yield private
            finally:
                private.close()
            return
        cur = con.cursor()
        try:
            cur.execute("SET TimeZone = 'UTC'")
            yield cur
        finally:
            cur.close()
            self._checkin()

    def _checkout(self):
        with self.lock:
            if _writer_waiting(self.path):
                if self.users == 0:
                    self._close()
                return None
            if self.con is not None and self.users == 0 and _identity(self.path) != self.identity:
                self._close()  # the file was replaced (a demo rebuilt by rename)
            if self.con is None:
                self.con = _open_reader(self.path)
                self.identity = _identity(self.path)
            self.users += 1
            return self.con

    def _checkin(self) -> None:
        with self.lock:
            self.users -= 1
            self.last_used = time.monotonic()
            if self.users == 0:
                if _writer_waiting(self.path):
                    self._close()
                elif self.timer is None:
                    self.timer = threading.Timer(READER_IDLE_S, self._close_if_idle)
                    self.timer.daemon = True
                    self.timer.start()

    def _close_if_idle(self) -> None:
        with self.lock:
            self.timer = None
            if self.users or self.con is None:
                return
            idle = time.monotonic() - self.last_used
            if idle >= READER_IDLE_S or _writer_waiting(self.path):
                self._close()
            else:
                self.timer = threading.Timer(READER_IDLE_S - idle, self._close_if_idle)
                self.timer.daemon = True
                self.timer.start()

    def close_when_free(self, timeout_s: float = LOCK_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            with self.lock:
                if self.users == 0:
                    self._close()
                    return
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)

    def _close(self) -> None:  # with self.lock held
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.con is not None:
            self.con.close()
            self.con = None


def _identity(path: Path):
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


@atexit.register
def _close_readers() -> None:
    with _readers_lock:
        readers = list(_readers.values())
    for reader in readers:
        with reader.lock:
            reader._close()


_readers: dict[Path, _SharedReader] = {}
_readers_lock = threading.Lock()


def _reader(path: Path) -> _SharedReader:
    key = path.resolve()
    with _readers_lock:
        if key not in _readers:
            _readers[key] = _SharedReader(key)
        return _readers[key]


def _release_reader(path: Path) -> None:
    """Before this process writes, close its own shared reader (DuckDB allows one or the
    other per file, even within a process)."""
    with _readers_lock:
        reader = _readers.get(path.resolve())
    if reader is not None:
        reader.close_when_free()


def _writer_waiting(path: Path) -> bool:
    """Has another live process announced that it is about to write? (Intent files left by
    a killed writer are removed.)"""
    waiting = False
    for intent in path.parent.glob(f"{path.name}.writer-*"):
        pid = intent.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        if _alive(int(pid)):
            waiting = True
        else:
            intent.unlink(missing_ok=True)
    return waiting


def _open_reader(path: Path):
    """A read-only connection to a file whose schema and macros are current."""
    con = connect(path, read_only=True)
    if schema_version(con) != SCHEMA_VERSION or _macros_sha(con) != _macros_wanted():
        con.close()
        # An older file is migrated (and its macros refreshed) by a short write.
        with writing(path):
            pass
        con = connect(path, read_only=True)
    return con


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


def _v2() -> list[str]:
    """Issue 12: the load log says which importer (or plain ingest) wrote each load and how
    many source records it skipped as not about a model. Frozen literal DDL."""
    return [
        "ALTER TABLE load_log ADD COLUMN IF NOT EXISTS source VARCHAR DEFAULT 'ingest'",
        "ALTER TABLE load_log ADD COLUMN IF NOT EXISTS skipped BIGINT DEFAULT 0",
    ]


def _v3() -> list[str]:
    """Issue 14, the weekly operations review: postmortem follow-ups, on-call pages, rework
    deployments, runbook reviews and team time zones. Frozen literal DDL."""
    return [
        """CREATE TABLE IF NOT EXISTS action_items (
    action_item_id VARCHAR NOT NULL,
    incident_id VARCHAR,
    model_id VARCHAR,
    team_id VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    owner VARCHAR NOT NULL,
    priority BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP,
    closed_at TIMESTAMP
)""",
        """CREATE TABLE IF NOT EXISTS oncall_pages (
    page_id VARCHAR NOT NULL,
    incident_id VARCHAR NOT NULL,
    team_id VARCHAR NOT NULL,
    responder VARCHAR NOT NULL,
    paged_at TIMESTAMP NOT NULL,
    acknowledged_at TIMESTAMP
)""",
        "ALTER TABLE deployments ADD COLUMN IF NOT EXISTS remediates_incident_id VARCHAR",
        "ALTER TABLE models ADD COLUMN IF NOT EXISTS runbook_reviewed_at TIMESTAMP",
        "ALTER TABLE teams ADD COLUMN IF NOT EXISTS time_zone VARCHAR DEFAULT 'UTC'",
    ]


# Each migration brings the schema from the previous version to its own. Append new ones
# (ALTER TABLE ... ADD COLUMN IF NOT EXISTS for a new optional contract column); never edit
# or drop an applied one: a warehouse's data is never dropped or rebuilt.
MIGRATIONS: list[tuple[int, callable]] = [
    (1, _v1),
    (2, _v2),
    (3, _v3),
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


def _macros_wanted() -> str:
    return hashlib.sha256(sql_text("macros").encode()).hexdigest()


def _macros_sha(con) -> str | None:
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'macro_version'"
    ).fetchall()
    if not rows[0][0]:
        return None
    rows = con.execute("SELECT sha256 FROM macro_version").fetchall()
    return rows[0][0] if rows else None


def _refresh_macros(con) -> None:
    """Store the SQL helpers (histogram_quantile, scoped_models, ...) as macros in the file
    whenever queries/macros.sql differs from what the file holds, so the KPI math always
    comes from the code that runs, and every reader's cursor sees the macros for free."""
    wanted = _macros_wanted()
    if _macros_sha(con) == wanted:
        return
    con.execute("BEGIN")
    try:
        con.execute(sql_text("macros"))
        con.execute("CREATE OR REPLACE TABLE macro_version (sha256 VARCHAR NOT NULL)")
        con.execute("INSERT INTO macro_version VALUES (?)", [wanted])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def run(con, name: str, **params) -> pl.DataFrame:
    """Run queries/<name>.sql with its `$name` parameters bound; extra params are ignored."""
    wanted = _parameters(name)
    missing = wanted - params.keys()
    if missing:
        raise TypeError(f"query {name!r} needs parameters: {', '.join(sorted(missing))}")
    bound = {k: v for k, v in params.items() if k in wanted}
    # execute + Arrow, not con.sql(...).pl(): the relation API binds the statement once
    # more before running it, which costs a few ms per KPI query.
    return pl.from_arrow(con.execute(sql_text(name), bound).to_arrow_table())


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

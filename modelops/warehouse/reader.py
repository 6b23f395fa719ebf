"""The dashboard's reads: one read-only connection per warehouse per process, shared.

Opening the file costs ~15 ms and starts with a cold buffer pool, so a page that opened
one per query would pay that many times. The shared connection stays open while queries
come in and is closed READER_IDLE_S after the last one, or as soon as no query is running
once a writer has announced itself (intent.py): a writer waits at most for the queries in
flight, plus one poll (POLL_S) when the dashboard is idle.

This process never has a second connection to a file it has open: DuckDB hands a second
`connect` to the same file the same database instance, which is not a separate reader,
does not wait for anyone, and keeps the file open after the first is closed. So while a
writer waits, or while the file has been replaced (a demo rebuilt by rename), new reads
wait for the queries in flight to finish and the connection to close, then for the writer
(at most LOCK_TIMEOUT_S), and open it afresh.

Every connection opened here is closed on every path: a failed preparation closes it
before the error leaves (connect.py, _open), and errors never carry the only reference to
an open connection.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from modelops.warehouse import connect as _connect
from modelops.warehouse import intent, migrations
from modelops.warehouse.errors import WarehouseError

READER_IDLE_S = float(os.environ.get("MODELOPS_READER_IDLE", "1.0"))
# While the connection is open and idle, how often it looks for a waiting writer.
POLL_S = 0.1


@contextmanager
def reading(path: Path | None = None) -> Iterator:
    """A read-only cursor on the process's shared connection to the warehouse."""
    path = _connect.warehouse_path(path)
    if not path.exists():
        raise WarehouseError(
            f"{path}: no warehouse here (run `modelops demo` or `modelops ingest`)")
    with shared(path).cursor() as cur:
        yield cur


def _identity(path: Path):
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size


class SharedReader:
    def __init__(self, path: Path):
        self.path = path
        # Reentrant, so that code run under the lock may take it again.
        self.cond = threading.Condition(threading.RLock())
        self.con = None
        self.identity = None  # of the file the connection has open
        self.users = 0
        self.last_used = 0.0
        self.timer: threading.Timer | None = None

    @contextmanager
    def cursor(self):
        con = self._checkout()
        try:
            cur = con.cursor()
        except BaseException:
            self._checkin()
            raise
        try:
            cur.execute("SET TimeZone = 'UTC'")
            yield cur
        finally:
            cur.close()
            self._checkin()

    def _stale(self) -> bool:
        """Must the open connection go? A writer waits, or the file was replaced."""
        return intent.writer_waiting(self.path) or _identity(self.path) != self.identity

    def _checkout(self):
        started = time.monotonic()
        deadline = started + _connect.LOCK_TIMEOUT_S
        with self.cond:
            while True:
                if self.con is not None:
                    if not self._stale():
                        self.users += 1
                        return self.con
                    if self.users == 0:
                        self._close()
                    else:  # let the queries in flight finish; take no new ones
                        self.cond.wait(POLL_S)
                        continue
                if intent.writer_waiting(self.path) and time.monotonic() < deadline:
                    self.cond.wait(0.02)  # the writer goes first
                    continue
                remaining = max(deadline - time.monotonic(), 0.05)
                self.con = self._open(remaining, started)
                self.users += 1
                self._arm()
                return self.con

    def _open(self, timeout_s: float, started: float):
        """A read-only connection to a file whose schema is current (the macros are not in
        the file: queries/named.py expands them into each statement)."""
        con = _connect.connect(self.path, read_only=True, timeout_s=timeout_s,
                               started=started)
        try:
            version = migrations.schema_version(con)
            migrations.refuse_newer(con, version, migrations.latest())
            current = version == migrations.latest()
        except BaseException:
            con.close()
            raise
        if not current:
            con.close()
            with intent.announce(self.path):  # an older file is migrated by a short write
                _connect.open_migrated(self.path).close()
            con = _connect.connect(self.path, read_only=True, timeout_s=timeout_s,
                               started=started)
        self.identity = _identity(self.path)
        return con

    def _checkin(self) -> None:
        with self.cond:
            self.users -= 1
            self.last_used = time.monotonic()
            if self.users == 0:
                if self.con is not None and self._stale():
                    self._close()
                else:
                    self._arm()
            self.cond.notify_all()

    def _arm(self) -> None:  # with the lock held
        if self.timer is None and self.con is not None:
            self.timer = threading.Timer(POLL_S, self._tick)
            self.timer.daemon = True
            self.timer.start()

    def _tick(self) -> None:
        with self.cond:
            self.timer = None
            if self.con is None or self.users:
                return  # closed already, or the last checkin re-arms
            idle = time.monotonic() - self.last_used
            if idle >= READER_IDLE_S or self._stale():
                self._close()
                self.cond.notify_all()
            else:
                self._arm()

    def close_when_free(self, timeout_s: float | None = None) -> None:
        """Close once no query is running (this process is about to write the file)."""
        timeout_s = _connect.LOCK_TIMEOUT_S if timeout_s is None else timeout_s
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while self.users and time.monotonic() < deadline:
                self.cond.wait(0.05)
            if not self.users:
                self._close()

    def _close(self) -> None:  # with the lock held
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        con, self.con = self.con, None
        if con is not None:
            con.close()


_readers: dict[Path, SharedReader] = {}
_readers_lock = threading.Lock()


def shared(path: Path) -> SharedReader:
    key = path.resolve()
    with _readers_lock:
        if key not in _readers:
            _forget_gone()
            _readers[key] = SharedReader(key)
        return _readers[key]


def _forget_gone() -> None:  # with _readers_lock held
    """Drop the readers of files that are gone and idle: each Iceberg snapshot is read
    from its own replica file (queries/iceberg.py), and the cache removes old ones, so a
    long-running dashboard would otherwise keep one entry per snapshot it ever read."""
    for key, reader in list(_readers.items()):
        if key.exists():
            continue
        # Never wait for a reader's lock while holding _readers_lock (a reader opening a file
        # may be asking for _readers_lock): a busy one is dropped on a later pass.
        if not reader.cond.acquire(blocking=False):
            continue
        try:
            if reader.users:
                continue  # a query still runs on it
            reader._close()
        finally:
            reader.cond.release()
        del _readers[key]


def release(path: Path) -> None:
    """Before this process writes, close its own shared reader (DuckDB allows one or the
    other per file, even within a process)."""
    with _readers_lock:
        reader = _readers.get(path.resolve())
    if reader is not None:
        reader.close_when_free()


@atexit.register
def close_all() -> None:
    with _readers_lock:
        readers = list(_readers.values())
    for reader in readers:
        with reader.cond:
            reader._close()

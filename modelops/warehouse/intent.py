"""A writer's intent to write, which readers can prove live.

Before a writer asks DuckDB for the write lock it leaves an intent file beside the
warehouse (`warehouse.duckdb.writer-<pid>-<token>`) and holds an exclusive flock on it
until it is done. Readers that see a live intent stop taking the file, so a busy
dashboard cannot starve `modelops ingest`.

An intent is live only if its lock is held: a reader that can take the lock itself knows
no writer holds it, whatever the file is called. A file left by a killed writer, one whose
pid now belongs to an unrelated process, or any other name matching the pattern is stale
and harmless; readers remove it when they can and ignore it when they cannot (a read-only
mount). The file is locked before it gets its visible name (create, lock, rename), so no
reader ever sees a writer's intent unlocked.
"""

from __future__ import annotations

import fcntl
import glob
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from modelops.warehouse.errors import WarehouseError


def pattern(path: Path) -> str:
    return f"{glob.escape(path.name)}.writer-*"


@contextmanager
def announce(path: Path) -> Iterator[Path]:
    """Hold an intent to write `path` for the duration of the block."""
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    hidden = path.with_name(f".{path.name}.intent-{token}")
    visible = path.with_name(f"{path.name}.writer-{token}")
    try:
        fd = os.open(hidden, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except OSError as error:
        raise WarehouseError(
            f"{path}: cannot announce a write beside it ({error.strerror})") from None
    try:
        try:
            os.fchmod(fd, 0o644)  # readable by a dashboard run as another user
        except OSError:
            pass
        fcntl.flock(fd, fcntl.LOCK_EX)  # nobody else knows this file yet: immediate
        os.rename(hidden, visible)
    except BaseException:
        os.close(fd)
        _remove(hidden)
        raise
    try:
        yield visible
    finally:
        _remove(visible)  # before the lock goes, so the file is never seen unlocked
        os.close(fd)


def writer_waiting(path: Path) -> bool:
    """Does a live writer (another process, or another thread of this one) intend to write
    `path`? Stale intent files are removed where possible."""
    try:
        candidates = list(path.parent.glob(pattern(path)))
    except OSError:
        return False
    waiting = False
    for intent in candidates:
        if held(intent):
            waiting = True
        else:
            _remove(intent)
    return waiting


def held(intent: Path) -> bool:
    """Is this intent file's lock held by a writer right now?"""
    try:
        fd = os.open(intent, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return False  # gone, or not a file we could have written: not a live intent
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # also drops the shared lock, if we got it
    return False


def _remove(intent: Path) -> None:
    """Clean-up never breaks a read: a read-only mount or a vanished file is fine."""
    try:
        os.unlink(intent)
    except OSError:
        pass

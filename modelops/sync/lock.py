"""One sync of a source at a time, whoever starts it (cron twice, cron beside --loop).

An exclusive `flock` on `<warehouse>.sync-<source>.lock`: the kernel lets go of it when the
process ends however it ends (kill -9 included), so a stale lock file never blocks a source.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Busy(Exception):
    """Another process is syncing this source; the message is the one line to print."""


def lock_path(warehouse: Path, name: str) -> Path:
    return Path(f"{warehouse}.sync-{name}.lock")


@contextmanager
def source_lock(warehouse: Path, name: str, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the source's lock, waiting up to `wait_s` seconds for another sync to finish;
    Busy if it does not."""
    path = lock_path(warehouse, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                    raise Busy(f"{name}: another `modelops sync` (pid {holder}) is syncing "
                               "this source; skipped") from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor lets go of the lock

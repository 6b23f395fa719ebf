"""The write connection: announced, migrated, held for one load."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from modelops.warehouse import intent, reader
from modelops.warehouse.connect import open_migrated, warehouse_path


@contextmanager
def writing(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write connection with the schema migrated to the current version.

    Hold it for one load, not longer: while it is open, readers in other processes wait.
    The intent is announced before the lock is asked for and withdrawn after it is let go.
    """
    path = warehouse_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with intent.announce(path):
        reader.release(path)  # this process's own shared reader, if any
        con = open_migrated(path)
        try:
            yield con
        finally:
            con.close()

"""Where the warehouse is kept, picked from its location (`--warehouse`, else
MODELOPS_WAREHOUSE, else data/warehouse.duckdb):

    file.py     a DuckDB file, the default
    iceberg.py  Iceberg tables in a catalog (`iceberg+<URI>?warehouse=DIR`), read through a
                local DuckDB replica of the newest committed snapshot

Both offer the same small interface (Backend): the DuckDB file readers open now, a write
that runs `work(path)` on a DuckDB file and makes it the warehouse, and `modelops ingest`.
Only this module knows both: neither backend imports the other, and the file layer
(modelops/warehouse) imports neither, so the CLI, the reports and the dashboard open the
warehouse here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol, TypeVar

from modelops.backends.file import FileBackend
from modelops.backends.iceberg import is_iceberg, open_warehouse
from modelops.warehouse.connect import DEFAULT_WAREHOUSE
from modelops.warehouse.ingest import LoadResult

T = TypeVar("T")


class Backend(Protocol):
    location: str

    def read_path(self) -> Path:
        """The local DuckDB file that holds the warehouse as readers should see it now."""

    def write(self, work: Callable[[Path], T], what: str = "write") -> T:
        """Run `work(path)` on a DuckDB file and make what it wrote the warehouse."""

    def ingest(self, paths: list[Path], entity: str | None = None) -> Iterator[LoadResult]:
        """`modelops ingest`: each file's LoadResult, in load order."""


def warehouse_location(explicit: str | os.PathLike | None = None) -> str:
    """The configured warehouse as given: a file path or an `iceberg+...` catalog."""
    location = str(explicit) if explicit else os.environ.get("MODELOPS_WAREHOUSE")
    return location or str(DEFAULT_WAREHOUSE)


def open_backend(explicit: str | os.PathLike | None = None) -> Backend:
    """The backend of a location (`iceberg+...`: Iceberg; anything else: a DuckDB file)."""
    location = warehouse_location(explicit)
    if is_iceberg(location):
        return open_warehouse(location)
    return FileBackend(Path(location))


def read_path(explicit: str | os.PathLike | None = None) -> Path:
    """The DuckDB file to read for a location: the file itself, or an Iceberg catalog's
    replica of its newest commit."""
    return open_backend(explicit).read_path()

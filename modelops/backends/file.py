"""The warehouse as one DuckDB file (the default backend): readers open the file itself, and
a write runs on it in place; the file layer (modelops/warehouse) does the locking."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from modelops.warehouse import ingest

T = TypeVar("T")


class FileBackend:
    """A DuckDB warehouse file at `path`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.location = str(self.path)

    def read_path(self) -> Path:
        return self.path

    def write(self, work: Callable[[Path], T], what: str = "write") -> T:
        """`work(path)` on the file itself: each of its writes is its own transaction."""
        return work(self.path)

    def ingest(self, paths: list[Path], entity: str | None = None
               ) -> Iterator[ingest.LoadResult]:
        """`modelops ingest`: each file in its own transaction (ingest.ingest_files)."""
        return ingest.ingest_files(self.path, paths, entity=entity)

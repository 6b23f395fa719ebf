"""Where a sync writes: the warehouse's backend (modelops/backends), a DuckDB file or an
Iceberg catalog.

With a file, a run loads file by file into it (one transaction per file, README "Ingest
while the dashboard serves"). With an Iceberg catalog (`iceberg+...`), the backend's
`write` runs a source's whole run on a private copy of the newest snapshot and commits it
as one commit, loads and cursor together: dashboards on other machines see the whole run
or none of it, and a run that loses a race with another writer is done again on the newer
snapshot (the upsert makes that harmless). The per-source lock is then local to this
machine: run one sync per catalog.
"""

from __future__ import annotations

from pathlib import Path

from modelops.backends import open_backend
from modelops.backends.file import FileBackend
from modelops.config import Source
from modelops.sync.runner import Outcome, sync_source
from modelops.sync.state import SourceState, read_states
from modelops.warehouse import reading, writing


class Target:
    def __init__(self, location: str | Path):
        self.backend = open_backend(str(location))
        self.location = self.backend.location
        self.is_file = isinstance(self.backend, FileBackend)

    def __str__(self) -> str:
        return self.location

    @property
    def lock_base(self) -> Path:
        """The path the per-source lock files are named after."""
        if self.is_file:
            return self.backend.path
        return self.backend.cache_dir / "sync"

    def states(self) -> dict[str, SourceState]:
        if self.is_file:
            with writing(self.backend.path) as con:  # creates a new warehouse, as a sync would
                return read_states(con)
        with reading(self.backend.read_path()) as con:
            return read_states(con)

    def run(self, source: Source, **kwargs) -> Outcome:
        """One run of `source` (keyword arguments as sync_source's)."""
        if not self.is_file:
            kwargs.pop("write_lock", None)  # each run writes its own private copy
        return self.backend.write(lambda path: sync_source(path, source, **kwargs),
                                  what=f"sync {source.name}")

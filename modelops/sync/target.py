"""Where a sync writes: a DuckDB warehouse file, or an Iceberg catalog.

With a file, a run loads file by file into it (one transaction per file, README "Ingest
while the dashboard serves"). With an Iceberg catalog (`iceberg+...`), a run of a source
is done on a private copy of the newest snapshot and committed as one commit, loads and
cursor together (queries/iceberg.py `write_through`): dashboards on other machines see
the whole run or none of it, and a run that loses a race with another writer is done
again on the newer snapshot (the upsert makes that harmless). The per-source lock is then
local to this machine: run one sync per catalog.
"""

from __future__ import annotations

from pathlib import Path

from modelops.config import Source
from modelops.sync.runner import Outcome, sync_source
from modelops.sync.state import SourceState, read_states
from queries import iceberg
from queries.warehouse import reading, writing


class Target:
    def __init__(self, location: str | Path):
        self.location = str(location)
        self.is_iceberg = iceberg.is_iceberg(self.location)

    def __str__(self) -> str:
        return self.location

    @property
    def lock_base(self) -> Path:
        """The path the per-source lock files are named after."""
        if self.is_iceberg:
            return iceberg.open_warehouse(self.location).cache_dir / "sync"
        return Path(self.location)

    def states(self) -> dict[str, SourceState]:
        if self.is_iceberg:
            with reading(iceberg.replica_path(self.location)) as con:
                return read_states(con)
        with writing(Path(self.location)) as con:  # creates a new warehouse, as a sync would
            return read_states(con)

    def run(self, source: Source, **kwargs) -> Outcome:
        """One run of `source` (keyword arguments as sync_source's)."""
        if self.is_iceberg:
            kwargs.pop("write_lock", None)  # each run writes its own private copy
            return iceberg.write_through(
                self.location, lambda work: sync_source(work, source, **kwargs),
                what=f"sync {source.name}")
        return sync_source(Path(self.location), source, **kwargs)

"""For the importer end-to-end tests: a warehouse loaded from data/samples, and table reads."""

from __future__ import annotations

from pathlib import Path

import duckdb

from queries.ingest import ingest_files

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
FIXTURES = Path(__file__).parent / "fixtures" / "importers"
MAP = FIXTURES / "map-part2.csv"


def samples_warehouse(path: Path) -> Path:
    """`data/samples` loaded through `modelops ingest`'s path; every file must load whole."""
    results = list(ingest_files(path, sorted(SAMPLES.iterdir())))
    assert [r.status for r in results] == ["loaded"] * len(results), [
        r.summary() for r in results]
    return path


def rows(path: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def quarantine(path: Path, entity: str) -> list[tuple]:
    """(file name, line, reason) of the entity's quarantined rows, in file and line order."""
    return [(Path(f).name, line, reason) for f, line, reason in rows(
        path, "SELECT file, line, reason FROM quarantine WHERE entity = ? ORDER BY file, line",
        [entity])]

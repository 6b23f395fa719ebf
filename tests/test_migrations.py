"""Schema migrations: frozen, applied in order, each whole or not at all (issue 10.1)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from warehouse_helpers import SERVING

from modelops.warehouse import SCHEMA_VERSION, WarehouseError, migrations, reader, reading, writing
from modelops.warehouse.schema import ENTITIES, SQL_TYPES
from queries import kpi
from queries.filters import Filter

FROZEN_V1 = json.loads((Path(__file__).parent / "data" / "schema_v1.json").read_text())


def _columns(con) -> dict[str, list[list]]:
    tables: dict[str, list[list]] = {}
    for table, column, data_type, nullable in con.execute(
            "SELECT table_name, column_name, data_type, is_nullable"
            " FROM information_schema.columns WHERE table_schema = 'main'"
            " ORDER BY table_name, ordinal_position").fetchall():
        tables.setdefault(table, []).append([column, data_type, nullable == "YES"])
    return tables


def _version_rows(path) -> list[int]:
    with reading(path) as con:
        return [v for (v,) in con.execute(
            "SELECT version FROM schema_version ORDER BY version").fetchall()]


def test_v1_builds_exactly_the_tables_of_a_file_made_at_version_1(tmp_path):
    con = duckdb.connect(str(tmp_path / "v1.duckdb"))
    try:
        migrations.migrate(con, migrations.MIGRATIONS[:1])
        assert _columns(con) == FROZEN_V1["tables"]
    finally:
        con.close()


def test_the_migrated_schema_holds_every_column_of_the_contract(tmp_path):
    """A contract change without its migration fails here, not on a user's file."""
    con = duckdb.connect(str(tmp_path / "head.duckdb"))
    try:
        migrations.migrate(con)
        tables = {t: {c: (ty, nullable) for c, ty, nullable in cols}
                  for t, cols in _columns(con).items()}
    finally:
        con.close()
    for name, entity in ENTITIES.items():
        for column in entity.columns:
            assert tables[name][column.name][0] == SQL_TYPES[column.type], (name, column)


def test_versions_run_one_two_three_without_gaps():
    assert [v for v, _ in migrations.MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))


V2_TEST = ("ALTER TABLE load_log ADD COLUMN IF NOT EXISTS test_source VARCHAR"
           " DEFAULT 'ingest'")


def _v2_test() -> list[str]:
    return [V2_TEST]


def _v2_half_bad() -> list[str]:
    return [V2_TEST, "ALTER TABLE no_such_table ADD COLUMN x INTEGER"]


def test_a_file_without_a_version_is_migrated_to_the_current_one(tmp_path):
    path = tmp_path / "bare.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE notes (text VARCHAR)")
    con.execute("INSERT INTO notes VALUES ('kept')")
    con.close()
    with reading(path) as con:
        assert con.execute("SELECT text FROM notes").fetchall() == [("kept",)]
        assert migrations.schema_version(con) == SCHEMA_VERSION
    assert _version_rows(path) == list(range(1, SCHEMA_VERSION + 1))


def test_an_older_file_is_migrated_when_read_and_keeps_its_rows(make_warehouse,
                                                                   monkeypatch):
    path = make_warehouse({"business_units": [
        {"business_unit_id": "b1", "name": "North"},
        {"business_unit_id": "b2", "name": "South"}]})
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS,
                                                   (SCHEMA_VERSION + 1, _v2_test)])
    with reading(path) as con:
        assert con.execute("SELECT business_unit_id, name FROM business_units ORDER BY 1"
                           ).fetchall() == [("b1", "North"), ("b2", "South")]
        assert con.execute("SELECT DISTINCT test_source FROM load_log").fetchall() == [
            ("ingest",)]
    assert _version_rows(path) == list(range(1, SCHEMA_VERSION + 2))


def test_a_file_from_a_newer_modelops_is_refused_naming_the_file(make_warehouse):
    path = make_warehouse({})
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)",
                [SCHEMA_VERSION + 5])
    con.close()
    expected = (f"{path}: schema version {SCHEMA_VERSION + 5} was written by a newer"
                f" modelops (this one knows up to {SCHEMA_VERSION}); upgrade modelops")
    with pytest.raises(WarehouseError) as read_error, reading(path):
        pass
    assert str(read_error.value).startswith(expected)
    with pytest.raises(WarehouseError) as write_error, writing(path):
        pass
    assert str(write_error.value).startswith(expected)


def test_a_failing_migration_rolls_back_whole_and_keeps_the_version(make_warehouse,
                                                                      monkeypatch):
    path = make_warehouse({"business_units": [{"business_unit_id": "b1", "name": "North"}]})
    bad = SCHEMA_VERSION + 1
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS,
                                                   (bad, _v2_half_bad)])
    with pytest.raises(WarehouseError) as failed, writing(path):
        pass
    assert str(failed.value).startswith(
        f"{path}: migration {bad} (_v2_half_bad) failed and nothing of it was applied"
        f" (still version {SCHEMA_VERSION}): ")
    monkeypatch.undo()  # this modelops again, which reads the file as it is
    assert _version_rows(path) == list(range(1, SCHEMA_VERSION + 1))
    with reading(path) as con:
        columns = [c for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'load_log'").fetchall()]
        assert "test_source" not in columns
        assert con.execute("SELECT * FROM business_units").fetchall() == [("b1", "North")]


def test_a_reader_never_writes_and_runs_the_codes_macros(make_warehouse):
    """The macros are the code's, expanded into each statement, never stored in the file
    (issue 30, item 9). A file written by another version of modelops, holding its own
    macros (here a wrong kpi_availability and another macros.sql's hash, as an older
    modelops left them), is read as it is: not a byte of it changes, and the KPIs come from
    this modelops's definitions. Before, a reader whose macros.sql differed took the write
    lock to store its macros: two versions on one file overwrote each other's, and a
    read-only mount could not be opened after an upgrade."""
    path = make_warehouse(SERVING)
    con = duckdb.connect(str(path))
    con.execute("CREATE OR REPLACE MACRO kpi_availability(requests, errors) AS 42")
    con.execute("CREATE OR REPLACE TABLE macro_version (sha256 VARCHAR NOT NULL)")
    con.execute("INSERT INTO macro_version VALUES ('an older macros.sql')")
    con.close()
    before = path.read_bytes(), path.stat().st_mtime_ns
    assert not Path(f"{path}.wal").exists()
    reader.release(path)
    f = Filter.for_days(date(2026, 1, 5), date(2026, 1, 5))
    with reading(path) as con:
        tiles = kpi.kpi_tiles(con, f).row(0, named=True)
    assert (tiles["requests"], tiles["availability"]) == (1000, 1.0)  # not 42
    reader.release(path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert not Path(f"{path}.wal").exists()


def test_v4_adds_the_sync_state_table_to_a_v3_file_and_keeps_its_rows(tmp_path):
    """Issue 27: a warehouse written before `modelops sync` gets an empty sync_sources."""
    path = tmp_path / "v3.duckdb"
    con = duckdb.connect(str(path))
    migrations.migrate(con, migrations.MIGRATIONS[:3])
    con.execute("INSERT INTO business_units VALUES ('b1', 'North')")
    con.close()
    with writing(path):
        pass
    with reading(path) as con:
        assert con.execute("SELECT * FROM business_units").fetchall() == [("b1", "North")]
        assert con.execute("SELECT count(*) FROM sync_sources").fetchall() == [(0,)]
        assert [c for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'sync_sources' ORDER BY ordinal_position").fetchall()] == [
            "name", "kind", "every_s", "cursor", "last_attempt", "last_success",
            "last_rows", "next_run", "last_error", "failures"]
    assert _version_rows(path) == list(range(1, SCHEMA_VERSION + 1))


def _delivery_migration():
    """Found by name, so the test holds when the lead renumbers it on a merge."""
    (entry,) = [(v, m) for v, m in migrations.MIGRATIONS
                if any("CREATE TABLE IF NOT EXISTS delivery_log" in s for s in m())]
    return entry


def test_the_delivery_log_migration_adds_its_table_to_a_file_of_the_version_before(
        tmp_path):
    """Issue 29: a file at the version before gets an empty delivery_log and keeps its
    rows; a row of the log holds what `modelops deliver` writes."""
    version, _ = _delivery_migration()
    before = [(v, m) for v, m in migrations.MIGRATIONS if v < version]
    path = tmp_path / "before.duckdb"
    con = duckdb.connect(str(path))
    try:
        migrations.migrate(con, before)
        con.execute("INSERT INTO business_units VALUES ('b1', 'North')")
        assert "delivery_log" not in _columns(con)
        migrations.migrate(con, [(v, m) for v, m in migrations.MIGRATIONS if v <= version])
        assert _columns(con)["delivery_log"] == [
            ["subscription", "VARCHAR", False], ["recipient", "VARCHAR", False],
            ["week", "VARCHAR", False], ["status", "VARCHAR", False],
            ["scope", "VARCHAR", True], ["detail", "VARCHAR", True],
            ["attempts", "BIGINT", False], ["logged_at", "TIMESTAMP", False]]
        assert con.execute("SELECT count(*) FROM delivery_log").fetchall() == [(0,)]
        assert con.execute("SELECT * FROM business_units").fetchall() == [("b1", "North")]
        assert migrations.schema_version(con) == version
    finally:
        con.close()

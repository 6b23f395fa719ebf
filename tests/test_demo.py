"""The demo generator and the sample files: both must pass the data contract untouched.

The demo is built through `load_frame`, the same validation as `modelops ingest`, so
"0 quarantined" here means every generated row is one a real export could have held.
The story checks (incidents after deployments, drift before drift incidents, open
incidents, retired models) guard what the dashboard pages are meant to show.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from queries.demo import build_demo
from queries.ingest import entity_from_path, ingest_file
from queries.schema import ENTITIES, LOAD_ORDER
from queries.warehouse import reading, writing

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
END = datetime(2026, 11, 25, 13)
TINY = {"models": 12, "days": 14, "seed": 7, "end": END}


def _tables(path: Path) -> dict[str, pl.DataFrame]:
    """Every entity's full table, rows sorted, so two builds compare exactly."""
    with reading(path) as con:
        return {
            name: con.sql(f"SELECT * FROM {name}").pl().sort(
                list(ENTITIES[name].column_names), nulls_last=True)
            for name in LOAD_ORDER
        }


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "warehouse.duckdb"
    lines: list[str] = []
    results = build_demo(path, progress=lines.append, **TINY)
    return path, results, lines


def _sql(path: Path, sql: str) -> pl.DataFrame:
    with reading(path) as con:
        return con.sql(sql).pl()


def test_tiny_demo_loads_every_entity_without_quarantine(tiny):
    path, results, lines = tiny
    assert list(results) == list(LOAD_ORDER)
    for name, result in results.items():
        assert result.quarantined == 0, (name, result.reasons)
        assert result.status == "loaded", (name, result.message)
        assert result.inserted > 0, f"{name} is empty"
    counts = {name: frame.height for name, frame in _tables(path).items()}
    assert counts == {name: r.inserted for name, r in results.items()}
    assert any(line.startswith("metrics_hourly") for line in lines)


def test_build_is_atomic_and_replaces_the_previous_file(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    stale = Path(f"{path}.tmp")
    stale.write_text("half-built warehouse from a killed run")
    build_demo(path, models=3, days=2, end=END, progress=None)
    assert not stale.exists() and not Path(f"{stale}.wal").exists()
    first = _tables(path)["models"].height
    build_demo(path, models=5, days=2, end=END, progress=None)
    assert _tables(path)["models"].height == 5 != first


def test_same_arguments_give_identical_data(tiny, tmp_path):
    path, _, _ = tiny
    again = tmp_path / "again.duckdb"
    build_demo(again, progress=None, **TINY)
    first, second = _tables(path), _tables(again)
    for name in LOAD_ORDER:
        assert first[name].equals(second[name]), f"{name} differs between identical builds"


def test_another_seed_gives_other_data(tiny, tmp_path):
    path, _, _ = tiny
    other = tmp_path / "other.duckdb"
    build_demo(other, progress=None, **{**TINY, "seed": 8})
    assert not _tables(path)["metrics_hourly"].equals(_tables(other)["metrics_hourly"])


def test_metrics_cover_the_window_and_each_model_lifetime(tiny):
    path, _, _ = tiny
    span = _sql(path, "SELECT min(hour) AS first, max(hour) AS last FROM metrics_hourly")
    assert span["first"][0] == END - timedelta(days=14)
    assert span["last"][0] == END - timedelta(hours=1)
    outside = _sql(path, """
        SELECT count(*) AS n FROM metrics_hourly h JOIN models m USING (model_id)
        WHERE h.hour < date_trunc('hour', m.created_at)
           OR (m.retired_at IS NOT NULL AND h.hour >= m.retired_at)
    """)
    assert outside["n"][0] == 0
    dev_metrics = _sql(path, """
        SELECT count(*) AS n FROM metrics_hourly JOIN models USING (model_id)
        WHERE lifecycle_stage = 'development'
    """)
    assert dev_metrics["n"][0] == 0


def test_some_models_are_retired_and_their_metrics_stop(tiny):
    path, _, _ = tiny
    retired = _sql(path, """
        SELECT m.model_id, m.retired_at, max(h.hour) AS last_hour
        FROM models m JOIN metrics_hourly h USING (model_id)
        WHERE m.lifecycle_stage = 'retired' GROUP BY ALL
    """)
    assert retired.height > 0
    assert retired["retired_at"].is_not_null().all()
    for row in retired.iter_rows(named=True):
        assert row["last_hour"] < row["retired_at"] <= row["last_hour"] + timedelta(hours=1)


def test_some_incidents_follow_a_production_deployment(tiny):
    path, _, _ = tiny
    caused = _sql(path, """
        SELECT i.incident_id, i.started_at, d.deployed_at
        FROM incidents i JOIN deployments d
          ON d.deployment_id = i.deployment_id AND d.model_id = i.model_id
        WHERE i.root_cause = 'deployment' AND d.environment = 'production'
    """)
    assert caused.height > 0
    assert (caused["started_at"] >= caused["deployed_at"]).all()
    dangling = _sql(path, """
        SELECT count(*) AS n FROM incidents
        WHERE deployment_id IS NOT NULL
          AND deployment_id NOT IN (SELECT deployment_id FROM deployments)
    """)
    assert dangling["n"][0] == 0


def test_drift_alerts_precede_data_drift_incidents(tiny):
    path, _, _ = tiny
    drift = _sql(path, """
        SELECT i.incident_id,
               EXISTS (SELECT 1 FROM drift d
                       WHERE d.model_id = i.model_id AND d.score > d.threshold
                         AND d.measured_at >= i.started_at - INTERVAL 3 DAY
                         AND d.measured_at < i.started_at) AS alerted_before
        FROM incidents i WHERE i.root_cause = 'data_drift'
    """)
    assert drift.height > 0
    assert drift["alerted_before"].all()


def test_some_incidents_are_still_open(tiny):
    path, _, _ = tiny
    open_ = _sql(path, "SELECT * FROM incidents WHERE resolved_at IS NULL")
    assert open_.height > 0
    assert (open_["started_at"] < END).all()
    assert (open_["started_at"] >= END - timedelta(days=3)).any()


def test_timestamps_of_every_incident_are_in_order_and_before_the_end(tiny):
    path, _, _ = tiny
    bad = _sql(path, f"""
        SELECT count(*) AS n FROM incidents
        WHERE started_at >= TIMESTAMP '{END}'
           OR coalesce(resolved_at, started_at) >= TIMESTAMP '{END}'
           OR acknowledged_at < detected_at OR resolved_at < acknowledged_at
    """)
    assert bad["n"][0] == 0


def test_default_end_is_the_last_full_hour(tmp_path):
    before = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    path = tmp_path / "now.duckdb"
    build_demo(path, models=3, days=1, progress=None)
    after = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    last = _sql(path, "SELECT max(hour) AS last FROM metrics_hourly")["last"][0]
    assert before - timedelta(hours=1) <= last <= after - timedelta(hours=1)


@pytest.mark.parametrize("models,days,end", [
    (1, 1, END),
    (5, 3, datetime(2026, 3, 1)),      # end at midnight: whole days only
    (40, 30, datetime(2026, 6, 30, 23)),
])
def test_other_sizes_load_without_quarantine(tmp_path, models, days, end):
    results = build_demo(tmp_path / "w.duckdb", models=models, days=days, end=end,
                         progress=None)
    for name, result in results.items():
        assert result.quarantined == 0, (name, result.reasons)


# --- sample files ------------------------------------------------------------------------

def _sample_files() -> list[Path]:
    files = [p for p in SAMPLES.iterdir() if p.suffix in (".csv", ".jsonl", ".parquet")]
    return sorted(files, key=lambda p: (LOAD_ORDER.index(entity_from_path(p)), p.name))


def test_there_is_one_sample_per_entity_in_every_format():
    files = _sample_files()
    assert sorted(entity_from_path(p) for p in files) == sorted(LOAD_ORDER)
    assert {p.suffix for p in files} == {".csv", ".jsonl", ".parquet"}


def test_samples_load_without_quarantine_into_an_empty_warehouse(tmp_path):
    with writing(tmp_path / "samples.duckdb") as con:
        for path in _sample_files():
            result = ingest_file(con, path)
            assert result.status == "loaded", (path.name, result.message, result.reasons)
            assert result.quarantined == 0, (path.name, result.reasons)
            assert not result.warnings, (path.name, result.warnings)
            assert result.inserted == result.read > 0, path.name


def test_samples_fill_every_column_somewhere():
    """The samples are the contract by example: each column appears with a value."""
    for path in _sample_files():
        name = entity_from_path(path)
        if path.suffix == ".csv":
            frame = pl.read_csv(path, infer_schema=False)
        elif path.suffix == ".parquet":
            frame = pl.read_parquet(path)
        else:
            frame = pl.read_ndjson(path)
        assert list(frame.columns) == list(ENTITIES[name].column_names), path.name
        empty = [c for c in frame.columns if frame[c].null_count() == frame.height]
        assert not empty, (path.name, empty)

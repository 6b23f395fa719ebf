"""The demo generator and the sample files: both must pass the data contract untouched.

The demo is built through `load_frame`, the same validation as `modelops ingest`, so
"0 quarantined" here means every generated row is one a real export could have held.
The story checks (incidents after deployments, drift before drift incidents, open
incidents, retired models) guard what the dashboard pages are meant to show.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from modelops.demo import build_demo
from modelops.warehouse import reading, writing
from modelops.warehouse.ingest import entity_from_path, ingest_file
from modelops.warehouse.schema import ENTITIES, LOAD_ORDER

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


# --- the exact output, pinned ---------------------------------------------------------------

# sha256 of each table's CSV export, rows ordered by the entity's key, recorded from the
# generator as it stood before it was split into per-entity functions. A change to the
# generator that moves one random draw, one rounding or one id changes a digest here:
# that is the point. Record new digests only for a deliberate change of the demo's data.
PINNED = {
    # 12 models x 20 days: one model in each lifecycle stage but production, the rest serving.
    (12, 20, datetime(2026, 11, 25, 13)): {
        "action_items":
            "62dbf07b5ec76e94913b8e8a9b970b70e1305ef14f0ef706c5b4c488f717f9ec",
        "business_units":
            "2c570b7feea26c2a1ff7abcd724f5d79b528f7c02170e2276b0b96caa8d0a37a",
        "business_value_daily":
            "b9650f1e2494e95bb9c784744225de1f413e7dc6ab3ae1d87593a2662e2712e8",
        "costs_daily":
            "adf7c3b77851522e6cdbebacae69cd8c539806f3cf61e431fb2e5577226b11e7",
        "data_quality":
            "3e9bba6b2d3e3ca85f970a842a5dec193e20dc1879fe555dcc8030dc3e7a206e",
        "deployments":
            "fcbf82f24957ec1cc7bfa8fdffb1aea1d72455b424bc2aea1d77260ef7b8f3e2",
        "drift":
            "48efca174ef05b07d229d451c1b4d7d8055f2d0a9fc2315e02adcaf2a7d50406",
        "incidents":
            "4669ed31a06f73dd863fbe793b98add7284861571cd0b978af34a51bd5e92c29",
        "metrics_hourly":
            "f3b5eb8735d6b10e89fb04233b2159412fe90fc7593e88a2a9b99dcceaab86d0",
        "model_versions":
            "dea109f0151ada0a6bdb4d7fc0fc8d74b4ad0180a9e793869e2ad7430befafcc",
        "models":
            "c98da7066b227f3c22e68419282cd94975f4a1de82e81f1257d24b29924e0fb8",
        "oncall_pages":
            "84ed32df3b489d5c85f236f103c3ce7c5770c8defebe28fb6ba74c7a01e75752",
        "risk_assessments":
            "0acbfce25593ee92f4292123eec59708dcd3383721fff6df68dd2a7142731f79",
        "teams":
            "84eafcf90150c7d9b95c43cfa96f27b22a0bc4dea88d17d8525d6252e6bda070",
        "validations":
            "0bfe4045146f600199cefeaa0c3fc1ba49d3d9c6e22da772c1da5fbf6d8f2fd9",
        "vendors":
            "b1dd5782081e2dada2f57317ab104097d79806c0b8be076ec8eaf07367d8e18c",
    },
    # 520 models x 3 days: three metrics chunks, names past the stem-region combinations,
    # an end at midnight.
    (520, 3, datetime(2026, 3, 1)): {
        "action_items":
            "1625f30df51791c424c8051ac10707c779ff9054073692dba36e0d65160e4c04",
        "business_units":
            "2c570b7feea26c2a1ff7abcd724f5d79b528f7c02170e2276b0b96caa8d0a37a",
        "business_value_daily":
            "771ab2afc135bc44cc8aa0457536c059fa5a9be054ba594141031355cfc4b49b",
        "costs_daily":
            "993fa8a70979b6f27436e8c7403816db1faa749efbd03d99ffad8d96bb584452",
        "data_quality":
            "47c613aeb6ad02430bfa8a50387ac619b05003524b7ecb833877fac282adb89f",
        "deployments":
            "d66f78e0c6e9ab3b21d958a6c9431e27032e7bf346fe299f04a66a9a0704d5cd",
        "drift":
            "1df695217d01987ae3e362d40bb3773be94e31a4d7dcfe222157e565d6ea0664",
        "incidents":
            "8f4c3b898b6d68c1f1713c08239313813acdf938ea80b67bc1cb122823f0710f",
        "metrics_hourly":
            "b82e93dd52acd0c62173e14812b9122c79a9bbca7dede5ab01bdf28878f3cf7e",
        "model_versions":
            "fae9ce6c207a5cac84ecddc3b2a7cc429293f6aff9741b44801e768844783731",
        "models":
            "0dbb5876031913b12d934e96c1f9cfa6eaafc9ffe75b4340a4a9ccfd1280b30b",
        "oncall_pages":
            "a3a250822c73ce774a58380cf412ddb109e2423d76940b1b9ad193a66eecd7dd",
        "risk_assessments":
            "47a7285023bb488e496671d6c7e0c4e4e3d3e7d38802c4266b68670c19477cfc",
        "teams":
            "84eafcf90150c7d9b95c43cfa96f27b22a0bc4dea88d17d8525d6252e6bda070",
        "validations":
            "825006e5956e3b9846da849ffaddd349724048685553dce77dbf10c3f3bb3d75",
        "vendors":
            "b1dd5782081e2dada2f57317ab104097d79806c0b8be076ec8eaf07367d8e18c",
    },
}

# What `progress` receives, timings masked: the dashboard draws its progress bar from these.
PINNED_PROGRESS = {
    (12, 20, datetime(2026, 11, 25, 13)): [
        "business_units: 6 rows (_ s)",
        "teams: 20 rows (_ s)",
        "vendors: 6 rows (_ s)",
        "models: 12 rows (_ s)",
        "model_versions: 26 rows (_ s)",
        "incidents: 14 rows (_ s)",
        "deployments: 57 rows (_ s)",
        "  metrics_hourly models 1-12 of 12: 5,176 rows (_ s)",
        "metrics_hourly: 5,176 rows (_ s)",
        "costs_daily: 518 rows (_ s)",
        "business_value_daily: 206 rows (_ s)",
        "drift: 800 rows (_ s)",
        "data_quality: 712 rows (_ s)",
        "validations: 46 rows (_ s)",
        "risk_assessments: 15 rows (_ s)",
        "action_items: 6 rows (_ s)",
        "oncall_pages: 19 rows (_ s)",
        "demo: 12 models, 20 days to 2026-11-25 13:00 UTC in _ s",
    ],
    (520, 3, datetime(2026, 3, 1)): [
        "business_units: 6 rows (_ s)",
        "teams: 20 rows (_ s)",
        "vendors: 6 rows (_ s)",
        "models: 520 rows (_ s)",
        "model_versions: 935 rows (_ s)",
        "incidents: 39 rows (_ s)",
        "deployments: 1,652 rows (_ s)",
        "  metrics_hourly models 1-200 of 520: 12,862 rows (_ s)",
        "  metrics_hourly models 201-400 of 520: 12,683 rows (_ s)",
        "  metrics_hourly models 401-520 of 520: 7,792 rows (_ s)",
        "metrics_hourly: 33,337 rows (_ s)",
        "costs_daily: 3,193 rows (_ s)",
        "business_value_daily: 1,292 rows (_ s)",
        "drift: 5,101 rows (_ s)",
        "data_quality: 4,232 rows (_ s)",
        "validations: 1,599 rows (_ s)",
        "risk_assessments: 525 rows (_ s)",
        "action_items: 7 rows (_ s)",
        "oncall_pages: 54 rows (_ s)",
        "demo: 520 models, 3 days to 2026-03-01 00:00 UTC in _ s",
    ],
}


def _digests(path: Path) -> dict[str, str]:
    with reading(path) as con:
        return {
            name: hashlib.sha256(
                con.sql(f"SELECT * FROM {name}").pl()
                .sort(list(ENTITIES[name].key)).write_csv().encode()).hexdigest()
            for name in LOAD_ORDER
        }


@pytest.mark.parametrize("models,days,end", list(PINNED))
def test_the_same_seed_gives_the_recorded_bytes(tmp_path, models, days, end):
    path = tmp_path / "pinned.duckdb"
    lines: list[str] = []
    build_demo(path, models=models, days=days, seed=7, end=end, progress=lines.append)
    masked = [re.sub(r"\d+\.\d s\b", "_ s", line) for line in lines]
    assert masked == PINNED_PROGRESS[models, days, end]
    assert _digests(path) == PINNED[models, days, end]


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


# --- the weekly review's stories (issue 14) ---------------------------------------------

@pytest.fixture(scope="module")
def review_demo(tmp_path_factory):
    """24 models over 120 days to Monday 2026-11-30: the stories have room to show."""
    path = tmp_path_factory.mktemp("review") / "warehouse.duckdb"
    build_demo(path, models=24, days=120, seed=11, end=datetime(2026, 11, 30),
               progress=lambda line: None)
    return path


def test_one_team_is_overloaded_at_night(review_demo):
    from queries import kpi
    from queries.filters import Filter
    window = Filter.for_days(date(2026, 8, 2), date(2026, 11, 29))
    with reading(review_demo) as con:
        load = kpi.team_load(con, window)
    ranked = load.sort("out_of_hours_pages", descending=True)
    night, runner_up = ranked.row(0, named=True), ranked.row(1, named=True)
    # far the most out-of-hours pages, the most pages per on-call week, a two-person rotation
    assert night["out_of_hours_pages"] >= 2 * runner_up["out_of_hours_pages"]
    assert night["pages_per_oncall_week"] == load["pages_per_oncall_week"].max()
    assert night["out_of_hours_share"] > 0.6
    assert night["responders"] == 2


def test_one_model_has_its_follow_ups_overdue(review_demo):
    from queries import kpi
    from queries.filters import Filter
    window = Filter.for_days(date(2026, 11, 23), date(2026, 11, 29))
    with reading(review_demo) as con:
        overdue = kpi.overdue_action_items(con, window)
        items = con.sql("SELECT model_id, count(*) AS n, count(closed_at) AS closed"
                        " FROM action_items GROUP BY ALL").pl()
    per_model = overdue.group_by("model_id").len().sort("len", descending=True)
    story = per_model.row(0, named=True)
    assert story["len"] >= 3
    assert per_model.height == 1 or per_model["len"][1] < story["len"]
    assert items.filter(pl.col("model_id") == story["model_id"])["closed"].to_list() == [0]
    assert items.filter(pl.col("model_id") != story["model_id"])["closed"].sum() > 0


def test_the_last_complete_week_is_rework_heavy(review_demo):
    from queries import kpi
    from queries.filters import Filter
    rates = []
    with reading(review_demo) as con:
        for weeks_back in range(1, 9):
            monday = date(2026, 11, 30) - timedelta(days=7 * weeks_back)
            week = Filter.for_days(monday, monday + timedelta(days=6))
            rates.append(kpi.rework_rate(con, week, by="all").row(0, named=True))
    last, earlier = rates[0], rates[1:]
    assert last["rework_deployments"] >= 5
    assert last["rework_rate"] > 2 * max(r["rework_rate"] or 0 for r in earlier)

"""Benchmark modelops at the scale of a large company and print the figures.

    uv run python tests/bench/run.py [--models 2000] [--days 365] [--warehouse PATH]
                                     [--reuse] [--json FILE]

Builds the warehouse with `modelops demo` (or reuses one with --reuse), then measures:
  - per page, via AppTest: the server-side script time of a cold rerun (caches cleared),
    of a rerun after a filter change (new filter, not cached) and of a warm rerun (the
    filter seen before); the time DuckDB alone spends on the page's SQL in the cold rerun,
    and the ratio page / SQL;
  - the weekly CSV for all models, and --split-by business_unit;
  - ingest throughput for a 1 M-row metrics_hourly file, Parquet and CSV;
  - the peak resident memory of a `streamlit run` process after visiting every page.
Figures, not pass/fail: the targets are in the README, next to the last figures measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np
import polars as pl

from modelops import warehouse

PAGES = [
    "pages/overview.py", "pages/reliability.py", "pages/incidents.py", "pages/releases.py",
    "pages/cost_value.py", "pages/model_quality.py", "pages/governance.py",
    "pages/model_detail.py", "pages/weekly_report.py", "pages/data.py",
]
REPEAT = 5


# --- SQL time: every named query goes through warehouse.run ----------------------------
# A page runs its queries side by side (loading.load_many), so their wall time in the page
# is not "the time DuckDB alone spends". The cold rerun records each query it ran; they are
# then replayed one after another on one cursor, outside Streamlit, and that sum is the
# page's SQL time.

CALLS: list[tuple[str, dict]] = []
_original_run = warehouse.run


def _recording_run(con, name, **params):
    CALLS.append((name, params))  # list.append is atomic: safe from the loader threads
    return _original_run(con, name, **params)


def _patch_run() -> None:
    """Route every module's `run` through the recorder (they import it by name)."""
    import modelops.reports.weekly
    import queries.catalog
    import queries.kpi

    warehouse.run = _recording_run
    for module in (queries.kpi, queries.catalog, modelops.reports.weekly):
        module.run = _recording_run


def replay_seconds(wh: Path, calls: list[tuple[str, dict]]) -> float:
    """The recorded queries, one after another on one cursor (each run once to warm the
    buffer pool first, as in the page, where the previous rounds warmed it)."""
    with warehouse.reading(wh) as con:
        for name, params in calls:
            _original_run(con, name, **params)
        started = time.perf_counter()
        for name, params in calls:
            _original_run(con, name, **params)
        return time.perf_counter() - started


# --- pages ------------------------------------------------------------------------------

def page_times(wh: Path, bu_a: str, bu_b: str, model_id: str) -> list[dict]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["MODELOPS_WAREHOUSE"] = str(wh)
    rows = []
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.run()
        at.switch_page(page)
        if page.endswith("model_detail.py"):
            at.query_params["id"] = model_id
        at.run()
        cold, sql, change, warm = [], [], [], []
        for _ in range(REPEAT):
            st.cache_resource.clear()
            CALLS.clear()
            at.run()
            cold.append(at.session_state["script_seconds"])
            queries = list(CALLS)
            sql.append(replay_seconds(wh, queries))
            # A filter change: a business unit never asked for in this round (uncached).
            at.sidebar.multiselect(key="bu").set_value([bu_a]).run()
            change.append(at.session_state["script_seconds"])
            at.sidebar.multiselect(key="bu").set_value([]).run()
            # Back to a view seen before: warm.
            at.sidebar.multiselect(key="bu").set_value([bu_a]).run()
            warm.append(at.session_state["script_seconds"])
            at.sidebar.multiselect(key="bu").set_value([]).run()
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception[0].value}")
        row = {
            "page": page.removeprefix("pages/").removesuffix(".py"),
            "cold_ms": 1000 * statistics.median(cold),
            "sql_ms": 1000 * statistics.median(sql),
            "queries": len(queries),
            "filter_change_ms": 1000 * statistics.median(change),
            "warm_ms": 1000 * statistics.median(warm),
        }
        row["page_over_sql"] = row["cold_ms"] / row["sql_ms"] if row["sql_ms"] else None
        rows.append(row)
        print(f"  {row['page']:<14} cold {row['cold_ms']:7.1f} ms  sql {row['sql_ms']:7.1f} ms"
              f" ({row['queries']:2d} queries)"
              f"  x{row['page_over_sql'] or 0:4.2f}  change {row['filter_change_ms']:7.1f} ms"
              f"  warm {row['warm_ms']:6.1f} ms", flush=True)
    return rows


# --- report, ingest, memory -------------------------------------------------------------

def report_times(wh: Path) -> dict:
    from modelops.reports import weekly

    week = weekly.last_complete_week(datetime.now(UTC).replace(tzinfo=None))
    times, split_times = [], []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(REPEAT):
            started = time.perf_counter()
            data = weekly.weekly_csv(week, path=wh)
            times.append(time.perf_counter() - started)
            started = time.perf_counter()
            code = subprocess.run(
                [sys.executable, "-m", "modelops.cli", "report", "weekly", "--week", week,
                 "--split-by", "business_unit", "--out-dir", out, "--warehouse", str(wh)],
                capture_output=True, cwd=ROOT, check=False).returncode
            split_times.append(time.perf_counter() - started)
            assert code == 0
    return {"week": week, "weekly_csv_s": statistics.median(times),
            "weekly_csv_rows": data.count(b"\n") - 1,
            "split_by_business_unit_s_process": statistics.median(split_times)}


def ingest_throughput(rows: int = 1_000_000) -> dict:
    from modelops.warehouse.ingest import ingest_file
    from modelops.warehouse.schema import LATENCY_BUCKETS

    out = {}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        models = 100
        hours = np.tile(np.arange(rows // models), models)
        frame = pl.DataFrame({
            "model_id": np.repeat([f"m{i}" for i in range(models)], rows // models),
            "hour": (np.datetime64("2025-01-01T00:00") + hours.astype("timedelta64[h]"))
            .astype("datetime64[us]"),
            "requests": np.full(rows, 1000), "errors": np.full(rows, 3),
            **{b: np.full(rows, min(1000, 100 * (i + 1))) for i, b in enumerate(LATENCY_BUCKETS)},
        })
        frame.write_parquet(folder / "metrics_hourly.parquet")
        frame.write_csv(folder / "metrics_hourly.csv")
        for kind in ("parquet", "csv"):
            wh = folder / f"{kind}.duckdb"
            with warehouse.writing(wh) as con:
                con.execute("INSERT INTO business_units VALUES ('b', 'B')")
                con.execute("INSERT INTO teams (team_id, name, business_unit_id, lead) VALUES ('t', 'T', 'b', NULL)")
                con.execute("""
                    INSERT INTO models (model_id, name, team_id, risk_tier, lifecycle_stage,
                                        slo_availability, slo_latency_p95_ms, created_at)
                    SELECT 'm' || i, 'm' || i, 't', 'high', 'production', 0.99, 500,
                           TIMESTAMP '2024-01-01' FROM range($models) r(i)""",
                            {"models": models})
                started = time.perf_counter()
                result = ingest_file(con, folder / f"metrics_hourly.{kind}")
                seconds = time.perf_counter() - started
            assert result.inserted == rows, result.summary()
            out[f"ingest_{kind}_rows_per_s"] = rows / seconds
    return out


def app_memory(wh: Path) -> dict:
    """Peak RSS of a real `streamlit run` after a browser has opened every page."""
    from app_memory import memory_mb
    from browser import CHROMIUM, browser_page, server_pid, streamlit_server, wait_for_app

    if not Path(CHROMIUM).exists():
        return {"app_peak_rss_mb": None}
    with streamlit_server(wh, timeout_s=120) as url, browser_page() as page:
        for path in ("", "/reliability", "/incidents", "/releases", "/cost_value",
                     "/model_quality", "/governance", "/model", "/weekly_report", "/data"):
            page.goto(url + path)
            wait_for_app(page, timeout_ms=300_000)
        return {"app_peak_rss_mb": memory_mb(server_pid(url))[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--warehouse", default="/tmp/modelops-bench.duckdb")
    parser.add_argument("--reuse", action="store_true", help="reuse an existing warehouse")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--pages-only", action="store_true",
                        help="only the page timings (a quicker loop while tuning a page)")
    args = parser.parse_args()
    wh = Path(args.warehouse)

    figures = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "platform": platform.platform()},
               "models": args.models, "days": args.days}
    if not (args.reuse and wh.exists()):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "modelops.cli", "demo", "--models",
                        str(args.models), "--days", str(args.days), "--warehouse", str(wh)],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        figures["demo_build_s"] = time.perf_counter() - started
        print(f"demo build: {figures['demo_build_s']:.1f} s", flush=True)
    with warehouse.reading(wh) as con:
        figures["rows"] = dict(con.execute(
            "SELECT 'metrics_hourly', count(*) FROM metrics_hourly UNION ALL "
            "SELECT 'deployments', count(*) FROM deployments UNION ALL "
            "SELECT 'incidents', count(*) FROM incidents").fetchall())
        catalog = warehouse.query(con, "SELECT DISTINCT business_unit_id FROM "
                                  "scoped_models([], [], []) ORDER BY 1")
        model_id = con.execute("SELECT min(model_id) FROM models").fetchall()[0][0]
    print(f"rows: {figures['rows']}", flush=True)

    _patch_run()
    print("pages (median of 5):", flush=True)
    figures["pages"] = page_times(wh, catalog["business_unit_id"][0],
                                  catalog["business_unit_id"][1], model_id)
    if args.pages_only:
        return
    figures["report"] = report_times(wh)
    print(f"report: {figures['report']}", flush=True)
    figures["ingest"] = ingest_throughput()
    print(f"ingest: {figures['ingest']}", flush=True)
    figures["memory"] = app_memory(wh)
    print(f"memory: {figures['memory']}", flush=True)
    text = json.dumps(figures, indent=2, default=str)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()

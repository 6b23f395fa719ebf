"""Benchmark: one sync of a day of incidents for 2,000 services and a day of hourly metrics
for 2,000 models, each as `modelops sync NAME` (a process of its own): time and peak memory.

    uv run python tests/bench/sync_scale.py [--models 2000]

The warehouse is a demo one of `--models` models (one day); fake PagerDuty and Prometheus
APIs (tests/sync_support.py) answer one incident per model's service (id = the model id,
with a log entry page each) and 24 hourly points of 18 latency series per model. Figures,
not pass/fail (not collected by pytest). tests/bench/sync_browse.py runs the same syncs
while a browser switches pages.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

import duckdb
from sync_support import FakePagerDuty, FakePrometheus

from modelops.demo import build_demo

LES = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]
SOURCES = ("pd", "prom")


def last_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def fill(pd: FakePagerDuty, prom: FakePrometheus, warehouse: Path, end: datetime) -> int:
    """Give the fakes a day before `end` for every model of the warehouse: one incident per
    model's service (resolved 40 minutes later) and 24 hourly points of every series."""
    day = end - timedelta(days=1)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        models = [m for (m,) in con.execute("SELECT model_id FROM models ORDER BY 1")
                  .fetchall()]
    pd.incidents = pd.incidents[:1]  # PABC001, the template `add` copies
    for n, model in enumerate(models):
        created = (day + timedelta(seconds=n * 86400 // len(models)))
        incident = pd.add(f"PSC{n:05d}", created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                          service=model)
        incident["resolved_at"] = (created + timedelta(minutes=40)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        incident["status"] = "resolved"
    pd.incidents = pd.incidents[1:]
    points = [int((day + timedelta(hours=h + 1)).timestamp()) for h in range(24)]
    prom.buckets["data"]["result"] = [
        {"metric": {"model": m, "le": le},
         "values": [[t, str(10 * (i + 1))] for t in points]}
        for m in models for i, le in enumerate(LES)]
    prom.errors["data"]["result"] = [
        {"metric": {"model": m}, "values": [[t, "1"] for t in points]} for m in models]
    return len(models)


def write_config(path: Path, warehouse: Path, pd: FakePagerDuty, prom: FakePrometheus) -> Path:
    path.write_text(f'warehouse = "{warehouse}"\n'
                    f'[sources.pd]\nkind = "pagerduty"\nurl = "{pd.base}"\n'
                    'every = "5m"\nbackfill = "1d"\n'
                    f'[sources.prom]\nkind = "prometheus"\nurl = "{prom.base}"\n'
                    'every = "5m"\nbackfill = "1d"\n')
    return path


def sync(name: str, config: Path) -> subprocess.CompletedProcess:
    """`modelops sync NAME`, as cron starts it: a process of its own."""
    return subprocess.run([sys.executable, "-m", "modelops.cli", "sync", name,
                           "--config", str(config)], cwd=ROOT, capture_output=True,
                          text=True, check=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=2000)
    args = parser.parse_args()
    end = last_hour()
    with tempfile.TemporaryDirectory() as tmp, FakePagerDuty() as pd, \
            FakePrometheus() as prom:
        tmp = Path(tmp)
        wh = tmp / "warehouse.duckdb"
        build_demo(wh, models=args.models, days=1, end=end.replace(tzinfo=None),
                   progress=None)
        fill(pd, prom, wh, end)
        config = write_config(tmp / "modelops.toml", wh, pd, prom)
        for name in SOURCES:
            started = time.perf_counter()
            done = sync(name, config)
            took = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
            print(f"{name}: {took:.1f} s, peak RSS so far {peak:.0f} MB, exit "
                  f"{done.returncode}: {last}", flush=True)


if __name__ == "__main__":
    main()

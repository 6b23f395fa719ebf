"""Iceberg maintenance figures (docs/PERFORMANCE.md, "Iceberg maintenance"):

    uv run python tests/bench/iceberg_maintain.py [CHECKPOINTS] [DIR]
        [--maintain-every N [--retain-commits R] [--min-age-commits M]]

CHECKPOINTS: commit counts, default 100,1000.

Builds a small demo warehouse (20 models, 30 days) in a SQLite Iceberg catalog, then makes
small commits, one after another, as `modelops sync` every 5 minutes would. At each
checkpoint, and after `modelops maintain --retain 0 --min-age 0` at the last one, it
measures: a head check (a fresh process's first question to the catalog), one real commit
(`modelops ingest` of one hour of metrics for one model, through the whole DuckDB path), a
cold replica build (a new cache directory: every table read from its data files), and the
files and bytes under the warehouse directory. Prints one JSON line per checkpoint.

With `--maintain-every N` it runs `maintain` on a schedule instead, as cron would: every N
small commits, with a retention of the last R commits (default N) and a minimum orphan age
of the last M commits (default 12). The clock is the commits: at syncs every 5 minutes,
`--maintain-every 100` is the README's cron line, `modelops maintain --retain 8h` every 8
hours (100 syncs take 8 h 20 min; 12 take the default `--min-age 1h`); R and M become the
wall time the last R and M commits took here. A checkpoint that falls on a scheduled run
is measured before it and after it.

The small commits between checkpoints take a shorter path than `modelops ingest`, so that
thousands fit in the time: each appends one hourly row to metrics_hourly and then its
commit row to modelops_commits, through the backend's own `_append_commit` (the same two
Iceberg commits, snapshots, manifests and metadata files an ingest of that row makes to
those tables; an ingest also rewrites metrics_daily and load_log, which these skip).
"""
import argparse
import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("checkpoints", nargs="?", default="100,1000")
parser.add_argument("dir", nargs="?", default="/tmp/modelops-iceberg-maintain-bench")
parser.add_argument("--maintain-every", type=int, default=0)
parser.add_argument("--retain-commits", type=int, default=0)
parser.add_argument("--min-age-commits", type=int, default=12)
args = parser.parse_args()
checkpoints = [int(n) for n in args.checkpoints.split(",")]
every = args.maintain_every
retain_commits = args.retain_commits or every
root = Path(args.dir)
shutil.rmtree(root, ignore_errors=True)
root.mkdir(parents=True)
os.environ["MODELOPS_ICEBERG_CACHE"] = str(root / "cache")
from modelops.backends import iceberg
from modelops.backends.iceberg_maintain import maintain
from modelops.demo import build_demo

location = f"iceberg+sqlite:///{root}/catalog.db?warehouse={root}/wh"
demo = root / "demo.duckdb"
build_demo(demo, models=20, days=30, seed=7, progress=lambda line: None)
iceberg.export_file_to_catalog(demo, location)
con = duckdb.connect(str(demo), read_only=True)
model, last = con.execute("SELECT model_id, max(hour) FROM metrics_hourly GROUP BY 1 "
                          "ORDER BY 1 LIMIT 1").fetchall()[0]
template = con.execute("SELECT * FROM metrics_hourly WHERE model_id = $m AND hour = $h",
                       {"m": model, "h": last}).to_arrow_table()
con.close()
writer = iceberg.open_warehouse(location)


def small_commit(i: int) -> None:
    """One hourly row (a later hour each time) and its commit row: two Iceberg commits."""
    seq, tables = writer.head()
    table = writer._table("metrics_hourly")
    hour = template.set_column(1, "hour", pa.array([last + timedelta(hours=i + 1)],
                                                   template.schema.field("hour").type))
    table.append(hour.cast(table.schema().as_arrow()),
                 snapshot_properties={"modelops.seq": str(seq + 1)})
    tables = dict(tables)
    tables["metrics_hourly"] = writer._table("metrics_hourly").current_snapshot().snapshot_id
    writer._append_commit(seq + 1, tables, f"bench commit {i}")


def disk() -> dict:
    files = [p for p in (root / "wh").rglob("*") if p.is_file()]
    metadata = [p for p in files if p.suffix == ".json"]
    return {"files": len(files), "mb": round(sum(p.stat().st_size for p in files) / 1e6, 1),
            "metadata_json_files": len(metadata),
            "metadata_json_mb": round(sum(p.stat().st_size for p in metadata) / 1e6, 1)}


def measure(label: str, commits: int, step: int) -> dict:
    out = {"at": label, "commits": commits, **disk()}
    fresh = iceberg.IcebergWarehouse(location, cache_dir=root / f"cold-{step}")
    t = time.perf_counter()
    head = fresh.head()
    out["head_check_ms"] = round((time.perf_counter() - t) * 1000, 1)
    t = time.perf_counter()
    fresh._replica_for(head)
    out["cold_replica_build_s"] = round(time.perf_counter() - t, 2)
    shutil.rmtree(root / f"cold-{step}", ignore_errors=True)
    one = root / f"one-{step}" / "metrics_hourly.parquet"
    one.parent.mkdir()
    hour = last - timedelta(days=60, hours=step)  # an hour no other commit touches
    duckdb.sql(f"COPY (SELECT * REPLACE (TIMESTAMP '{hour}' AS hour) FROM template) "
               f"TO '{one}' (FORMAT parquet)")
    writer.replica()  # the writer's own replica is current, as a syncing machine's is
    t = time.perf_counter()
    (result,) = writer.ingest([one])
    out["one_ingest_commit_s"] = round(time.perf_counter() - t, 2)
    assert result.inserted == 1, result.summary()
    return out


def scheduled_maintain(made: int, commit_times: list[datetime]) -> dict:
    """cron's run after `made` commits: retention and orphan age counted in commits."""
    now = datetime.now(UTC)
    def back(commits: int) -> timedelta:
        return now - commit_times[max(made - commits, 0)]
    t = time.perf_counter()
    report = maintain(location, retain=back(retain_commits), min_age=back(args.min_age_commits))
    return {"maintain_s": round(time.perf_counter() - t, 1),
            "maintain": [line for line in report.lines() if " 0 of " not in line or "->" in line]}


made = 0
commit_times: list[datetime] = []
maintained = {"runs": 0, "s": 0.0}
started = time.perf_counter()
for step, target in enumerate(checkpoints):
    t = time.perf_counter()
    committing = 0.0
    while made < target:
        c = time.perf_counter()
        small_commit(made)
        committing += time.perf_counter() - c
        commit_times.append(datetime.now(UTC))
        made += 1
        if every and made % every == 0 and made != target:
            run = scheduled_maintain(made, commit_times)
            maintained["runs"] += 1
            maintained["s"] += run["maintain_s"]
    row = measure(f"after {target} commits", target, 2 * step)
    done = target - (checkpoints[step - 1] if step else 0)
    row["small_commits_per_s"] = round(done / max(committing, 1e-9), 1)
    row["interval_s"] = round(time.perf_counter() - t)
    if every:
        row["maintain_runs_so_far"] = maintained["runs"]
        row["maintain_s_so_far"] = round(maintained["s"])
    print(json.dumps(row), flush=True)
    if every and target % every == 0:
        run = scheduled_maintain(made, commit_times)
        maintained["runs"] += 1
        maintained["s"] += run["maintain_s"]
        print(json.dumps({**measure(f"after {target} commits + scheduled maintain", target,
                                    2 * step + 1), **run}), flush=True)

if every:
    print(json.dumps({"total_s": round(time.perf_counter() - started), "finished":
                      datetime.now().isoformat(timespec="seconds")}), flush=True)
    sys.exit(0)
t = time.perf_counter()
report = maintain(location, retain=timedelta(0), min_age=timedelta(0))
took = round(time.perf_counter() - t, 1)
row = measure(f"after {made} commits + maintain", made, 2 * len(checkpoints))
row["maintain_s"] = took
row["maintain"] = [line for line in report.lines() if " 0 of " not in line or "->" in line]
print(json.dumps(row), flush=True)
print(json.dumps({"total_s": round(time.perf_counter() - started), "finished":
                  datetime.now().isoformat(timespec="seconds")}), flush=True)

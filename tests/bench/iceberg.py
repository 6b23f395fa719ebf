"""Iceberg backend figures: `uv run python tests/bench/iceberg.py MODELS [DIR]`.

Builds a year of demo data for MODELS models as a DuckDB file, exports it into a SQLite
Iceberg catalog, and times: the export, a replica's full build, a catalog head check, the
commit of one day of hourly metrics for every model, and a replica built on a second
machine (cold cache) after it. Prints JSON (docs/PERFORMANCE.md, "Iceberg backend").
"""
import json
import os
import shutil
import sys
import time
from pathlib import Path

models = int(sys.argv[1]); root = Path(sys.argv[2] if len(sys.argv) > 2 else f"/tmp/modelops-iceberg-bench-{models}")
shutil.rmtree(root, ignore_errors=True); root.mkdir(parents=True)
os.environ["MODELOPS_ICEBERG_CACHE"] = str(root / "cache")
from modelops.backends import iceberg
from modelops.demo import build_demo

loc = f"iceberg+sqlite:///{root}/catalog.db?warehouse={root}/wh"
f = root / "file.duckdb"
t = time.time(); build_demo(f, models=models, days=365, seed=7, progress=lambda l: None); out = {"demo_s": time.time() - t}
t = time.time(); iceberg.export_file_to_catalog(f, loc); out["export_s"] = time.time() - t
wh = iceberg.open_warehouse(loc)
for p in (root / "cache").rglob("replica-*"): p.unlink()
wh._checked = (0, None)
t = time.time(); wh.replica(); out["replica_full_build_s"] = time.time() - t
t = time.time(); wh._checked = (0, None); wh.head(); out["head_check_ms"] = (time.time() - t) * 1000
# one ingest of a day of hourly metrics for every model
import duckdb

con = duckdb.connect(str(f), read_only=True)
day = root / "metrics_hourly.parquet"
con.execute(f"COPY (SELECT * FROM metrics_hourly WHERE hour >= (SELECT max(hour) FROM metrics_hourly) - INTERVAL 23 HOUR) TO '{day}' (FORMAT parquet)")
out["day_rows"] = con.execute(f"SELECT count(*) FROM '{day}'").fetchone()[0]
con.close()
from modelops.backends.iceberg import ingest_files

t = time.time(); list(ingest_files(loc, [day])); out["ingest_one_day_commit_s"] = time.time() - t
# another replica (cold cache, incremental from previous)
other = iceberg.IcebergWarehouse(loc, cache_dir=root / "cache2")
t = time.time(); other._replica_for(wh.head()); out["replica_cold_other_machine_s"] = time.time() - t
print(json.dumps(out))

"""Peak memory of `modelops import` on large and hostile files (docs/PERFORMANCE.md,
"Import: memory on large and hostile files").

    uv run python tests/bench/hostile_import.py [--otlp-mb 256] [--bomb-mb 1024] [--dir /tmp/x]

Generates, in --dir (never in the repository: the files are hundreds of MB):
- a valid OTLP/JSON export of --otlp-mb MB (one ExportMetricsServiceRequest, 40 services
  with replicas, hourly DELTA histogram points, the SDK's default bounds in ms);
- a FOCUS `.csv.gz` bomb: --bomb-mb MB of untagged rows, gzipped (about 3.6 MB for 1 GB);
then runs `modelops import` on each in its own process over a warehouse holding the
services' models, and prints the wall time, the child's peak resident memory
(`/usr/bin/time -f %M`) and that peak per MB of input. `--limit-gb` caps the
child's address space (ulimit -v), so a run that would exhaust the machine ends in a
MemoryError instead.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = 40
BOUNDS_MS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]
HOUR_NS = 3600 * 10**9
START_NS = 1_794_873_600 * 10**9  # 2026-11-17T00:00:00Z


def _point(hour: int, code: int) -> dict:
    buckets = [str((hour + i) % 7) for i in range(len(BOUNDS_MS) + 1)]
    return {"attributes": [{"key": "http.response.status_code",
                            "value": {"intValue": str(code)}}],
            "startTimeUnixNano": str(START_NS + hour * HOUR_NS),
            "timeUnixNano": str(START_NS + (hour + 1) * HOUR_NS),
            "count": str(sum(int(b) for b in buckets)), "sum": 1.5,
            "bucketCounts": buckets, "explicitBounds": BOUNDS_MS}


def write_otlp(path: Path, megabytes: int) -> int:
    """A valid OTLP/JSON request of about `megabytes` MB; returns the number of points."""
    target, written, points, n = megabytes * 2**20, 0, 0, 0
    with open(path, "w") as out:
        out.write('{"resourceMetrics": [')
        while written < target:
            service, instance = n % SERVICES, n // SERVICES
            resource_ = {"resource": {"attributes": [
                {"key": "service.name", "value": {"stringValue": f"svc-{service}"}},
                {"key": "service.instance.id", "value": {"stringValue": f"i-{instance}"}}]},
                "scopeMetrics": [{"scope": {"name": "bench"}, "metrics": [{
                    "name": "http.server.request.duration", "unit": "ms",
                    "histogram": {"aggregationTemporality": 1, "dataPoints": [
                        _point(hour, 500 if hour % 5 == 0 else 200)
                        for hour in range(24 * 7)]}}]}]}
            text = ("," if n else "") + json.dumps(resource_, separators=(",", ":"))
            out.write(text)
            written += len(text)
            points += 24 * 7
            n += 1
        out.write("]}")
    return points


def write_bomb(path: Path, megabytes: int) -> int:
    """A FOCUS .csv.gz of `megabytes` MB of untagged rows once decompressed; returns rows."""
    header = ("BillingCurrency,EffectiveCost,ChargePeriodStart,ChargePeriodEnd,"
              "ServiceCategory,ProviderName,Tags\n")
    row = "USD,1.00,2026-11-17T00:00:00Z,2026-11-17T01:00:00Z,Compute,Nimbus,\n"
    block = row * 16384
    rows = 0
    with gzip.open(path, "wt", compresslevel=9) as out:
        out.write(header)
        while rows * len(row) < megabytes * 2**20:
            out.write(block)
            rows += 16384
    return rows


def warehouse(folder: Path) -> tuple[Path, Path]:
    """A warehouse with one model per service, and the --map naming them."""
    inputs = folder / "base"
    inputs.mkdir(exist_ok=True)
    (inputs / "business_units.csv").write_text("business_unit_id,name\nbu,BU\n")
    (inputs / "teams.csv").write_text("team_id,name,business_unit_id\nt,T,bu\n")
    (inputs / "models.csv").write_text(
        "model_id,name,team_id,risk_tier,lifecycle_stage,created_at\n" + "".join(
            f"m{s},M{s},t,high,production,2026-01-01T00:00:00\n" for s in range(SERVICES)))
    mapping = folder / "map.csv"
    mapping.write_text("source,key,model_id\n" + "".join(
        f"otlp,svc-{s},m{s}\n" for s in range(SERVICES)))
    wh = folder / "wh.duckdb"
    if wh.exists():
        wh.unlink()
    subprocess.run([sys.executable, "-m", "modelops.cli", "ingest", *sorted(
        str(p) for p in inputs.iterdir()), "--warehouse", str(wh)], cwd=ROOT, check=True,
        capture_output=True)
    return wh, mapping


def measure(args: list[str], limit_gb: float | None) -> dict:
    """Run `modelops ARGS` in a child; its wall time, exit status, peak RSS and last lines."""
    command = ["/usr/bin/time", "-f", "PEAK_KB %M", sys.executable, "-m", "modelops.cli",
               *args]
    if limit_gb:
        command = ["bash", "-c", f"ulimit -v {int(limit_gb * 2**20)}; exec \"$@\"", "-",
                   *command]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    lines = done.stderr.strip().splitlines()
    peak = [int(line.split()[1]) for line in lines if line.startswith("PEAK_KB ")]
    lines = [line for line in lines if not line.startswith(("PEAK_KB ", "Command "))]
    return {"status": done.returncode, "seconds": round(seconds, 1),
            "peak_mb": round(peak[-1] / 1024) if peak else None,
            "stdout": done.stdout.strip().splitlines()[:3], "stderr": lines[-2:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--otlp-mb", type=int, default=256)
    parser.add_argument("--bomb-mb", type=int, default=1024)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/modelops-hostile-bench"))
    parser.add_argument("--limit-gb", type=float, default=None)
    parser.add_argument("--only", choices=("otlp", "bomb"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    wh, mapping = warehouse(args.dir)
    out = {}
    if args.only in (None, "bomb"):
        bomb = args.dir / "focus-bomb.csv.gz"
        if not bomb.exists():
            write_bomb(bomb, args.bomb_mb)
        size = bomb.stat().st_size / 2**20
        result = measure(["import", "focus", str(bomb), "--warehouse", str(wh)],
                         args.limit_gb)
        out["focus_bomb"] = {"gz_mb": round(size, 1), "inflated_mb": args.bomb_mb, **result}
    if args.only in (None, "otlp"):
        otlp = args.dir / "otlp.json"
        if not otlp.exists():
            write_otlp(otlp, args.otlp_mb)
        size = otlp.stat().st_size / 2**20
        result = measure(["import", "otlp", str(otlp), "--map", str(mapping),
                          "--warehouse", str(wh)], args.limit_gb)
        out["otlp"] = {"file_mb": round(size, 1), **result}
        if result["peak_mb"]:
            out["otlp"]["peak_per_input_mb"] = round(result["peak_mb"] / size, 2)
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    print()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()

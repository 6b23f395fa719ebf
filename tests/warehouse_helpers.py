"""Shared by the warehouse-layer tests: a tiny serving warehouse, open files, a writer
in another process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import queries

ROOT = Path(queries.__file__).resolve().parents[1]

ORG = {
    "business_units": [{"business_unit_id": "b1", "name": "North"}],
    "teams": [{"team_id": "t1", "name": "Search", "business_unit_id": "b1"}],
    "models": [{"model_id": "m1", "name": "M1", "team_id": "t1", "risk_tier": "limited",
                "lifecycle_stage": "production", "slo_availability": 0.99,
                "created_at": "2025-01-01T00:00:00"}],
}


def hour(model_id: str, at: str, requests: int, within_5ms: int) -> dict:
    """An hour whose requests are `within_5ms` under 5 ms and the rest in 5-10 ms."""
    cumulative = {"latency_le_5ms": within_5ms}
    for bound in (10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000):
        cumulative[f"latency_le_{bound}ms"] = requests
    return {"model_id": model_id, "hour": at, "requests": requests, "errors": 0,
            **cumulative}


# p50 of 1,000 requests, 400 under 5 ms and 600 in 5-10 ms: rank 500 falls in the 5-10 ms
# bucket, 100 of its 600 in: 5 + 5 * 100 / 600 ms.
SERVING = {**ORG, "metrics_hourly": [hour("m1", "2026-01-05T10:00:00", 1000, 400)]}
P50_MS = 5 + 5 * 100 / 600


def open_files(path: Path) -> list[str]:
    """The descriptors this process holds on the warehouse file or its WAL."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # the listing's own descriptor, closed by now
        if target == str(path) or target == f"{path}.wal":
            found.append(target)
    return found


WRITER = """
import json, sys, time
from modelops.warehouse import writing
started = time.monotonic()
with writing(sys.argv[1]) as con:
    con.execute("INSERT INTO business_units VALUES (?, 'written')", [sys.argv[2]])
print(json.dumps(time.monotonic() - started))
"""


def write_from_another_process(path: Path, unit_id: str, lock_timeout_s: int = 20) -> float:
    """Insert one business unit from a new process; the seconds its writing() took."""
    done = subprocess.run(
        [sys.executable, "-c", WRITER, str(path), unit_id], cwd=ROOT, capture_output=True,
        text=True, timeout=120, check=False,
        env={**os.environ, "MODELOPS_LOCK_TIMEOUT": str(lock_timeout_s)})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)

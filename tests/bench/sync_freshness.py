"""Benchmark: from a change at a source to the change in the warehouse the pages read, with
`modelops sync --loop` and `every = "1m"`.

    uv run python tests/bench/sync_freshness.py [--samples 3] [--every 1m]

Starts the tests' fake PagerDuty (tests/sync_support.py) and `modelops sync --loop` on a
small warehouse, then, at random moments, adds a new incident at the fake and polls the
warehouse (through the dashboard's own reader, `modelops.warehouse.reading`) until the
incident is there. A page shows it on its next run after that (the cache key is the
warehouse's last change). The issue's target: at most the interval + 30 s. Figures, not
pass/fail (not collected by pytest).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import build_warehouse
from importer_support import BASE, FIXTURES
from sync_support import FakePagerDuty

from modelops.config import parse_duration
from modelops.warehouse import WarehouseError, reading


def seen(wh: Path, incident: str) -> bool:
    try:
        with reading(wh) as con:
            return bool(con.execute("SELECT count(*) FROM incidents WHERE incident_id = ?",
                                    [incident]).fetchall()[0][0])
    except WarehouseError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--every", default="1m")
    args = parser.parse_args()
    every = parse_duration(args.every)
    chance = random.Random(27)
    with tempfile.TemporaryDirectory() as tmp, FakePagerDuty() as pd:
        tmp = Path(tmp)
        wh = build_warehouse(tmp / "wh.duckdb", BASE)
        config = tmp / "modelops.toml"
        config.write_text(f'warehouse = "{wh}"\n[sources.pd]\nkind = "pagerduty"\n'
                          f'url = "{pd.base}"\nmap = "{FIXTURES / "map.csv"}"\n'
                          f'every = "{args.every}"\nbackfill = "3650d"\n')
        loop = subprocess.Popen([sys.executable, "-m", "modelops.cli", "sync", "--loop",
                                 "--config", str(config)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while not seen(wh, "PABC001"):  # the first run loaded the recorded incidents
                time.sleep(0.5)
            delays = []
            for n in range(args.samples):
                time.sleep(chance.uniform(0, every))
                incident = f"PNEW{n:03d}"
                changed = time.monotonic()
                pd.add(incident, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
                while not seen(wh, incident):
                    time.sleep(0.25)
                delays.append(time.monotonic() - changed)
                print(f"{incident}: in the warehouse {delays[-1]:.1f} s after the change",
                      flush=True)
        finally:
            loop.terminate()
            loop.wait(60)
        print(f"every {args.every}: max {max(delays):.1f} s, target {every + 30} s")


if __name__ == "__main__":
    main()

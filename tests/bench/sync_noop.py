"""Benchmark: how long a `modelops sync` that finds nothing new takes, per source.

    uv run python tests/bench/sync_noop.py [--repeat 5]

Starts the tests' fake PagerDuty and GitHub APIs (tests/sync_support.py: the recorded
answers in tests/fixtures/importers/) and a folder of FOCUS exports, syncs each source
once to load everything, then times further syncs that find nothing new:

  in-process  sync_source() alone (what each run of `sync --loop` costs);
  command     `modelops sync NAME` as cron runs it (a new Python process each time).

The issue's target: at most 2 s per source. Figures, not pass/fail (not collected by
pytest).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import build_warehouse
from importer_support import BASE, FIXTURES
from sync_support import FakeGitHub, FakePagerDuty

from modelops.config import load_config
from modelops.sync.runner import sync_source


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakePagerDuty() as pd, FakeGitHub() as gh:
        tmp = Path(tmp)
        wh = build_warehouse(tmp / "wh.duckdb", BASE)
        (tmp / "exports").mkdir()
        for name in ("focus-1.2.csv", "focus-1.3.csv"):
            (tmp / "exports" / name).write_bytes((FIXTURES / "focus" / name).read_bytes())
        config = tmp / "modelops.toml"
        config.write_text(f"""
warehouse = "{wh}"
[sources.pagerduty]
kind = "pagerduty"
url = "{pd.base}"
map = "{FIXTURES / 'map.csv'}"
every = "5m"
backfill = "3650d"
[sources.github]
kind = "github"
url = "{gh.base}"
map = "{FIXTURES / 'map.csv'}"
every = "5m"
[sources.github.options]
repo = "acme/ml"
[sources.costs]
kind = "focus"
path = "exports/*.csv"
every = "1h"
""")
        sources = load_config(config).sources
        for source in sources.values():
            sync_source(wh, source)  # the first sync loads everything
        print(f"{'source':<10} {'in-process median':>18} {'max':>7} {'command median':>15}"
              f" {'max':>7}")
        for name, source in sources.items():
            inner, outer = [], []
            for _ in range(args.repeat):
                started = time.perf_counter()
                outcome = sync_source(wh, source)
                inner.append(time.perf_counter() - started)
                assert outcome.ok and outcome.rows == 0, outcome.lines
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "modelops.cli", "sync", name, "--config",
                                str(config)], check=False, capture_output=True, cwd=ROOT)
                outer.append(time.perf_counter() - started)
            print(f"{name:<10} {statistics.median(inner):>16.2f} s {max(inner):>5.2f} s"
                  f" {statistics.median(outer):>13.2f} s {max(outer):>5.2f} s")


if __name__ == "__main__":
    main()

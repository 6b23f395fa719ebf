"""Benchmark: how long a `modelops sync` that finds nothing new takes, per source.

    uv run python tests/bench/sync_noop.py [--repeat 5]

Starts the tests' fake PagerDuty and GitHub APIs (tests/sync_support.py: the recorded
answers in tests/fixtures/importers/) and a folder of FOCUS exports, syncs each source
once to load everything, then times further syncs that find nothing new:

  in-process  sync_source() alone (what each run of `sync --loop` costs);
  command     `.venv/bin/modelops sync NAME` as cron runs it (a new Python process each
              time), twice: "cold", with no bytecode cache (every module compiled from
              source at each start, as when `uv sync` installed without --compile-bytecode
              and the process may not write __pycache__, or PYTHONDONTWRITEBYTECODE is set),
              and "cached", with one (the deployment README recommends);
  uv run      `uv run modelops sync NAME` (cached), for uv's own overhead.

Each command's bytecode cache is a PYTHONPYCACHEPREFIX in the temporary folder, so the
figures do not depend on what the checkout's .venv holds.

The issue's target: at most 2 s per source. Figures, not pass/fail (not collected by
pytest).
"""

from __future__ import annotations

import argparse
import os
import shutil
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
        command = _command()
        cold = _env(PYTHONPYCACHEPREFIX=str(tmp / "no-cache"), PYTHONDONTWRITEBYTECODE="1")
        cached = _env(PYTHONPYCACHEPREFIX=str(tmp / "cache"))
        uv = shutil.which("uv")

        def run(argv: list[str], env: dict) -> float:
            started = time.perf_counter()
            subprocess.run(argv, check=False, capture_output=True, cwd=ROOT, env=env)
            return time.perf_counter() - started

        sync = ["sync", "--config", str(config)]
        run([*command, *sync, "costs"], cached)  # fills the bytecode cache
        columns = ["in-process", "cold", "cached"] + (["uv run"] if uv else [])
        print(f"{'source':<10}" + "".join(f" {c + ' median':>18} {'max':>6}"
                                          for c in columns))
        for name, source in sources.items():
            times = {c: [] for c in columns}
            for _ in range(args.repeat):
                started = time.perf_counter()
                outcome = sync_source(wh, source)
                times["in-process"].append(time.perf_counter() - started)
                assert outcome.ok and outcome.rows == 0, outcome.lines
                times["cold"].append(run([*command, *sync, name], cold))
                times["cached"].append(run([*command, *sync, name], cached))
                if uv:
                    times["uv run"].append(run([uv, "run", "--frozen", "modelops", *sync, name],
                                               cached))
            print(f"{name:<10}" + "".join(
                f" {statistics.median(times[c]):>16.2f} s {max(times[c]):>4.2f} s"
                for c in columns))
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def _command() -> list[str]:
    """The console script beside this Python (what cron runs), else `python -m`."""
    script = Path(sys.executable).with_name("modelops")
    return [str(script)] if script.exists() else [sys.executable, "-m", "modelops.cli"]


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE")}
    return {**env, **extra}


if __name__ == "__main__":
    main()

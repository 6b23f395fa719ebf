"""Benchmark: how long a `modelops sync` that finds nothing new takes, per source.

    uv run python tests/bench/sync_noop.py [--repeat 5]

Starts the tests' fake PagerDuty, Opsgenie, GitHub and MLflow APIs (tests/sync_support.py:
the recorded answers in tests/fixtures/importers/) and a folder of FOCUS exports, syncs each source
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
import resource
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
from sync_support import FakeGitHub, FakeMLflow, FakeOpsgenie, FakePagerDuty

from modelops.config import load_config
from modelops.sync.runner import sync_source


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with (tempfile.TemporaryDirectory() as tmp, FakePagerDuty() as pd, FakeOpsgenie() as og,
          FakeGitHub() as gh, FakeMLflow() as ml):
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
[sources.opsgenie]
kind = "opsgenie"
url = "{og.base}"
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
[sources.mlflow]
kind = "mlflow"
url = "{ml.base}"
map = "{FIXTURES / 'map.csv'}"
every = "5m"
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

        def run(argv: list[str], env: dict) -> tuple[float, float]:
            """Wall seconds, and CPU seconds (user + system: less swayed by other load)."""
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run(argv, check=False, capture_output=True, cwd=ROOT, env=env)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

        sync = ["sync", "--config", str(config)]
        run([*command, *sync, "costs"], cached)  # fills the bytecode cache
        commands = {"cold": (command, cold), "cached": (command, cached)}
        if uv:
            commands["uv run"] = ([uv, "run", "--frozen", "modelops"], cached)
        columns = ["in-process", *(f"{c} {m}" for c in commands for m in ("wall", "CPU"))]
        print("medians (max) in seconds; load average at the start "
              f"{os.getloadavg()[0]:.1f}")
        print(f"{'source':<10}" + "".join(f" {c:>16}" for c in columns))
        for name, source in sources.items():
            times = {c: [] for c in columns}
            for _ in range(args.repeat):
                started = time.perf_counter()
                outcome = sync_source(wh, source)
                times["in-process"].append(time.perf_counter() - started)
                assert outcome.ok and outcome.rows == 0, outcome.lines
                for label, (argv, env) in commands.items():
                    wall, cpu = run([*argv, *sync, name], env)
                    times[f"{label} wall"].append(wall)
                    times[f"{label} CPU"].append(cpu)
            print(f"{name:<10}" + "".join(
                f" {statistics.median(times[c]):>8.2f} ({max(times[c]):>4.2f})"
                for c in columns), flush=True)
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

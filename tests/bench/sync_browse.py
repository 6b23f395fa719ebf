"""Benchmark: the dashboard's page switches while a large `modelops sync` writes (issue 27).

    uv run python tests/bench/sync_browse.py --warehouse PATH [--rounds 2] [--json FILE]

Copies the warehouse (a demo one, e.g. 2,000 models × 365 days), gives fake PagerDuty and
Prometheus APIs a day of incidents and hourly metrics for every model (as
tests/bench/sync_scale.py does), serves the copy with `streamlit run`, and walks the sidebar
in headless Chromium, click by click, measured as tests/bench/browser.py measures a page
switch (click .. script finished, charts drawn, still for 250 ms). First `--rounds` walks
with nothing else running, then walks for as long as `modelops sync pd` and then
`modelops sync prom` run (processes of their own, as cron starts them). Prints the page
switches' median and slowest in each phase, and the syncs' times. Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# tests/ first: its browser.py is the server machinery (this folder's is the benchmark).
sys.path[:] = [str(ROOT / "tests"), *(p for p in sys.path if Path(p or ".").resolve() != HERE),
               str(HERE)]

from browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server
from sync_scale import SOURCES, fill, last_hour, sync, write_config
from sync_support import FakePagerDuty, FakePrometheus

# tests/bench/browser.py (its name clashes with tests/browser.py, which it imports itself).
_spec = importlib.util.spec_from_file_location("bench_browser", HERE / "browser.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def walk(probe, pages, log, until=None) -> list[dict]:
    """Click through `pages` in order (once, or until `until()` is true); one sample each."""
    samples = []
    while True:
        for title, _ in pages:
            def click(title=title):
                link = bench.nav_link(probe.page, title)
                t0 = probe.mark()
                link.click()
                return probe.done(t0)
            result = bench.sample(probe, click, log, f"nav {title}")
            if result is not None:
                errors = probe.page.locator("[data-testid=stException]").count()
                samples.append({"page": title, "ms": result["total"], "errors": errors,
                                "at": time.perf_counter()})
            if until is not None and until():
                return samples
        if until is None:
            return samples


def stats(samples: list[dict]) -> dict:
    ms = [s["ms"] for s in samples]
    return {"n": len(ms), "median_ms": statistics.median(ms) if ms else None,
            "max_ms": max(ms, default=None), "errors": sum(s["errors"] for s in samples)}


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    log = lambda text: print(text, flush=True)
    pages = [p for p in bench.PAGES if p[1] not in ("", "model")]
    figures: dict = {"warehouse": str(args.warehouse), "syncs": {}}
    with tempfile.TemporaryDirectory() as tmp, FakePagerDuty() as pd, \
            FakePrometheus() as prom:
        tmp = Path(tmp)
        wh = tmp / "warehouse.duckdb"
        shutil.copy(args.warehouse, wh)
        figures["models"] = fill(pd, prom, wh, last_hour())
        config = write_config(tmp / "modelops.toml", wh, pd, prom)
        with streamlit_server(wh, timeout_s=180) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1440, "height": 1100})
            context.add_init_script(bench.INIT_SCRIPT)
            probe = bench.Probe(context)
            probe.page.goto(url, timeout=300_000)
            probe.done(0, timeout_ms=300_000)
            walk(probe, pages, log)  # warm: every page once
            quiet = [s for _ in range(args.rounds) for s in walk(probe, pages, log)]
            figures["without_sync"] = stats(quiet)
            figures["samples_without_sync"] = [{k: v for k, v in x.items() if k != "at"}
                                               for x in quiet]
            log(f"without a sync: {figures['without_sync']}")

            running = {"done": False}

            def syncs() -> None:
                for name in SOURCES:
                    started = time.perf_counter()
                    done = sync(name, config)
                    figures["syncs"][name] = {
                        "seconds": time.perf_counter() - started, "exit": done.returncode,
                        "last_line": (done.stdout.strip().splitlines() or [done.stderr])[-1]}
                    log(f"sync {name}: {figures['syncs'][name]}")
                running["done"] = True

            worker = threading.Thread(target=syncs)
            started = time.perf_counter()
            worker.start()
            during = walk(probe, pages, log, until=lambda: running["done"])
            worker.join()
            figures["during_sync"] = stats(during)
            figures["samples_during_sync"] = [
                {"page": x["page"], "ms": x["ms"], "errors": x["errors"],
                 "after_s": x["at"] - started} for x in during]
            figures["sync_wall_s"] = time.perf_counter() - started
            log(f"while syncing: {figures['during_sync']}")
            browser.close()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()

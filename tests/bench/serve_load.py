"""Load figures: pages served to three browsers while `modelops ingest` runs every few seconds.

    uv run python tests/bench/serve_load.py [--duration 120] [--models 200] [--json FILE]

Builds a demo warehouse in a temporary directory (`modelops demo`), starts a real
`streamlit run app.py` on a free loopback port with MODELOPS_WAREHOUSE set, and for
--duration seconds drives three headless Chromium sessions, each reloading pages in turn
(Overview, Reliability, Incidents, Releases, Data), while a loop runs `modelops ingest` of
a small incidents file every 2-3 s from another process. Prints page loads, page errors
(an exception element on the page, or no finished run within --page-timeout), ingests,
failed ingests and the slowest ingest, as a table and as JSON.

A benchmark, not a test: pytest does not collect it (its name does not start with test_).
The last figures are in docs/PERFORMANCE.md, "Ingest while serving".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server

PAGES = ["", "reliability", "incidents", "releases", "data"]
SESSIONS = 3
DONE = "[data-testid=stApp][data-test-script-state=notRunning]"


def build_demo(warehouse: Path, models: int) -> None:
    subprocess.run([sys.executable, "-m", "modelops.cli", "demo", "--models", str(models),
                    "--warehouse", str(warehouse)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def a_model_id(warehouse: Path) -> str:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("SELECT min(model_id) FROM models").fetchall()[0][0]
    finally:
        con.close()


def ingest_loop(warehouse: Path, folder: Path, model_id: str, stop: threading.Event,
                outcomes: list) -> None:
    """`modelops ingest` of a two-row incidents file every 2-3 s, until stopped."""
    day = datetime.now(UTC).date() - timedelta(days=1)
    n = 0
    while not stop.is_set():
        path = folder / f"incidents-load-{n}.csv"
        path.write_text("incident_id,model_id,severity,title,started_at\n" + "".join(
            f"load-{n}-{k},{model_id},3,Injected under load,{day}T12:0{k}:00Z\n"
            for k in range(2)))
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "modelops.cli", "ingest", str(path), "--warehouse",
             str(warehouse)], cwd=ROOT, capture_output=True, text=True, check=False)
        outcomes.append({"exit": done.returncode, "seconds": time.monotonic() - started,
                         "stderr": done.stderr.strip()[-300:]})
        n += 1
        stop.wait(random.uniform(2.0, 3.0))


async def session(browser, url: str, until: float, page_timeout_ms: int, index: int,
                  loads: list) -> None:
    context = await browser.new_context(viewport={"width": 1440, "height": 1100})
    page = await context.new_page()
    turn = index  # the sessions start on different pages
    try:
        while time.monotonic() < until:
            path = PAGES[turn % len(PAGES)]
            turn += 1
            started = time.monotonic()
            outcome = "ok"
            try:
                await page.goto(f"{url}/{path}", timeout=page_timeout_ms)
                await page.wait_for_selector(DONE, timeout=page_timeout_ms)
                await page.wait_for_timeout(300)  # a rerun (the app shell) may follow
                await page.wait_for_selector(DONE, timeout=page_timeout_ms)
                if await page.locator("[data-testid=stException]").count():
                    text = await page.locator("[data-testid=stException]").first.inner_text()
                    outcome = "exception: " + " ".join(text.split())[:200]
            except Exception as error:  # noqa: BLE001 - a timeout is a page error here
                outcome = f"timeout: {type(error).__name__}"
            loads.append({"session": index, "page": path or "overview", "outcome": outcome,
                          "seconds": time.monotonic() - started})
    finally:
        await context.close()


async def drive(url: str, duration_s: float, page_timeout_ms: int, loads: list) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            until = time.monotonic() + duration_s
            await asyncio.gather(*(session(browser, url, until, page_timeout_ms, i, loads)
                                   for i in range(SESSIONS)))
        finally:
            await browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=120, help="seconds (default 120)")
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--page-timeout", type=float, default=60,
                        help="seconds a page may take before it counts as an error")
    parser.add_argument("--json", metavar="FILE", help="also write the figures here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="modelops-load-") as tmp:
        folder = Path(tmp)
        warehouse = folder / "warehouse.duckdb"
        started = time.monotonic()
        build_demo(warehouse, args.models)
        print(f"demo warehouse ({args.models} models) built in"
              f" {time.monotonic() - started:.0f} s", flush=True)
        model_id = a_model_id(warehouse)

        loads: list[dict] = []
        ingests: list[dict] = []
        stop = threading.Event()
        with streamlit_server(warehouse) as url:
            writer = threading.Thread(target=ingest_loop,
                                      args=(warehouse, folder, model_id, stop, ingests))
            writer.start()
            try:
                asyncio.run(drive(url, args.duration, int(args.page_timeout * 1000), loads))
            finally:
                stop.set()
                writer.join()

    errors = [load for load in loads if load["outcome"] != "ok"]
    failed = [i for i in ingests if i["exit"] != 0]
    figures = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "models": args.models,
        "duration_s": args.duration,
        "browser_sessions": SESSIONS,
        "page_loads": len(loads),
        "page_errors": len(errors),
        "slowest_page_s": round(max((x["seconds"] for x in loads), default=0), 2),
        "ingests": len(ingests),
        "failed_ingests": len(failed),
        "max_ingest_s": round(max((x["seconds"] for x in ingests), default=0), 2),
        "ingest_seconds": [round(x["seconds"], 2) for x in ingests],
        "page_errors_by_page": {page: sum(e["page"] == page for e in errors)
                                for page in sorted({e["page"] for e in errors})},
        "page_error_examples": sorted({f'{e["page"]}: {e["outcome"]}' for e in errors})[:5],
        "failed_ingest_examples": sorted({f["stderr"] for f in failed})[:5],
    }
    rows = [("page loads", figures["page_loads"]), ("page errors", figures["page_errors"]),
            ("slowest page load, s", figures["slowest_page_s"]),
            ("ingests", figures["ingests"]), ("failed ingests", figures["failed_ingests"]),
            ("max ingest, s", figures["max_ingest_s"])]
    print(f"\n{args.duration:.0f} s, {SESSIONS} browser sessions, {args.models} models")
    print("| measure | figure |\n|---|---:|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

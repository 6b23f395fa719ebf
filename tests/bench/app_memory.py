"""The dashboard's memory: a real `streamlit run` after a browser visits every page with filters.

    uv run python tests/bench/app_memory.py --warehouse PATH [--filters 3] [--json FILE]

Starts `streamlit run app.py` on the warehouse, then opens every page of the sidebar in
headless Chromium: first with no filter, then with each of --filters business units (a
link `?bu=<id>`, so each visit is a new session and the page's reads for that business
unit are not cached yet). After each visit it reads the server's resident memory
(/proc/PID/status: VmRSS now, VmHWM the peak so far). Prints a line per filter and, at
the end, the peak: issue 31's bound is 1.5 GB at 10,000 models.

A benchmark, not a test (pytest does not collect it). Figures: docs/PERFORMANCE.md,
"Memory of the dashboard".
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import duckdb
from browser import browser_page, server_pid, streamlit_server, wait_for_app

PATHS = ("", "overview", "reliability", "incidents", "releases", "team", "cost_value",
         "model_quality", "governance", "model", "weekly_report", "data", "definitions")


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of the process, in MB."""
    fields = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def business_units(warehouse: Path, count: int) -> list[str]:
    """The `count` business units with the most models: the heaviest filters."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("SELECT t.business_unit_id FROM models m JOIN teams t USING (team_id) "
                           "GROUP BY ALL ORDER BY count(*) DESC, 1 LIMIT $n", {"n": count}).fetchall()
    return [r[0] for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--filters", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures = {"warehouse": str(args.warehouse), "warehouse_gb":
               args.warehouse.stat().st_size / 1e9, "visits": []}
    filters = [None, *business_units(args.warehouse, args.filters)]
    with streamlit_server(args.warehouse, timeout_s=180) as url, browser_page() as page:
        pid = server_pid(url)
        figures["rss_mb_at_start"] = memory_mb(pid)[0]
        for bu in filters:
            started = time.perf_counter()
            for path in PATHS:
                page.goto(f"{url}/{path}" + (f"?bu={bu}" if bu else ""))
                wait_for_app(page, timeout_ms=300_000)
            rss, peak = memory_mb(pid)
            visit = {"filter": bu or "none", "rss_mb": rss, "peak_mb": peak,
                     "seconds": time.perf_counter() - started}
            figures["visits"].append(visit)
            print(f"every page, filter {visit['filter']}: RSS {rss:,.0f} MB, peak {peak:,.0f} MB"
                  f" ({visit['seconds']:.0f} s)", flush=True)
        figures["peak_mb"] = memory_mb(pid)[1]
    print(f"peak resident memory of the dashboard: {figures['peak_mb']:,.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()

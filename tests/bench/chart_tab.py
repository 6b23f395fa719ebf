"""What the first chart costs now that sections open on their tables.

    uv run python tests/bench/chart_tab.py --warehouse PATH [--repeat 3]

Starts `streamlit run app.py` on the warehouse and warms it. Then, per repeat, a fresh
browser context (no cache, as a browser that never opened the app) opens Reliability, and
the script times a click on its "Charts" tab until both of that section's charts have
drawn. In the same context it then opens Releases and times its "Chart" tab. That second
click is what a browser pays once Plotly's bundle is in its cache.

A benchmark, not a test (pytest does not collect it). Figures: docs/PERFORMANCE.md,
"7 December 2026, afternoon: every section opens on its table".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from browser import browser, streamlit_server, wait_for_app

VISITS = (("reliability", "Charts", 2), ("releases", "Chart", 1))


def open_chart_tab(page, label: str, charts: int) -> float:
    """ms from the click on the tab until `charts` Plotly charts have drawn."""
    started = time.perf_counter()
    page.get_by_role("tab", name=label, exact=True).first.click()
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=stPlotlyChart] .main-svg').length >= n",
        arg=charts, timeout=120_000)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {path: [] for path, _, _ in VISITS}
    with streamlit_server(args.warehouse, env={"MODELOPS_VALIDATE_CHARTS": "0"},
                          timeout_s=300) as url, browser() as chromium:
        warm = chromium.new_page()
        for path, _, _ in VISITS:
            warm.goto(f"{url}/{path}")
            wait_for_app(warm, timeout_ms=300_000)
        warm.close()
        for _ in range(args.repeat):
            context = chromium.new_context(viewport={"width": 1440, "height": 1000})
            page = context.new_page()
            for path, label, charts in VISITS:
                page.goto(f"{url}/{path}")
                wait_for_app(page, timeout_ms=300_000)
                timings[path].append(open_chart_tab(page, label, charts))
            context.close()
    for (path, label, _), when in zip(VISITS, ("fresh browser", "Plotly cached")):
        shown = ", ".join(f"{ms:,.0f}" for ms in timings[path])
        print(f"{path} '{label}' tab, {when}: {shown} ms "
              f"(median {statistics.median(timings[path]):,.0f})")


if __name__ == "__main__":
    main()

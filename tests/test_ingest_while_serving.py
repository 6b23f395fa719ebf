"""`modelops ingest` from another process while the real app serves a reloading browser.

The bound this test holds the scheme to (README, "Ingest while the dashboard serves"):
every ingest finishes within INGEST_BOUND_S, no page shows an error, and the app shows
the new data within SHOW_BOUND_S of the last ingest.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from browser import browser_page, metric_value, require_browser, streamlit_server, wait_for_app

from modelops.warehouse import reading
from queries.catalog import model_catalog

INGESTS = 4
NEW_PER_INGEST = 5
INGEST_BOUND_S = 30
SHOW_BOUND_S = 15


def _incident_file(folder, n: int, model_id: str):
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    rows = ["incident_id,model_id,severity,title,started_at"]
    for k in range(NEW_PER_INGEST):
        rows.append(f"live-{n}-{k},{model_id},3,Injected while serving,{yesterday}T12:0{k}:00Z")
    path = folder / f"incidents-live-{n}.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_ingest_succeeds_while_the_dashboard_serves(demo_warehouse, tmp_path):
    require_browser()
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    with reading(warehouse) as con:
        model_id = model_catalog(con)["model_id"][0]
    files = [_incident_file(tmp_path, n, model_id) for n in range(INGESTS)]

    outcomes: list[tuple[int, float, str]] = []

    def ingest_repeatedly():
        for path in files:
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "modelops.cli", "ingest", str(path),
                 "--warehouse", str(warehouse)],
                capture_output=True, text=True, timeout=120, check=False)
            outcomes.append((done.returncode, time.monotonic() - started, done.stderr))
            time.sleep(0.5)

    with streamlit_server(warehouse) as root, browser_page() as page:
        url = f"{root}/overview"  # the landing page is Week in review; Overview has the tiles
        page.goto(url)
        wait_for_app(page)
        page.wait_for_selector("[data-testid=stMetric]")
        before = int(metric_value(page, "Incidents").replace(",", ""))

        writer = threading.Thread(target=ingest_repeatedly)
        writer.start()
        reloads = 0
        while writer.is_alive():
            page.goto(url if reloads % 2 == 0 else f"{root}/data")
            wait_for_app(page)
            assert page.locator("[data-testid=stException]").count() == 0, page.content()[:500]
            reloads += 1
        writer.join()
        last_ingest_done = time.monotonic()

        assert reloads >= 2
        assert [code for code, _, _ in outcomes] == [0] * INGESTS, outcomes
        assert max(seconds for _, seconds, _ in outcomes) < INGEST_BOUND_S, outcomes

        expected = before + INGESTS * NEW_PER_INGEST
        shown = None
        while time.monotonic() - last_ingest_done < SHOW_BOUND_S:
            page.goto(url)
            wait_for_app(page)
            page.wait_for_selector("[data-testid=stMetric]")
            shown = int(metric_value(page, "Incidents").replace(",", ""))
            if shown == expected:
                break
        assert shown == expected, (before, shown, expected)

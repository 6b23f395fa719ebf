"""End to end in real headless Chromium: the Overview loads, a business unit is picked in the
sidebar, the numbers change, the URL carries the choice, and a screenshot is saved."""

from __future__ import annotations

import shutil
from pathlib import Path

from browser import browser_page, metric_value, require_browser, streamlit_server, wait_for_app

from queries.catalog import model_catalog
from queries.warehouse import reading

ARTIFACTS = Path(__file__).parent / "artifacts"


def test_overview_in_a_real_browser(demo_warehouse, tmp_path):
    require_browser()
    with reading(demo_warehouse) as con:
        catalog = model_catalog(con)
    bu_id, bu_name = catalog.select("business_unit_id", "business_unit").row(0)

    # A copy, so the server's reads never meet another test's writes.
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    with streamlit_server(warehouse) as url, browser_page() as page:
        page.goto(url)
        wait_for_app(page)
        page.wait_for_selector("[data-testid=stMetric]")
        all_requests = metric_value(page, "Requests")
        assert all_requests not in ("", "–")

        sidebar = page.locator("[data-testid=stSidebar]")
        sidebar.get_by_role("combobox", name="Business units").click()
        page.get_by_role("option", name=bu_name).click()
        page.keyboard.press("Escape")
        page.wait_for_function(
            "() => new URLSearchParams(location.search).has('bu')", timeout=30_000)
        wait_for_app(page)
        page.wait_for_function(
            """([label, before]) => {
                const tile = [...document.querySelectorAll('[data-testid=stMetric]')]
                    .find(t => t.innerText.includes(label));
                const value = tile && tile.querySelector('[data-testid=stMetricValue]');
                return value && value.innerText !== before;
            }""", arg=["Requests", all_requests], timeout=30_000)
        one_bu_requests = metric_value(page, "Requests")
        assert one_bu_requests != all_requests
        assert f"bu={bu_id}" in page.url

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=False)
        assert (ARTIFACTS / "overview.png").stat().st_size > 20_000

        # The URL alone reproduces the view for a colleague.
        page.goto(page.url)
        wait_for_app(page)
        page.wait_for_selector("[data-testid=stMetric]")
        assert metric_value(page, "Requests") == one_bu_requests

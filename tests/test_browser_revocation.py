"""Revocation reaches a click that reruns only a fragment, and a download (issue 24, item 10),
in real headless Chromium behind the sign-in proxy (tests/identity_proxy.py: Chromium does
not send extra headers on the WebSocket upgrade, so the identity must come from a proxy).
AppTest's version of the same checks: tests/test_access.py, "revocation"."""

from __future__ import annotations

import shutil

import pytest
from browser import browser_page, require_browser, streamlit_server, wait_for_app
from identity_proxy import identity_proxy

from modelops.warehouse import reading
from queries.catalog import model_catalog

HEADER = "X-Forwarded-Email"


def grant(policy, *users_and_units) -> None:
    lines = [f'header = "{HEADER}"', 'admins = ["boss@example.com"]', "[grants]"]
    lines += [f'"{user}" = ["{unit}"]' for user, unit in users_and_units]
    policy.write_text("\n".join(lines) + "\n")


def wait_for_title(page, title: str, timeout_ms: int = 30_000) -> None:
    """Until an h1 names the page (the text before " · ": Week in review adds its dates)."""
    page.wait_for_function(
        "t => [...document.querySelectorAll('h1')]"
        ".some(h => h.innerText.trim().split(' · ')[0] === t)",
        arg=title, timeout=timeout_ms)


def test_a_revoked_grant_reaches_fragments_and_downloads_in_chromium(demo_warehouse, tmp_path):
    require_browser()
    with reading(demo_warehouse) as con:
        mine = model_catalog(con)["business_unit_id"][0]
    policy = tmp_path / "policy.toml"
    grant(policy, ("alice@example.com", mine))
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    env = {"MODELOPS_ACCESS_POLICY": str(policy)}
    with streamlit_server(warehouse, env=env) as url, browser_page() as page, \
            identity_proxy(url, HEADER, "alice@example.com") as proxy:
        # The Incidents "Per" control reruns only its fragment.
        page.goto(f"{proxy.url}/incidents")
        wait_for_app(page, timeout_ms=120_000)
        wait_for_title(page, "Incidents")
        assert proxy.log.upgrades(), "the session's WebSocket did not go through the proxy"
        grant(policy, ("bob@example.com", mine))  # alice's grant removed
        page.locator("[data-testid=stButtonGroup]").get_by_text("Day", exact=True).click()
        wait_for_title(page, "No access")
        assert page.locator(".js-plotly-plot").count() == 0

        # A lazy tab of Reliability (a fragment too).
        grant(policy, ("alice@example.com", mine))
        page.goto(f"{proxy.url}/reliability")
        wait_for_app(page, timeout_ms=120_000)
        wait_for_title(page, "Reliability")
        tabs = page.locator("[data-testid=stTabs] [role=tab]")
        assert tabs.count() >= 2
        grant(policy, ("bob@example.com", mine))
        tabs.nth(1).click()
        wait_for_title(page, "No access")

        # Week in review's "Download Markdown": its bytes are built on click.
        grant(policy, ("alice@example.com", mine))
        page.goto(proxy.url)
        wait_for_app(page, timeout_ms=120_000)
        wait_for_title(page, "Week in review")
        button = page.get_by_role("button", name="Download Markdown")
        with page.expect_download(timeout=30_000) as granted:
            button.click()
        assert granted.value.suggested_filename.endswith(".md")
        grant(policy, ("bob@example.com", mine))
        with pytest.raises(Exception, match="Timeout"), \
                page.expect_download(timeout=10_000):
            button.click()
    # The server says why in one line, without a traceback.
    log = (warehouse.parent / f"streamlit-{url.rsplit(':', 1)[1]}.log").read_text()
    assert "download refused: access changed since the page was drawn" in log, log[-2000:]
    assert "Traceback" not in log, log[-2000:]

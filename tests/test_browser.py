"""End to end in real headless Chromium: the Overview loads, a business unit is picked in the
sidebar, the numbers change, the URL carries the choice, and a screenshot is saved."""

from __future__ import annotations

import shutil
from datetime import UTC
from pathlib import Path

import pytest
from browser import browser_page, metric_value, require_browser, streamlit_server, wait_for_app

from dashboard.filter_bar import preset_days, today
from modelops.warehouse import reading
from queries.catalog import model_catalog

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
        page.goto(f"{url}/overview")
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


HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


def test_text_from_the_data_never_runs_as_html(demo_warehouse, tmp_path):
    """A model name and an incident title carrying HTML and script are shown as text."""
    require_browser()
    import csv
    from datetime import datetime, timedelta

    from modelops.warehouse import writing
    from modelops.warehouse.ingest import ingest_file

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    with reading(warehouse) as con:
        model = con.sql("SELECT * FROM models ORDER BY model_id LIMIT 1").pl()
    model = model.with_columns(name=model["name"].str.replace(r"^", HOSTILE),
                               runbook_url=model["model_id"].str.replace(
                                   r"^", "javascript:window.__xss=3;//"))
    model.write_csv(tmp_path / "models.csv")
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    with open(tmp_path / "incidents.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["incident_id", "model_id", "severity", "title", "started_at",
                         "postmortem_url"])
        writer.writerow(["xss-1", model["model_id"][0], 1, HOSTILE, f"{yesterday}T09:00:00Z",
                         "javascript:window.__xss=4"])
    with writing(warehouse) as con:
        for name in ("models.csv", "incidents.csv"):
            assert ingest_file(con, tmp_path / name).status == "loaded"

    model_id = model["model_id"][0]
    with streamlit_server(warehouse) as url, browser_page() as page:
        for path in ("", "/incidents", "/governance", f"/model?id={model_id}"):
            page.goto(url + path)
            wait_for_app(page)
            page.wait_for_timeout(500)
            assert page.evaluate("() => window.__xss") is None, path
            assert page.locator("[data-testid=stException]").count() == 0, path
        # The detail page names the model: the markup shows as literal text.
        assert "<script>" in page.locator("[data-testid=stMain]").inner_text()


def test_a_deep_link_to_a_page_opens_that_page_on_a_fresh_server(demo_warehouse, tmp_path):
    """A pages/ folder beside app.py puts Streamlit in its legacy multipage mode until
    app.py runs; the first session of a server opening /incidents must still get the app's
    filter bar and the Incidents page, not a bare page script."""
    require_browser()
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    with streamlit_server(warehouse) as url, browser_page() as page:
        page.goto(f"{url}/incidents?period=7d")
        wait_for_app(page)
        page.wait_for_selector("h1")
        assert page.locator("h1").first.inner_text() == "Incidents"
        assert page.locator("[data-testid=stException]").count() == 0
        assert "period=7d" in page.url
        first, last = preset_days("7d", today())
        assert page.locator("[data-testid=stSidebar]").get_by_text(
            f"{first:%a %d %b %Y} – {last:%a %d %b %Y} (UTC)").count() == 1


def test_the_weekly_download_is_the_reports_csv(demo_warehouse, tmp_path):
    """The button writes its bytes only when clicked (AppTest cannot read them): the file a
    browser receives is to_csv(weekly_report(...)), the CLI's bytes."""
    from datetime import datetime

    from modelops.reports import weekly

    require_browser()
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    week = weekly.last_complete_week(datetime.now(UTC).replace(tzinfo=None))
    with reading(warehouse) as con:
        expected = weekly.to_csv(weekly.weekly_report(con, week))
    with streamlit_server(warehouse) as url, browser_page() as page:
        page.goto(f"{url}/weekly_report")
        wait_for_app(page)
        with page.expect_download(timeout=30_000) as download:
            page.get_by_role("button", name="Download CSV").click()
        assert download.value.suggested_filename == f"modelops-weekly-{week}-model-all.csv"
        assert Path(download.value.path()).read_bytes() == expected


def through_the_proxy(proxy, page) -> None:
    """The harness, checked before the app is: the session's WebSocket went through the
    sign-in proxy, carrying the proxy's identity header (Streamlit reads the user from the
    upgrade request, so a page served without it would test nothing)."""
    upgrades = [r for r in proxy.log.upgrades() if r.path.endswith("/_stcore/stream")]
    assert upgrades, ("the browser opened no WebSocket through the identity proxy",
                      page.url, [r.path for r in proxy.log.requests])
    expected = [proxy.value] * (2 if proxy.mode == "duplicate" else 1)
    assert all(r.identity == expected for r in upgrades), (expected, upgrades)


def test_the_user_from_a_trusted_proxy_header_is_scoped(demo_warehouse, tmp_path):
    """The oauth2-proxy deployment: the policy names the header the proxy sets on every
    request, the WebSocket upgrade included (tests/identity_proxy.py)."""
    from identity_proxy import identity_proxy

    require_browser()
    with reading(demo_warehouse) as con:
        catalog = model_catalog(con)
    mine = catalog["business_unit_id"][0]
    policy = tmp_path / "policy.toml"
    policy.write_text('header = "X-Forwarded-Email"\nadmins = ["boss@example.com"]\n'
                      f'[grants]\n"alice@example.com" = ["{mine}"]\n')
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    env = {"MODELOPS_ACCESS_POLICY": str(policy)}
    header = "X-Forwarded-Email"
    with streamlit_server(warehouse, env=env) as url, browser_page() as page:
        with identity_proxy(url, header, "mallory@example.com") as proxy:
            page.goto(proxy.url)
            wait_for_app(page)
            through_the_proxy(proxy, page)
            assert page.locator("h1").first.inner_text() == "No access"

        # The browser names the admin itself: the proxy replaces that with its own user.
        page.set_extra_http_headers({header: "boss@example.com"})
        with identity_proxy(url, header, "alice@example.com") as proxy:
            page.goto(f"{proxy.url}/overview?bu={catalog['business_unit_id'][-1]}")
            wait_for_app(page)
            page.wait_for_selector("[data-testid=stMetric]")
            through_the_proxy(proxy, page)
            assert page.locator("h1").first.inner_text() == "Overview"
            page.locator("[data-testid=stSidebar]").get_by_role(
                "combobox", name="Business units").click()
            options = page.get_by_role("option").all_inner_texts()
            names = set(catalog.filter(catalog["business_unit_id"] == mine)["business_unit"])
            assert options and set(options) - {"Select all"} <= names, options

        # A chain of proxies that each add the header: refused, whoever it names.
        with identity_proxy(url, header, "boss@example.com", mode="duplicate") as proxy:
            page.goto(f"{proxy.url}/overview")
            wait_for_app(page)
            through_the_proxy(proxy, page)
            assert page.locator("h1").first.inner_text() == "No access"
            assert page.get_by_text("names its user more than once").count() == 1


# --- first visits on a fresh server -------------------------------------------------------

TITLES = {"Week in review", "Team", "Overview", "Reliability", "Incidents", "Releases",
          "Cost & value", "Model quality", "Governance", "Model detail", "Weekly report", "Data", "KPI definitions"}
DEEP_LINKS = {"/incidents?period=7d": "Incidents", "/reliability": "Reliability",
              "/cost_value": "Cost & value", "/definitions": "KPI definitions",
              "/": "Week in review", "/overview": "Overview", "/weekly_report": "Weekly report"}


def open_at_once(chromium, url: str, links: dict[str, str]):
    """One browser context (a separate user session) per link, all navigating at once."""
    from browser import WATCH_SCREEN

    pages = {}
    for path in links:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(WATCH_SCREEN)
        page = context.new_page()
        page.goto(f"{url}{path}", wait_until="commit")
        pages[path] = page
    return pages


def screens_of(page) -> list[dict]:
    """What WATCH_SCREEN noted. Checked first: the assertions on every screen would pass on
    none if the browser stopped running init scripts before the page's own, or observing
    its mutations."""
    screens = page.evaluate("() => window.__screens")
    missing = ("the browser ran no init script (Playwright add_init_script) or its "
               "MutationObserver saw no change: no screen was recorded")
    assert screens, (missing, page.url)
    return screens


def settled(page, title: str) -> None:
    page.wait_for_function(
        "t => [...document.querySelectorAll('[data-testid=stMain] h1')]"
        ".some(h => h.innerText.trim().split(' · ')[0] === t)", arg=title, timeout=180_000)
    wait_for_app(page, timeout_ms=180_000)


@pytest.mark.parametrize("with_policy", [False, True], ids=["open", "policy"])
def test_many_first_visits_on_a_fresh_server_all_get_the_app_shell(demo_warehouse, tmp_path,
                                                                   with_policy):
    """Issue 11.7 / 13: several sessions deep-link into a server no session has run app.py
    on yet (Streamlit's legacy pages/ mode). Each gets the app shell — the filter bar, the
    app's own navigation, the access gate — and no screen ever shows a page without it, or
    the sidebar listing pages/ files."""
    from contextlib import ExitStack

    from browser import browser
    from identity_proxy import identity_proxy

    require_browser()
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    env, users = {}, {"": DEEP_LINKS}
    if with_policy:
        with reading(warehouse) as con:
            mine = model_catalog(con)["business_unit_id"][0]
        policy = tmp_path / "policy.toml"
        policy.write_text(f'header = "X-Forwarded-Email"\nadmins = ["boss@example.com"]\n'
                          f'[grants]\n"alice@example.com" = ["{mine}"]\n')
        env = {"MODELOPS_ACCESS_POLICY": str(policy)}
        users = {"alice@example.com": {"/incidents?period=7d": "Incidents",
                                       "/definitions": "KPI definitions"},
                 "boss@example.com": {"/data": "Data", "/reliability": "Reliability"},
                 "mallory@example.com": {"/incidents": "No access", "/data": "No access"}}
    with (streamlit_server(warehouse, env=env) as url, browser() as chromium,
          ExitStack() as proxies):
        opened, proxy_of = {}, {}
        for user, links in users.items():
            # Each user signs in through their own proxy, as oauth2-proxy's cookie would.
            proxy_of[user] = user and proxies.enter_context(
                identity_proxy(url, "X-Forwarded-Email", user))
            entry = proxy_of[user].url if user else url
            for path, page in open_at_once(chromium, entry, links).items():
                opened[(user, path)] = (page, links[path])
        for (user, path), (page, title) in opened.items():
            settled(page, title)
            if user:
                through_the_proxy(proxy_of[user], page)
            assert page.locator("[data-testid=stException]").count() == 0, (user, path)
            screens = screens_of(page)
            for screen in screens:
                legacy_list = not set(screen["nav"]) <= TITLES  # pages/ files, for a moment
                assert not (legacy_list and (screen["h1"] or screen["progress"])), (
                    "the legacy list of pages/ files beside content", user, path, screen)
                if title == "No access":
                    assert set(screen["h1"]) <= {"No access"}, (user, path, screen)
                    assert not screen["filters"], (user, path, screen)
                elif set(screen["h1"]) & TITLES:
                    assert screen["filters"], ("a page drawn outside the shell", user, path,
                                               screen)
            final = screens[-1]
            if title == "KPI definitions":  # every definition the app links is there
                from dashboard.presentation import MEASURES

                for anchor in {m.anchor for m in MEASURES.values()}:
                    assert page.locator(f'[id="{anchor}"]').count() == 1, anchor
            if title != "No access":
                assert final["filters"] and final["h1"][0] == title, (user, path, final)
                expected_nav = TITLES - ({"Data"} if user == "alice@example.com" else set())
                assert set(final["nav"]) == expected_nav, (user, path, final["nav"])


def test_first_visits_during_the_demo_build_see_the_shell_and_its_progress(tmp_path):
    """On a fresh checkout the first start builds the demo data: every session arriving
    meanwhile sees the app's title and a progress bar of the build's steps (never a list
    of module names), then its page."""
    from browser import browser

    require_browser()
    warehouse = tmp_path / "fresh" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    links = {"/": "Week in review", "/incidents": "Incidents", "/definitions": "KPI definitions"}
    with streamlit_server(warehouse) as url, browser() as chromium:
        pages = open_at_once(chromium, url, links)
        for path, page in pages.items():
            settled(page, links[path])
            screens = screens_of(page)
            assert any(s["h1"] == ["modelops"] and s["progress"] for s in screens), (path,
                                                                                    screens)
            for screen in screens:
                # The build screen never sits under the legacy list of pages/ files.
                if screen["h1"] or screen["progress"]:
                    assert set(screen["nav"]) <= TITLES, (path, screen)
                if set(screen["h1"]) & TITLES:
                    assert screen["filters"], (path, screen)
            assert page.locator("[data-testid=stException]").count() == 0
        assert warehouse.exists()


def test_tables_fit_the_page_and_definitions_read_as_text(demo_warehouse, tmp_path):
    """What only a browser shows (issue 16): the Governance audit trail, its ids, commits
    and digests hidden until picked, fits the page's frame without scrolling sideways; on
    the Definitions page no wrapped line turns into a quote and the title is shown once."""
    require_browser()
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    with streamlit_server(warehouse) as url, browser_page(width=1440) as page:
        page.goto(f"{url}/governance")
        wait_for_app(page)
        page.get_by_role("tab", name="Model versions (audit trail)").click()  # a lazy tab
        page.wait_for_selector("text=Only versions live in production")
        wait_for_app(page)
        page.wait_for_selector("[data-testid=stDataFrame]")
        page.wait_for_timeout(1000)
        widths = page.evaluate("""() => [...document.querySelectorAll(
                '[data-testid=stDataFrame]')].map(frame => {
            const scroller = frame.querySelector('.dvn-scroller');
            return scroller ? [scroller.scrollWidth, scroller.clientWidth] : null;
        })""")
        versions = [w for w in widths if w][-1]  # the audit trail is the page's last table
        assert versions[0] <= versions[1] + 2, versions

        page.goto(f"{url}/definitions")
        wait_for_app(page)
        page.wait_for_selector("[data-testid=stMarkdown] h2")
        assert page.locator("[data-testid=stMain] blockquote").count() == 0
        titles = page.locator("[data-testid=stMain] h1").all_inner_texts()
        assert [t.strip() for t in titles] == ["KPI definitions"]
        assert "reference vectors" not in page.locator("[data-testid=stMain]").inner_text()


def test_the_week_in_review_as_a_manager_uses_it(demo_warehouse, tmp_path):
    """Issue 28, what only a browser shows: the tab names the page; a counter's link lands
    on its section; one click on a row's "open" (after the pointer is over it, as a
    person's is) opens that model's page for the reviewed week; at 390 px the page does not
    scroll sideways."""
    import time
    from urllib.parse import parse_qs, urlsplit

    from modelops.reports import review
    from modelops.reports import weekly as report

    require_browser()
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    week = report.last_complete_week()
    start, _ = report.parse_week(week)
    with streamlit_server(warehouse) as url, browser_page() as page:
        page.goto(url)
        wait_for_app(page)
        assert page.title() == "Week in review · modelops"
        assert parse_qs(urlsplit(page.url).query)["week"] == [week]
        heading = page.locator("h1").first.inner_text()
        assert heading == f"Week in review · {review.week_dates(week)}"
        # A counter's label is the link to its section.
        page.get_by_role("link", name="SLOs missed").first.click()
        page.wait_for_function("() => location.hash === '#slos-missed'")
        section = page.locator("[id=slos-missed]")
        assert section.is_visible() and section.bounding_box()["y"] < 300
        # One click on "open" (the first column of the first row) opens the model.
        grid = page.locator("[data-testid=stDataFrame]").first
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        x, y = box["x"] + 25, box["y"] + 35 + 17
        page.mouse.move(x - 5, y)
        page.mouse.move(x, y)
        time.sleep(0.5)
        with page.context.expect_page(timeout=10_000) as opened:
            page.mouse.click(x, y)
        target = urlsplit(opened.value.url)
        query = parse_qs(target.query)
        assert target.path == "/model" and query["id"][0].startswith("mdl-")
        assert query["period"] == ["custom"] and query["start"] == [start.date().isoformat()]
        opened.value.close()
        page.goto(f"{url}/incidents")
        wait_for_app(page)
        assert page.title() == "Incidents · modelops"
    with streamlit_server(warehouse) as url, browser_page(width=390, height=844) as page:
        page.goto(url)
        wait_for_app(page)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_keyboard_focus_is_visible_and_charts_do_not_trap_tab(demo_warehouse, tmp_path):
    """Issue 28 item 16: no chart adds Tab stops (Plotly's mode bar added 8 each); the
    element the keyboard reaches shows a 3 px outline, the sidebar's links included."""
    require_browser()
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    with streamlit_server(warehouse) as url, browser_page() as page:
        page.goto(f"{url}/overview")
        wait_for_app(page)
        page.get_by_role("tab", name="Trends").click()  # a lazy tab: three charts
        page.wait_for_selector("[data-testid=stPlotlyChart] .main-svg", timeout=60_000)
        wait_for_app(page)
        stops = page.evaluate("""() => [...document.querySelectorAll(
            '[data-testid=stPlotlyChart]')].map(c => c.querySelectorAll(
            'a[href], button, input, [tabindex]:not([tabindex="-1"])').length)""")
        assert stops and set(stops) == {0}, stops
        page.keyboard.press("Tab")
        link = page.locator("[data-testid=stSidebarNavLink]").nth(1)
        link.focus()
        outline = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
            return [s.outlineStyle, s.outlineWidth]; }""")
        assert outline == ["solid", "3px"], outline

"""The screens as a manager meets them, in real headless Chromium: accessibility (axe-core),
the dark theme and a phone-wide window, and getting from a model anywhere to its detail page.

axe-core is vendored unmodified (tests/vendor/axe.min.js, MPL-2.0, licence header kept).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from browser import browser_page, require_browser, streamlit_server, wait_for_app

from modelops.warehouse import reading
from queries.catalog import model_catalog

ARTIFACTS = Path(__file__).parent / "artifacts"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"

PAGES = ["", "overview", "reliability", "incidents", "releases", "cost_value", "model_quality",
         "governance", "weekly_report", "data", "definitions"]

# Serious or critical axe findings in Streamlit's and Plotly's own markup, which the app
# cannot change: (rule, the Streamlit part the element sits in, why it is not the app's).
# The part is the nearest enclosing element with one of OWNERS' test ids or classes.
OWNERS = ("[data-testid=stSidebarNav]", "[data-testid=stDataFrame]", ".js-plotly-plot",
          "[data-testid=stToolbar]", "[data-testid=stHeader]")
STREAMLIT_OWN = [
    ("list", "[data-testid=stSidebarNav]",
     "Streamlit's navigation puts its section headers directly inside its <ul>"),
    ("listitem", "[data-testid=stSidebarNav]",
     "so its <li> items are, to axe, outside a list"),
    ("scrollable-region-focusable", "[data-testid=stDataFrame]",
     "glide-data-grid's scroll area; the grid takes keyboard focus on its canvas"),
    ("aria-required-children", "[data-testid=stDataFrame]", "glide-data-grid's grid roles"),
    ("aria-required-parent", "[data-testid=stDataFrame]", "glide-data-grid's grid roles"),
    ("nested-interactive", "[data-testid=stDataFrame]", "glide-data-grid's header cells"),
    ("svg-img-alt", ".js-plotly-plot", "Plotly's modebar icons"),
    ("color-contrast", ".js-plotly-plot", "Plotly's modebar, shown on hover"),
    ("aria-hidden-focus", "[data-testid=stHeader]", "Streamlit's header when collapsed"),
]


def _ours(violation: dict) -> list[str]:
    """The nodes of a violation that are the app's, as 'rule: selector' strings."""
    found = []
    for node in violation["nodes"]:
        if (violation["id"], node["owner"]) in {(r, o) for r, o, _ in STREAMLIT_OWN}:
            continue
        where = " ".join(map(str, node["target"])) + " " + node.get("html", "")
        found.append(f"{violation['id']} ({violation['impact']}): {where[:200]}")
    return found


def _axe(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async (owners) => {
        const result = await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']},
            resultTypes: ['violations']});
        const owner = target => {
            const element = document.querySelector(target[target.length - 1]);
            return element && owners.find(o => element.closest(o)) || null;
        };
        return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map(n => ({target: n.target, html: n.html,
                                                  owner: owner(n.target)}))}));
    }""", list(OWNERS))


@pytest.fixture(scope="module")
def served(demo_warehouse, tmp_path_factory):
    """One server per worker for the file: its tests only read, each in its own sessions
    (a server start and its first run took 8-25 s of the file's time, six times over)."""
    require_browser()
    warehouse = tmp_path_factory.mktemp("served") / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    with streamlit_server(warehouse, timeout_s=180) as url:
        yield url


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations_of_the_apps_own(served, scheme):
    """axe-core on every page, light and dark (one test each, so the two run in parallel):
    no serious or critical finding in what the app draws (Streamlit's and Plotly's own are
    in STREAMLIT_OWN, with the reason)."""
    problems, seen = [], []
    with browser_page(color_scheme=scheme) as page:
        for path in PAGES:
            page.goto(f"{served}/{path}")
            wait_for_app(page, timeout_ms=120_000)
            page.wait_for_timeout(500)
            for violation in _axe(page):
                seen.append({"scheme": scheme, "page": "/" + path, **violation})
                problems += [f"{scheme} /{path}: {p}" for p in _ours(violation)]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{scheme}.json").write_text(json.dumps(seen, indent=1))
    assert not problems, "\n".join(problems)


def _overflow(page) -> dict:
    """What does not fit: the page wider than the window, tile text cut off."""
    return page.evaluate("""() => {
        const body = document.scrollingElement;
        const clipped = [...document.querySelectorAll(
            '[data-testid=stMetricValue], [data-testid=stMetricLabel]')]
            .flatMap(e => [e, ...e.querySelectorAll('*')])
            .filter(e => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0)
            .map(e => e.innerText);
        return {page: body.scrollWidth - window.innerWidth, clipped: clipped};
    }""")


@pytest.mark.parametrize("scheme,width", [("dark", 390), ("light", 390), ("dark", 1440),
                                          ("light", 1280)])
def test_overview_and_reliability_stay_readable(served, scheme, width):
    """Tiles wrap instead of cutting their values and labels off, the page never scrolls
    sideways (wide tables and charts scroll or resize inside it), in either theme."""
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(width=width, height=900, color_scheme=scheme) as page:
        for path, name in (("overview", "overview"), ("reliability", "reliability")):
            page.goto(f"{served}/{path}")
            wait_for_app(page, timeout_ms=120_000)
            page.wait_for_selector("[data-testid=stMetric]")
            page.wait_for_timeout(800)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{scheme}-{width}.png"),
                            full_page=True)
            fit = _overflow(page)
            assert fit["page"] <= 0, (name, fit)
            assert fit["clipped"] == [], (name, fit)
            if scheme == "dark":
                background = page.evaluate(
                    "() => getComputedStyle(document.querySelector('[data-testid=stApp]'))"
                    ".backgroundColor")
                assert background != "rgb(255, 255, 255)", name


def _wait_for_detail(page) -> None:
    """st.switch_page changes the URL in place (history), without a page load."""
    page.wait_for_function("() => location.pathname.endsWith('/model')", timeout=60_000)


def test_a_model_in_a_table_or_chart_opens_its_detail_with_the_filters_kept(served,
                                                                          demo_warehouse):
    """Picking a row of a models table, or a bar of a per-model chart, opens that model's
    detail page in the same tab, with the period and business unit of the view; every
    table offers Streamlit's CSV download."""
    with reading(demo_warehouse) as con:
        catalog = model_catalog(con)
    bu_id = catalog["business_unit_id"][0]
    with browser_page() as page:
        start = f"{served}/reliability?period=7d&bu={bu_id}"
        page.goto(start)
        wait_for_app(page, timeout_ms=120_000)
        grid = page.locator("[data-testid=stDataFrame]").first
        grid.scroll_into_view_if_needed()
        grid.hover()
        download = page.locator("[data-testid=stElementToolbar]").get_by_role(
            "button", name="Download as CSV")
        assert download.count() >= 1 and download.first.is_enabled()

        box = grid.bounding_box()
        page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)  # the first row's selector
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "detail-row-picked.png"))
        _wait_for_detail(page)
        wait_for_app(page, timeout_ms=120_000)
        assert page.locator("h1").first.inner_text() == "Model detail"
        assert "period=7d" in page.url and f"bu={bu_id}" in page.url and "id=" in page.url
        assert len(page.context.pages) == 1, "the same tab"
        assert page.locator("[data-testid=stException]").count() == 0

        page.goto(start)
        wait_for_app(page, timeout_ms=120_000)
        page.get_by_role("tab", name="Charts").click()  # the section opens on its table
        page.wait_for_selector("[data-testid=stPlotlyChart] g.point path", timeout=60_000)
        chart = page.locator("[data-testid=stPlotlyChart]").first
        chart.scroll_into_view_if_needed()
        bar = chart.locator("g.point path").first.bounding_box()
        # Plotly's drag layer lies over the bars: click where the bar is, as a user does.
        page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
        _wait_for_detail(page)
        wait_for_app(page, timeout_ms=120_000)
        assert page.locator("h1").first.inner_text() == "Model detail"
        assert "period=7d" in page.url and f"bu={bu_id}" in page.url

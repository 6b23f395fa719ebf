"""Hostile names and a crafted link in real headless Chromium (issue 24, item 8): Streamlit's
Markdown and Plotly's markup must draw them as text. No identity is needed here (the access
policy's browser tests go through tests/identity_proxy.py when main has it)."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from browser import browser_page, require_browser, streamlit_server, wait_for_app
from test_text import COLOUR_ICON, IMAGE, LINK, hostile_tables

from dashboard.text import WORD_JOINER

# Every element or attribute through which a name could have become markup: a fetched image,
# a link (HTML or SVG), Streamlit's coloured text, a Material icon, an emoji.
INSPECT = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of ['src', 'href', 'xlink:href', 'srcset']) {
      const v = el.getAttribute(attr);
      if (v && v.includes('attacker')) found.push(el.tagName + ' ' + attr + '=' + v);
    }
  }
  for (const el of document.querySelectorAll('.stMarkdownColoredText'))
    found.push('coloured: ' + el.textContent);
  for (const el of document.querySelectorAll('[aria-label="home icon"]'))
    found.push('icon: ' + el.outerHTML.slice(0, 80));
  return {found, text: document.body.innerText};
}"""


def test_hostile_names_and_a_crafted_link_stay_text_in_chromium(tmp_path):
    require_browser()
    from conftest import build_warehouse

    warehouse = build_warehouse(tmp_path / "wh.duckdb", hostile_tables())
    crafted = "![b](http://attacker.invalid/x.png)"
    visits = {
        "scope line, filter chips, charts": "/overview?" + urlencode(
            [("bu", "bu1"), ("team", "t1"), ("model", "m1")]),
        "unknown ids warning": "/?" + urlencode(
            [("bu", crafted), ("bu", "[Sign in](http://attacker.invalid)")]),
        "charts and tables of models": "/reliability",
        "model detail": "/model?id=m1",
    }
    with streamlit_server(warehouse) as url, browser_page() as page:
        requested = []
        page.on("request", lambda r: requested.append(r.url))
        seen = {}
        for what, path in visits.items():
            page.goto(url + path)
            wait_for_app(page, timeout_ms=120_000)
            if path == "/reliability":  # its SLO section opens on the table
                page.get_by_role("tab", name="Charts").click()
                page.wait_for_selector("[data-testid=stPlotlyChart] .main-svg",
                                       timeout=60_000)
            page.wait_for_timeout(1500)  # charts draw after the script ends
            seen[what] = page.evaluate(INSPECT)
    for what, drawn in seen.items():
        assert drawn["found"] == [], (what, drawn["found"])
    assert not [r for r in requested if urlsplit(r).hostname == "attacker.invalid"]
    shown = {what: drawn["text"].replace(WORD_JOINER, "") for what, drawn in seen.items()}
    scope = shown["scope line, filter chips, charts"]
    assert f"Business units: {IMAGE} · Teams: {COLOUR_ICON} · Models: {LINK}" in scope, scope
    assert f"ignored: '{crafted}', '[Sign in](http://attacker.invalid)'" in \
        shown["unknown ids warning"]

"""Real-browser test machinery: a `streamlit run` server on loopback and headless Chromium.

Uses Debian's /usr/bin/chromium through Playwright (Playwright's own browser download does
not work here). Tests skip without chromium on a developer machine, but never in CI:
.ci/run sets MODELOPS_REQUIRE_BROWSER=1, and then a missing browser fails the test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update",
    "--disable-sync",
]


def require_browser() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("MODELOPS_REQUIRE_BROWSER"):
            pytest.fail("chromium is required here (MODELOPS_REQUIRE_BROWSER) but missing")
        pytest.skip("no chromium on this machine (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The process id of each running server by its base URL (benchmarks read its memory).
_SERVERS: dict[str, int] = {}


def server_pid(url: str) -> int:
    """The process id of the `streamlit run` that streamlit_server started at `url`."""
    return _SERVERS[url]


@contextmanager
def streamlit_server(warehouse: Path, env: dict | None = None, timeout_s: float = 60):
    """`streamlit run app.py` on a free loopback port; yields its base URL."""
    port = free_port()
    log_path = warehouse.parent / f"streamlit-{port}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
             "--server.address", "127.0.0.1", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "MODELOPS_WAREHOUSE": str(warehouse), **(env or {})},
        )
    url = f"http://127.0.0.1:{port}"
    _SERVERS[url] = proc.pid
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: see {log_path}")
            time.sleep(0.2)
        yield url
    finally:
        _SERVERS.pop(url, None)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def browser_page(width: int = 1440, height: int = 1100, color_scheme: str = "light"):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height},
                                    color_scheme=color_scheme)
            yield page
        finally:
            browser.close()


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Wait until the script has run to the end, as Streamlit's own e2e tests do."""
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]",
                           timeout=timeout_ms)
    page.wait_for_timeout(300)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]",
                           timeout=timeout_ms)


def metric_value(page, label: str) -> str:
    tile = page.locator("[data-testid=stMetric]", has_text=label).first
    return tile.locator("[data-testid=stMetricValue]").inner_text()


@contextmanager
def browser(width: int = 1440, height: int = 1000):
    """One headless Chromium; open a context per user with browser.new_context(...)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# Injected into every page before the app loads: on every change of the page, note what
# the screen shows — the main title(s), whether the sidebar holds the filter bar, the
# navigation's entries — so a test can tell whether anything was ever drawn outside the
# app shell, however briefly.
WATCH_SCREEN = r"""
window.__screens = [];
new MutationObserver(() => {
  // A title's page name: what comes before " · " (Week in review adds its week's dates).
  const h1 = [...document.querySelectorAll('[data-testid=stMain] h1')]
      .map(h => h.innerText.trim().split(' · ')[0]).filter(Boolean);
  const sidebar = document.querySelector('[data-testid=stSidebar]');
  const nav = [...document.querySelectorAll('[data-testid=stSidebarNav] a, '
      + '[data-testid=stSidebarNavLink], [data-testid=stTopNavLink]')]
      .map(a => a.innerText.trim().split('\n').pop().trim()).filter(Boolean);
  const shot = {h1, nav, filters: !!sidebar && sidebar.innerText.includes('Filters'),
                progress: !!document.querySelector('[data-testid=stProgress]')};
  const last = window.__screens[window.__screens.length - 1];
  if (!last || JSON.stringify(last) !== JSON.stringify(shot)) window.__screens.push(shot);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""

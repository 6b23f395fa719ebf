"""Benchmark modelops as the user feels it: real headless Chromium against `streamlit run`.

    uv run python tests/bench/browser.py [--models 200 2000] [--days 365] [--repeat 5]
                                         [--dir DIR] [--reuse] [--pages reliability ...]
                                         [--json docs/bench-browser.json] [--label NAME]

For each scale it builds a demo warehouse (`modelops demo`; with --reuse an existing
DIR/warehouse-<models>.duckdb is opened as it is), starts `streamlit run app.py` on a free
loopback port, visits every page once to warm the server, and then measures per page:

  nav     a click on the page's sidebar link, from the page before it in the sidebar;
  filter  picking one business unit in the sidebar on that page (a different one each
          time, so the page's reads are not cached yet);
  first   a fresh browser context opening the page's URL (the server stays warm): no
          cached scripts, as a browser that has never opened the app;
  return  a new tab of a browser that has opened the app before opening the page's URL (a
          new session; Streamlit's scripts come from the browser's cache).

Each sample runs from the click (or `goto`) until the script has finished
(`data-test-script-state=notRunning` after having run) AND every visible Plotly chart has
drawn, and the page has then stayed still for 250 ms (not counted). The breakdown:

  server  the click .. the script_finished message arriving (as Playwright sees the
          websocket frames, off the page's main thread): the run on the server, and sending;
  draw    the rest, to done: what the browser spends drawing after the script finished;
  bytes   received over the websocket in the run, per element type (ForwardMsg decoded
          with streamlit.proto; plotly figures, dataframes, markdown, ...).

Figures, not pass/fail: the targets are in docs/PERFORMANCE.md. Not collected by pytest
(tests/bench is not a test module: no test_ names).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server

# (sidebar title, URL path). Definitions is the near-empty reference page.
PAGES = [
    ("Week in review", ""), ("Overview", "overview"), ("Reliability", "reliability"),
    ("Incidents", "incidents"), ("Releases", "releases"), ("Team", "team"),
    ("Cost & value", "cost_value"),
    ("Model quality", "model_quality"), ("Governance", "governance"),
    ("Model detail", "model"), ("Weekly report", "weekly_report"), ("Data", "data"),
    ("KPI definitions", "definitions"),
]
QUIET_MS = 250

# Installed in every document before the app's own scripts: records script-state changes
# and every websocket message (time, direction, size) on the page's own clock.
INIT_SCRIPT = """
(() => {
  window.__states = [];
  window.__ws = [];
  new MutationObserver(records => {
    const now = performance.now();
    for (const r of records)
      window.__states.push([r.target.getAttribute('data-test-script-state'), now]);
  }).observe(document, {attributes: true, subtree: true,
                        attributeFilter: ['data-test-script-state']});
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    const send = ws.send.bind(ws);
    ws.send = data => {
      window.__ws.push(['sent', performance.now(), data.byteLength ?? data.length ?? 0]);
      return send(data);
    };
    ws.addEventListener('message', e => {
      window.__ws.push(['recv', performance.now(), e.data.byteLength ?? e.data.size ?? 0]);
    });
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();
"""

# Polled every animation frame once the script_finished message of the run has arrived
# (Probe.done watches the websocket for it: a fast run can go from running to notRunning
# within one React update, so the page's script-state attribute alone can miss a run).
# Done when the app is notRunning, every visible chart has drawn, and nothing changed for
# QUIET_MS. Returns the times in ms from t0.
READY = """
([t0, quiet]) => {
  const app = document.querySelector('[data-testid=stApp]');
  const now = performance.now();
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') {
    window.__drawn = null; return false;
  }
  const charts = [...document.querySelectorAll('[data-testid=stPlotlyChart]')]
    .filter(c => c.offsetParent !== null);
  const undrawn = charts.filter(c => !c.querySelector('.main-svg .plot, .gl-container'));
  if (undrawn.length) { window.__drawn = null; return false; }
  const skeletons = document.querySelectorAll('[data-testid=stSkeleton]').length;
  if (skeletons) { window.__drawn = null; return false; }
  const recv = window.__ws.filter(m => m[0] === 'recv' && m[1] >= t0);
  const stopped = window.__states.filter(s => s[1] >= t0 && s[0] === 'notRunning').pop();
  const finished = Math.max(stopped ? stopped[1] : t0,
                            recv.length ? recv[recv.length - 1][1] : t0);
  if (window.__drawn == null || window.__drawn < finished) window.__drawn = now;
  if (now - window.__drawn < quiet) return false;
  const sent = window.__ws.filter(m => m[0] === 'sent' && m[1] >= t0);
  return {
    total: window.__drawn - t0,
    script_done: finished - t0,
    first_sent: sent.length ? sent[0][1] - t0 : null,
    last_recv: recv.length ? recv[recv.length - 1][1] - t0 : null,
    bytes: recv.reduce((a, m) => a + m[2], 0),
    messages: recv.length,
    charts: charts.length,
  };
}
"""


def element_type(payload: bytes) -> str:
    """What a ForwardMsg carries: the element type of a new element, else the message kind."""
    from google.protobuf.message import DecodeError
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    try:
        msg.ParseFromString(payload)
    except DecodeError:
        return "undecodable"
    kind = msg.WhichOneof("type") or "none"
    if kind == "delta":
        delta_kind = msg.delta.WhichOneof("type")
        if delta_kind == "new_element":
            return msg.delta.new_element.WhichOneof("type") or "element"
        return f"delta.{delta_kind}"
    return kind


class Probe:
    """One browser page with the timing hooks, and the websocket payloads it receives."""

    def __init__(self, context):
        self.page = context.new_page()
        self.payloads: list[tuple[float, bytes]] = []
        self._checked = 0
        self.started = time.perf_counter()
        self.page.on("websocket", self._ws)

    def _ws(self, ws) -> None:
        def received(payload):
            if isinstance(payload, bytes | bytearray):
                self.payloads.append((time.perf_counter(), bytes(payload)))
        ws.on("framereceived", received)

    def mark(self) -> float:
        self.payloads.clear()
        self._checked = 0
        self.started = time.perf_counter()
        return self.page.evaluate("() => performance.now()")

    def _finished(self) -> float | None:
        """When the first script_finished message since mark() arrived (perf_counter)."""
        for at, payload in self.payloads[self._checked:]:
            self._checked += 1
            if len(payload) < 1_000 and element_type(payload) == "script_finished":
                return at
        return None

    def done(self, t0: float, timeout_ms: float = 90_000) -> dict:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        deadline = time.perf_counter() + timeout_ms / 1000
        self._checked = 0
        while self._finished() is None:
            if time.perf_counter() > deadline:
                raise PlaywrightTimeout("no script_finished message")
            self.page.wait_for_timeout(5)
        handle = self.page.wait_for_function(
            READY, arg=[t0, QUIET_MS], polling="raf",
            timeout=max(1_000, (deadline - time.perf_counter()) * 1000))
        result = handle.json_value()
        by_type: dict[str, int] = defaultdict(int)
        finished = None
        for at, payload in self.payloads:
            kind = element_type(payload)
            by_type[kind] += len(payload)
            if kind == "script_finished":
                finished = at
        result["by_type"] = dict(sorted(by_type.items(), key=lambda kv: -kv[1]))
        # The server's run as Playwright sees the frames (off the page's main thread, so a
        # chart being drawn does not delay it): click .. the script_finished message.
        if finished is not None and t0:
            result["server"] = (finished - self.started) * 1000
        else:
            result["server"] = (result["last_recv"] - result["first_sent"]
                                if result["last_recv"] is not None
                                and result["first_sent"] is not None else None)
        result["draw"] = (result["total"] - result["server"]
                          if result["server"] is not None else None)
        return result


def nav_link(page, title: str):
    return page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=title,
                                                                   exact=True)


def pick_business_unit(probe: Probe, name: str) -> dict:
    page = probe.page
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_role("combobox", name="Business units").click()
    option = page.get_by_role("option", name=name, exact=True)
    option.wait_for()
    t0 = probe.mark()
    option.click()
    result = probe.done(t0)
    page.keyboard.press("Escape")
    return result


def clear_business_units(probe: Probe) -> None:
    """Back to all business units (not measured: that view is cached by now)."""
    sidebar = probe.page.locator("[data-testid=stSidebar]")
    t0 = probe.mark()
    sidebar.get_by_role("button", name="Clear all").first.click()
    probe.done(t0)


def sample(probe: Probe, action, log, what: str) -> dict | None:
    """One measurement; a timeout (a very loaded machine) is logged and skipped, and the page
    reloaded, rather than ending the whole run."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return action()
    except PlaywrightTimeout:
        log(f"  {what}: timed out, skipped")
        for _ in range(3):
            try:
                probe.page.keyboard.press("Escape")
                probe.page.goto(probe.page.url)
                probe.done(0)
                break
            except PlaywrightTimeout:
                log("  reload timed out")
        return None


def summarise(samples: list[dict]) -> dict:
    if not samples:
        return {"n": 0, "total_ms": None, "server_ms": None, "draw_ms": None,
                "script_done_ms": None, "bytes": 0, "bytes_by_type": {}, "charts": 0}
    def stat(key):
        values = [s[key] for s in samples if s.get(key) is not None]
        if not values:
            return None
        return {"min": round(min(values)), "median": round(statistics.median(values))}

    by_type: dict[str, list[int]] = defaultdict(list)
    for s in samples:
        for k, v in s["by_type"].items():
            by_type[k].append(v)
    return {
        "n": len(samples),
        "total_ms": stat("total"), "server_ms": stat("server"), "draw_ms": stat("draw"),
        "script_done_ms": stat("script_done"),
        "bytes": round(statistics.median(s["bytes"] for s in samples)),
        "bytes_by_type": {k: round(statistics.median(v)) for k, v in
                          sorted(by_type.items(), key=lambda kv: -statistics.median(kv[1]))},
        "charts": max(s["charts"] for s in samples),
    }


def measure(url: str, pages: list[tuple[str, str]], repeat: int, business_units: list[str],
            model_id: str, log, first_repeat: int | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict[str, dict] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def context():
            ctx = browser.new_context(viewport={"width": 1440, "height": 1100})
            ctx.add_init_script(INIT_SCRIPT)
            return ctx

        def path_of(path: str) -> str:
            return f"{url}/{path}" + (f"?id={model_id}" if path == "model" else "")

        def session_on(path: str):
            """A fresh browser context with one tab, opened on the page at `path`."""
            ctx = context()
            probe = Probe(ctx)
            probe.page.goto(path_of(path))
            probe.done(0)
            return ctx, probe

        # Warm the server: every page once (the first session also leaves the legacy
        # multipage mode, see ui.require_app_shell).
        ctx = context()
        probe = Probe(ctx)
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        for _, path in PAGES:
            try:
                probe.page.goto(path_of(path), timeout=300_000)
                probe.done(0, timeout_ms=300_000)
            except PlaywrightTimeout:
                log(f"  warming /{path}: timed out")
        ctx.close()

        # nav: walk the sidebar in order, `repeat` times, in one session.
        nav = defaultdict(list)
        ctx, probe = session_on("")
        order = PAGES[1:] + PAGES[:1]
        for rep in range(repeat):
            for title, path in order:
                if (title, path) not in pages:
                    continue
                def click(title=title):
                    t0 = probe.mark()
                    nav_link(probe.page, title).click()
                    return probe.done(t0)
                result = sample(probe, click, log, f"nav {title}")
                if result:
                    nav[path].append(result)
                    log(f"  nav {title:15} {result['total']:7.0f} ms")
        ctx.close()

        # filter: on each page, pick one business unit (a different one each repeat), then
        # clear it again; one session, reaching each page by its sidebar link.
        flt = defaultdict(list)
        ctx, probe = session_on("")
        for title, path in pages:
            if path != "":
                def click(title=title):
                    t0 = probe.mark()
                    nav_link(probe.page, title).click()
                    return probe.done(t0)
                if sample(probe, click, log, f"to {title}") is None:
                    probe.page.goto(path_of(path))
                    probe.done(0)
            for rep in range(repeat):
                bu = business_units[rep % len(business_units)]
                result = sample(probe, lambda bu=bu: pick_business_unit(probe, bu), log,
                                f"filter {title}")
                if result:
                    flt[path].append(result)
                    log(f"  filter {title:15} {result['total']:7.0f} ms")
                    sample(probe, lambda: clear_business_units(probe), log, "clear")
        ctx.close()

        def open_url(probe: Probe, title: str, path: str, what: str) -> dict | None:
            """The page's URL opened in `probe`'s tab; timed from the navigation start
            (performance.now() is 0 there)."""
            try:
                probe.page.goto(path_of(path))
                loaded = probe.done(0)
            except Exception as error:  # noqa: BLE001 - a loaded machine: skip, go on
                log(f"  {what} {title}: {type(error).__name__}, skipped")
                return None
            log(f"  {what} {title:15} {loaded['total']:7.0f} ms")
            return loaded

        # first load: a fresh context (no cache, no session) opening the page's URL.
        first = defaultdict(list)
        for title, path in pages:
            for rep in range(first_repeat or repeat):
                ctx = context()
                loaded = open_url(Probe(ctx), title, path, "first")
                ctx.close()
                if loaded:
                    first[path].append(loaded)
        # return: a new tab (a new session) opening the page's URL in a browser that has
        # opened the app before, so Streamlit's scripts come from its cache.
        back = defaultdict(list)
        ctx, _ = session_on("overview")
        for title, path in pages:
            for rep in range(first_repeat or repeat):
                probe = Probe(ctx)
                loaded = open_url(probe, title, path, "return")
                probe.page.close()
                if loaded:
                    back[path].append(loaded)
        ctx.close()
        browser.close()

    for title, path in pages:
        results[title] = {"path": "/" + path, "nav": summarise(nav[path]),
                          "filter": summarise(flt[path]), "first": summarise(first[path]),
                          "return": summarise(back[path])}
    return results


def build(models: int, days: int, directory: Path, reuse: bool, log) -> tuple[Path, float]:
    wh = directory / f"warehouse-{models}.duckdb"
    if reuse and wh.exists():
        return wh, 0.0
    if wh.exists():
        wh.unlink()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "modelops.cli", "demo", "--models", str(models),
                    "--days", str(days), "--warehouse", str(wh)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    log(f"built {wh} in {seconds:.0f} s")
    return wh, seconds


def table(results: dict) -> str:
    def cell(stat):
        return "–" if not stat else f"{stat['min']:,} / {stat['median']:,}"

    lines = [("| page | nav click ms | filter change ms | first load ms | return load ms | "
              "server / draw ms (nav, median) | kB received (nav) | top payload (nav) |"),
             "|---|---|---|---|---|---|---|---|"]
    for title, r in results.items():
        nav = r["nav"]
        top = next(iter(nav["bytes_by_type"].items()), ("–", 0))
        lines.append(
            f"| {title} | {cell(nav['total_ms'])} | {cell(r['filter']['total_ms'])} | "
            f"{cell(r['first']['total_ms'])} | {cell(r['return']['total_ms'])} | "
            f"{(nav['server_ms'] or {}).get('median', '–')} / "
            f"{(nav['draw_ms'] or {}).get('median', '–')} | "
            f"{nav['bytes'] / 1000:,.0f} | {top[0]} {top[1] / 1000:,.0f} kB |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--first-repeat", type=int,
                        help="first loads per page (default: --repeat); each is a fresh browser")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/modelops-bench"))
    parser.add_argument("--reuse", action="store_true",
                        help="open DIR/warehouse-<models>.duckdb if it exists")
    parser.add_argument("--pages", nargs="*", help="URL paths (week_in_review for the landing page)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)

    def log(text):
        print(text, file=sys.stderr, flush=True)

    wanted = PAGES if args.pages is None else [
        p for p in PAGES if p[1] in [("" if x == "week_in_review" else x) for x in args.pages]]
    out = {"label": args.label, "when": datetime.now(UTC).isoformat(timespec="seconds"),
           "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                       "load_before": os.getloadavg()},
           "repeat": args.repeat, "first_repeat": args.first_repeat or args.repeat,
           "scales": {}}
    for models in args.models:
        wh, build_s = build(models, args.days, args.dir, args.reuse, log)
        from modelops.warehouse import reading
        from queries.catalog import model_catalog

        with reading(wh) as con:
            catalog = model_catalog(con)
        bus = sorted(set(catalog["business_unit"]))
        model_id = catalog["model_id"][0]
        with streamlit_server(wh, env={"MODELOPS_VALIDATE_CHARTS": "0"},
                              timeout_s=300) as url:
            log(f"{models} models: {url}")
            results = measure(url, wanted, args.repeat, bus, model_id, log, args.first_repeat)
        out["scales"][str(models)] = {"demo_build_s": build_s, "load_after": os.getloadavg(),
                                      "pages": results}
        if args.json:
            args.json.write_text(json.dumps(out, indent=2) + "\n")
        print(f"\n## {models} models × {args.days} days (min / median of {args.repeat}; "
              f"load {os.getloadavg()[0]:.1f})\n")
        print(table(results))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()

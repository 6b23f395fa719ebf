"""The frame every page sits in: the app shell, the first start, the page header.

Why a guard at all: a folder named `pages/` beside app.py makes Streamlit start each server
(and each AppTest) in its legacy multipage mode, in which a page URL runs the page file
alone and the sidebar lists every file of pages/, until app.py's st.navigation turns the
mode off for the whole process. No config option turns it off (Streamlit 1.67:
`client.showSidebarNavigation` only hides navigation, and st.navigation's too), and the
product's layout names the folder pages/. So:

- app.py runs inside `app_shell()`, which marks this run as going through app.py, and
  calls st.navigation before it draws anything (even the first build of the demo data, or
  "No access"), so no screen of the app is drawn under a legacy sidebar of file names;
- every page starts with `require_app_shell()` (through `current_filter()`), which reruns
  any run that did not go through app.py. The mark is per run (the script thread), not per
  process: on a fresh server, one session leaving legacy mode must not let another
  session's page, already started alone, carry on without the filter bar or access gate.
"""

from __future__ import annotations

import threading
import time as clock
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path

import streamlit as st

from dashboard import identity, loading
from dashboard.text import plain
from modelops.warehouse.schema import LOAD_ORDER
from queries import catalog
from queries.filters import Filter

DEFINITIONS = "/definitions"
TITLE = "modelops"

# The run of app.py in progress on this thread (the script thread of one session).
_run = threading.local()


def _leave_legacy_pages_mode() -> None:
    """What st.navigation does first: the process stops treating pages/ as the page list."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


@contextmanager
def app_shell() -> Iterator[None]:
    """Run app.py's body as the app shell (see the module docstring). The body calls
    st.navigation before it draws anything else, which leaves legacy mode for the process
    and replaces the legacy sidebar (a list of pages/ files) with the app's own."""
    _run.inside = True
    try:
        yield
    finally:
        _run.inside = False


def require_app_shell() -> None:
    """Make sure this run went through app.py (filter bar, access gate, navigation): a page
    run alone is rerun, before it draws anything, through app.py, which then navigates to
    the same page (its URL is unchanged)."""
    if not getattr(_run, "inside", False):
        _leave_legacy_pages_mode()
        st.rerun()


def current_filter() -> Filter:
    require_app_shell()
    return st.session_state["filter"]


# --- first start ------------------------------------------------------------------------

@dataclass
class FirstBuild:
    """The one build of the demo warehouse on a fresh checkout, shared by every session.

    It runs on a thread of its own, not in a session's script run: a session that goes
    away (a reload, a closed tab) stops its script, and must not stop the build."""

    steps: list[str] = field(default_factory=list)
    error: BaseException | None = None
    thread: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, path: Path, build) -> None:
        with self.lock:
            if self.thread is not None and (self.thread.is_alive() or self.error is None):
                return
            self.steps, self.error = [], None
            self.thread = threading.Thread(target=self._run, args=(path, build), daemon=True,
                                           name="modelops-first-build")
            self.thread.start()

    def _run(self, path: Path, build) -> None:
        try:
            build(path, progress=self.steps.append)
        except Exception as error:  # noqa: BLE001 - shown to every waiting session
            self.error = error

    def fraction(self) -> float:
        """Share of the build done: one step per entity loaded (`name: N rows`), of all
        entities, and the closing `demo: ...` line."""
        done = sum(1 for s in self.steps if not s.startswith(" "))
        return min(done / (len(LOAD_ORDER) + 1), 1.0)


@st.cache_resource(show_spinner=False)
def _first_build(path: str) -> FirstBuild:
    return FirstBuild()


def ensure_warehouse(path: Path, build=None, poll_s: float = 0.25) -> None:
    """On a fresh checkout there is no warehouse yet: build the demo one, once per process,
    and meanwhile show every session that arrives the app's title and a progress bar of the
    build's steps (no page is drawn until the warehouse exists).

    `build(path, progress=...)` defaults to modelops.demo.build_demo, which writes the file
    under another name and moves it into place when complete.
    """
    if path.exists():
        return
    if build is None:
        from modelops.demo import build_demo as build
    first = _first_build(str(path))
    first.start(path, build)
    screen = st.empty()
    with screen.container():
        st.title(TITLE)
        st.caption(f"First start: building a year of demo data in {plain(path)}. The dashboard "
                   "opens when it is ready.")
        bar = st.progress(0.0, text="Starting the demo data build ...")
    while not path.exists():
        if first.error is not None:
            st.error(f"Building the demo data failed: {plain(first.error)}. Reload the page to "
                     "try again.", icon=":material/error:")
            st.stop()
        if first.steps:
            bar.progress(first.fraction(), text=first.steps[-1].strip())
        clock.sleep(poll_s)
    screen.empty()


# --- page pieces ------------------------------------------------------------------------

# A focus ring a keyboard user can see (WCAG 2.4.7): Streamlit's own is a faint background
# on the sidebar's links. Links are the theme's blue (.streamlit/config.toml) where they are
# drawn at full strength (tables, the summary's counters); in a caption, which Streamlit
# fades to 60%, a blue falls under 4.5:1, so a caption's link is the caption's colour,
# underlined. A constant style, no data in it.
FOCUS_STYLE = """<style>
[data-testid="stCaptionContainer"] a { color: inherit; }
a:focus-visible, button:focus-visible, input:focus-visible, [role="tab"]:focus-visible,
[role="combobox"]:focus-visible, [tabindex]:focus-visible,
[data-testid="stSidebarNavLink"]:focus-visible {
  outline: 3px solid #1d4ed8 !important; outline-offset: 2px !important;
}
</style>"""


def focus_style() -> None:
    """Draw the focus ring's style once per run (app.py)."""
    st.html(FOCUS_STYLE)


def page_header(title: str, what: str, anchor: str = "", scope: str = "period",
                reads: tuple[str, ...] = ()) -> None:
    """Title, the one line that says what the page shows and how it is defined, and the
    scope it shows: `scope="period"` the filter bar's period, business units, teams and
    models; "units" only the business units and teams (a page with its own dates); None
    nothing (a page the filter bar does not apply to). Then how fresh the data is: the
    newest load of the entities the page `reads` (default: any), and a warning for each
    sync source that is behind or failed."""
    st.title(title)
    link = f"{DEFINITIONS}#{anchor}" if anchor else DEFINITIONS
    st.caption(f"{what} [How the numbers are defined]({link})")
    stale = loading.catalog_unreachable()
    if stale is not None:
        since, reason = stale
        st.warning(plain(f"Showing the last data this server has: catalog unreachable "
                           f"since {since:%Y-%m-%d %H:%M:%S} UTC ({reason})"),
                   icon=":material/cloud_off:")
    f = st.session_state.get("filter")
    if scope and f is not None:
        st.caption(scope_line(f, with_period=scope == "period"))
    freshness(reads)


def freshness(reads: tuple[str, ...] = (), now: datetime | None = None) -> None:
    """"Data as of 14:05 UTC", and a visible warning naming each `modelops sync` source
    whose last success is older than twice its interval or whose last run failed (the
    Data page has the errors). Read at most once a minute per page (the cache key)."""
    from dashboard import loading

    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    newest = loading.load(catalog.data_as_of, entities=tuple(reads))
    if newest is not None:
        when = (f"{newest:%H:%M} UTC" if newest.date() == now.date()
                else f"{newest:%d %b %Y %H:%M} UTC")
        st.caption(f"Data as of {when}")
    sources = loading.load(catalog.sync_status, at=now)
    late = [sync_warning(row) for row in sources.iter_rows(named=True)
            if row["behind"] or row["failed"]]
    if late:
        st.warning("  \n".join(late), icon=":material/schedule:")


def sync_warning(row: dict) -> str:
    """One source's line of the header warning, as Markdown-safe text."""
    name = plain(row["source"])
    if row["failed"]:
        at = row["last_attempt_at"]
        return (f"Source {name}: the last sync failed"
                f"{f' ({at:%d %b %H:%M} UTC)' if at else ''}; the data from it may be "
                "stale. See the Data page.")
    last = row["last_success_at"]
    since = f"last success {last:%d %b %H:%M} UTC" if last else "never synced successfully"
    return (f"Source {name} is behind: {since}, expected every "
            f"{every_words(row['every_s'])}.")


def every_words(seconds: int) -> str:
    """300 -> "5 min", 3600 -> "1 h", 90 -> "90 s", 86400 -> "1 d"."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"




def _names(f: Filter) -> dict[str, dict[str, str]]:
    """Display names of the filter's ids, from the catalog the filter bar chose from."""
    from dashboard import loading

    access = st.session_state.get("access")
    catalog = loading.visible_models(access) if access is not None else None
    names: dict[str, dict[str, str]] = {"business_unit": {}, "team": {}, "model": {}}
    if catalog is not None and catalog.height:
        for kind in names:
            names[kind] = dict(catalog.select(f"{kind}_id", kind).unique().iter_rows())
    return names


def scope_line(f: Filter, with_period: bool = True) -> str:
    """`Period: 01 Nov – 30 Nov 2026 UTC · Business units: Retail · Teams: all · Models: all`,
    names not ids; "all" when a dimension is not filtered (within the user's access). A line
    of Markdown: the names (and ids shown for want of a name) are text (dashboard/text.py)."""
    names = _names(f)

    def listed(kind: str, ids: tuple[str, ...]) -> str:
        if not ids:
            return "all"
        shown = [plain(names[kind].get(i, i)) for i in ids]
        return ", ".join(shown[:5]) + (f" and {len(shown) - 5} more" if len(shown) > 5 else "")

    parts = [f"Period: {window_caption(f)}"] if with_period else []
    parts += [f"Business units: {listed('business_unit', f.business_units)}",
              f"Teams: {listed('team', f.teams)}"]
    if with_period:
        parts.append(f"Models: {listed('model', f.models)}")
    return " · ".join(parts)


def window_caption(f: Filter) -> str:
    """The window in words: whole days as `01 Nov 2026 – 30 Nov 2026 UTC`, a window that
    does not start and end at midnight (the last 24 hours) with its hours."""
    if f.start.time() != time() or f.end.time() != time():
        return f"{f.start:%d %b %Y %H:%M} – {f.end:%d %b %Y %H:%M} UTC"
    last = f.end.date().fromordinal(f.end.date().toordinal() - 1)
    return f"{f.start:%d %b %Y} – {last:%d %b %Y} UTC"


def empty_state(why: str) -> None:
    st.info(why, icon=":material/info:")


@identity.fragment
def lazy_tabs(key: str, sections: dict[str, Callable[[], None]]) -> None:
    """Sections a manager opens one at a time, as tabs of which only the open one is drawn
    and sent (`st.tabs(on_change="rerun")`, `.open`). `sections` maps each tab's label to
    what draws it. A fragment: switching tabs reruns only this."""
    tabs = st.tabs(list(sections), key=key, on_change="rerun")
    for draw, tab in zip(sections.values(), tabs, strict=True):
        if tab.open:
            with tab:
                draw()


def table_then_chart(key: str, table: Callable[[], None], chart: Callable[[], None],
                     chart_label: str = "Chart") -> None:
    """A section's table and its chart as two lazy tabs, the table open first. A page's
    first screen then holds no Plotly chart, so a browser's first visit does not wait
    for Streamlit's 4.7 MB Plotly bundle to load and compile (1.1-1.9 s; docs/PERFORMANCE.md,
    "first load"); the chart is one click away."""
    lazy_tabs(key, {"Table": table, chart_label: chart})

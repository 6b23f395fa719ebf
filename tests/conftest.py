"""Shared test helpers: build the exact tiny warehouse a test needs, through ingest."""

from __future__ import annotations

import ast
import functools
import inspect
import os
from datetime import UTC
from pathlib import Path

import polars as pl
import pytest

from modelops.warehouse import writing
from modelops.warehouse.ingest import load_frame
from modelops.warehouse.schema import ENTITIES, LOAD_ORDER

# Every chart a test draws is checked against Plotly's schema (dashboard/charts.py skips that check
# when serving, for speed); set before any page module is imported.
os.environ["MODELOPS_VALIDATE_CHARTS"] = "1"


def build_warehouse(path: Path, tables: dict[str, list[dict]]) -> Path:
    """Load `tables` (entity -> rows as dicts) through the real ingest path.

    Columns a row leaves out are absent (NULL, or the contract's default). Fails the test
    if any row is quarantined, so a fixture can never silently lose rows.
    """
    with writing(path) as con:
        for name in LOAD_ORDER:
            rows = tables.get(name)
            if not rows:
                continue
            columns = [c for c in ENTITIES[name].column_names if any(c in r for r in rows)]
            frame = pl.DataFrame(
                {c: [None if r.get(c) is None else str(r[c]) for r in rows] for c in columns},
                schema={c: pl.String for c in columns},
            )
            result = load_frame(con, name, frame, source=f"test:{name}")
            assert result.quarantined == 0, (name, result.reasons)
    return path


@pytest.fixture
def make_warehouse(tmp_path):
    """`make_warehouse({"business_units": [...], ...}) -> Path` of a fresh warehouse."""
    counter = iter(range(1_000_000))

    def make(tables: dict[str, list[dict]]) -> Path:
        return build_warehouse(tmp_path / f"wh{next(counter)}.duckdb", tables)

    return make


# --- the dashboard under AppTest --------------------------------------------------------

APP = Path(__file__).resolve().parents[1] / "app.py"


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Path:
    """A small demo warehouse ending at today's midnight (UTC), so the default period
    ("last 30 days") has data. Built once per test session."""
    from datetime import datetime, time

    from modelops.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "warehouse.duckdb"
    end = datetime.combine(datetime.now(UTC).date(), time())
    build_demo(path, models=24, days=120, seed=11, end=end, progress=lambda line: None)
    return path


@pytest.fixture(scope="session")
def empty_warehouse(tmp_path_factory) -> Path:
    """A warehouse with the schema and no rows."""
    path = tmp_path_factory.mktemp("empty") / "warehouse.duckdb"
    with writing(path):
        pass
    return path


def open_app(page: str | None = None, user: str | None = None, timeout: float = 60,
             **params):
    """The app (MODELOPS_WAREHOUSE already set) after its first run(s), as AppTest.

    `page` is a path under pages/ (e.g. "pages/reliability.py"); query params are set
    before the first run, as a shared link would; `user` is the logged-in email (st.user).
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=timeout)
    if user:
        at.user = {"email": user, "is_logged_in": True}
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def app(monkeypatch):
    """`app(warehouse, page=None, user=None, **query_params) -> AppTest`: open_app on
    `warehouse`."""
    def start(warehouse: Path, page: str | None = None, user: str | None = None,
              **params):
        monkeypatch.setenv("MODELOPS_WAREHOUSE", str(warehouse))
        return open_app(page, user, **params)

    return start


def with_every_column(at):
    """Pick every column each table's "Columns" menu offers (ids, commits, digests are sent
    to the browser only when picked) and rerun: the tables then hold all their columns."""
    pickers = [m for m in at.multiselect if m.label == "Also show"]
    for picker in pickers:
        picker.set_value(list(picker.options))
    if pickers:
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@functools.cache
def chart_tabs() -> dict[str, str]:
    """Every section that opens on its table, its chart one tab away: the key and the chart
    tab's label of each `shell.table_then_chart(key, table, chart[, label])` in pages/,
    read from the pages' source, so a new section is covered without a list to keep."""
    from dashboard import shell

    default = inspect.signature(shell.table_then_chart).parameters["chart_label"].default
    found = {}
    for page in sorted((APP.parent / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(page.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "table_then_chart"):
                args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
                found[args[0]] = args[3] if len(args) > 3 else default
    assert found, "no table_then_chart call found in pages/"
    return found

VIEW_TABS = {"Table", "Chart", "Charts"}


def show_charts(at):
    """Open the chart tab of every table-first section and rerun (a key no widget of the
    page has is only session state)."""
    for key, label in chart_tabs().items():
        at.session_state[key] = label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def section_tabs(at) -> list[str]:
    """The labels of the page's lazy section tabs (shell.lazy_tabs), not the table/chart
    views'."""
    return [t.label for t in at.tabs if t.label not in VIEW_TABS]


# --- running in parallel (pytest-xdist: `-n 2` in pyproject's addopts) ---------------------

# The browser files (test_browser*.py), whose tests are long (up to minutes each), are
# spread over the workers one test at a time (a module-scoped server is then started once
# per worker); every other file runs whole on one worker, so its module-scoped fixtures
# (warehouses, the Spark session) are built once. Spark's file (the longest unit that
# cannot be split) starts first, then the browser tests, so the last minutes are not one
# long file alone.
SPREAD_PREFIX = "test_browser"
SLOW_FIRST = ["test_spark.py", SPREAD_PREFIX]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """xdist's loadscope with the units above (its loadgroup marks do not reach the node
    ids under pytest 9, so grouping is done here, by file name)."""
    from xdist.scheduler import LoadScopeScheduling

    def file_name(nodeid: str) -> str:
        return Path(nodeid.split("::", 1)[0]).name

    def rank(nodeid: str) -> int:
        name = file_name(nodeid)
        return next((i for i, first in enumerate(SLOW_FIRST) if name.startswith(first)),
                    len(SLOW_FIRST))

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            spread = file_name(nodeid).startswith(SPREAD_PREFIX)
            return nodeid if spread else nodeid.split("::", 1)[0]

        def _assign_work_unit(self, node) -> None:
            if not getattr(self, "_slow_first", False):  # the queue is complete: reorder once
                units = sorted(self.workqueue.items(), key=lambda unit: rank(unit[0]))
                self.workqueue.clear()
                self.workqueue.update(units)
                self._slow_first = True
            super()._assign_work_unit(node)

    return ByFile(config, log)

"""Cached reads of the KPI layer.

Every page gets its data through `load(...)` or `load_many(...)`: the cache key is the KPI
function, the filter, the warehouse's last-change token (so an ingest shows up without a
restart) and the caller's access scope, so a result computed for one user is never served
to another.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from modelops import access, backends, warehouse
from queries import catalog
from queries.filters import Filter


def warehouse_path():
    """The DuckDB file to read: MODELOPS_WAREHOUSE's file, or its Iceberg replica."""
    return backends.read_path(os.environ.get("MODELOPS_WAREHOUSE"))


# cache_resource, not cache_data: a hit returns the stored frame itself instead of
# unpickling a copy (a third of a warm rerun). Frames are shared between sessions, so pages
# only derive new frames from them (polars operations do), never change one in place.
@st.cache_resource(max_entries=512, show_spinner=False)
def _cached(module: str, name: str, f: Filter | None, path: str, token: int, kwargs: tuple):
    fn = getattr(importlib.import_module(module), name)
    with warehouse.reading(Path(path)) as con:
        return fn(con, **dict(kwargs)) if f is None else fn(con, f, **dict(kwargs))


def load(fn: Callable, f: Filter | None = None, **kwargs):
    """`fn(con, f, **kwargs)` from the warehouse layer, cached per filter and data change.

    The function is named (module and name), not hashed, so the key stays cheap.
    """
    path = warehouse_path()
    token = warehouse.last_change(path)
    return _cached(fn.__module__, fn.__name__, f, str(path), token,
                   tuple(sorted(kwargs.items())))


def visible_models(scope: access.Scope) -> pl.DataFrame:
    """The model catalog (model, team, business unit, ...) within an access scope: the
    filter bar's choices, and the names pages join to. One cached read shared by all."""
    return load(catalog.model_catalog, business_units=scope.business_units or ())


# A page's queries are small and mostly planning, which DuckDB does on one core per query:
# run side by side (each on its own cursor), a page's uncached reads take about half as long
# on two cores. Three workers measured best on two cores; more only queue.
_LOADERS = ThreadPoolExecutor(max_workers=(os.cpu_count() or 2) + 1,
                              thread_name_prefix="modelops-load")


class Loaded(SimpleNamespace):
    """A page's data by name: `data.current`, `data.incidents`, ..."""


def load_many(**calls: tuple) -> Loaded:
    """Several `load`s at once, by name: `load_many(current=(fn, filter, kwargs), ...)`
    returns `data` with `data.current` = `load(fn, filter, **kwargs)`.

    Cached results come straight back; the others run concurrently. The workers carry this
    run's Streamlit context, so the cache behaves as it does for `load`.
    """
    ctx = get_script_run_ctx()

    def one(call):
        add_script_run_ctx(threading.current_thread(), ctx)
        fn, f, kwargs = call
        return load(fn, f, **kwargs)

    return Loaded(**dict(zip(calls, _LOADERS.map(one, calls.values()), strict=True)))

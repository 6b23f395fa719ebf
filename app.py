"""modelops: the dashboard. Page config, the shared filter bar, navigation over pages/."""

from __future__ import annotations

import threading
import time

import streamlit as st

from pages import state

started = time.perf_counter()
st.set_page_config(page_title="modelops", page_icon=":material/monitoring:", layout="wide")


@st.cache_resource
def _build_lock() -> threading.Lock:
    return threading.Lock()


def ensure_warehouse() -> None:
    """On a fresh checkout there is no warehouse yet: build the demo one, once."""
    path = state.warehouse_path()
    if path.exists():
        return
    with _build_lock():
        if path.exists():
            return
        from queries.demo import build_demo

        with st.spinner(f"First start: building a year of demo data in {path} ..."):
            build_demo(path)


ensure_warehouse()
access = state.access_scope()
if not access.has_access:
    title, message = access.refusal
    st.title(title)
    st.error(message, icon=":material/lock:")
    st.stop()
scope = state.visible_models(access)
st.session_state["filter"] = state.filter_bar(scope, allowed=access.business_units)
st.session_state["access"] = access

PAGES = {
    "Operations": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:",
                default=True),
        st.Page("pages/reliability.py", title="Reliability", icon=":material/speed:"),
        st.Page("pages/incidents.py", title="Incidents", icon=":material/crisis_alert:"),
        st.Page("pages/releases.py", title="Releases", icon=":material/rocket_launch:"),
    ],
    "Business": [
        st.Page("pages/cost_value.py", title="Cost & value", icon=":material/payments:"),
        st.Page("pages/model_quality.py", title="Model quality", icon=":material/query_stats:"),
        st.Page("pages/governance.py", title="Governance", icon=":material/gavel:"),
        st.Page("pages/model_detail.py", title="Model detail", icon=":material/search:",
                url_path="model"),
    ],
    "Reports and data": [
        st.Page("pages/weekly_report.py", title="Weekly report", icon=":material/table:"),
        st.Page("pages/data.py", title="Data", icon=":material/database:"),
        st.Page("pages/definitions.py", title="KPI definitions", icon=":material/menu_book:",
                url_path="definitions"),
    ],
}
st.navigation(PAGES).run()
# Server-side script time of this run, read by the benchmark (tests/bench/run.py).
st.session_state["script_seconds"] = time.perf_counter() - started

"""modelops: the dashboard. Page config, access, navigation over pages/, the filter bar."""

from __future__ import annotations

import time

import streamlit as st

from dashboard import filter_bar, identity, loading, shell
from dashboard.text import plain
from modelops.warehouse import WarehouseError

started = time.perf_counter()
st.set_page_config(page_title=shell.TITLE, page_icon=":material/monitoring:", layout="wide")
# Filters a page does not apply, by page title: folded away there (filter_bar).
IGNORED_FILTERS = {"Week in review": ("period", "model")}


def no_access() -> None:
    """No grant, a refused request or an unreadable policy: modelops/access says which."""
    title, message = access.refusal
    st.title(plain(title))
    st.error(plain(message), icon=":material/lock:")  # it may name the user


def pages(admin: bool) -> dict[str, list]:
    """The navigation; the Data page only for admins (load history and quarantine are not
    split by business unit; without an access policy everyone is an admin)."""
    return {
        "Operations": [
            # Managers land on the weekly review; the Overview keeps its own address.
            st.Page("pages/week_in_review.py", title="Week in review",
                    icon=":material/event_note:", default=True),
            st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:"),
            st.Page("pages/reliability.py", title="Reliability", icon=":material/speed:"),
            st.Page("pages/incidents.py", title="Incidents", icon=":material/crisis_alert:"),
            st.Page("pages/releases.py", title="Releases", icon=":material/rocket_launch:"),
            st.Page("pages/team.py", title="Team", icon=":material/groups:"),
        ],
        "Business": [
            st.Page("pages/cost_value.py", title="Cost & value", icon=":material/payments:"),
            st.Page("pages/model_quality.py", title="Model quality",
                    icon=":material/query_stats:"),
            st.Page("pages/governance.py", title="Governance", icon=":material/gavel:"),
            st.Page("pages/model_detail.py", title="Model detail", icon=":material/search:",
                    url_path="model"),
        ],
        "Reports and data": [
            st.Page("pages/weekly_report.py", title="Weekly report", icon=":material/table:"),
            *([st.Page("pages/data.py", title="Data", icon=":material/database:")]
              if admin else []),
            st.Page("pages/definitions.py", title="KPI definitions",
                    icon=":material/menu_book:", url_path="definitions"),
        ],
    }


with shell.app_shell():
    access = identity.access_scope()
    if not access.has_access:
        # A navigation of one hidden page: no page of the app is listed or reachable.
        st.navigation([st.Page(no_access, title="No access")], position="hidden").run()
        st.stop()
    # Every page listed: past twelve, Streamlit would fold the last ones under "View more".
    page = st.navigation(pages(access.admin), expanded=True)
    # The browser tab names the page: "Week in review · modelops".
    st.set_page_config(page_title=f"{page.title} · {shell.TITLE}")
    shell.focus_style()
    try:
        warehouse_file = loading.warehouse_path()
    except WarehouseError as error:  # an Iceberg catalog down, with no replica here yet
        st.error(plain(str(error)), icon=":material/cloud_off:")
        st.stop()
    shell.ensure_warehouse(warehouse_file)
    scope = loading.visible_models(access)
    st.session_state["filter"] = filter_bar.filter_bar(
        scope, allowed=access.business_units, ignored=IGNORED_FILTERS.get(page.title, ()))
    st.session_state["access"] = access
    page.run()
# Server-side script time of this run, read by the benchmark (tests/bench/run.py).
st.session_state["script_seconds"] = time.perf_counter() - started

"""modelops: the dashboard. Page config, the shared filter bar, navigation over pages/."""

from __future__ import annotations

import time

import streamlit as st

from dashboard import filter_bar, identity, loading, shell

started = time.perf_counter()
st.set_page_config(page_title="modelops", page_icon=":material/monitoring:", layout="wide")

with shell.app_shell():
    shell.ensure_warehouse(loading.warehouse_path())
    access = identity.access_scope()
    if not access.has_access:
        st.title("No access")
        st.error(
            f"{access.user or 'You'} may not see any business unit in modelops. Ask an "
            "administrator to add a grant for you to the access policy.",
            icon=":material/lock:")
        st.stop()
    scope = loading.visible_models(access)
    st.session_state["filter"] = filter_bar.filter_bar(scope, allowed=access.business_units)
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
            st.Page("pages/model_quality.py", title="Model quality",
                    icon=":material/query_stats:"),
            st.Page("pages/governance.py", title="Governance", icon=":material/gavel:"),
            st.Page("pages/model_detail.py", title="Model detail", icon=":material/search:",
                    url_path="model"),
        ],
        "Reports and data": [
            st.Page("pages/weekly_report.py", title="Weekly report", icon=":material/table:"),
            # Load history and quarantine are not split by business unit: admins only
            # (everyone is an admin without an access policy).
            *([st.Page("pages/data.py", title="Data", icon=":material/database:")]
              if access.admin else []),
            st.Page("pages/definitions.py", title="KPI definitions",
                    icon=":material/menu_book:", url_path="definitions"),
        ],
    }
    st.navigation(PAGES).run()
# Server-side script time of this run, read by the benchmark (tests/bench/run.py).
st.session_state["script_seconds"] = time.perf_counter() - started

"""Data: what is loaded, how fresh it is, the load history and the quarantine."""

from datetime import UTC, datetime

import streamlit as st

from dashboard import loading, shell, tables
from queries import catalog

shell.require_app_shell()
shell.page_header(
    "Data",
    "Rows and freshness per entity, each `modelops sync` source, every file loaded, and "
    "the rows refused with the reason.", scope=None,
)
st.caption("The sidebar filters do not apply to this page: it shows every load and every "
           "entity, whatever the period, business units or teams chosen.")

if not st.session_state["access"].admin:
    # Load history and quarantine rows are not split by business unit.
    shell.empty_state("The Data page is for administrators: it shows files and rows of every "
                   "business unit.")
    st.stop()
data = loading.load_many(
    status=(catalog.entity_status, None, {}),
    history=(catalog.load_history, None, {}),
    quarantine=(catalog.quarantined_rows, None, {}),
    sources=(catalog.loads_by_source, None, {}),
    sync=(catalog.sync_status, None,
          {"at": datetime.now(UTC).replace(second=0, microsecond=0)}),
)

st.subheader("Sync sources")
if data.sync.height:
    st.caption("Each source of modelops.toml that `modelops sync` has run: its last attempt "
               "and success, the rows its last run added or changed, when it runs next and "
               "its last error. Behind: no success for more than twice its interval.")
    tables.table(data.sync, labels={"every_s": "every (seconds)"}, key="sync_sources")
else:
    shell.empty_state("No source is synced yet: list sources in modelops.toml and run "
                      "`modelops sync` (README, 'Keep the warehouse fresh').")

st.subheader("What is loaded")
tables.table(data.status)

st.subheader("Load history")
if data.history.height:
    tables.table(data.history)
else:
    shell.empty_state("No file has been loaded yet: run `modelops ingest PATH...` or "
                   "`modelops demo`.")

st.subheader("Loads per source")
if data.sources.height:
    st.caption("`ingest` is files in the data contract; the others are `modelops import "
               "SOURCE` runs. Each file counts once, by its latest load.")
    tables.table(data.sources)

st.subheader("Quarantine")
if data.quarantine.height:
    st.caption("Rows that broke a rule of the data contract and were not loaded. Fix the "
               "source and load the file again; its quarantine is replaced by the new load's.")
    tables.table(data.quarantine)
else:
    shell.empty_state("The quarantine is empty: every row loaded so far met the data contract.")

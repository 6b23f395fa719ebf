"""Data: what is loaded, how fresh it is, the load history and the quarantine."""

import streamlit as st

from dashboard import loading, shell, tables
from queries import catalog

shell.require_app_shell()
shell.page_header(
    "Data",
    "Rows and freshness per entity, every file loaded by `modelops ingest`, and the rows it "
    "refused with the reason.",
)

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
)

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

"""Data: what is loaded, how fresh it is, the load history and the quarantine."""

import streamlit as st

from pages import state, ui
from queries import catalog

ui.require_app_shell()
ui.page_header(
    "Data",
    "Rows and freshness per entity, every file loaded by `modelops ingest`, and the rows it "
    "refused with the reason.",
)

if not st.session_state["access"].admin:
    # Load history and quarantine rows are not split by business unit.
    ui.empty_state("The Data page is for administrators: it shows files and rows of every "
                   "business unit.")
    st.stop()

status, history, quarantine, sources = state.load_many(
    (catalog.entity_status, None, {}),
    (catalog.load_history, None, {}),
    (catalog.quarantined_rows, None, {}),
    (catalog.loads_by_source, None, {}),
)

st.subheader("What is loaded")
ui.table(status, {"rows": "int", "newest_data": "dt", "last_loaded": "dt", "loads": "int"})

st.subheader("Load history")
if history.height:
    ui.table(history, {"loaded_at": "dt", "rows_read": "int", "inserted": "int",
                       "updated": "int", "unchanged": "int", "quarantined": "int"})
else:
    ui.empty_state("No file has been loaded yet: run `modelops ingest PATH...` or "
                   "`modelops demo`.")

st.subheader("Loads per source")
if sources.height:
    st.caption("`ingest` is files in the data contract; the others are `modelops import "
               "SOURCE` runs. Each file counts once, by its latest load.")
    ui.table(sources, {"last_import": "dt", "files": "int", "rows": "int", "skipped": "int",
                       "quarantined": "int", "rejected": "int"})

st.subheader("Quarantine")
if quarantine.height:
    st.caption("Rows that broke a rule of the data contract and were not loaded. Fix the "
               "source and load the file again; its quarantine is replaced by the new load's.")
    ui.table(quarantine, {"line": "int", "quarantined_at": "dt"})
else:
    ui.empty_state("The quarantine is empty: every row loaded so far met the data contract.")

"""KPI definitions: METRICS.md as shipped with this version, so every number can be traced."""

import streamlit as st

from dashboard import presentation, shell

shell.require_app_shell()

st.title("KPI definitions")
st.caption("Every number in modelops is defined here, once; the SQL in queries/ follows it.")
st.markdown(presentation.definitions_markdown())

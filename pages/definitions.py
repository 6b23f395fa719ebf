"""KPI definitions: METRICS.md as shipped with this version, so every number can be traced."""

from pathlib import Path

import streamlit as st

from dashboard import shell

shell.require_app_shell()

st.title("KPI definitions")
st.caption("Every number in modelops is defined here, once; the SQL in queries/ follows it.")
st.markdown((Path(__file__).parents[1] / "docs" / "METRICS.md").read_text())

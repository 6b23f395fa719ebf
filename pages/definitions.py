"""KPI definitions: METRICS.md as shipped with this version, so every number can be traced,
in plain words first and with each formula behind "How it is computed"."""

import streamlit as st

from dashboard import presentation, shell

shell.require_app_shell()

st.title("KPI definitions")
st.caption("Every number in modelops is defined here, once: what it tells first, then how "
           "it is computed.")
for section in presentation.definition_sections():
    if section.heading:
        st.markdown(section.heading)  # the heading keeps its id: the pages link to it
    st.markdown(section.plain)
    for measure, words in section.kpis:
        st.markdown(f"**{measure.label}** ({presentation.UNIT_WORDS[measure.unit]}): {words}")
        with st.expander("How it is computed"):
            st.markdown(measure.help)
    if section.details:
        with st.expander("How it is computed: the full definition" if section.kpis
                         else "How it is computed"):
            st.markdown(section.details)

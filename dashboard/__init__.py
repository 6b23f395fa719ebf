"""The dashboard's Streamlit pieces, which pages/ draws with: the app shell, the filter bar,
cached reads, number formats, KPI tiles, tables and charts. Pages hold no SQL and these
modules no KPI math; they draw what the KPI layer (queries/) returns."""

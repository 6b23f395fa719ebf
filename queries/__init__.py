"""The KPI layer of modelops: the named SQL files and their macros, the KPI API the pages
and reports call (kpi.py), the filter, the catalog queries, and named.py that runs them."""

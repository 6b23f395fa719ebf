"""The reports built from the KPI layer: the weekly CSV/XLSX (weekly.py) and the week in
review (review.py)."""

"""Where the warehouse is stored: a DuckDB file, or Iceberg tables (iceberg.py)."""

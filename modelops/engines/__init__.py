"""Running the named KPI queries elsewhere than DuckDB: portable.py renders them for another
SQL dialect, spark.py runs them on Spark."""

"""Engines that answer the named SQL over a snapshot of the warehouse's tables.

The dashboard and the CLI run the named SQL on DuckDB (a file, or a replica's copy of an
Iceberg snapshot). Batch reports can run on Spark instead: `SparkEngine` reads the same
tables as Parquet files (an export of a DuckDB file, or the data files of one Iceberg
snapshot) and runs each query as modelops/engines/portable.py renders it for Spark. An engine has
`run_named(name, **params) -> polars.DataFrame`, which modelops/reports/weekly.py and the KPI API
accept wherever they take a DuckDB connection.

Spark is a batch engine here: starting a session takes seconds and a query 2-12 s, so the
dashboard never uses it. pyspark is an optional dependency group (`uv sync --group spark`)
and needs a Java 17 runtime (`apt-get install -y openjdk-17-jre-headless`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from modelops.engines import portable
from modelops.warehouse import reading

ENGINES = ("duckdb", "spark")


class EngineUnavailable(RuntimeError):
    """The engine asked for cannot start here (no pyspark, no Java): the message says what
    to install."""


def spark_missing() -> str | None:
    """Why a local Spark session cannot start here, or None when it can."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (uv sync --group spark)"
    java_home = os.environ.get("JAVA_HOME")
    java = Path(java_home, "bin", "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        return "no Java runtime (apt-get install -y openjdk-17-jre-headless)"
    return None


_session = None


def spark_session():
    """The process's local Spark session (started once: start-up takes seconds). UTC, few
    shuffle partitions and a modest driver: the reports read a warehouse's aggregates."""
    global _session
    reason = spark_missing()
    if reason:
        raise EngineUnavailable(f"Spark cannot run here: {reason}")
    if _session is None:
        from pyspark.sql import SparkSession

        _session = (
            SparkSession.builder.master(os.environ.get("MODELOPS_SPARK_MASTER", "local[2]"))
            .appName("modelops")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "2")
            .config("spark.driver.memory", os.environ.get("MODELOPS_SPARK_MEMORY", "1g"))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
        _session.sparkContext.setLogLevel("ERROR")
    return _session


class SparkEngine:
    """Named SQL on Spark over one snapshot of the tables: `tables` maps each table name
    to its Parquet data files and its Arrow schema (for a table without files)."""

    def __init__(self, tables: Mapping[str, tuple[Sequence[str], pa.Schema]], session=None):
        # Its own session on the shared context: its own temporary views, so two engines
        # (two snapshots) in one process do not see each other's tables.
        self.session = (session or spark_session()).newSession()
        self.session.conf.set("spark.sql.session.timeZone", "UTC")
        self._empty_dir = Path(tempfile.mkdtemp(prefix="modelops-spark-"))
        self.views = list(tables)
        for name, (files, schema) in tables.items():
            if not files:
                empty = self._empty_dir / f"{name}.parquet"
                pq.write_table(schema.empty_table(), empty)
                files = [str(empty)]
            self.session.read.parquet(*files).createOrReplaceTempView(name)

    def run_named(self, name: str, **params) -> pl.DataFrame:
        sql = portable.render(name, "spark", **params)
        return pl.from_arrow(self.session.sql(sql).toArrow())

    def close(self) -> None:
        for view in self.views:
            self.session.catalog.dropTempView(view)
        shutil.rmtree(self._empty_dir, ignore_errors=True)


def export_parquet(con, out_dir: Path) -> dict[str, tuple[list[str], pa.Schema]]:
    """Every table of a DuckDB database as one Parquet file each in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = {}
    names = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'main' AND table_type = 'BASE TABLE'").fetchall()]
    for name in names:
        path = out_dir / f"{name}.parquet"
        con.execute(f"COPY (SELECT * FROM \"{name}\") TO '{_quote(path)}' (FORMAT parquet)")
        tables[name] = ([str(path)], pq.read_schema(path))
    return tables


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


@contextmanager
def spark_engine(warehouse) -> Iterator[SparkEngine]:
    """A Spark engine over a snapshot of `warehouse` (a DuckDB file path, or a storage
    object with `snapshot_files()`, e.g. an Iceberg catalog)."""
    scratch = Path(tempfile.mkdtemp(prefix="modelops-snapshot-"))
    engine = None
    try:
        snapshot_files = getattr(warehouse, "snapshot_files", None)
        if snapshot_files is not None:
            tables = snapshot_files()
        else:
            with reading(Path(warehouse)) as con:
                tables = export_parquet(con, scratch)
        engine = SparkEngine(tables)
        yield engine
    finally:
        if engine is not None:
            engine.close()
        shutil.rmtree(scratch, ignore_errors=True)

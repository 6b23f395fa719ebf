"""The named SQL rendered for other engines: macros expanded, the latency percentile as a
CASE, parameters as literals. Every named query's DuckDB rendering, run on a DuckDB
warehouse that has no macros or UDF in play, gives the file's own result (floats to 1e-9);
so a rendering mistake shows here, on DuckDB, in seconds. Spark runs the same renderings
in tests/test_spark.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb
import numpy as np
import polars as pl
import pytest
import sqlglot
from portable_cases import assert_same, base_values, cases

from modelops import warehouse
from modelops.demo import build_demo
from modelops.engines import portable
from modelops.warehouse import latency

END = datetime(2026, 11, 23)


@pytest.fixture(scope="module")
def small_warehouse(tmp_path_factory):
    path = tmp_path_factory.mktemp("portable") / "warehouse.duckdb"
    build_demo(path, models=16, days=50, seed=11, end=END, progress=lambda line: None)
    return path


def _copy(path):
    """The warehouse's tables in a fresh in-memory DuckDB database."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{path}' AS src (READ_ONLY)")
    con.execute("SET TimeZone = 'UTC'")
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'src'"
    ).fetchall()]
    for table in tables:
        con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM src."{table}"')
    con.execute("DETACH src")
    return con


@pytest.fixture(scope="module")
def con(small_warehouse):
    """A copy with queries/macros.sql created as DuckDB's own macros and the UDF: the named
    SQL as written runs here, the oracle for every rendering (the warehouse file itself
    holds no macros: queries/named.py runs each statement expanded)."""
    con = _copy(small_warehouse)
    latency.register(con)
    con.execute(warehouse.QUERY_DIR.joinpath("macros.sql").read_text())
    yield con
    con.close()


@pytest.fixture(scope="module")
def plain(small_warehouse, tmp_path_factory):
    """The same tables in a fresh DuckDB database without the macros or the UDF: what a
    replica's copy of an Iceberg snapshot is."""
    con = _copy(small_warehouse)
    yield con
    con.close()


def _as_written(con, name, params):
    """The .sql file run as it is, on DuckDB's own macros."""
    wanted = portable.parameters(name)
    bound = {k: v for k, v in params.items() if k in wanted}
    return pl.from_arrow(con.execute(warehouse.sql_text(name), bound).to_arrow_table())


def _all_cases(con):
    units = [r[0] for r in con.execute(
        "SELECT business_unit_id FROM business_units ORDER BY 1").fetchall()]
    values = base_values(END, units)
    for name in portable.query_names():
        for label, params in cases(name, portable.parameters(name), values, units):
            yield name, label, params


def test_every_named_query_renders_to_the_files_result(con, plain):
    seen = set()
    for name, label, params in _all_cases(con):
        expected = _as_written(con, name, params)
        # what the warehouse runs: the macros expanded, the parameters bound by DuckDB
        assert_same(expected, warehouse.run(con, name, **params), f"{name} [{label}] run")
        sql = portable.render(name, "duckdb", **params)
        assert "$" not in sql and "latency_quantile_ms" not in sql.lower(), (name, sql)
        actual = pl.from_arrow(plain.execute(sql).to_arrow_table())
        assert_same(expected, actual, f"{name} [{label}]")
        seen.add(name)
    assert seen == set(portable.query_names())


def test_the_spark_rendering_parses_for_every_query(con):
    for name, label, params in _all_cases(con):
        sql = portable.render(name, "spark", **params)
        assert "$" not in sql, (name, label)
        for banned in ("epoch(", "epoch_us(", "error(", "latency_quantile_ms", "limit null",
                       "timezone(", "isoyear("):
            assert banned not in sql.lower().replace("raise_error(", ""), (name, banned)
        # Spark takes every CTE to one level, where it refuses a name defined twice.
        ctes = [c.alias_or_name.lower()
                for c in sqlglot.parse_one(sql, read="spark").find_all(
                    portable.exp.CTE)]
        assert len(ctes) == len(set(ctes)), (name, label, sorted(ctes))


def test_latency_case_equals_the_udf_on_random_histograms():
    rng = np.random.default_rng(3)
    con = duckdb.connect()
    latency.register(con)
    rows = []
    for _ in range(400):
        counts = rng.integers(0, 50, size=12) * rng.integers(0, 2, size=12)
        cumulative = np.cumsum(counts)
        rows.append([float(rng.choice([0.0, 0.5, 0.95, 0.99, 1.0, rng.random()])),
                     *map(int, cumulative[:11]), int(cumulative[11])])
    rows.append([0.95] + [0] * 12)  # empty: NULL
    rows.append([0.95] + [None] * 12)
    names = ["q", *(f"b{i}" for i in range(11)), "total"]
    frame = pl.DataFrame(rows, schema=[(n, pl.Float64 if n == "q" else pl.Int64)
                                       for n in names], orient="row")
    con.register("h", frame.to_arrow())
    args = ", ".join(names)
    case = portable.latency_case_sql("q", [f"b{i}" for i in range(11)], "total")
    udf, sql = zip(*con.execute(
        f"SELECT latency_quantile_ms({args}), {case} FROM h").fetchall(),
        strict=True)
    assert udf == sql


def test_parameters_are_typed_literals_never_text():
    tree = portable.literal
    hostile = "x' OR 1=1; DROP TABLE models; --\\"
    con = duckdb.connect()
    for value in (hostile, "it's", "", "日本", 0, -7, 2**62, 0.1, 1e6, -2.5e-9, True, False,
                  None, date(2026, 1, 2), datetime(2026, 1, 2, 3, 4, 5, 6),
                  datetime(2026, 1, 2, 4, 4, 5, 6, tzinfo=UTC) + timedelta(hours=-1)):
        got = con.execute(f"SELECT {tree(value).sql('duckdb')}").fetchall()[0][0]
        expected = value.replace(tzinfo=None) if isinstance(value, datetime) else value
        assert got == expected and type(got) is type(expected), (value, got)
    assert con.execute(f"SELECT {tree([hostile, 'a']).sql('duckdb')}").fetchall()[0][0] == [
        hostile, "a"]
    assert tree(0.95).sql("spark") == "0.95e0"
    for bad in (b"bytes", {"a": 1}, object(), float("nan"), float("inf"), [1, "a"], [[1]],
                "nul\x00"):
        with pytest.raises(TypeError):
            tree(bad)


def test_lists_become_in_or_true():
    sql = portable.render("model_catalog", "spark", business_units=["retail", "o'neil"])
    assert "IN ('retail', 'o\\'neil')" in sql or "IN ('retail', 'o''neil')" in sql
    sql = portable.render("model_catalog", "spark", business_units=[])
    assert "LENGTH" not in sql.upper() and "ARRAY_CONTAINS" not in sql.upper()


def test_a_bad_choice_raises_the_macros_error_before_any_engine_runs():
    with pytest.raises(ValueError, match="group_by must be model, team, business_unit or all"):
        portable.render("risk_tiers", "spark", business_units=[], teams=[], models=[],
                        group_by="nothing")


def test_spark_spellings():
    sql = portable.render("dora", "spark", start=datetime(2026, 1, 1), end=datetime(2026, 2, 1),
                          business_units=[], teams=[], models=[], group_by="team")
    assert "UNIX_MICROS" in sql.upper() and "EPOCH" not in sql.upper()
    tree = sqlglot.parse_one(
        "SELECT list(DISTINCT id ORDER BY id), 1.5 / 3, error('x') FROM t LIMIT NULL",
        read="duckdb")
    sql = portable._spark_spellings(tree).sql("spark")
    assert "ARRAY_SORT(COLLECT_SET(ID))" in sql.upper() and "1.5e0" in sql
    assert "RAISE_ERROR" in sql.upper() and "LIMIT" not in sql.upper()


def test_local_time_and_reused_cte_names_on_spark():
    sql = portable.render_sql(
        "SELECT hour(timezone('Asia/Tokyo', paged_at::TIMESTAMPTZ)) AS h FROM oncall_pages",
        "spark")
    assert "FROM_UTC_TIMESTAMP(CAST(paged_at AS TIMESTAMP), 'Asia/Tokyo')" in sql
    with pytest.raises(ValueError, match="TIMESTAMPTZ"):
        portable.render_sql("SELECT timezone('UTC', now()::TIMESTAMP)", "spark")
    # The inner `s` is renamed with its readers; the outer one keeps its name.
    sql = portable.render_sql(
        "WITH s AS (SELECT 1 AS x) SELECT s.x, i.y FROM s, "
        "(WITH s AS (SELECT 2 AS y) SELECT s.y FROM s) i", "spark")
    assert "s__1 AS (SELECT 2 AS y)" in sql and "FROM s__1 AS s" in sql
    assert "WITH s AS (SELECT 1 AS x)" in sql


def test_macros_are_parsed_generically():
    text = """
    -- a comment; with a semicolon
    CREATE OR REPLACE MACRO twice(x) AS x * 2;
    CREATE MACRO pick(a, b) AS TABLE SELECT a AS first, 'b;' AS b FROM t WHERE c = b;
    DROP MACRO IF EXISTS old;
    """
    found = portable.parse_macros(text)
    assert set(found) == {"twice", "pick"}
    assert found["pick"].table and found["pick"].params == ("a", "b")
    tree = portable.expand_macros(
        sqlglot.parse_one("SELECT twice(twice(y)) FROM pick(1, 'z') p", read="duckdb"),
        found)
    sql = tree.sql("duckdb")
    assert "twice" not in sql.lower() and "pick" not in sql.lower()
    assert "((y) * 2) * 2" in sql.replace("(((y) * 2)) * 2", "((y) * 2) * 2") or "y" in sql

"""Named SQL files (queries/*.sql): read them and run one into polars with the macros of
queries/macros.sql expanded into the statement (queries/expand.py). The macros are never
stored in the warehouse: opening a file for reading never writes it, whatever version of
modelops last wrote it."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import polars as pl

QUERY_DIR = Path(__file__).resolve().parent


@cache
def sql_text(name: str) -> str:
    path = QUERY_DIR / f"{name}.sql"
    if not path.exists():
        raise KeyError(f"no query named {name!r} ({path})")
    return path.read_text()


@cache
def _parameters(name: str) -> frozenset[str]:
    return frozenset(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", _strip_comments(sql_text(name))))


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def run(con, name: str, **params) -> pl.DataFrame:
    """Run queries/<name>.sql with its `$name` parameters bound; extra params are ignored."""
    wanted = _parameters(name)
    missing = wanted - params.keys()
    if missing:
        raise TypeError(f"query {name!r} needs parameters: {', '.join(sorted(missing))}")
    bound = {k: v for k, v in params.items() if k in wanted}
    # execute + Arrow, not con.sql(...).pl(): the relation API binds the statement once
    # more before running it, which costs a few ms per KPI query.
    return pl.from_arrow(con.execute(_expand().expanded(name), bound).to_arrow_table())


def query(con, text: str, **params) -> pl.DataFrame:
    """An ad-hoc statement that may call the macros (tests, the benchmark), run like `run`."""
    return pl.from_arrow(con.execute(_expand().expanded_sql(text), params).to_arrow_table())


def _expand():
    """queries/expand.py, imported by the first query run rather than with this module:
    it brings in sqlglot (0.06 s to import with a bytecode cache, 0.3 s without), and every
    process that opens the warehouse imports this module, including `modelops sync` and
    `ingest` under cron, which run no named query (docs/PERFORMANCE.md, "Sync")."""
    from queries import expand

    return expand

"""Named SQL files: read them, run one into polars with the macros expanded.

The SQL helpers of queries/macros.sql (scoped_models, daily_serving, kpi_*, ...) are
expanded into each statement before it runs (queries/portable.py, `expanded`), never
stored in the warehouse: opening a file for reading never writes it, whatever version of
modelops last wrote it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import polars as pl

from queries import portable

QUERY_DIR = Path(__file__).resolve().parents[1]


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
    return pl.from_arrow(con.execute(portable.expanded(name), bound).to_arrow_table())


def query(con, text: str, **params) -> pl.DataFrame:
    """An ad-hoc statement that may call the macros (tests, the benchmark), run like `run`."""
    return pl.from_arrow(con.execute(portable.expanded_sql(text), params).to_arrow_table())


def last_change(path: Path) -> int:
    """A cheap token that changes whenever the warehouse is written (for cache keys)."""
    token = 0
    for p in (path, Path(f"{path}.wal")):
        try:
            st = p.stat()
            token ^= hash((st.st_ino, st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            pass
    return token

"""Named SQL files (queries/*.sql): read them, run one into polars, and keep the macros
of queries/macros.sql current in a warehouse file (the writer and the reader call that)."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

import polars as pl

QUERY_DIR = Path(__file__).resolve().parent
# The SQL helpers (histogram_quantile, scoped_models, ...) stored in the file as macros.
MACROS_PATH = QUERY_DIR / "macros.sql"


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
    return pl.from_arrow(con.execute(sql_text(name), bound).to_arrow_table())


# --- macros -----------------------------------------------------------------------------

def macros_text() -> str:
    """queries/macros.sql as it is now (read when a connection opens, not per query)."""
    return MACROS_PATH.read_text()


def macros_wanted() -> str:
    return hashlib.sha256(macros_text().encode()).hexdigest()


def macros_sha(con) -> str | None:
    """The sha256 of the macros.sql whose macros the file holds (None: none yet)."""
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'macro_version'"
    ).fetchall()
    if not rows[0][0]:
        return None
    rows = con.execute("SELECT sha256 FROM macro_version").fetchall()
    return rows[0][0] if rows else None


def refresh_macros(con) -> None:
    """Store the macros in the file whenever queries/macros.sql differs from what the file
    holds, so the KPI math always comes from the code that runs, and every reader's cursor
    sees the macros for free. One transaction: all of them, with their sha, or none."""
    text = macros_text()
    wanted = hashlib.sha256(text.encode()).hexdigest()
    if macros_sha(con) == wanted:
        return
    con.execute("BEGIN")
    try:
        con.execute(text)
        con.execute("CREATE OR REPLACE TABLE macro_version (sha256 VARCHAR NOT NULL)")
        con.execute("INSERT INTO macro_version VALUES (?)", [wanted])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise

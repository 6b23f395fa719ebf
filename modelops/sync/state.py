"""Each source's sync state, kept in the warehouse (table `sync_sources`, migration 4).

Why in the warehouse and not in a file beside it: the cursor must describe exactly the
data the warehouse holds. It is written in its own short transaction after the loads it
covers have committed, so a crash between the two only makes the next sync read an
interval again (which the upsert absorbs), never skip one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass
class SourceState:
    name: str
    kind: str
    every_s: int
    cursor: datetime | None = None
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_rows: int | None = None
    next_run: datetime | None = None
    last_error: str | None = None
    failures: int = 0


COLUMNS = ("name", "kind", "every_s", "cursor", "last_attempt", "last_success", "last_rows",
           "next_run", "last_error", "failures")


def _aware(value):
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and value.tzinfo is None \
        else value


def _naive(value):
    return value.astimezone(UTC).replace(tzinfo=None) if isinstance(value, datetime) \
        else value


def read_state(con, name: str) -> SourceState | None:
    """The stored state of source `name`, times as aware UTC datetimes, or None."""
    rows = con.execute(f"SELECT {', '.join(COLUMNS)} FROM sync_sources WHERE name = ?",
                       [name]).fetchall()
    if not rows:
        return None
    return SourceState(*(_aware(v) for v in rows[0]))


def read_states(con) -> dict[str, SourceState]:
    rows = con.execute(f"SELECT {', '.join(COLUMNS)} FROM sync_sources").fetchall()
    return {r[0]: SourceState(*(_aware(v) for v in r)) for r in rows}


def write_state(con, state: SourceState) -> None:
    """Replace the source's row, in one transaction."""
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM sync_sources WHERE name = ?", [state.name])
        con.execute(f"INSERT INTO sync_sources ({', '.join(COLUMNS)}) VALUES "
                    f"({', '.join('?' for _ in COLUMNS)})",
                    [_naive(getattr(state, c)) for c in COLUMNS])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise

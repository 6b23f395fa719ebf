"""The delivery log (warehouse table `delivery_log`, migration 4): one row per attempt to
deliver a week to a recipient of a subscription. A week counts as delivered to a recipient
once a row with status `sent` exists; `modelops deliver` skips those unless `--resend`.

Rows are written in short writes at most FLUSH_S seconds apart (and at the end of the run,
even one stopped by an error), not one per send: opening the warehouse for writing costs
a few hundred milliseconds, more than a send, and the dashboard's readers wait only for
each short insert. A run stopped hard (kill -9, power) may therefore send the recipients of
its last FLUSH_S seconds again on the next run: the log errs on the side of delivering.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from modelops.warehouse import writing

FLUSH_S = 5.0
RECIPIENT_WEBHOOK = "webhook:"   # a channel's recipient: webhook:<kind>:<url variable>


def delivered(path: Path | None, subscription: str, week: str) -> set[str]:
    """The recipients that have this week of this subscription (status `sent`)."""
    with writing(path) as con:  # migrates an older file, so the table exists
        rows = con.execute(
            "SELECT DISTINCT recipient FROM delivery_log WHERE subscription = ? AND week = ?"
            " AND status = 'sent'", [subscription, week]).fetchall()
    return {r for (r,) in rows}


class Recorder:
    """Collects log rows and writes them at most FLUSH_S seconds apart; use as a context
    manager so the last rows are written whatever ends the run."""

    def __init__(self, path: Path | None, flush_s: float = FLUSH_S):
        self.path, self.flush_s = path, flush_s
        self.rows: list[list] = []
        self.last = time.monotonic()

    def record(self, subscription: str, recipient: str, week: str, status: str,
               scope: str, detail: str, attempts: int) -> None:
        self.rows.append([subscription, recipient, week, status, scope, detail, attempts,
                          datetime.now(UTC).replace(tzinfo=None)])
        if time.monotonic() - self.last >= self.flush_s:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            with writing(self.path) as con:
                con.executemany("INSERT INTO delivery_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                self.rows)
            self.rows = []
        self.last = time.monotonic()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.flush()

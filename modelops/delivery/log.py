"""The delivery log (warehouse table `delivery_log`, migration 4): one row per attempt to
deliver a week to a recipient of a subscription. A week counts as delivered to a recipient
once a row with status `sent` exists; `modelops deliver` skips those unless `--resend`.

A row is written right after each send, in its own short write, so a run stopped half-way
resumes with the recipients not yet served, and the dashboard's readers wait only for that
one insert. (A crash between the server's 250 and the insert would send that one message
again: the log errs on the side of delivering.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from modelops.warehouse import writing

RECIPIENT_WEBHOOK = "webhook:"   # a channel's recipient: webhook:<kind>:<url variable>


def delivered(path: Path | None, subscription: str, week: str) -> set[str]:
    """The recipients that have this week of this subscription (status `sent`)."""
    with writing(path) as con:  # migrates an older file, so the table exists
        rows = con.execute(
            "SELECT DISTINCT recipient FROM delivery_log WHERE subscription = ? AND week = ?"
            " AND status = 'sent'", [subscription, week]).fetchall()
    return {r for (r,) in rows}


def record(path: Path | None, subscription: str, recipient: str, week: str, status: str,
           scope: str, detail: str, attempts: int) -> None:
    with writing(path) as con:
        con.execute("INSERT INTO delivery_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [subscription, recipient, week, status, scope, detail, attempts,
                     datetime.now(UTC).replace(tzinfo=None)])

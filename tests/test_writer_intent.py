"""Writer intents are trusted only while their writer holds them (issue 18.4).

An intent used to be trusted by the pid in its name: a live but unrelated process with
that pid made every page wait the whole lock timeout, `writer-0` passed `os.kill(0, 0)`,
a pid too large for a C int raised OverflowError on every read, and a stale file on a
read-only mount raised OSError from the clean-up on every read.
"""

from __future__ import annotations

import errno
import os
import subprocess
import time

import pytest
from warehouse_helpers import ORG, write_from_another_process

from modelops.cli import main
from modelops.warehouse import connect, intent, reader, reading

# Reading with a stale intent present must not wait for it; well under the lock timeout.
NO_WAIT_S = 2.0


@pytest.fixture
def short_lock_timeout(monkeypatch):
    monkeypatch.setattr(connect, "LOCK_TIMEOUT_S", 10.0)


def _timed_read(path) -> float:
    reader.release(path)  # open afresh, as the first read of a page after an idle second
    started = time.monotonic()
    with reading(path) as con:
        assert con.execute("SELECT count(*) FROM business_units").fetchall() == [(1,)]
    return time.monotonic() - started


def test_an_intent_named_for_a_live_unrelated_process_is_ignored(
        make_warehouse, short_lock_timeout):
    path = make_warehouse(ORG)
    unrelated = subprocess.Popen(["sleep", "60"])
    try:
        stale = path.with_name(f"{path.name}.writer-{unrelated.pid}")
        stale.touch()
        assert _timed_read(path) < NO_WAIT_S
        assert not stale.exists()  # removed: provably nobody's intent
        stale.touch()
        assert write_from_another_process(path, "b2", lock_timeout_s=10) < NO_WAIT_S * 2
    finally:
        unrelated.kill()
        unrelated.wait()


def test_writer_0_is_not_a_live_writer(make_warehouse, short_lock_timeout):
    path = make_warehouse(ORG)
    path.with_name(f"{path.name}.writer-0").touch()
    assert _timed_read(path) < NO_WAIT_S


def test_a_pid_too_large_for_the_system_breaks_neither_pages_nor_the_report(
        make_warehouse, short_lock_timeout, tmp_path, capsys):
    path = make_warehouse(ORG)
    path.with_name(f"{path.name}.writer-99999999999999999999").touch()
    assert _timed_read(path) < NO_WAIT_S
    path.with_name(f"{path.name}.writer-99999999999999999999").touch()
    reader.release(path)
    out = tmp_path / "week.csv"
    assert main(["report", "weekly", "--week", "2026-W02", "--warehouse", str(path),
                 "--out", str(out)]) == 0, capsys.readouterr().err
    assert out.read_text().startswith("week,")


def test_a_stale_intent_that_cannot_be_removed_does_not_break_reads(
        make_warehouse, short_lock_timeout, monkeypatch):
    path = make_warehouse(ORG)
    stale = path.with_name(f"{path.name}.writer-12345")
    stale.touch()

    def read_only_mount(target, *args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(target))

    monkeypatch.setattr(os, "unlink", read_only_mount)
    for _ in range(3):
        assert _timed_read(path) < NO_WAIT_S
    assert stale.exists()


def test_a_held_intent_is_live_and_gone_when_released(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with intent.announce(path) as held:
        assert held.name.startswith("warehouse.duckdb.writer-")
        assert intent.held(held)
        assert intent.writer_waiting(path)
    assert not held.exists()
    assert not intent.writer_waiting(path)
    assert list(tmp_path.iterdir()) == []

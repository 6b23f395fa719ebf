"""A long-running dashboard over an Iceberg catalog reads each snapshot from its own
replica file, and the replica cache removes old ones (queries/iceberg.py). The shared
reader must let go of those files' entries, or it keeps one per snapshot forever (issue
30, item 10): over 1,000 snapshots the number of entries stays flat."""

from __future__ import annotations

import shutil

from conftest import build_warehouse
from warehouse_helpers import SERVING

from modelops.warehouse import reader, reading

KEPT = 3  # replicas the cache keeps (IcebergWarehouse._prune)


def _rotate(cache, seq):
    """A new commit's replica published, the oldest beyond KEPT removed (as idle: the
    reader has closed it first)."""
    old = cache / f"replica-{seq - KEPT:012d}.duckdb"
    if seq > KEPT:
        reader.release(old)
        old.unlink()
    return cache / f"replica-{seq:012d}.duckdb"


def test_reader_entries_stay_flat_while_snapshots_come_and_go(tmp_path):
    source = build_warehouse(tmp_path / "snapshot.duckdb", SERVING)
    cache = tmp_path / "cache"
    cache.mkdir()
    before = len(reader._readers)
    counts = []
    for seq in range(1, 31):  # real reads of real files
        replica = _rotate(cache, seq)
        shutil.copyfile(source, replica)
        with reading(replica) as con:
            assert con.execute("SELECT sum(requests) FROM metrics_hourly").fetchall() == [
                (1000,)]
        counts.append(len(reader._readers) - before)
    # the files still there (KEPT), never one per snapshot read
    assert max(counts) <= KEPT, counts


def test_reader_entries_stay_flat_over_1000_snapshots(tmp_path):
    """The same over 1,000 snapshots, counting entries (a deterministic measure of the
    memory they hold: each keeps a lock, a condition and possibly a connection); the files
    are empty stand-ins, since asking for a file's reader does not open it."""
    cache = tmp_path / "cache"
    cache.mkdir()
    before = len(reader._readers)
    counts = []
    for seq in range(1, 1001):
        replica = _rotate(cache, seq)
        replica.touch()
        reader.shared(replica)
        counts.append(len(reader._readers) - before)
    assert max(counts) <= KEPT, max(counts)
    assert counts[-1] == counts[99]  # flat: the same after 100 and after 1,000 snapshots

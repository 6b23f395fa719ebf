"""`modelops sync --loop` (issue 27, item 3): each source on its own interval with jitter,
exponential backoff for a failing one that never delays the others, SIGTERM finishing the
file in hand."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

from importer_support import BASE, FIXTURES, rows
from sync_support import FakeGitHub, SlowAPI, deployment, large_focus_exports, refused_url

from modelops.config import Source
from modelops.sync.backoff import next_delay
from modelops.sync.schedule import run_loop


def test_the_interval_and_the_backoff_worked_out_by_hand():
    assert next_delay(300, 0, jitter=0) == 300
    assert [next_delay(300, n, jitter=0) for n in (1, 2, 3, 7, 30)] == [
        60, 120, 240, 3600, 3600]          # min(every, 60) doubled, at most an hour
    assert [next_delay(20, n, jitter=0) for n in (1, 2, 3)] == [20, 40, 80]
    assert next_delay(7200, 9, jitter=0) == 7200  # the cap is the interval when longer
    rng = random.Random(7)
    spread = [next_delay(300, 0, rng=rng) for _ in range(200)]
    assert 270 <= min(spread) < 285 and 315 < max(spread) <= 330  # ±10 %, both ways
    assert len(set(spread)) == 200  # not one fixed offset


def test_a_hanging_and_a_failing_source_do_not_delay_a_healthy_one(make_warehouse):
    """Three sources every second: one whose API answers after 10 s, one refused, one
    healthy. In 11 s the healthy one runs again and again while the slow one is stuck; the
    refused one backs off (1 s, 2 s, ...); stop ends the loop without a new run."""
    wh = make_warehouse(BASE)
    common = dict(kind="github", every_s=1, map_path=FIXTURES / "map.csv",
                  options={"repo": "acme/ml"})
    stop = threading.Event()
    outcomes = []
    with FakeGitHub() as healthy, SlowAPI(10.0) as slow:
        sources = [Source(name="slow", url=slow.base, timeout_s=20, **common),
                   Source(name="refused", url=refused_url(), **common),
                   Source(name="healthy", url=healthy.base, **common)]
        loop = threading.Thread(target=run_loop, args=(wh, sources),
                                kwargs=dict(stop=stop, report=outcomes.append, poll_s=0.1))
        loop.start()
        time.sleep(11.0)
        stop.set()
        loop.join(15)
        assert not loop.is_alive()
    runs = {name: [o for o in outcomes if o.source == name]
            for name in ("slow", "refused", "healthy")}
    finished = [o for o in runs["healthy"] if not o.stopped]  # the last may have been stopped
    assert finished and all(o.ok for o in finished)
    # the healthy source ran (at least twice) while the slow one's first run was in flight
    first_slow = next(n for n, o in enumerate(outcomes) if o.source == "slow")
    assert sum(o.source == "healthy" for o in outcomes[:first_slow]) >= 2, [
        o.source for o in outcomes]
    assert len(runs["slow"]) <= 2  # one answer took 10 s: one run done, one in flight
    refused = runs["refused"]
    assert 2 <= len(refused) <= 5 and [o.failures for o in refused] == list(
        range(1, len(refused) + 1))
    # next runs 1 s, 2 s, 4 s after each failure (±10 %): the gaps between them double
    gaps = [(b.next_run - a.next_run).total_seconds() for a, b in pairwise(refused)]
    assert gaps[0] > 1.5 and gaps == sorted(gaps) and len(set(gaps)) == len(gaps)
    assert rows(wh, "SELECT name, failures FROM sync_sources ORDER BY name") == [
        ("healthy", 0), ("refused", len(refused)), ("slow", 0)]
    assert "Connection refused" in rows(
        wh, "SELECT last_error FROM sync_sources WHERE name = 'refused'")[0][0]


def test_sigterm_finishes_the_file_in_hand_and_exits_cleanly(make_warehouse, tmp_path):
    wh = make_warehouse(BASE)
    config = deployment(tmp_path, wh)
    per_day, days, first_day = 200, 60, date(2025, 1, 1)
    large_focus_exports(tmp_path / "exports", per_day, days, first_day)
    command = [sys.executable, "-m", "modelops.cli", "sync", "--loop", "--config", str(config)]
    copy = tmp_path / "timing.duckdb"
    copy.write_bytes(wh.read_bytes())
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "modelops.cli", "sync", "--config", str(config),
                    "--warehouse", str(copy)], check=True, stdout=subprocess.DEVNULL)
    whole = time.monotonic() - started
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(whole * 0.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.rstrip().endswith("stopped") and err == ""
    logged = {Path(f).name for (f,) in rows(
        wh, "SELECT file FROM load_log WHERE source = 'focus' AND status = 'loaded'")}
    for n in range(4):
        start = first_day + timedelta(days=n * days)
        stored = rows(wh, "SELECT count(*) FROM costs_daily WHERE day >= ? AND day < ?",
                      [start, start + timedelta(days=days)])[0][0]
        assert (stored, f"focus-{n}.csv" in logged) in ((0, False), (days, True))
    assert len(logged) < 4, f"the loop was not stopped mid-run ({whole:.1f} s)"
    assert rows(wh, "SELECT last_error, failures FROM sync_sources") == [(None, 0)]
    assert "costs: stopped; the next run resumes from the cursor" in out


def test_a_restarted_loop_waits_for_each_source_s_stored_next_run(make_warehouse):
    """A source synced a moment ago (next run in 5 min) is not run again at start; one
    never synced runs at once; one whose interval was shortened to 1 s since its next run
    was stored runs within that second."""
    from modelops.sync.runner import sync_source

    wh = make_warehouse(BASE)
    common = dict(kind="github", map_path=FIXTURES / "map.csv", options={"repo": "acme/ml"})
    with FakeGitHub() as gh:
        recent = Source(name="recent", url=gh.base, every_s=300, **common)
        shortened = Source(name="shortened", url=gh.base, every_s=300, **common)
        for source in (recent, shortened):
            sync_source(wh, source)
        shortened = Source(name="shortened", url=gh.base, every_s=1, **common)
        fresh = Source(name="fresh", url=gh.base, every_s=300, **common)
        stop, outcomes = threading.Event(), []
        loop = threading.Thread(target=run_loop, args=(wh, [recent, shortened, fresh]),
                                kwargs=dict(stop=stop, report=outcomes.append, poll_s=0.1))
        loop.start()
        time.sleep(3.0)
        stop.set()
        loop.join(15)
    ran = {o.source for o in outcomes}
    assert "recent" not in ran and {"fresh", "shortened"} <= ran, ran

"""`modelops sync --loop`: every source on its own interval until SIGTERM.

Each source is due at its own time. A due source runs on a worker thread, so a source that
is slow or down (a fetch waiting out its timeout, a Retry-After) never holds the others
back; fetches run side by side, writes one at a time (DuckDB has one writer per file).
After a run the source is due again after its interval, with jitter (±10%, so many
machines or sources started together spread out); after a failure, after an exponential
backoff: min(every, 60 s) doubled per failure in a row, at most max(every, 1 h).

A restart reads each source's next_run from the warehouse (at most one interval ahead), so
it neither runs everything at once nor forgets a source that was due; the cursor makes the
run incremental. One worker per source (up to 16): a hanging source holds only its own.

Stopping (SIGTERM/SIGINT set `stop`): no new run starts; a run in flight stops between
requests or between files (the file in hand commits), and the loop returns once all have.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from modelops.config import Source
from modelops.sync.backoff import next_delay
from modelops.sync.runner import Outcome, utcnow
from modelops.sync.target import Target

POLL_S = 1.0


def run_loop(warehouse: Path | str | Target, sources: list[Source], *,
             stop: threading.Event,
             report: Callable[[Outcome], None] = lambda outcome: None,
             now: Callable[[], datetime] = utcnow, rng: random.Random | None = None,
             workers: int = 16, poll_s: float = POLL_S) -> None:
    """Run every source when it is due until `stop` is set, then let the runs in flight
    finish the file in hand. `report` gets each run's outcome (the CLI prints it)."""
    rng = rng or random.Random()
    target = warehouse if isinstance(warehouse, Target) else Target(warehouse)
    write_lock = threading.Lock()
    with write_lock:
        stored = target.states()
    due: dict[str, datetime] = {}
    started = now()
    for source in sources:
        state = stored.get(source.name)
        # the stored next run, but never later than one interval from now (the file's
        # interval may have been shortened since)
        due[source.name] = min(state.next_run, started + timedelta(seconds=source.every_s)) \
            if state and state.next_run else started
    running: dict[str, Future] = {}
    by_name = {s.name: s for s in sources}

    def delay(every_s: int, failures: int) -> float:
        return next_delay(every_s, failures, rng=rng)

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(sources))),
                            thread_name_prefix="modelops-sync") as pool:
        while not stop.is_set():
            moment = now()
            for name, future in list(running.items()):
                if future.done():
                    del running[name]
                    try:
                        outcome = future.result()
                    except Exception as error:  # noqa: BLE001 - one source must not end the loop
                        outcome = Outcome(source=name, status=2,
                                          error=f"{type(error).__name__}: {error}")
                        outcome.next_run = moment + timedelta(
                            seconds=delay(by_name[name].every_s, 1))
                        outcome.lines.append(f"{name}: FAILED: {outcome.error}")
                    due[name] = outcome.next_run or moment
                    report(outcome)
            for name, at in due.items():
                if name not in running and at <= moment and not stop.is_set():
                    running[name] = pool.submit(
                        target.run, by_name[name], now=now, stop=stop.is_set,
                        write_lock=write_lock, delay=delay)
            waiting = [at for name, at in due.items() if name not in running]
            pause = min([(at - moment).total_seconds() for at in waiting] + [poll_s])
            stop.wait(max(0.05, pause))
        for name, future in running.items():
            try:
                report(future.result())
            except Exception as error:  # noqa: BLE001
                report(Outcome(source=name, status=2, error=str(error),
                               lines=[f"{name}: FAILED: {error}"]))

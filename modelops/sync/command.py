"""`modelops sync [NAME...] [--loop]`: the command, its arguments and its output.

Exit status (once): 0 every source synced; 1 some rows quarantined; 2 a source failed
(fetch error, rejected file) or modelops.toml is wrong — the other sources still ran. A
source another sync holds is skipped with one line and does not change the status.
With --loop it runs until SIGTERM/SIGINT and exits 0.
"""

from __future__ import annotations

import signal
import threading
from contextlib import ExitStack

from modelops.backends import warehouse_location
from modelops.config import Config, find_config, load_config
from modelops.sync.lock import Busy, source_lock
from modelops.sync.runner import Outcome
from modelops.sync.schedule import run_loop
from modelops.sync.target import Target
from modelops.warehouse import UsageError, WarehouseError


def add_sync_parser(sub, add_warehouse) -> None:
    sync = sub.add_parser(
        "sync", help="pull every source of modelops.toml (once, or --loop)",
        description="Run each source of modelops.toml once, incrementally from its cursor "
        "in the warehouse, through the import path; --loop keeps each on its interval. "
        "See README, 'Keep the warehouse fresh'.")
    sync.add_argument("names", nargs="*", metavar="NAME",
                      help="the sources to sync (default: every source of the file)")
    sync.add_argument("--config", metavar="FILE",
                      help="the deployment file (default: $MODELOPS_CONFIG or ./modelops.toml)")
    sync.add_argument("--loop", action="store_true",
                      help="run every source on its own interval until SIGTERM")
    sync.add_argument("--wait", type=float, default=0.0, metavar="S",
                      help="wait up to S seconds for another sync of the same source "
                      "(default: skip it at once)")
    add_warehouse(sync)
    sync.set_defaults(func=cmd_sync)


def _warehouse(args, config: Config) -> Target:
    """--warehouse, else the file's `warehouse`, else MODELOPS_WAREHOUSE, else the default:
    a DuckDB file or an Iceberg catalog (iceberg+...)."""
    return Target(warehouse_location(args.warehouse or config.warehouse))


def cmd_sync(args) -> int:
    config = load_config(find_config(args.config))
    unknown = [n for n in args.names if n not in config.sources]
    if unknown:
        raise UsageError(f"{config.file}: no source named {', '.join(unknown)} "
                         f"(sources: {', '.join(config.sources) or 'none'})")
    sources = [config.sources[n] for n in (args.names or config.sources)]
    if not sources:
        raise UsageError(f"{config.file}: no [sources.NAME] to sync")
    warehouse = _warehouse(args, config)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if args.loop:
            return _loop(warehouse, sources, stop, args.wait)
        status = 0
        for source in sources:
            if stop.is_set():
                break
            try:
                with source_lock(warehouse.lock_base, source.name, args.wait):
                    outcome = warehouse.run(source, stop=stop.is_set)
            except Busy as busy:
                print(busy, flush=True)
                continue
            except WarehouseError as error:  # locked too long, too new: the others still run
                print(f"{source.name}: FAILED: {error}", flush=True)
                status = 2
                continue
            _print(outcome)
            status = max(status, outcome.status)
        return status
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _print(outcome: Outcome) -> None:
    for line in outcome.lines:
        print(line, flush=True)


def _loop(warehouse: Target, sources, stop: threading.Event, wait_s: float) -> int:
    """The loop holds every source's lock for its whole life: a cron sync of the same
    source meanwhile skips it, and a second loop refuses to start."""
    with ExitStack() as locks:
        for source in sources:
            try:
                locks.enter_context(source_lock(warehouse.lock_base, source.name, wait_s))
            except Busy as busy:
                raise UsageError(str(busy).replace("; skipped", "; not starting a loop")) \
                    from None
        print(f"syncing {len(sources)} source(s) into {warehouse} until stopped "
              "(SIGTERM)", flush=True)
        run_loop(warehouse, sources, stop=stop, report=_print)
    print("stopped", flush=True)
    return 0

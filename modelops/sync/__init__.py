"""`modelops sync`: every source of modelops.toml pulled into the warehouse, incrementally.

    state.py     the per-source row of `sync_sources` in the warehouse: cursor, last
                 attempt and success, rows, next run, last error (the Data page shows it)
    lock.py      one sync of a source at a time, across processes (cron, --loop)
    runner.py    one run of one source: fetch the window after the cursor (url) or the
                 files not loaded yet (path), load them through `modelops import`'s path
    target.py    where a run writes: a DuckDB file (a transaction per file) or an Iceberg
                 catalog (a commit per run)
    schedule.py  `--loop`: each source on its own interval, with jitter; exponential
                 backoff for a failing source; SIGTERM finishes the file in hand

Everything a run loads goes through modelops.importers.run.import_files, so a sync is an
import: the same validation, quarantine, upsert, load log and exit status, and a re-run
changes nothing.
"""

"""`modelops sync` from the command line: path sources by content hash, one sync of a source
at a time, and kill -9 in the middle of a sync (issue 27, item 2)."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from importer_support import BASE, FIXTURES, rows
from sync_support import FOCUS_HEADER, deployment, large_focus_exports

from modelops.cli import main
from modelops.sync.lock import source_lock


def test_a_path_source_loads_each_file_once_by_content(make_warehouse, tmp_path, capsys):
    wh = make_warehouse(BASE)
    config = deployment(tmp_path, wh)
    (tmp_path / "exports" / "a.csv").write_bytes((FIXTURES / "focus" / "focus-1.2.csv")
                                                 .read_bytes())
    assert main(["sync", "--config", str(config)]) == 1  # the fixture has a bad row
    first = capsys.readouterr().out
    assert "costs: 1 new file(s) of 1 in " in first
    stored = rows(wh, "SELECT model_id, day, category, amount_usd FROM costs_daily ORDER BY ALL")
    assert stored
    loads = rows(wh, "SELECT count(*) FROM load_log")
    # the same file again, and the same content under another name: nothing is read
    (tmp_path / "exports" / "copy.csv").write_bytes((tmp_path / "exports" / "a.csv")
                                                    .read_bytes())
    assert main(["sync", "--config", str(config)]) == 0
    assert "costs: 0 new file(s) of 2 in " in capsys.readouterr().out
    assert rows(wh, "SELECT count(*) FROM load_log") == loads
    # a new export is loaded, alone
    (tmp_path / "exports" / "b.csv").write_text(
        f"{FOCUS_HEADER}\n2.00,USD,Usage,,2026-11-25T01:00:00Z,2026-11-25T00:00:00Z,2.00,"
        'Nimbus Cloud,Compute,Nimbus VMs,"{""model"":""churn""}",p1\n')
    assert main(["sync", "--config", str(config), "costs"]) == 0
    out = capsys.readouterr().out
    assert "costs: 1 new file(s) of 3 in " in out and "b.csv: read 1 records" in out
    assert rows(wh, "SELECT model_id, day, category, amount_usd FROM costs_daily ORDER BY ALL"
                ) == sorted([*stored, ("churn", date(2026, 11, 25), "compute", 2.0)])
    assert rows(wh, "SELECT name, kind, every_s, last_rows, last_error FROM sync_sources") == [
        ("costs", "focus", 3600, 1, None)]


def test_an_unknown_source_name_is_a_usage_error(make_warehouse, tmp_path, capsys):
    config = deployment(tmp_path, make_warehouse(BASE))
    assert main(["sync", "--config", str(config), "costs", "nope"]) == 2
    assert capsys.readouterr().err == (f"modelops sync: {config}: no source named nope "
                                       "(sources: costs)\n")


def test_a_second_sync_of_a_source_skips_it_or_waits_never_loads_twice(make_warehouse,
                                                                        tmp_path, capsys):
    wh = make_warehouse(BASE)
    config = deployment(tmp_path, wh)
    (tmp_path / "exports" / "a.csv").write_bytes((FIXTURES / "focus" / "focus-1.3.csv")
                                                 .read_bytes())
    with source_lock(wh, "costs"):  # as if another `modelops sync` were running it
        assert main(["sync", "--config", str(config)]) == 0
    import os

    assert capsys.readouterr().out == (
        f"costs: another `modelops sync` (pid {os.getpid()}) is syncing this source; "
        "skipped\n")
    assert rows(wh, "SELECT count(*) FROM load_log") == rows(
        wh, "SELECT count(*) FROM load_log WHERE source = 'ingest'")
    held, release = threading.Event(), threading.Event()

    def other():
        with source_lock(wh, "costs"):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    held.wait(5)
    threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    assert main(["sync", "--config", str(config), "--wait", "10"]) in (0, 1)
    assert 0.4 < time.monotonic() - started < 10
    thread.join()
    assert "costs: 1 new file(s) of 1" in capsys.readouterr().out


def test_kill_9_mid_sync_keeps_whole_files_and_the_next_sync_converges(make_warehouse,
                                                                       tmp_path):
    """Sync four large exports and kill -9 the sync at random moments, again and again:
    each file's costs are all there or none, exactly when the load log says it loaded;
    a last sync completes the set with nothing twice."""
    wh = make_warehouse(BASE)
    config = deployment(tmp_path, wh)
    per_day, days, first_day = 200, 60, date(2025, 1, 1)
    large_focus_exports(tmp_path / "exports", per_day, days, first_day)
    command = [sys.executable, "-m", "modelops.cli", "sync", "--config", str(config)]
    # How long a whole sync takes on this machine (into a copy), so the kills fall inside it
    copy = tmp_path / "timing.duckdb"
    copy.write_bytes(wh.read_bytes())
    started = time.monotonic()
    subprocess.run([*command, "--warehouse", str(copy)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    whole = time.monotonic() - started
    chance = random.Random(20261207)
    seen = set()
    for share in (0.35, 0.55, 0.75, 0.95):
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(whole * share * chance.uniform(0.9, 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        logged = {Path(f).name for (f,) in rows(
            wh, "SELECT DISTINCT file FROM load_log WHERE source = 'focus'"
                " AND status = 'loaded'")}
        for n in range(4):
            start = first_day + timedelta(days=n * days)
            stored = rows(wh, "SELECT count(*) FROM costs_daily WHERE day >= ? AND day < ?",
                          [start, start + timedelta(days=days)])[0][0]
            assert stored in (0, days), (n, stored)
            assert (stored == days) == (f"focus-{n}.csv" in logged), (n, stored, logged)
        seen.add(len(logged))
    print(f"whole sync {whole:.1f} s; files loaded after each kill:", sorted(seen))
    assert main(["sync", "--config", str(config)]) == 0
    assert rows(wh, "SELECT count(*), sum(amount_usd) FROM costs_daily") == [
        (4 * days, 4 * days * per_day * 0.25)]
    assert rows(wh, "SELECT count(*) FROM load_log WHERE source = 'focus'"
                    " AND status = 'loaded'") == [(4,)]


def test_a_warehouse_that_cannot_be_opened_fails_each_source_with_one_line(make_warehouse,
                                                                          tmp_path, capsys):
    import duckdb

    from modelops.warehouse import SCHEMA_VERSION

    wh = make_warehouse(BASE)
    con = duckdb.connect(str(wh))
    con.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)",
                [SCHEMA_VERSION + 5])
    con.close()
    config = deployment(tmp_path, wh)
    with config.open("a") as handle:
        handle.write('\n[sources.more]\nkind = "gx"\npath = "gx/*.json"\nevery = "1h"\n')
    assert main(["sync", "--config", str(config)]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["costs", "more"]
    assert all(f"schema version {SCHEMA_VERSION + 5} was written by a newer modelops" in line
               for line in lines)


# Modules a `modelops sync` process has no use for: the other commands' (the demo, reports
# and their KPI queries, delivery), the dashboard's, the optional engines', and sqlglot (the
# macro expansion of named queries, which a sync never runs). Cron starts a process per run,
# and each of these was start-up time (docs/PERFORMANCE.md, "Sync: a run that finds nothing new").
NOT_FOR_SYNC = ("modelops.demo", "modelops.reports.review", "modelops.delivery.run",
                "queries.kpi", "queries.catalog", "sqlglot", "streamlit", "plotly",
                "pyiceberg", "pyspark", "openpyxl", "xlsxwriter", "dashboard")


def test_a_sync_process_imports_only_what_sync_needs(make_warehouse, tmp_path):
    config = deployment(tmp_path, make_warehouse(BASE))
    (tmp_path / "exports" / "a.csv").write_bytes((FIXTURES / "focus" / "focus-1.2.csv")
                                                 .read_bytes())
    script = ("import sys\nfrom modelops.cli import main\n"
              f"status = main(['sync', '--config', {str(config)!r}])\n"
              "print(status, ' '.join(sorted({m.split('.')[0] if not m.startswith("
              "('modelops.', 'queries.')) else m for m in sys.modules})))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout.splitlines()[-1].split()
    status, loaded = out[0], set(out[1:])
    assert status == "1"  # it did sync: the fixture's bad row is quarantined
    assert {"duckdb", "polars", "modelops.sync.runner", "modelops.importers.focus"} <= loaded
    assert sorted(loaded & set(NOT_FOR_SYNC)) == []

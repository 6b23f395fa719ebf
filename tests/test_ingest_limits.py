"""Files and values past the contract's bounds (DATA_CONTRACT.md, "Bounds"): each is
rejected or quarantined with a one-line reason, the load log records it, and the rest of
the run still loads.

The warehouse is the one of test_ingest.py: business unit bu1, team t1, vendor v1, model m1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from test_ingest import BU, METRICS_HEADER, MODELS, TEAMS, VENDORS, load, metrics_row, table

from modelops.cli import main as cli
from modelops.warehouse import ingest, writing
from modelops.warehouse.ingest import ingest_file

TEAMS_HEADER = "team_id,name,business_unit_id"
INT64_MAX = 9223372036854775807
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def base(tmp_path):
    """A warehouse with one business unit, team, vendor and model (as test_ingest.py's);
    the files of a test go to tmp_path/in."""
    wh = tmp_path / "wh.duckdb"
    (tmp_path / "in").mkdir()
    with writing(wh) as con:
        for name, text in [("business_units.csv", BU), ("teams.csv", TEAMS),
                           ("vendors.csv", VENDORS), ("models.csv", MODELS)]:
            path = tmp_path / name
            path.write_text(text)
            assert ingest_file(con, path).status == "loaded"
    return wh


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / "in" / name
    path.write_text(text)
    return path


def run_cli(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """`modelops ...` in its own process, so a hang fails the test instead of the suite."""
    return subprocess.run([sys.executable, "-m", "modelops.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          check=False)


def statuses(wh: Path) -> list[tuple]:
    return table(wh, "SELECT file, status, message FROM load_log WHERE load_id > 4 "
                     "ORDER BY load_id")


# --- 18.8: only regular files ----------------------------------------------------------

def test_a_fifo_a_device_or_a_folder_is_rejected_at_once_and_the_run_goes_on(base, tmp_path):
    fifo = tmp_path / "in" / "teams.csv"
    os.mkfifo(fifo)  # nobody ever writes to it: opening it for reading would wait forever
    zero = tmp_path / "in" / "teams-zero.csv"
    zero.symlink_to("/dev/zero")  # endless
    folder = tmp_path / "in" / "teams-dir.csv"
    folder.mkdir()
    good = write(tmp_path, "teams-good.csv", f"{TEAMS_HEADER}\nt2,Ops,bu1\n")

    done = run_cli("ingest", fifo, zero, folder, good, "--warehouse", base)

    assert done.returncode == 2
    assert done.stderr == ""
    assert done.stdout.splitlines() == [
        (f"{folder}: REJECTED, nothing loaded: not a regular file (a directory); "
         "only regular files are read"),
        f"{good} -> teams: read 1, inserted 1, updated 0, unchanged 0, quarantined 0",
        (f"{zero}: REJECTED, nothing loaded: not a regular file (a character device); "
         "only regular files are read"),
        (f"{fifo}: REJECTED, nothing loaded: not a regular file (a named pipe (FIFO)); "
         "only regular files are read"),
    ]
    assert [(f, s) for f, s, _ in statuses(base)] == [
        (str(folder), "rejected"), (str(good), "loaded"), (str(zero), "rejected"),
        (str(fifo), "rejected")]
    assert table(base, "SELECT team_id FROM teams ORDER BY 1") == [("t1",), ("t2",)]


def test_a_link_to_a_regular_file_is_read(base, tmp_path):
    target = write(tmp_path, "export.csv", f"{TEAMS_HEADER}\nt2,Ops,bu1\n")
    link = tmp_path / "in" / "teams.csv"
    link.symlink_to(target)
    assert load(base, link).inserted == 1


# --- 18.9: a repeated column -----------------------------------------------------------

def test_a_repeated_column_rejects_the_file_naming_the_column(base, tmp_path, capsys):
    repeated = write(tmp_path, "incidents.csv",
                     "incident_id,model_id,severity,title,started_at, title\n"
                     "i1,m1,2,Down,2026-11-02T10:00:00Z,Really down\n")
    later = write(tmp_path, "incidents-2.csv",
                  "incident_id,model_id,severity,title,started_at\n"
                  "i2,m1,2,Slow,2026-11-02T10:00:00Z\n")

    assert cli(["ingest", str(repeated), str(later), "--warehouse", str(base)]) == 2

    message = "column 'title' appears more than once in the header (columns 4 and 6)"
    assert capsys.readouterr().out.splitlines() == [
        f"{later} -> incidents: read 1, inserted 1, updated 0, unchanged 0, quarantined 0",
        f"{repeated}: REJECTED, nothing loaded: {message}",
    ]
    assert statuses(base) == [(str(later), "loaded", None), (str(repeated), "rejected", message)]
    assert table(base, "SELECT incident_id, title FROM incidents") == [("i2", "Slow")]


# --- 18.7: far more columns than the entity has ----------------------------------------

def test_far_too_many_columns_are_rejected_from_the_header_without_parsing_rows(
        base, tmp_path, capsys, monkeypatch):
    # 200,000 columns (1.6 MB of header): the first 64 KiB already hold 8,192 of them.
    huge = tmp_path / "in" / "teams.csv"
    huge.write_text(TEAMS_HEADER + "," + ",".join(f"x{i:06d}" for i in range(200_000)) + "\n"
                    "t2,Ops,bu1" + "," * 200_000 + "\n")
    # 5,003 columns in a header of 40 kB: counted exactly.
    wide = tmp_path / "in" / "teams-wide.csv"
    wide.write_text(TEAMS_HEADER + "," + ",".join(f"x{i:06d}" for i in range(5_000)) + "\n"
                    "t3,Ops,bu1" + "," * 5_000 + "\n")
    wide_parquet = tmp_path / "in" / "teams-wide.parquet"
    pl.DataFrame({**{c: ["t4"] for c in TEAMS_HEADER.split(",")},
                  **{f"x{i}": [""] for i in range(200)}}).write_parquet(wide_parquet)

    def no_parsing(*args, **kwargs):
        raise AssertionError("the rows of a file rejected by its header were parsed")

    monkeypatch.setattr(pl, "read_csv", no_parsing)
    monkeypatch.setattr(pl, "read_parquet", no_parsing)
    files = [huge, wide, wide_parquet]
    assert cli(["ingest", *map(str, files), "--warehouse", str(base)]) == 2

    accepted = "more than the 105 accepted for teams (its 5 columns and at most 100 unknown ones)"
    assert capsys.readouterr().out.splitlines() == [
        f"{wide}: REJECTED, nothing loaded: 5003 columns, {accepted}",
        f"{wide_parquet}: REJECTED, nothing loaded: 203 columns, {accepted}",
        f"{huge}: REJECTED, nothing loaded: at least 8192 columns, {accepted}",
    ]
    assert [s for _, s, _ in statuses(base)] == ["rejected"] * 3
    assert table(base, "SELECT count(*) FROM teams") == [(1,)]


def test_json_lines_with_too_many_distinct_keys_are_rejected(base, tmp_path):
    path = write(tmp_path, "teams.jsonl", "\n".join(
        json.dumps({"team_id": f"t{n}", "name": "x", "business_unit_id": "bu1",
                    **{f"k{n}_{i}": 1 for i in range(30)}}) for n in range(5)) + "\n")
    result = load(base, path)
    assert result.status == "rejected"
    assert result.message == ("line 4: 123 distinct keys so far, more than the 105 accepted"
                              " (the entity's columns and at most 100 unknown ones)")


def test_an_unknown_column_warning_and_the_stored_message_are_capped(base, tmp_path, capsys):
    names = [f"unknown_{i}_" + "z" * 300 for i in range(20)]
    path = write(tmp_path, "teams.csv",
                 f"{TEAMS_HEADER},{','.join(names)}\nt2,Ops,bu1{',' * len(names)}\n")
    assert cli(["ingest", str(path), "--warehouse", str(base)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2
    warning = printed[1].removeprefix("  warning: ")
    assert len(warning) == ingest.MAX_MESSAGE == 500
    assert warning == ("ignored unknown column(s): " + ", ".join(names))[:499] + "\u2026"
    assert statuses(base) == [(str(path), "loaded", warning)]


def test_control_characters_in_messages_cannot_break_the_line_or_the_terminal(base, tmp_path,
                                                                             capsys):
    path = write(tmp_path, "teams.csv",
                 f'{TEAMS_HEADER},"evil\n\x1b[2J"\nt2,"Ops\nteam\x1b[31m",bu9,\n')
    assert cli(["ingest", str(path), "--warehouse", str(base)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{path} -> teams: read 1, inserted 0, updated 0, unchanged 0, quarantined 1",
        "  warning: ignored unknown column(s): evil\\x0a\\x1b[2J",
        "  quarantined line 2: business_unit_id: unknown business_unit_id bu9",
    ]


def test_a_bare_carriage_return_in_the_header_is_not_a_crash(base, tmp_path):
    path = tmp_path / "in" / "teams.csv"
    path.write_bytes(b"team_id,name,business_unit_id,a\rb,a\rb\nt2,Ops,bu1,,\n")
    result = load(base, path)
    assert (result.status, result.message) == (
        "rejected", "column 'a\\rb' appears more than once in the header (columns 4 and 5)")


# --- 18.6: JSON nested too deep ---------------------------------------------------------

def nested(depth: int) -> str:
    """A JSON Lines record of `depth` levels: the record, then arrays in `extra`."""
    return ('{"team_id": "t2", "name": "Ops", "business_unit_id": "bu1", "extra": '
            + "[" * (depth - 1) + "]" * (depth - 1) + "}")


def test_json_nested_100000_deep_rejects_the_file_and_the_run_goes_on(base, tmp_path, capsys):
    deep = write(tmp_path, "teams.jsonl", nested(100_000) + "\n")
    later = write(tmp_path, "vendors.csv", "vendor_id,name,kind\nv2,Other,cloud\n")

    assert cli(["ingest", str(deep), str(later), "--warehouse", str(base)]) == 2

    message = "line 1: JSON nested deeper than 64 levels"
    assert capsys.readouterr().out.splitlines() == [
        f"{deep}: REJECTED, nothing loaded: {message}",
        f"{later} -> vendors: read 1, inserted 1, updated 0, unchanged 0, quarantined 0",
    ]
    assert statuses(base) == [(str(deep), "rejected", message), (str(later), "loaded", None)]


def test_json_nesting_is_bounded_at_64_levels(base, tmp_path):
    at_the_bound = write(tmp_path, "teams.jsonl", nested(64) + "\n")
    result = load(base, at_the_bound)
    assert (result.status, result.inserted) == ("loaded", 1)
    past = write(tmp_path, "teams-2.jsonl", nested(64) + "\n" + nested(65) + "\n")
    result = load(base, past)
    assert (result.status, result.message) == (
        "rejected", "line 2: JSON nested deeper than 64 levels")


# --- 18.5: counts that cannot be summed -------------------------------------------------

def test_int64_max_requests_are_quarantined_and_the_daily_rollup_is_right(base, tmp_path,
                                                                         capsys):
    path = write(tmp_path, "metrics_hourly.csv", "\n".join([
        METRICS_HEADER,
        metrics_row("2026-11-02T10:00:00Z", requests=INT64_MAX, errors=0,
                    buckets=[INT64_MAX] * 11),
        metrics_row("2026-11-02T11:00:00Z", requests=INT64_MAX, errors=0,
                    buckets=[INT64_MAX] * 11),
        metrics_row("2026-11-02T12:00:00Z", requests=10**15, errors=0, buckets=[10**15] * 11),
        metrics_row("2026-11-02T13:00:00Z"),
    ]) + "\n")

    assert cli(["ingest", str(path), "--warehouse", str(base)]) == 1

    out = capsys.readouterr().out.splitlines()
    assert out[0] == (f"{path} -> metrics_hourly: read 4, inserted 2, updated 0, unchanged 0, "
                      "quarantined 2")
    assert out[1].startswith(
        "  quarantined line 2: requests: must be >= 0 and at most 10^15 (got 9223372036854775807)")
    assert table(base, "SELECT requests, errors, latency_le_5ms FROM metrics_daily") == [
        (10**15 + 100, 1, 10**15 + 10)]


def test_counts_at_the_bound_sum_over_a_whole_day(base, tmp_path):
    rows = [metrics_row(f"2026-11-02T{h:02d}:00:00Z", requests=10**15, errors=10**15,
                        buckets=[10**15] * 11) for h in range(24)]
    path = write(tmp_path, "metrics_hourly.csv", "\n".join([METRICS_HEADER, *rows]) + "\n")
    assert load(base, path).inserted == 24
    assert table(base, "SELECT requests, errors FROM metrics_daily") == [
        (24 * 10**15, 24 * 10**15)]


# --- 18.10 and 11.3: values at the bounds load, past them are quarantined --------------

def test_values_at_the_bounds_load(base, tmp_path):
    title = "t" * 4096
    path = write(tmp_path, "incidents.csv",
                 "incident_id,model_id,severity,title,started_at,resolved_at\n"
                 f"i1,m1,1,{title},1970-01-01T00:00:00Z,2199-12-31T23:59:59Z\n"
                 # 2200-01-01 01:00 at +02:00 is 2199-12-31 23:00 UTC: admitted.
                 "i2,m1,1,x,2200-01-01T01:00:00+02:00,\n")
    result = load(base, path)
    assert (result.inserted, result.quarantined) == (2, 0), result.reasons
    assert table(base, "SELECT incident_id, length(title), started_at::VARCHAR,"
                       " resolved_at::VARCHAR FROM incidents ORDER BY 1") == [
        ("i1", 4096, "1970-01-01 00:00:00", "2199-12-31 23:59:59"),
        ("i2", 1, "2199-12-31 23:00:00", None)]


def test_a_quarantined_50_kb_field_is_stored_cut_at_the_text_bound(base, tmp_path):
    notes = "n" * 50_000
    path = write(tmp_path, "risk_assessments.csv",
                 "assessment_id,model_id,assessed_at,risk_tier,assessor,outcome,"
                 f"next_review_due,notes\nr1,m1,2026-01-02,high,ann,approved,2027-01-01,{notes}\n")
    result = load(base, path)
    assert result.reasons == ["line 2: notes: longer than 4096 characters (50000)"]
    (row,) = table(base, "SELECT row_as_read FROM quarantine")[0]
    assert json.loads(row)["notes"] == "n" * 4096 + "\u2026"
    assert json.loads(row)["assessment_id"] == "r1"

"""The command line's exit-status contract (issue 30, item 6).

0 all loaded; 1 only "some rows quarantined"; 2 anything the user can fix (one line on
stderr, from one error base, UserError); 3 a bug: any other exception, with its real
traceback. Catching KeyError as a user error used to pass bugs off as one-line messages,
and an Iceberg location without ?warehouse= ended in a traceback with exit 1.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from warehouse_helpers import ROOT

from modelops import cli
from modelops.backends.iceberg import IcebergError
from modelops.warehouse import UsageError, WarehouseError
from modelops.warehouse.errors import UserError


def _modelops(*args: str, cwd) -> subprocess.CompletedProcess:
    """The real process, as a shell runs it (its exit status, its stderr)."""
    return subprocess.run([sys.executable, "-m", "modelops.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
                               "HOME": str(cwd)})


def test_one_base_for_what_the_user_can_fix():
    for error in (UsageError, WarehouseError, IcebergError):
        assert issubclass(error, UserError), error
    assert not issubclass(KeyError, UserError)


def test_an_iceberg_location_without_its_data_directory_is_a_user_error(tmp_path):
    rows = tmp_path / "business_units.csv"
    rows.write_text("business_unit_id,name\nb1,North\n")
    location = f"iceberg+sqlite:///{tmp_path}/catalog.db"
    for args in (("ingest", str(rows)), ("quarantine",), ("report", "weekly", "--week",
                                                           "2026-W47")):
        done = _modelops(*args, "--warehouse", location, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.count("\n") == 1, done.stderr  # one line, no traceback
        assert "needs ?warehouse=" in done.stderr


def test_a_bug_keeps_its_traceback_and_exits_3(monkeypatch, capsys):
    def broken(args):
        return {}["no such key"]  # a programming error, not the user's

    monkeypatch.setattr(cli, "cmd_quarantine", broken)
    assert cli.main(["quarantine"]) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "KeyError: 'no such key'" in err


def test_user_errors_are_one_line_and_exit_2(tmp_path, capsys):
    missing = tmp_path / "nowhere.duckdb"
    assert cli.main(["quarantine", "--warehouse", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no warehouse here" in err
    # an unknown entity rejects the file (exit 2), it is not a crash
    bogus = tmp_path / "bogus.csv"
    bogus.write_text("a\n1\n")
    assert cli.main(["ingest", str(bogus), "--warehouse", str(tmp_path / "wh.duckdb")]) == 2
    assert "unknown entity 'bogus'" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["report", "weekly", "--week", "2026-W99"]])
def test_a_bad_argument_is_exit_2(tmp_path, capsys, argv):
    from conftest import build_warehouse
    from warehouse_helpers import ORG

    wh = build_warehouse(tmp_path / "wh.duckdb", ORG)
    assert cli.main([*argv, "--warehouse", str(wh)]) == 2
    assert capsys.readouterr().err.count("\n") == 1

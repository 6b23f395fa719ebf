"""`modelops demo` never replaces loaded data without being asked (issue 30, item 4).

A warehouse whose load log names anything but demo loads is refused (exit 2, one line,
the file untouched, its WAL kept) unless `--force`; a demo over a demo is fine; and no
demo replaces a file while a writer holds it, not even with `--force`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from conftest import build_warehouse
from warehouse_helpers import ORG, ROOT

from modelops import cli
from modelops.warehouse import reading, writing

TINY = ["--models", "3", "--days", "2", "--end", "2026-11-20T00:00"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _demo(path: Path, *extra: str) -> int:
    return cli.main(["demo", *TINY, "--warehouse", str(path), *extra])


def test_demo_refuses_a_warehouse_with_loads(tmp_path, capsys):
    path = build_warehouse(tmp_path / "wh.duckdb", ORG)  # 3 loads through ingest
    before = _digest(path)
    assert _demo(path) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "holds 3 load(s) that are not a demo build (e.g. test:business_units)" in err
    assert "--force" in err
    assert _digest(path) == before  # untouched
    with reading(path) as con:
        assert con.execute("SELECT name FROM models").fetchall() == [("M1",)]


def test_force_replaces_and_a_demo_replaces_a_demo(tmp_path, capsys):
    path = build_warehouse(tmp_path / "wh.duckdb", ORG)
    assert _demo(path, "--force") == 0
    with reading(path) as con:
        assert con.execute("SELECT count(*) FROM models").fetchall() == [(3,)]
    # the file now holds a demo build only: a second demo needs no --force
    assert _demo(path) == 0
    # an empty warehouse (schema only, no loads) is not data either
    empty = tmp_path / "empty.duckdb"
    with writing(empty):
        pass
    assert _demo(empty) == 0


def test_no_demo_while_a_writer_holds_the_file(tmp_path, capsys):
    path = build_warehouse(tmp_path / "wh.duckdb", ORG)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         ("import sys, time\n"
         "from modelops.warehouse import writing\n"
         "with writing(sys.argv[1]):\n"
         "    print('holding', flush=True)\n"
         "    time.sleep(30)\n"), str(path)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "MODELOPS_LOCK_TIMEOUT": "5"})
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert _demo(path, "--force") == 2
        err = capsys.readouterr().err
        assert "writer" in err or "locked" in err, err
    finally:
        holder.kill()
        holder.wait()
    with reading(path) as con:
        assert con.execute("SELECT name FROM models").fetchall() == [("M1",)]

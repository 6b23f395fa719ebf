"""A reload never loses what it does not mention (issue 30, item 5).

A file that leaves out optional columns updates only the columns it has: reloading
teams.csv without `lead` and `time_zone` used to set every team's time zone to UTC (and
report every team "updated"); models.csv without `runbook_reviewed_at` erased every
review date. And a CSV row with more fields than the header is quarantined with its line,
not cut to the header's width in silence.
"""

from __future__ import annotations

from pathlib import Path

from modelops import cli
from modelops.warehouse import reading
from modelops.warehouse.ingest import ingest_files


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _ingest(warehouse: Path, *paths: Path):
    return list(ingest_files(warehouse, list(paths)))


def test_a_reload_with_fewer_columns_keeps_the_others(tmp_path):
    wh = tmp_path / "wh.duckdb"
    full = tmp_path / "full"
    full.mkdir()
    results = _ingest(
        wh,
        _write(full / "business_units.csv", "business_unit_id,name\nb1,North\n"),
        _write(full / "teams.csv",
               "team_id,name,business_unit_id,lead,time_zone\n"
               "t1,Search,b1,Ann,Europe/Berlin\n"
               "t2,Pricing,b1,Bo,America/New_York\n"),
        _write(full / "models.csv",
               "model_id,name,team_id,risk_tier,lifecycle_stage,created_at,"
               "runbook_reviewed_at\n"
               "m1,Ranker,t1,limited,production,2025-01-01T00:00:00,2026-09-14T10:00:00\n"),
    )
    assert [r.inserted for r in results] == [1, 2, 1]

    part = tmp_path / "part"
    part.mkdir()
    # t1 renamed; t2 as it was; a new team t3 (gets the contract's default time zone)
    teams, models = _ingest(
        wh,
        _write(part / "teams.csv",
               "team_id,name,business_unit_id\n"
               "t1,Search & Ads,b1\nt2,Pricing,b1\nt3,Fraud,b1\n"),
        _write(part / "models.csv",
               "model_id,name,team_id,risk_tier,lifecycle_stage,created_at\n"
               "m1,Ranker,t1,high,production,2025-01-01T00:00:00\n"),
    )
    assert (teams.inserted, teams.updated, teams.unchanged) == (1, 1, 1)
    assert (models.inserted, models.updated, models.unchanged) == (0, 1, 0)
    with reading(wh) as con:
        assert con.execute(
            "SELECT team_id, name, lead, time_zone FROM teams ORDER BY team_id").fetchall() == [
            ("t1", "Search & Ads", "Ann", "Europe/Berlin"),
            ("t2", "Pricing", "Bo", "America/New_York"),
            ("t3", "Fraud", None, "UTC"),
        ]
        assert con.execute(
            "SELECT risk_tier, runbook_reviewed_at::VARCHAR FROM models").fetchall() == [
            ("high", "2026-09-14 10:00:00")]

    # A column that is there but blank is a value: it clears the stored one.
    again = _ingest(wh, _write(part / "teams.csv",
                               "team_id,name,business_unit_id,lead\nt1,Search & Ads,b1,\n"))
    assert again[0].updated == 1
    with reading(wh) as con:
        assert con.execute("SELECT lead, time_zone FROM teams WHERE team_id = 't1'"
                           ).fetchall() == [(None, "Europe/Berlin")]


def test_a_row_with_more_fields_than_the_header_is_quarantined(tmp_path, capsys):
    wh = tmp_path / "wh.duckdb"
    units = _write(tmp_path / "business_units.csv",
                   'business_unit_id,name\nb1,North\nb2,South,extra\n"b3","West, Coast"\n'
                   "b4,East,1,2\n")
    assert cli.main(["ingest", str(units), "--warehouse", str(wh)]) == 1  # quarantined
    out = capsys.readouterr().out
    assert "line 3: 3 fields, more than the header's 2" in out
    assert "line 5: 4 fields, more than the header's 2" in out
    with reading(wh) as con:
        assert con.execute("SELECT business_unit_id, name FROM business_units ORDER BY 1"
                           ).fetchall() == [("b1", "North"), ("b3", "West, Coast")]
        assert con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall() == [
            (3, "3 fields, more than the header's 2 (the row is not loaded cut short)"),
            (5, "4 fields, more than the header's 2 (the row is not loaded cut short)"),
        ]

"""The shared path of `modelops import`: key resolution, quarantine, skips, load log, exit codes.

A tiny source module (defined here) stands in for a real one, so these tests pin the shared
path alone; each real source has its own test file.
"""

from __future__ import annotations

import json
import types
from datetime import UTC, datetime

import duckdb
import pytest

from modelops.importers import run
from modelops.importers.base import Bad, Origin, Row, Skipped, Unreadable, read_json
from modelops.warehouse import SCHEMA_VERSION, UsageError

BASE = {
    "business_units": [{"business_unit_id": "bu", "name": "BU"}],
    "teams": [{"team_id": "t", "name": "T", "business_unit_id": "bu"}],
    "models": [
        {"model_id": "churn", "name": "Churn", "team_id": "t", "risk_tier": "high",
         "lifecycle_stage": "production", "created_at": "2026-01-01T00:00:00"},
        {"model_id": "fraud", "name": "Fraud", "team_id": "t", "risk_tier": "high",
         "lifecycle_stage": "production", "created_at": "2026-01-01T00:00:00"},
    ],
}


def _fake_parse(files, options):
    """Each file: a JSON list of {"id", "svc", "sev", "at", "title"} or {"skip": reason}."""
    for path in files:
        records = read_json(path)
        if not isinstance(records, list):
            raise Unreadable(path, "expected a JSON list")
        for n, rec in enumerate(records, start=1):
            origin = Origin(str(path), n)
            if "skip" in rec:
                yield Skipped(rec["skip"], origin)
            elif "at" not in rec:
                yield Bad("incidents", "no start time", origin, raw=rec)
            else:
                yield Row("incidents", {
                    "incident_id": rec["id"], "severity": rec["sev"], "title": rec["title"],
                    "started_at": datetime.fromisoformat(rec["at"]),
                }, origin, key=rec["svc"], raw=rec)


FAKE = types.SimpleNamespace(SOURCE="pagerduty", KEY="service", ENTITIES=("incidents",),
                             parse=_fake_parse)


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setattr(run, "source_module", lambda name: FAKE)


def rows(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def write(path, data):
    path.write_text(json.dumps(data))
    return path


def test_keys_resolve_through_the_map_then_model_ids_else_quarantine(
        fake, make_warehouse, tmp_path):
    wh = make_warehouse(BASE)
    page = write(tmp_path / "page.json", [
        {"id": "I1", "svc": "PSVC1", "sev": 2, "title": "a", "at": "2026-11-17T10:00:00+01:00"},
        {"id": "I2", "svc": "fraud", "sev": 3, "title": "b", "at": "2026-11-17T11:00:00Z"},
        {"skip": "no model tag"},
        {"id": "I3", "svc": "PX1KAFK", "sev": 1, "title": "c", "at": "2026-11-17T12:00:00Z"},
        {"id": "I4", "svc": "fraud", "title": "d"},
        {"skip": "no model tag"},
    ])
    mapping = tmp_path / "map.csv"
    mapping.write_text("source,key,model_id\nopsgenie,PX1KAFK,fraud\n"
                       "pagerduty,PSVC1,churn\n")

    reports = run.import_files(wh, "pagerduty", [page], map_path=mapping)

    (report,) = reports
    assert (report.records, report.loaded, report.skipped, report.quarantined) == (6, 2, 2, 2)
    assert report.lines() == [
        (f"{page}: read 6 records, loaded 2 rows (incidents 2 new, 0 updated, 0 unchanged),"
        " skipped 2, quarantined 2"),
        "  skipped 2 × no model tag",
        "  quarantined incidents line 4: service PX1KAFK has no model",
        "  quarantined incidents line 5: no start time",
    ]
    assert run.exit_status(reports) == 1
    assert rows(wh, "SELECT incident_id, model_id, severity, started_at FROM incidents"
                    " ORDER BY 1") == [
        ("I1", "churn", 2, datetime(2026, 11, 17, 9, 0)),
        ("I2", "fraud", 3, datetime(2026, 11, 17, 11, 0)),
    ]
    assert rows(wh, "SELECT file, line, reason, row_as_read FROM quarantine ORDER BY line") == [
        (str(page), 4, "service PX1KAFK has no model",
         '{"id": "I3", "svc": "PX1KAFK", "sev": 1, "title": "c", "at": "2026-11-17T12:00:00Z"}'),
        (str(page), 5, "no start time", '{"id": "I4", "svc": "fraud", "title": "d"}'),
    ]
    assert rows(wh, "SELECT source, entity, status, rows_read, inserted, quarantined, skipped"
                    " FROM load_log WHERE source <> 'ingest'") == [
        ("pagerduty", "incidents", "partial", 4, 2, 2, 2)]

    # The same file again changes nothing and keeps one copy of its quarantine.
    again = run.import_files(wh, "pagerduty", [page], map_path=mapping)
    assert [(r.loads[0].inserted, r.loads[0].unchanged, r.quarantined) for r in again] == [
        (0, 2, 2)]
    assert rows(wh, "SELECT count(*) FROM quarantine") == [(2,)]
    assert rows(wh, "SELECT count(*) FROM incidents") == [(2,)]


def test_an_unreadable_file_is_rejected_and_the_others_still_load(fake, make_warehouse,
                                                                   tmp_path):
    wh = make_warehouse(BASE)
    folder = tmp_path / "pages"
    folder.mkdir()
    good = write(folder / "a.json", [
        {"id": "I1", "svc": "churn", "sev": 4, "title": "a", "at": "2026-11-17T10:00:00Z"}])
    broken = folder / "b.json"
    broken.write_text('[{"id": "I2",\n "svc": }]')

    reports = run.import_files(wh, "pagerduty", [folder])

    assert [r.lines()[0] for r in reports] == [
        (f"{good}: read 1 records, loaded 1 rows (incidents 1 new, 0 updated, 0 unchanged),"
        " skipped 0, quarantined 0"),
        (f"{broken}: REJECTED, nothing loaded: line 2: not valid JSON (Expecting value,"
        " column 9)"),
    ]
    assert run.exit_status(reports) == 2
    assert rows(wh, "SELECT incident_id FROM incidents") == [("I1",)]
    assert rows(wh, "SELECT file, status, source FROM load_log WHERE source = 'pagerduty'"
                    " ORDER BY load_id") == [
        (str(good), "loaded", "pagerduty"), (str(broken), "rejected", "pagerduty")]


def test_a_file_of_skipped_records_is_still_in_the_load_log(fake, make_warehouse, tmp_path):
    wh = make_warehouse(BASE)
    page = write(tmp_path / "infra.json", [{"skip": "no model tag"}, {"skip": "no model tag"}])
    reports = run.import_files(wh, "pagerduty", [page])
    assert run.exit_status(reports) == 0
    assert rows(wh, "SELECT entity, status, rows_read, skipped FROM load_log"
                    " WHERE source = 'pagerduty'") == [("incidents", "loaded", 0, 2)]


def test_map_errors_name_the_line(tmp_path):
    bad = tmp_path / "map.csv"
    bad.write_text("source,key,model_id\npagerduty,P1,churn\npagerduty,P1,fraud\n")
    with pytest.raises(UsageError, match=r"map.csv:3: pagerduty key 'P1' is mapped to "
                                         r"'churn' at line 2 and to 'fraud' here"):
        run.read_map(bad, "pagerduty")
    header = tmp_path / "h.csv"
    header.write_text("service,model\n")
    with pytest.raises(UsageError, match=r"h.csv:1: the header must be source,key,model_id"):
        run.read_map(header, "pagerduty")
    assert run.read_map(bad, "github") == {}


def test_ingest_records_its_source_and_old_warehouses_migrate(make_warehouse):
    wh = make_warehouse(BASE)
    assert rows(wh, "SELECT DISTINCT source, skipped FROM load_log") == [("ingest", 0)]
    assert rows(wh, "SELECT max(version) FROM schema_version") == [(SCHEMA_VERSION,)]


def test_unknown_source_and_missing_path_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="unknown source 'splunk'; known sources: pagerduty"):
        run.source_module("splunk")
    with pytest.raises(UsageError, match="nope.json: no such file or directory"):
        run.expand([tmp_path / "nope.json"])


def test_naive_times_from_a_module_are_refused_not_guessed():
    frame = run._frame("incidents", [(3, {"incident_id": "I", "started_at":
                                          datetime(2026, 1, 1)}, None, None)])
    assert frame["__parse_error"].to_list() == [
        "started_at: naive datetime: the importer must apply the source's time zone"]
    assert run._text(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00+00:00"


def test_a_v1_warehouse_migrates_and_its_old_loads_read_as_ingest(tmp_path):
    from modelops.warehouse import MIGRATIONS, migrate, writing
    from modelops.warehouse.connect import connect

    path = tmp_path / "old.duckdb"
    con = connect(path, read_only=False)
    migrate(con, MIGRATIONS[:1])
    con.execute("INSERT INTO load_log VALUES (1, now()::TIMESTAMP, 'old.csv', NULL,"
                " 'teams', 'loaded', 1, 1, 0, 0, 0, NULL)")
    con.close()
    with writing(path):
        pass
    assert rows(path, "SELECT file, source, skipped FROM load_log") == [("old.csv", "ingest", 0)]
    assert rows(path, "SELECT max(version) FROM schema_version") == [(SCHEMA_VERSION,)]


def test_the_cli_names_sources_not_in_this_build_and_bad_times(tmp_path, capsys):
    from modelops.cli import main

    page = write(tmp_path / "p.json", [])
    code = main(["import", "opsgenie", str(page), "--since", "last tuesday",
                 "--warehouse", str(tmp_path / "w.duckdb")])
    assert (code, capsys.readouterr().err) == (
        2, "modelops import: --since: not an ISO date or timestamp: 'last tuesday'\n")
    assert main(["import", "opsgenie", "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    assert capsys.readouterr().err == (
        "modelops import: give PATH... (files or directories) or --url BASE_URL\n")


def test_a_module_tripping_over_odd_input_is_one_line_not_a_traceback(monkeypatch, tmp_path):
    def parse(files, options):
        yield from ()
        raise KeyError("service")

    monkeypatch.setattr(run, "source_module", lambda name: types.SimpleNamespace(
        KEY="service", ENTITIES=("incidents",), parse=parse))
    with pytest.raises(UsageError, match=r"^pagerduty: cannot read the files \(KeyError: "
                                         r"'service'\); nothing loaded$"):
        run.import_files(tmp_path / "w.duckdb", "pagerduty", [write(tmp_path / "p.json", [])])


def test_a_record_repeated_in_one_file_keeps_the_later_and_names_its_line(
        fake, make_warehouse, tmp_path):
    wh = make_warehouse(BASE)
    page = write(tmp_path / "page.json", [
        {"id": "I1", "svc": "churn", "sev": 2, "title": "old", "at": "2026-11-17T10:00:00Z"},
        {"id": "I1", "svc": "churn", "sev": 1, "title": "new", "at": "2026-11-17T10:00:00Z"},
    ])
    run.import_files(wh, "pagerduty", [page])
    assert rows(wh, "SELECT incident_id, severity, title FROM incidents") == [("I1", 1, "new")]
    assert rows(wh, "SELECT line, reason FROM quarantine") == [
        (1, "key repeated later in the file at line 2 (the later row is kept)")]


def test_rows_sharing_a_source_line_stay_apart():
    frame = run._frame("incidents", [(4, {"incident_id": "A"}, None, None),
                                     (4, {"incident_id": "B"}, "why", {"r": 1})])
    assert frame.select("__line", "__origin_line", "__parse_error", "__row_as_read").rows() == [
        (1, 4, None, None), (2, 4, "why", '{"r": 1}')]


def test_quarantine_names_the_source_line_of_a_record_that_gave_several_rows(
        monkeypatch, make_warehouse, tmp_path):
    page = write(tmp_path / "one.json", {})

    def parse(files, options):
        origin = Origin(str(files[0]), 7)
        for incident, key in (("A", "churn"), ("B", "nobody")):
            yield Row("incidents", {"incident_id": incident, "severity": 3, "title": "t",
                                    "started_at": datetime(2026, 1, 1, tzinfo=UTC)},
                      origin, key=key)

    monkeypatch.setattr(run, "source_module", lambda name: types.SimpleNamespace(
        KEY="service", ENTITIES=("incidents",), parse=parse))
    wh = make_warehouse(BASE)
    (report,) = run.import_files(wh, "pagerduty", [page])
    assert report.lines()[1:] == ["  quarantined incidents line 7: service nobody has no model"]
    assert rows(wh, "SELECT line, reason FROM quarantine") == [
        (7, "service nobody has no model")]
    assert rows(wh, "SELECT incident_id FROM incidents") == [("A",)]


def test_a_full_disk_rejects_the_file_in_one_line_and_loses_nothing(fake, make_warehouse,
                                                                     tmp_path, monkeypatch):
    wh = make_warehouse(BASE)
    first = write(tmp_path / "a.json", [
        {"id": "I1", "svc": "churn", "sev": 4, "title": "a", "at": "2026-11-17T10:00:00Z"}])
    second = write(tmp_path / "b.json", [
        {"id": "I2", "svc": "churn", "sev": 4, "title": "b", "at": "2026-11-17T11:00:00Z"}])
    real_load = run.load_frame

    def load_until_full(con, entity, frame, source, **kw):
        if source == str(second):
            raise OSError(28, "No space left on device")  # errno.ENOSPC
        return real_load(con, entity, frame, source, **kw)

    monkeypatch.setattr(run, "load_frame", load_until_full)
    reports = run.import_files(wh, "pagerduty", [first, second])

    assert reports[1].lines() == [(
        f"{second}: REJECTED, nothing loaded: cannot write to the warehouse: no space left"
        " on the device")]
    assert run.exit_status(reports) == 2
    assert rows(wh, "SELECT incident_id FROM incidents") == [("I1",)]

"""Issue 14's contract additions: action items, on-call pages, rework deployments, runbook
reviews and team time zones: each rule quarantines with its reason; old files migrate."""

from __future__ import annotations

import polars as pl
import pytest

from modelops.warehouse import MIGRATIONS, SCHEMA_VERSION, migrate, reading, writing
from modelops.warehouse.connect import connect
from modelops.warehouse.ingest import load_frame

ORG = {
    "business_units": [{"business_unit_id": "b1", "name": "North"}],
    "teams": [{"team_id": "t1", "name": "Search", "business_unit_id": "b1",
               "time_zone": "Europe/Berlin"}],
    "models": [{"model_id": "m1", "name": "M1", "team_id": "t1", "risk_tier": "limited",
                "lifecycle_stage": "production", "created_at": "2026-01-01T00:00:00Z",
                "runbook_reviewed_at": "2026-06-01T00:00:00Z"}],
    "incidents": [{"incident_id": "i1", "model_id": "m1", "severity": 2, "title": "x",
                   "started_at": "2026-05-01T00:00:00Z"}],
}


def load(con, entity, rows):
    columns = sorted({c for r in rows for c in r})
    frame = pl.DataFrame({c: [None if r.get(c) is None else str(r[c]) for r in rows]
                          for c in columns}, schema={c: pl.String for c in columns})
    return load_frame(con, entity, frame, source=f"test:{entity}")


ITEM = {"action_item_id": "a1", "incident_id": "i1", "model_id": "m1", "team_id": "t1",
        "title": "Fix it", "owner": "Ann", "priority": 2,
        "created_at": "2026-05-02T00:00:00Z", "due_at": "2026-05-09T00:00:00Z",
        "closed_at": None}
PAGE = {"page_id": "p1", "incident_id": "i1", "team_id": "t1", "responder": "Ann",
        "paged_at": "2026-05-01T00:05:00Z", "acknowledged_at": "2026-05-01T00:09:00Z"}
DEPLOY = {"deployment_id": "d1", "model_id": "m1", "version": "1", "environment":
          "production", "deployed_at": "2026-05-01T02:00:00Z", "outcome": "succeeded",
          "remediates_incident_id": "i1"}


@pytest.mark.parametrize("entity, row, reason", [
    ("action_items", {**ITEM, "due_at": "2026-05-01T00:00:00Z"}, "due_at is before created_at"),
    ("action_items", {**ITEM, "closed_at": "2026-05-01T23:59:00Z"},
     "closed_at is before created_at"),
    ("action_items", {**ITEM, "priority": 4}, "priority: must be 1 to 3 (got 4)"),
    ("action_items", {**ITEM, "incident_id": "nope"}, "incident_id: unknown incident_id nope"),
    ("action_items", {**ITEM, "model_id": "nope"}, "model_id: unknown model_id nope"),
    ("action_items", {**ITEM, "team_id": "nope"}, "team_id: unknown team_id nope"),
    ("action_items", {**ITEM, "owner": None}, "owner: required"),
    ("oncall_pages", {**PAGE, "acknowledged_at": "2026-05-01T00:04:00Z"},
     "acknowledged_at is before paged_at"),
    ("oncall_pages", {**PAGE, "incident_id": "nope"}, "incident_id: unknown incident_id nope"),
    ("deployments", {**DEPLOY, "remediates_incident_id": "nope"},
     "remediates_incident_id: unknown incident_id nope"),
    ("teams", {"team_id": "t2", "name": "X", "business_unit_id": "b1", "time_zone": "Mars/Base"},
     "time_zone: must be an IANA time zone name such as Europe/Berlin (got Mars/Base)"),
])
def test_each_new_rule_quarantines_with_its_reason(make_warehouse, entity, row, reason):
    path = make_warehouse(ORG)
    with writing(path) as con:
        result = load(con, entity, [row])
    assert result.quarantined == 1
    assert result.reasons == [f"line 1: {reason}"]


def test_good_rows_load_and_optional_parts_may_be_empty(make_warehouse):
    path = make_warehouse(ORG)
    with writing(path) as con:
        assert load(con, "action_items", [ITEM, {**ITEM, "action_item_id": "a2",
                                                 "incident_id": None, "model_id": None,
                                                 "due_at": None}]).quarantined == 0
        assert load(con, "oncall_pages", [PAGE, {**PAGE, "page_id": "p2",
                                                 "acknowledged_at": None}]).quarantined == 0
        assert load(con, "deployments", [DEPLOY]).quarantined == 0
        assert load(con, "teams", [{"team_id": "t2", "name": "X",
                                    "business_unit_id": "b1"}]).quarantined == 0
    with reading(path) as con:
        zones = con.execute("SELECT team_id, time_zone FROM teams ORDER BY 1").fetchall()
    assert zones == [("t1", "Europe/Berlin"), ("t2", "UTC")]   # the default


def test_a_v2_warehouse_migrates_to_v3_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.duckdb"
    con = connect(path, read_only=False)
    migrate(con, MIGRATIONS[:2])
    # A v2 file (frozen literal DDL): none of the issue-14 tables and columns yet.
    assert con.execute("SELECT count(*) FROM information_schema.tables"
                       " WHERE table_name IN ('action_items', 'oncall_pages')").fetchall() == [(0,)]
    con.execute("INSERT INTO business_units VALUES ('b1', 'North')")
    con.execute("INSERT INTO teams VALUES ('t1', 'Search', 'b1', NULL)")
    con.close()
    with writing(path):
        pass
    with reading(path) as con:
        assert con.execute("SELECT max(version) FROM schema_version").fetchall() == [
            (SCHEMA_VERSION,)]
        assert con.execute("SELECT team_id, time_zone FROM teams").fetchall() == [("t1", "UTC")]
        assert con.execute("SELECT count(*) FROM action_items").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM oncall_pages").fetchall() == [(0,)]
        assert con.execute("SELECT remediates_incident_id, runbook_reviewed_at FROM deployments,"
                           " models").fetchall() == []

"""`modelops import pagerduty`: incident pages, log entries and analytics to incidents."""

from __future__ import annotations

import json
import shutil
from datetime import datetime

from importer_support import BASE, FIXTURES, quarantine, rows

from modelops.cli import main
from modelops.importers import pagerduty
from modelops.importers.base import Options, Origin

PD = FIXTURES / "pagerduty"
MAP = FIXTURES / "map.csv"
INCIDENTS = ("SELECT incident_id, model_id, severity, title, started_at, detected_at,"
             " acknowledged_at, resolved_at FROM incidents ORDER BY incident_id")


def test_pages_log_entries_and_analytics_give_these_incidents(make_warehouse, capsys):
    wh = make_warehouse(BASE)
    code = main(["import", "pagerduty", str(PD), "--map", str(MAP), "--warehouse", str(wh)])

    assert code == 1  # rows were quarantined
    assert rows(wh, INCIDENTS) == [
        # P1; acknowledged by the earlier of two log entries (09:05+01:00), although the
        # incident's own acknowledgements were emptied on resolve.
        ("PABC001", "churn", 1, "Churn scores stale", datetime(2026, 11, 17, 8, 0),
         datetime(2026, 11, 17, 8, 0), datetime(2026, 11, 17, 8, 5),
         datetime(2026, 11, 17, 9, 30)),
        # P5 -> 4; still open: the earliest of its acknowledgements; service id = model id.
        ("PABC003", "fraud", 4, "Fraud model timeouts", datetime(2026, 11, 18, 10, 0),
         datetime(2026, 11, 18, 10, 0), datetime(2026, 11, 18, 10, 15), None),
        # analytics: no offset, America/New_York (EST, -05:00); ack = created + 300 s
        ("PAN001", "churn", 2, "GPU node lost", datetime(2026, 11, 19, 15, 0),
         datetime(2026, 11, 19, 15, 0), datetime(2026, 11, 19, 15, 5),
         datetime(2026, 11, 19, 16, 0)),
        ("PAN002", "churn", 4, "Slow scoring", datetime(2026, 11, 19, 17, 30),
         datetime(2026, 11, 19, 17, 30), None, None),
    ]
    assert quarantine(wh) == [
        ("incidents-1.json", 2, "service PSVC2 has no model"),
        # an account-specific priority name without a number is not guessed from urgency
        ("incidents-2.json", 2, ("severity: priority 'SEV-X' carries no number: map it with "
                                "--option priority.SEV-X=1..4")),
        ("incidents-2.json", 3, "severity: no priority and urgency 'medium' is not high or low"),
        ("incidents-2.json", 4, "incident PABC006 has no service"),
    ]
    out = capsys.readouterr().out
    assert f"{PD}/incidents-1.json: read 2 records, loaded 1 rows (incidents 1 new, 0 updated," \
           " 0 unchanged), skipped 0, quarantined 1" in out
    assert "  quarantined incidents line 2: service PSVC2 has no model" in out
    assert rows(wh, "SELECT source, count(*), sum(inserted), sum(quarantined) FROM load_log"
                    " WHERE source = 'pagerduty' GROUP BY source") == [("pagerduty", 3, 4, 4)]


def test_reimport_changes_nothing_and_a_later_export_updates(make_warehouse, tmp_path):
    wh = make_warehouse(BASE)
    args = ["--map", str(MAP), "--option", "priority.SEV-X=2", "--warehouse", str(wh)]
    assert main(["import", "pagerduty", str(PD), *args]) == 1
    before = rows(wh, INCIDENTS)
    assert main(["import", "pagerduty", str(PD), *args]) == 1
    assert rows(wh, INCIDENTS) == before
    assert rows(wh, "SELECT count(*) FROM quarantine") == [(3,)]
    assert rows(wh, "SELECT sum(inserted), sum(updated), sum(unchanged) FROM load_log"
                    " WHERE source = 'pagerduty' AND load_id > 6") == [(0, 0, 5)]

    later = tmp_path / "later"
    shutil.copytree(PD, later)
    page = json.loads((later / "incidents-2.json").read_text())
    page["incidents"][1].update(status="resolved", resolved_at="2026-11-18T13:45:00Z",
                                last_status_change_at="2026-11-18T13:45:00Z")
    (later / "incidents-2.json").write_text(json.dumps(page))
    assert main(["import", "pagerduty", str(later), *args]) == 1
    assert rows(wh, "SELECT resolved_at FROM incidents WHERE incident_id = 'PABC004'") == [
        (datetime(2026, 11, 18, 13, 45),)]
    assert rows(wh, "SELECT count(*) FROM incidents") == [(5,)]


def test_priority_names_can_be_configured_and_naive_times_need_a_zone(tmp_path):
    page = tmp_path / "p.json"
    page.write_text(json.dumps({"incidents": [
        {"id": "X1", "title": "t", "created_at": "2026-11-18T12:00:00",
         "service": {"id": "S"}, "priority": {"summary": "SEV-X"}, "urgency": "low"}]}))
    (item,) = pagerduty.parse([page], Options(extra={"priority.SEV-X": "1"}))
    assert item.reason == ("timestamp without an offset and no time zone: "
                           "'2026-11-18T12:00:00'")
    assert item.origin == Origin(str(page), 1)
    (item,) = pagerduty.parse([page], Options(extra={"priority.SEV-X": "1",
                                                     "time_zone": "Europe/Berlin"}))
    assert (item.values["severity"], item.values["started_at"].isoformat(), item.key) == (
        1, "2026-11-18T11:00:00+00:00", "S")


def test_a_file_that_is_not_pagerduty_is_rejected(make_warehouse, tmp_path, capsys):
    wh = make_warehouse(BASE)
    other = tmp_path / "alerts.json"
    other.write_text('{"alerts": []}')
    good = tmp_path / "ok.json"
    shutil.copy(PD / "incidents-2.json", good)
    assert main(["import", "pagerduty", str(other), str(good), "--warehouse", str(wh)]) == 2
    out = capsys.readouterr().out
    assert (f"{other}: REJECTED, nothing loaded: not a PagerDuty export: expected an object "
            "with an 'incidents', 'log_entries' or (analytics) 'data' list") in out
    # the other file still loads: PABC003 maps to the model 'fraud' by its own id
    assert rows(wh, "SELECT incident_id FROM incidents") == [("PABC003",)]


def test_assignments_and_notifications_become_oncall_pages(make_warehouse):
    """Issue 14: who was paged, from assignments and assign / notify log entries, with each
    person's own first acknowledgement; the team is the incident's model's."""
    wh = make_warehouse(BASE)
    code = main(["import", "pagerduty", str(FIXTURES / "pagerduty-oncall"),
                 "--warehouse", str(wh)])
    assert code == 1  # PONC3's service names no model: the incident and its page
    assert rows(wh, "SELECT page_id, incident_id, team_id, responder, paged_at,"
                    " acknowledged_at FROM oncall_pages ORDER BY page_id") == [
        ("PONC1-PUSR1", "PONC1", "t", "Ana Primary", datetime(2026, 11, 17, 2, 0),
         datetime(2026, 11, 17, 2, 4)),
        # assigned 10 minutes later, never acknowledged himself
        ("PONC1-PUSR2", "PONC1", "t", "Ben Secondary", datetime(2026, 11, 17, 2, 10), None),
        # resolved: assignments were emptied, the log entries (+01:00) still tell
        ("PONC2-PUSR3", "PONC2", "t", "Cy Night", datetime(2026, 11, 18, 20, 0),
         datetime(2026, 11, 18, 20, 7)),
    ]
    assert quarantine(wh) == [
        ("incidents.json", 3, "service PNOPE has no model"),
        ("incidents.json", 3, "service PNOPE has no model"),
    ]

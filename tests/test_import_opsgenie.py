"""`modelops import opsgenie`: alert pages to incidents."""

from __future__ import annotations

from datetime import datetime

from importer_support import BASE, FIXTURES, quarantine, rows

from modelops.cli import main

OG = FIXTURES / "opsgenie"


def test_alert_pages_give_these_incidents(make_warehouse, capsys):
    wh = make_warehouse(BASE)
    code = main(["import", "opsgenie", str(OG / "alerts-1.json"), str(OG / "alerts-2.json"),
                 "--map", str(FIXTURES / "map.csv"), "--warehouse", str(wh)])
    assert code == 1
    assert rows(wh, "SELECT incident_id, model_id, severity, title, started_at, detected_at,"
                    " acknowledged_at, resolved_at FROM incidents ORDER BY started_at") == [
        # tag model:ops-churn mapped to churn; P2; ack 15702 ms and close 60503 ms after
        ("70413a06-38d6-4c85-92b8-5ebc900d42e2", "churn", 2,
         "Churn p95 latency above 300 ms", datetime(2026, 11, 20, 10, 0),
         datetime(2026, 11, 20, 10, 0), datetime(2026, 11, 20, 10, 0, 15, 702000),
         datetime(2026, 11, 20, 10, 1, 0, 503000)),
        # P5 -> 4; acknowledged, still open
        ("b1f1c2d3-0002-4b43-9a1e-2f1d7c0c0a02", "fraud", 4, "Fraud scoring errors",
         datetime(2026, 11, 21, 8, 30, 0, 250000), datetime(2026, 11, 21, 8, 30, 0, 250000),
         datetime(2026, 11, 21, 8, 31), None),
        # no priority: Opsgenie's default P3; closed without closeTime: updatedAt
        ("f0000000-0006-4b43-9a1e-2f1d7c0c0a06", "churn", 3, "Closed, no closeTime",
         datetime(2026, 11, 21, 12, 0), datetime(2026, 11, 21, 12, 0), None,
         datetime(2026, 11, 21, 12, 45)),
    ]
    assert quarantine(wh) == [
        ("alerts-2.json", 2, ("alert c0ffee00-0003-4b43-9a1e-2f1d7c0c0a03 has several model "
                             "tags: fraud, churn")),
        ("alerts-2.json", 3, "model tag ghost has no model"),
        ("alerts-2.json", 4, "report.ackTime: not a duration in milliseconds: -5"),
        ("alerts-2.json", 6, "severity: priority 'urgent' is not P1..P5"),
    ]
    out = capsys.readouterr().out
    assert (f"{OG}/alerts-1.json: read 2 records, loaded 1 rows (incidents 1 new, 0 updated,"
            " 0 unchanged), skipped 1, quarantined 0\n"
            "  skipped 1 × alert without a model:<id> tag (not about a model)\n") in out
    assert rows(wh, "SELECT file, skipped, quarantined FROM load_log WHERE source = 'opsgenie'"
                    " ORDER BY load_id") == [
        (str(OG / "alerts-1.json"), 1, 0), (str(OG / "alerts-2.json"), 0, 4)]

"""Evidently reports -> drift, rows worked out by hand from the fixtures."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from importer_support import quarantine, rows, samples_warehouse

from modelops.cli import main
from modelops.importers import evidently
from modelops.importers.base import Bad, Options, Row, Unreadable
from modelops.warehouse import UsageError

FIX = Path(__file__).parent / "fixtures" / "importers" / "evidently"
M = "chargeback-predictor-us"


def summary(items):
    out = []
    for item in items:
        if isinstance(item, Row):
            v = item.values
            assert v["model_id"] == M and item.key is None
            out.append(("row", item.origin.line, v["feature"], v["measured_at"], v["method"],
                        v["score"], v["threshold"]))
        elif isinstance(item, Bad):
            out.append(("bad", item.origin.line, item.reason))
        else:
            out.append(("skip", item.origin.line, item.reason))
    return out


AT = datetime(2026, 11, 18, 3, tzinfo=UTC)


def test_current_snapshot_value_drift_metrics():
    items = evidently.parse([FIX / "snapshot.json"],
                            Options(model=M, extra={"at": "2026-11-18T03:00:00Z"}))
    assert summary(items) == [
        ("skip", 1, "metric DriftedColumnsCount is not a per-column drift result"),
        # p-value tests: score 1 - p, threshold 1 - t (0.01 < 0.05 drifts: 0.99 > 0.95)
        ("row", 2, "amount", AT, "ks", 0.99, 0.95),
        ("row", 3, "country", AT, "other", 0.5, 0.95),
        # distance tests as they are
        ("row", 4, "amount", AT, "psi", 0.25, 0.1),
        ("bad", 5, ("Jensen-Shannon distance 0.1 at threshold 0.1: the report says "
                   "drift_detected=true, score > threshold would say otherwise (a tie the "
                   "contract cannot express)")),
        ("row", 6, "tenure", AT, "wasserstein", 0.03, 0.1),
        ("bad", 7, ("unknown drift test \"custom function 'my_test'\": cannot tell which way "
                   "it alerts")),
        ("row", 8, "merchant", AT, "other", 0.25, 0.95),
    ]


def test_current_snapshot_without_at_takes_the_file_time(tmp_path):
    path = tmp_path / "snap.json"
    path.write_bytes((FIX / "snapshot.json").read_bytes())
    os.utime(path, (1794972000, 1794972000))  # 2026-11-18T03:20:00Z
    rows = [i for i in evidently.parse([path], Options(model=M)) if isinstance(i, Row)]
    assert {r.values["measured_at"] for r in rows} == {datetime(2026, 11, 18, 3, 20,
                                                                tzinfo=UTC)}
    # an `at` without offset is read in tz
    rows = [i for i in evidently.parse([path], Options(model=M, extra={
        "at": "2026-11-18 04:00", "tz": "Europe/Berlin"})) if isinstance(i, Row)]
    assert {r.values["measured_at"] for r in rows} == {AT}


LEGACY = [
    ("skip", 1, "metric DatasetDriftMetric is not a per-column drift result"),
    ("bad", 2, ("K-S p_value 0.05 at threshold 0.05: the report says drift_detected=true, "
               "score > threshold would say otherwise (a tie the contract cannot express)")),
    ("row", 3, "country", "chi-square", "other", 0.999, 0.95),
    ("row", 4, "tenure", "wasserstein", "wasserstein", 0.2, 0.1),
    ("row", 5, "merchant", "psi", "psi", 0.05, 0.1),
]


@pytest.mark.parametrize("zone, at", [
    (None, datetime(2026, 11, 18, 4, 19, 59, 500000, tzinfo=UTC)),  # default: UTC
    ("Europe/Berlin", datetime(2026, 11, 18, 3, 19, 59, 500000, tzinfo=UTC)),
])
def test_legacy_data_drift_table_time_in_the_given_zone(zone, at):
    extra = {"tz": zone} if zone else {}
    items = evidently.parse([FIX / "legacy-report.json"], Options(model=M, extra=extra))
    expected = [e if e[0] != "row" else ("row", e[1], e[2], at, *e[4:]) for e in LEGACY]
    assert summary(items) == expected


def test_model_is_required_and_other_json_is_unreadable():
    with pytest.raises(UsageError, match="give --model MODEL_ID"):
        list(evidently.parse([FIX / "snapshot.json"], Options()))
    with pytest.raises(Unreadable) as error:
        list(evidently.parse([FIX / "not-evidently.json"], Options(model=M)))
    assert error.value.reason == "not an Evidently report (no metrics list)"


# --- end to end: `modelops import evidently` into a warehouse of data/samples --------------

def test_import_evidently_end_to_end(tmp_path, capsys):
    wh = samples_warehouse(tmp_path / "wh.duckdb")
    assert main(["import", "evidently", str(FIX / "snapshot.json"),
                 "--warehouse", str(wh)]) == 2
    assert "give --model MODEL_ID" in capsys.readouterr().err
    code = main(["import", "evidently", str(FIX / "snapshot.json"), "--model", M,
                 "--option", "at=2026-11-18T03:00:00Z", "--warehouse", str(wh)])
    assert code == 1
    at = datetime(2026, 11, 18, 3)
    assert rows(wh, "SELECT feature, measured_at, method, score, threshold FROM drift"
                    " WHERE model_id = ? AND measured_at = ? ORDER BY feature, method",
                [M, at]) == [
        ("amount", at, "psi", 0.25, 0.1), ("country", at, "other", 0.5, 0.95),
        ("merchant", at, "other", 0.25, 0.95), ("tenure", at, "wasserstein", 0.03, 0.1)]
    # K-S and PSI on `amount` in one report share the contract key (model, feature, time):
    # the contract keeps the later one and quarantines the other.
    assert [q[1:] for q in quarantine(wh, "drift")] == [
        (2, "key repeated later in the file at line 4 (the later row is kept)"),
        (5, ("Jensen-Shannon distance 0.1 at threshold 0.1: the report says "
            "drift_detected=true, score > threshold would say otherwise (a tie the contract "
            "cannot express)")),
        (7, ("unknown drift test \"custom function 'my_test'\": cannot tell which way it "
            "alerts"))]


def test_import_legacy_evidently_end_to_end(tmp_path):
    wh = samples_warehouse(tmp_path / "wh.duckdb")
    code = main(["import", "evidently", str(FIX / "legacy-report.json"), "--model", M,
                 "--option", "tz=Europe/Berlin", "--warehouse", str(wh)])
    assert code == 1
    at = datetime(2026, 11, 18, 3, 19, 59, 500000)
    assert rows(wh, "SELECT feature, method, score, threshold FROM drift"
                    " WHERE model_id = ? AND measured_at = ? ORDER BY feature", [M, at]) == [
        ("country", "other", 0.999, 0.95), ("merchant", "psi", 0.05, 0.1),
        ("tenure", "wasserstein", 0.2, 0.1)]
    assert [q[1] for q in quarantine(wh, "drift")] == [2]

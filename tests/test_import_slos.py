"""`modelops import openslo` / `sloth`: SLO files change only a model's two SLO columns."""

from __future__ import annotations

from datetime import datetime

from importer_support import BASE, FIXTURES, quarantine, rows

from modelops.cli import main
from modelops.importers import slo

MODELS = ("SELECT model_id, name, team_id, owner, risk_tier, lifecycle_stage,"
          " slo_availability, slo_latency_p95_ms, created_at FROM models ORDER BY model_id")
OSLO = FIXTURES / "openslo" / "slos.yaml"
SLOTH = FIXTURES / "sloth" / "churn.yml"


def test_openslo_sets_slo_columns_and_keeps_the_rest(make_warehouse, capsys):
    wh = make_warehouse(BASE)
    code = main(["import", "openslo", str(OSLO), "--map", str(FIXTURES / "map.csv"),
                 "--warehouse", str(wh)])
    assert code == 1
    assert rows(wh, MODELS) == [
        # availability 0.999 (Occurrences ratio); p95 250 ms from le="0.25" s at 95 %
        ("churn", "Churn", "t", "ana", "high", "production", 0.999, 250.0,
         datetime(2026, 1, 1)),
        # p95 from a histogram in milliseconds: le="120" is 120 ms; availability unchanged
        ("fraud", "Fraud", "t", None, "limited", "staging", 0.99, 120.0,
         datetime(2026, 2, 1)),
    ]
    assert quarantine(wh) == [
        ("slos.yaml", 107, ("SLO ghost-availability: indicatorRef ghost-sli: no SLI of that "
                           "name in the files")),
        # no model label: keyed on its service, which needs no map to be found wanting
        ("slos.yaml", 117, "SLO unlabelled: no indicator or indicatorRef"),
        ("slos.yaml", 151, "model label nobody has no model"),
    ]
    out = capsys.readouterr().out
    assert (f"{OSLO}: read 8 records, loaded 2 rows (models 0 new, 2 updated, 0 unchanged),"
            " skipped 3, quarantined 3\n") in out
    for reason in ("Service is not an SLO",
                   ("SLO churn-latency: latency objective at target 0.99 is not a p95 "
                   "(only target 0.95 is)"),
                   ("SLO fraud-availability: budgetingMethod Timeslices is not an availability "
                   "ratio (only Occurrences is)")):
        assert f"  skipped 1 × {reason}\n" in out

    assert main(["import", "openslo", str(OSLO), "--map", str(FIXTURES / "map.csv"),
                 "--warehouse", str(wh)]) == 1
    assert rows(wh, "SELECT updated, unchanged FROM load_log WHERE source = 'openslo'"
                    " ORDER BY load_id DESC LIMIT 1") == [(0, 2)]


def test_sloth_objectives_are_percent(make_warehouse, capsys):
    wh = make_warehouse(BASE)
    assert main(["import", "sloth", str(SLOTH), "--warehouse", str(wh)]) == 1
    assert rows(wh, MODELS) == [
        ("churn", "Churn", "t", "ana", "high", "production", 0.999, 400.0,
         datetime(2026, 1, 1)),
        ("fraud", "Fraud", "t", None, "limited", "staging", 0.9995, 500.0,
         datetime(2026, 2, 1)),
    ]
    assert quarantine(wh) == [
        ("churn.yml", 54, "SLO bad-objective: objective is not a number: 'high'"),
        ("churn.yml", 59, ("model label fraud: slo_availability 0.995 conflicts with 0.9995 "
                          "at line 47")),
        ("churn.yml", 76, "model label ghost-svc has no model"),
    ]
    out = capsys.readouterr().out
    assert "  skipped 1 × SLO requests-latency-p99: latency objective at 99% is not a p95 " \
           "(only 95 is)\n" in out
    assert "  skipped 1 × SLO apiserver: plugin SLI (its query is not in the file)\n" in out


def test_an_slo_file_for_an_empty_warehouse_quarantines_every_model(tmp_path):
    wh = tmp_path / "new.duckdb"
    assert main(["import", "sloth", str(SLOTH), "--warehouse", str(wh)]) == 1
    assert rows(wh, "SELECT count(*) FROM models") == [(0,)]
    assert [r for r in quarantine(wh) if "has no model" in r[2]] == [
        ("churn.yml", 7, "model label churn has no model"),
        ("churn.yml", 47, "model label fraud has no model"),
        ("churn.yml", 76, "model label ghost-svc has no model"),
    ]


def test_latency_bounds():
    assert slo.latency_bound_ms(['x_bucket{le="0.5"}']) == 500.0
    assert slo.latency_bound_ms(['x_milliseconds_bucket{le = "250"}']) == 250.0
    assert slo.latency_bound_ms(['x_bucket{le="+Inf"}', "y"]) is None
    assert slo.latency_bound_ms(["rate(x[5m])"]) is None


def test_broken_yaml_is_rejected_with_its_line(make_warehouse, tmp_path, capsys):
    wh = make_warehouse(BASE)
    broken = tmp_path / "b.yaml"
    broken.write_text("version: prometheus/v1\nslos:\n  - name: [unclosed\n")
    assert main(["import", "sloth", str(broken), "--warehouse", str(wh)]) == 2
    assert capsys.readouterr().out.startswith(f"{broken}: REJECTED, nothing loaded: line 4: "
                                              "not valid YAML")

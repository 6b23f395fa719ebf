"""`modelops import` on what the tools themselves published (issue 26).

Every file read here is in tests/fixtures/real/<source>/, unmodified unless its PROVENANCE
says what changed, with the repository, path and commit it came from. Each test states
what the file holds and the numbers worked out by hand from it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from importer_support import BASE, quarantine, rows

from queries.cli import main

REAL = Path(__file__).parent / "fixtures" / "real"
# fraud is loaded without SLO values: the contract defaults 0.99 and 500 ms
SLOS = "SELECT model_id, slo_availability, slo_latency_p95_ms FROM models ORDER BY model_id"


def write_map(tmp_path: Path, *lines: str) -> Path:
    """A --map file with these `source,key,model_id` rows."""
    path = tmp_path / "map.csv"
    path.write_text("source,key,model_id\n" + "".join(f"{line}\n" for line in lines))
    return path


# --- SLOs: Sloth and OpenSLO (cases 1, 6, 7) ---------------------------------------------

def test_a_latency_slo_never_becomes_the_availability_target(make_warehouse, tmp_path,
                                                             capsys):
    """Case 1. Sloth's victoria-metrics.yml holds two latency SLOs, objectives 90 and 99,
    whose error query is `1 - histogram_share(0.2, ... vmrange ...)`. Neither is a p95 and
    neither is an availability: churn keeps 0.995 and 300 ms."""
    wh = make_warehouse(BASE)
    spec = REAL / "sloth" / "victoria-metrics.yml"
    assert main(["import", "sloth", str(spec), "--map", str(write_map(
        tmp_path, "sloth,foo-bar,churn")), "--warehouse", str(wh)]) == 0
    assert rows(wh, SLOS) == [("churn", 0.995, 300.0), ("fraud", 0.99, 500.0)]
    out = capsys.readouterr().out
    assert f"{spec}: read 2 records, loaded 0 rows, skipped 2, quarantined 0\n" in out
    for name, objective in (("grpc-latency-percentile-90", 90), ("grpc-latency-percentile-99",
                                                                  99)):
        assert (f"  skipped 1 × SLO {name}: latency objective at {objective}% is not a p95 "
                "(only 95 is)\n") in out


def test_sloth_availability_and_latency_are_told_apart_by_their_queries(make_warehouse,
                                                                        tmp_path, capsys):
    """Case 1. kubernetes-apiserver.yml: `requests-availability` (99.9, errors counted by
    code=~"(5..|429)") is an availability; `requests-latency` (99, buckets under le="0.4")
    is a latency SLO at 99 %, not a p95: skipped. raw-home-wifi.yml's satisfaction ratio
    counts no errors: skipped, not stored as an availability of 95 %."""
    wh = make_warehouse(BASE)
    mapping = write_map(tmp_path, "sloth,k8s-apiserver,fraud", "sloth,home-wifi,churn")
    assert main(["import", "sloth", str(REAL / "sloth" / "kubernetes-apiserver.yml"),
                 str(REAL / "sloth" / "raw-home-wifi.yml"), "--map", str(mapping),
                 "--warehouse", str(wh)]) == 0
    assert rows(wh, SLOS) == [("churn", 0.995, 300.0), ("fraud", 0.999, 500.0)]
    out = capsys.readouterr().out
    assert ("  skipped 1 × SLO requests-latency: latency objective at 99% is not a p95 "
            "(only 95 is)\n") in out
    assert ("  skipped 1 × SLO wifi-client-satisfaction: cannot tell whether it measures "
            "availability: its queries count no errors or status codes\n") in out


def test_real_slo_files_attach_to_a_model_by_their_service(make_warehouse, tmp_path,
                                                           capsys):
    """Case 6. Sloth's getting-started.yml names `service: myservice` and no model label:
    without a map entry it is quarantined naming the service; with `sloth,myservice,churn`
    churn's availability target becomes 99.9 / 100."""
    wh = make_warehouse(BASE)
    spec = REAL / "sloth" / "getting-started.yml"
    assert main(["import", "sloth", str(spec), "--warehouse", str(wh)]) == 1
    assert quarantine(wh) == [("getting-started.yml", 9, "service myservice has no model")]
    assert main(["import", "sloth", str(spec), "--map", str(write_map(
        tmp_path, "sloth,myservice,churn")), "--warehouse", str(wh)]) == 0
    assert rows(wh, SLOS) == [("churn", 0.999, 300.0), ("fraud", 0.99, 500.0)]
    assert (f"{spec}: read 1 records, loaded 1 rows (models 0 new, 1 updated, 0 unchanged), "
            "skipped 0, quarantined 0\n") in capsys.readouterr().out


def test_openslo_list_form_is_read_object_by_object(make_warehouse, capsys):
    """Case 7. oslo's test input validate/v1.yaml is one YAML list of three objects: an SLO
    (web-availability, Timeslices: not an availability ratio) and two Services. Three
    records, all skipped for what they are, none quarantined."""
    wh = make_warehouse(BASE)
    spec = REAL / "openslo" / "oslo-validate-v1.yaml"
    assert main(["import", "openslo", str(spec), "--warehouse", str(wh)]) == 0
    assert quarantine(wh) == []
    out = capsys.readouterr().out
    assert f"{spec}: read 3 records, loaded 0 rows, skipped 3, quarantined 0\n" in out
    assert "  skipped 2 × Service is not an SLO\n" in out
    assert ("  skipped 1 × SLO web-availability: budgetingMethod Timeslices is not an "
            "availability ratio (only Occurrences is)\n") in out


def test_sloths_openslo_input_is_read_by_the_openslo_importer(make_warehouse, tmp_path,
                                                              capsys):
    """Case 7. Sloth's openslo-getting-started.yml is `openslo/v1alpha`: the sloth importer
    refuses it naming the importer that reads it; `import openslo` reads its ratioMetrics
    (good excludes code 5xx/429) with target 0.999 for `spec.service: my-service`."""
    wh = make_warehouse(BASE)
    spec = REAL / "sloth" / "openslo-getting-started.yml"
    assert main(["import", "sloth", str(spec), "--warehouse", str(wh)]) == 2
    assert capsys.readouterr().out == (
        f"{spec}: REJECTED, nothing loaded: line 6: apiVersion openslo/v1alpha is Sloth's "
        "OpenSLO input: import it with `modelops import openslo`\n")
    assert main(["import", "openslo", str(spec), "--map", str(write_map(
        tmp_path, "openslo,my-service,fraud")), "--warehouse", str(wh)]) == 0
    assert rows(wh, SLOS) == [("churn", 0.995, 300.0), ("fraud", 0.999, 500.0)]


# --- Prometheus raw counters (case 2; built as the API writes a bare-selector answer) ----

def test_raw_prometheus_counters_are_refused_naming_the_query(make_warehouse, tmp_path,
                                                              capsys):
    """Case 2. A query_range over the bare counter keeps `__name__` on every series and
    returns totals since the process started (here 13,375 at T and 16,430 an hour later:
    3,055 requests in that hour). Loading them as hourly counts would be wrong: the file is
    refused with the queries to run, and nothing loads."""
    wh = make_warehouse(BASE)
    bounds = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
              "+Inf"]
    result = [{"metric": {"__name__": "http_request_duration_seconds_bucket", "model": "churn",
                          "instance": "10.0.0.7:8000", "job": "scoring", "le": le},
               "values": [[1795435200, str(13375 - 12 + n)], [1795438800, str(16430 - 12 + n)]]}
              for n, le in enumerate(bounds, start=1)]
    answer = tmp_path / "raw.json"
    answer.write_text(json.dumps({"status": "success",
                                  "data": {"resultType": "matrix", "result": result}}))
    assert main(["import", "prometheus", str(answer), "--warehouse", str(wh)]) == 2
    assert rows(wh, "SELECT count(*) FROM metrics_hourly") == [(0,)]
    assert capsys.readouterr().out == (
        f"{answer}: REJECTED, nothing loaded: series 1 is the raw counter "
        "http_request_duration_seconds_bucket (totals since the process started, not "
        "counts per hour): query sum by (le, model) "
        "(increase(http_request_duration_seconds_bucket[1h])) and sum by (model) "
        '(increase(http_requests_total{code=~"5.."}[1h])) with step=3600 instead\n')


# --- PagerDuty priority names (case 3) ---------------------------------------------------

INCIDENTS = ("SELECT incident_id, model_id, severity, started_at, acknowledged_at, resolved_at"
             " FROM incidents ORDER BY incident_id")


def test_a_pagerduty_priority_name_with_a_number_is_that_severity(make_warehouse, tmp_path,
                                                                   capsys):
    """Case 3. PagerDuty's own analytics example (the edited copy: PROVENANCE) holds
    PCOOHCY, priority "SEV-2" and urgency low: severity 2, not the 4 of low urgency; and
    PYC0H08 with no priority and urgency low: 4. Times are Etc/UTC; acknowledged = created +
    seconds_to_first_ack (48 s and 5 s)."""
    wh = make_warehouse(BASE)
    mapping = write_map(tmp_path, "pagerduty,PPSCXAN,churn")
    assert main(["import", "pagerduty", str(REAL / "pagerduty" /
                                            "analytics-raw-incidents.edited.json"),
                 "--map", str(mapping), "--warehouse", str(wh)]) == 0
    assert rows(wh, INCIDENTS) == [
        ("PCOOHCY", "churn", 2, datetime(2023, 5, 31, 10, 0), datetime(2023, 5, 31, 10, 0, 48),
         datetime(2023, 5, 31, 10, 33, 49)),
        ("PYC0H08", "churn", 4, datetime(2023, 5, 31, 10, 5), datetime(2023, 5, 31, 10, 5, 5),
         datetime(2023, 5, 31, 10, 15)),
    ]
    # the unedited example: its SEV-2 incident resolves a day before it was created
    wh2 = make_warehouse(BASE)
    assert main(["import", "pagerduty", str(REAL / "pagerduty" /
                                            "analytics-raw-incidents.example.json"),
                 "--map", str(mapping), "--warehouse", str(wh2)]) == 1
    assert quarantine(wh2) == [
        ("analytics-raw-incidents.example.json", 2, "resolved_at is before started_at")]

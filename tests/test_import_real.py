"""`modelops import` on what the tools themselves published (issue 26).

Every file read here is in tests/fixtures/real/<source>/, unmodified unless its PROVENANCE
says what changed, with the repository, path and commit it came from. Each test states
what the file holds and the numbers worked out by hand from it."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from importer_support import BASE, quarantine, rows

from modelops.cli import main

REAL = Path(__file__).parent / "fixtures" / "real"
# fraud is loaded without SLO values: the contract defaults 0.99 and 500 ms
SLOS = "SELECT model_id, slo_availability, slo_latency_p95_ms FROM models ORDER BY model_id"


def test_every_real_file_is_the_one_its_provenance_names():
    """Each file kept in tests/fixtures/real/ is listed in its folder's PROVENANCE with the
    sha256 of the bytes its repository holds (for a .gz, of what gunzip gives), or is an
    edited copy or slice whose PROVENANCE says what changed."""
    import gzip
    import hashlib
    import re

    for folder in sorted(p for p in REAL.iterdir() if p.is_dir()):
        provenance = (folder / "PROVENANCE").read_text()
        listed = re.findall(r"^- (\S+)", provenance, re.MULTILINE)
        files = sorted(p.name for p in folder.iterdir() if p.name != "PROVENANCE")
        assert sorted(listed) == files, folder.name
        for name, sha in re.findall(r"^- (\S+).*?\n(?:  .*\n)*?  sha256[^:]*: ([0-9a-f]{64})",
                                    provenance, re.MULTILINE):
            data = (folder / name).read_bytes()
            data = gzip.decompress(data) if name.endswith(".gz") else data
            assert hashlib.sha256(data).hexdigest() == sha, f"{folder.name}/{name}"
        for name in files:
            entry = provenance.split(f"- {name}", 1)[1].split("\n- ", 1)[0]
            assert "commit: " in entry or "changed:" in entry, f"{folder.name}/{name}"


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
    # OpenSLO's own example of an Occurrences SLO is a thresholdMetric (latency < 500 ms
    # at 0.99 for service web-shop): no ratio to read, skipped
    example = REAL / "openslo" / "occurences-slo.yaml"
    assert main(["import", "openslo", str(example), "--warehouse", str(wh)]) == 0
    assert ("  skipped 1 × SLO search-slo: thresholdMetric objective: no ratio to read\n"
            in capsys.readouterr().out)
    assert rows(wh, SLOS) == [("churn", 0.995, 300.0), ("fraud", 0.99, 500.0)]


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


# --- OTLP: a separate error counter (case 4), nothing read (case 11) ---------------------

H0 = 1795435200  # 2026-11-23T12:00:00Z, on the hour
HOUR = 3600
ADVICE_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
DEFAULT_MS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]
METRICS = ("SELECT model_id, hour, requests, errors, latency_le_5ms, latency_le_10000ms"
           " FROM metrics_hourly ORDER BY hour")


def ns(seconds: int) -> str:
    return str(seconds * 10**9)


def histogram_point(start, end, count, bounds, attributes=()):
    """A data point with every request in its first bucket (<= 5 ms: also the first
    contract bound)."""
    first = 1 if bounds[0] == 0 else 0  # the SDK's ms bounds start at 0: (0, 5] is second
    buckets = [0] * (len(bounds) + 1)
    buckets[first] = count
    return {"attributes": list(attributes), "startTimeUnixNano": ns(start),
            "timeUnixNano": ns(end), "count": str(count),
            "bucketCounts": [str(b) for b in buckets], "explicitBounds": bounds}


def otlp(service, metrics):
    return {"resourceMetrics": [{
        "resource": {"attributes": [{"key": "service.name",
                                     "value": {"stringValue": service}}]},
        "scopeMetrics": [{"scope": {"name": "app"}, "metrics": metrics}]}]}


def test_otlp_errors_from_their_own_counter_are_read(make_warehouse, tmp_path, capsys):
    """Case 4. The duration histogram carries no status code; failures are counted by the
    monotonic Sum model.inference.errors. Both are CUMULATIVE from a process start 2 h
    before H0, so the points at H0 are baselines; H0+1h adds 160-100 = 60 requests and
    10-7 = 3 errors to hour H0. Then the process restarts at H0+70min: its first points at
    H0+2h (50 min later) count in full in hour H0+1h: 20 requests, 2 errors."""
    wh = make_warehouse(BASE)
    restart = H0 + HOUR + 600
    export = tmp_path / "otlp.json"
    export.write_text(json.dumps(otlp("churn", [
        {"name": "http.server.request.duration", "unit": "s", "histogram": {
            "aggregationTemporality": 2, "dataPoints": [
                histogram_point(H0 - 2 * HOUR, H0, 100, ADVICE_S),
                histogram_point(H0 - 2 * HOUR, H0 + HOUR, 160, ADVICE_S),
                histogram_point(restart, H0 + 2 * HOUR, 20, ADVICE_S)]}},
        {"name": "model.inference.errors", "unit": "1", "sum": {
            "aggregationTemporality": 2, "isMonotonic": True, "dataPoints": [
                {"startTimeUnixNano": ns(H0 - 2 * HOUR), "timeUnixNano": ns(H0),
                 "asInt": "7"},
                {"startTimeUnixNano": ns(H0 - 2 * HOUR), "timeUnixNano": ns(H0 + HOUR),
                 "asInt": "10"},
                {"startTimeUnixNano": ns(restart), "timeUnixNano": ns(H0 + 2 * HOUR),
                 "asInt": "2"}]}},
    ])))
    assert main(["import", "otlp", str(export), "--warehouse", str(wh)]) == 0
    assert rows(wh, METRICS) == [
        ("churn", datetime(2026, 11, 23, 12), 60, 3, 60, 60),
        ("churn", datetime(2026, 11, 23, 13), 20, 2, 20, 20),
    ]
    # the same counter named explicitly; `--option errors=` reads none (errors from status)
    wh2 = make_warehouse(BASE)
    assert main(["import", "otlp", str(export), "--option", "errors=", "--warehouse",
                 str(wh2)]) == 0
    assert rows(wh2, "SELECT sum(errors) FROM metrics_hourly") == [(0,)]
    wh3 = make_warehouse(BASE)
    assert main(["import", "otlp", str(export), "--option", "errors=model.inference.errors",
                 "--warehouse", str(wh3)]) == 0
    assert rows(wh3, "SELECT sum(errors) FROM metrics_hourly") == [(5,)]


def test_otlp_with_no_metric_it_reads_exits_2_naming_what_it_saw(make_warehouse, capsys):
    """Case 11. opentelemetry-proto's examples/metrics.json holds my.counter, my.gauge,
    my.histogram and my.exponential.histogram: none is a request-duration histogram.
    Nothing loads; the run exits 2 and its last line names the metrics and the option."""
    wh = make_warehouse(BASE)
    export = REAL / "otlp" / "metrics.json"
    assert main(["import", "otlp", str(export), "--warehouse", str(wh)]) == 2
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == (
        "nothing loaded: no record is of the kind this importer reads (seen: my.counter, "
        "my.gauge, my.histogram, my.exponential.histogram); it reads the histogram "
        "http.server.request.duration or http.server.duration: give --option metric=NAME "
        "for the request-duration histogram your services export")
    assert rows(wh, "SELECT count(*) FROM metrics_hourly") == [(0,)]
    # asked for my.histogram, it is read and refused for its unit "1": exit 1, quarantined
    assert main(["import", "otlp", str(export), "--option", "metric=my.histogram",
                 "--warehouse", str(wh)]) == 1
    assert quarantine(wh) == [("metrics.json", 3, "unit '1' is not a duration in s or ms")]


def test_otlp_reads_the_older_http_server_duration_in_ms(make_warehouse, tmp_path):
    """Case 11. Instrumentations before semconv 1.21 export http.server.duration in ms on
    the SDK's default bounds (0, 5, 10, ...): a DELTA point of 4 requests <= 5 ms with
    status 200 and one of 1 request with status 503 in hour H0: requests 5, errors 1."""
    wh = make_warehouse(BASE)
    export = tmp_path / "old.json"
    ok = [{"key": "http.status_code", "value": {"intValue": "200"}}]
    failed = [{"key": "http.status_code", "value": {"intValue": "503"}}]
    export.write_text(json.dumps(otlp("churn", [
        {"name": "http.server.duration", "unit": "ms", "histogram": {
            "aggregationTemporality": 1, "dataPoints": [
                histogram_point(H0, H0 + 1800, 4, DEFAULT_MS, ok),
                histogram_point(H0, H0 + 1800, 1, DEFAULT_MS, failed)]}}])))
    assert main(["import", "otlp", str(export), "--warehouse", str(wh)]) == 0
    assert rows(wh, METRICS) == [("churn", datetime(2026, 11, 23, 12), 5, 1, 5, 5)]


# --- FOCUS (cases 5, 12) and OpenCost (cases 12, 13) -------------------------------------

def test_the_focus_projects_own_sample_loads(make_warehouse, tmp_path, capsys):
    """Cases 5 and 12. FOCUS-Sample-Data's FOCUS-1.0/focus_sample.csv: 1,000 rows, times
    without an offset (UTC by the spec), `Tags` the literal NULL on 289 rows and without
    an `application` key on 51 more: 340 untagged rows skipped. Tagged by application:
    176 rows of BrightPathMatrix (mapped to churn) whose EffectiveCost adds up to 16.00
    exactly, on 24 (day, category) pairs; 17 rows of ZoomMapMax (fraud), all Storage at
    0.00, on 10 days. The 467 rows of the 68 other applications are summed into 460
    contract rows quarantined as unmapped. Provider AWS is no vendor of the warehouse: ""."""
    wh = make_warehouse(BASE)
    export = REAL / "focus" / "focus_sample.csv.gz"
    mapping = write_map(tmp_path, "focus,BrightPathMatrix,churn", "focus,ZoomMapMax,fraud")
    assert main(["import", "focus", str(export), "--option", "tag=application", "--map",
                 str(mapping), "--warehouse", str(wh)]) == 1
    assert rows(wh, "SELECT model_id, count(*), round(sum(amount_usd), 9), "
                    "count(DISTINCT vendor_id) FROM costs_daily GROUP BY 1 ORDER BY 1") == [
        ("churn", 24, 16.0, 1), ("fraud", 10, 0.0, 1)]
    assert rows(wh, "SELECT day, category, vendor_id, amount_usd FROM costs_daily "
                    "WHERE model_id = 'fraud' ORDER BY day LIMIT 2") == [
        (date(2024, 9, 12), "storage", "", 0.0), (date(2024, 9, 16), "storage", "", 0.0)]
    out = capsys.readouterr().out
    assert (f"{export}: read 1000 records (494 contract rows made from them), loaded 34 rows"
            " (costs_daily 34 new, 0 updated, 0 unchanged), skipped 340, quarantined 460\n"
            "  skipped 340 × no model tag (untagged shared cost)\n") in out


def test_focus_without_the_tag_key_its_rows_carry_exits_2(make_warehouse, capsys):
    """Cases 5 and 11. The same sample without `--option tag=`: no row has a `model` tag,
    so the key is wrong rather than all 1,000 rows shared cost. Nothing loads, exit 2, and
    the last line names the Tags keys seen, most frequent first (application, environment
    and business_unit on 660 rows each, then the 289 NULL)."""
    wh = make_warehouse(BASE)
    assert main(["import", "focus", str(REAL / "focus" / "focus_sample.csv.gz"),
                 "--warehouse", str(wh)]) == 2
    assert capsys.readouterr().out.splitlines()[-1].startswith(
        "nothing loaded: no record is of the kind this importer reads (seen: application, "
        "environment, business_unit, (no Tags), ")


def test_focus_reads_bigquery_utc_suffixes(make_warehouse, tmp_path):
    """Case 5. BigQuery's CSV export writes `2024-09-18 22:00:00 UTC`: one hour of 2.50 on
    2024-09-18 (and NULL in an optional column)."""
    wh = make_warehouse(BASE)
    export = tmp_path / "bq.csv"
    export.write_text(
        "BillingCurrency,EffectiveCost,ChargePeriodStart,ChargePeriodEnd,ServiceCategory,"
        "ProviderName,Tags,ChargeClass\n"
        'USD,2.50,2024-09-18 22:00:00 UTC,2024-09-18 23:00:00 UTC,Compute,Google Cloud,'
        '"{""model"": ""churn""}",NULL\n')
    assert main(["import", "focus", str(export), "--warehouse", str(wh)]) == 0
    assert rows(wh, "SELECT model_id, day, category, amount_usd FROM costs_daily") == [
        ("churn", date(2024, 9, 18), "compute", 2.5)]


def test_opencost_reports_allocations_and_names_the_partial_days_category(
        make_warehouse, tmp_path, capsys):
    """Cases 12 and 13. OpenCost's allocation-example-output.json: 3 allocations (the
    kube-system, opencost and prometheus namespaces) over one window of 7 × 24 h from
    2023-07-12T11:02:46Z. The 12th and the 19th are partial days: refused per category,
    each reason naming it. The 6 whole days between get a seventh of each category:
    kube-system (churn) compute (cpuCost 1.43086 + ramCost 0.09657) / 7, opencost (fraud)
    compute (0.06359 + 0.04577) / 7 (its totalCost says 0.10937: OpenCost rounds each
    field); storage and other 0. prometheus is mapped to nothing."""
    wh = make_warehouse(BASE)
    export = REAL / "opencost" / "allocation-example-output.json"
    mapping = write_map(tmp_path, "opencost,kube-system,churn", "opencost,opencost,fraud")
    assert main(["import", "opencost", str(export), "--map", str(mapping),
                 "--warehouse", str(wh)]) == 1
    got = rows(wh, "SELECT model_id, count(DISTINCT day), min(day), max(day), "
                   "sum(amount_usd) FILTER (category = 'compute') / count(DISTINCT day), "
                   "sum(amount_usd) FILTER (category <> 'compute') "
                   "FROM costs_daily GROUP BY 1 ORDER BY 1")
    assert [g[:4] for g in got] == [("churn", 6, date(2023, 7, 13), date(2023, 7, 18)),
                                    ("fraud", 6, date(2023, 7, 13), date(2023, 7, 18))]
    assert [g[4] for g in got] == [pytest.approx((1.43086 + 0.09657) / 7),
                                    pytest.approx((0.06359 + 0.04577) / 7)]
    assert [g[5] for g in got] == [0.0, 0.0]
    out = capsys.readouterr().out
    assert (f"{export}: read 3 records (72 contract rows made from them), loaded 36 rows "
            "(costs_daily 36 new, 0 updated, 0 unchanged), skipped 0, quarantined 36\n") in out
    reasons = [r[2] for r in quarantine(wh) if "partly" in r[2]]
    assert len(reasons) == 18 and len(set(reasons)) == 6
    assert ("compute cost of day 2023-07-12 is only partly in the export (12.9539 h of 24): "
            "a partial day would replace the whole day's cost") in reasons
    assert ("storage cost of day 2023-07-19 is only partly in the export (11.0461 h of 24): "
            "a partial day would replace the whole day's cost") in reasons


# --- Evidently without a timestamp (case 8), Great Expectations 0.x (case 9) --------------

def test_evidently_as_dict_without_a_timestamp_takes_the_option(make_warehouse, tmp_path,
                                                                capsys):
    """Case 8. `Report.as_dict()` written as JSON is the legacy report without `version`
    and `timestamp` (Evidently publishes no saved report: this is the project's legacy
    fixture with those two keys removed). Without --option at= it is refused saying what
    to give; with it, its three per-column results load at that time (the fourth is the
    tie the fixture quarantines)."""
    wh = make_warehouse(BASE)
    doc = json.loads((Path(__file__).parent / "fixtures" / "importers" / "evidently" /
                      "legacy-report.json").read_text())
    del doc["timestamp"], doc["version"]
    report = tmp_path / "as_dict.json"
    report.write_text(json.dumps(doc))
    assert main(["import", "evidently", str(report), "--model", "churn",
                 "--warehouse", str(wh)]) == 2
    assert capsys.readouterr().out == (
        f"{report}: REJECTED, nothing loaded: the report has no timestamp (Report.as_dict() "
        "writes none): give the time it was measured with --option at=T\n")
    assert main(["import", "evidently", str(report), "--model", "churn", "--option",
                 "at=2026-11-18T04:00:00+01:00", "--warehouse", str(wh)]) == 1
    assert rows(wh, "SELECT feature, measured_at FROM drift ORDER BY feature") == [
        (feature, datetime(2026, 11, 18, 3)) for feature in ("country", "merchant", "tenure")]


DQ = ("SELECT pipeline, status, count(*), min(run_at), max(run_at) FROM data_quality"
      " GROUP BY ALL ORDER BY ALL")


def test_gx_0x_results_with_a_string_run_id_load(make_warehouse, capsys):
    """Case 9. GX's BasicDatasetProfiler_evrs.json (0.9.7) has `run_id:
    "20200322T170247.671855Z"`, a compact time string, and 51 results: 43 successful, 8
    not (its own statistics say so). The pipeline is the suite name, `default`."""
    wh = make_warehouse(BASE)
    result = REAL / "gx" / "BasicDatasetProfiler_evrs.json"
    assert main(["import", "gx", str(result), "--model", "churn", "--warehouse", str(wh)]) == 0
    at = datetime(2020, 3, 22, 17, 2, 47, 671855)
    assert rows(wh, DQ) == [("default", "fail", 8, at, at), ("default", "pass", 43, at, at)]
    # result 4: expect_column_unique_value_count_to_be_between on "Unnamed: 0", 1,313 rows
    assert rows(wh, "SELECT check_run_id, check_name, rows_checked, rows_failed FROM "
                    "data_quality WHERE check_run_id LIKE '%:#4'") == [
        ("default:20200322T170247.671855Z:#4",
         "expect_column_unique_value_count_to_be_between(Unnamed: 0)", 1313, None)]


def test_gx_validation_operator_results_are_unwrapped(make_warehouse, capsys):
    """Case 9. ValidationOperatorResult_with_multiple_validation_results.json wraps two
    validation results of suite basic.warning (datasource getest), 11 expectations each,
    2 failed each (row count, median). Each is keyed on GX's identifier of it, so the two
    are 22 rows, not 11 repeated keys."""
    wh = make_warehouse(BASE)
    result = REAL / "gx" / "ValidationOperatorResult_with_multiple_validation_results.json"
    assert main(["import", "gx", str(result), "--model", "churn", "--warehouse", str(wh)]) == 0
    at = datetime(2020, 7, 27, 17, 19, 32, 959193)
    assert rows(wh, DQ) == [("getest", "fail", 4, at, at), ("getest", "pass", 18, at, at)]
    assert rows(wh, "SELECT check_run_id, check_name FROM data_quality WHERE status = "
                    "'fail' ORDER BY check_run_id") == [
        ("basic/warning/getest run/20200727T171932.959193Z/4e0d84813237541d5dbb9f8af649a7ef:#1",
         "expect_table_row_count_to_be_between"),
        ("basic/warning/getest run/20200727T171932.959193Z/4e0d84813237541d5dbb9f8af649a7ef:#8",
         "expect_column_median_to_be_between( \"Payroll (millions)\")"),
        ("basic/warning/getest run/20200727T171933.959193Z/4e0d84813237541d5dbb9f8af649a7eg:#12",
         "expect_table_row_count_to_be_between"),
        ("basic/warning/getest run/20200727T171933.959193Z/4e0d84813237541d5dbb9f8af649a7eg:#19",
         "expect_column_median_to_be_between( \"Payroll (millions)\")"),
    ]


# --- GitHub deployments without payload.model_id (case 10) --------------------------------

def replay_body(path: Path) -> str:
    """The response body of a PyGithub ReplayData file holding one request: its 10th line
    (protocol, verb, host, port, path, request headers, request body, status, response
    headers, response body)."""
    return path.read_text().split("\n")[9]


def test_github_deployments_are_attributed_by_repository(make_warehouse, tmp_path, capsys):
    """Case 10. PyGithub's recorded GET /repos/PyGithub/PyGithub/deployments: 263877258
    (environment test, transient, payload {"test": true}) and 262350588 (production,
    payload {}); and the recorded statuses of 263877258: three, all `queued`.
    Without a map neither names a model: skipped. With `github,PyGithub/PyGithub,churn`
    (and test counted as staging) both are churn's: 263877258 is not finished, 262350588
    has no status list (quarantined). Given a `success` status for 262350588 (the first
    recorded status, its state and deployment changed), it loads as churn's production
    deployment at that status's time."""
    wh = make_warehouse(BASE)
    pages = tmp_path / "pages"
    (pages / "statuses").mkdir(parents=True)
    (pages / "deployments.json").write_text(
        replay_body(REAL / "github" / "Repository.testGetDeployments.txt"))
    statuses = replay_body(REAL / "github" / "DeploymentStatus.testGetStatuses.txt")
    (pages / "statuses" / "263877258.json").write_text(statuses)
    assert main(["import", "github", str(pages), "--warehouse", str(wh)]) == 0
    out = capsys.readouterr().out
    assert "  skipped 1 × preview/transient deployment without payload.model_id\n" in out
    assert ("  skipped 1 × deployment without payload.model_id whose repository and "
            "environment map to no model (--map github,PyGithub/PyGithub,MODEL_ID)\n") in out

    args = ["--map", str(write_map(tmp_path, "github,PyGithub/PyGithub,churn")),
            "--option", "env.test=staging", "--warehouse", str(wh)]
    assert main(["import", "github", str(pages), *args]) == 1
    assert "  skipped 1 × not finished: last status queued\n" in capsys.readouterr().out
    assert quarantine(wh) == [("deployments.json", 2, (
        "no status list for deployment 262350588 (export GET "
        "/repos/{owner}/{repo}/deployments/262350588/statuses)"))]

    success = json.loads(statuses)[0]
    success.update(state="success", deployment_url=success["deployment_url"].replace(
        "jacquev6/PyGithub/deployments/263877258", "PyGithub/PyGithub/deployments/262350588"))
    (pages / "statuses" / "262350588.json").write_text(json.dumps([success]))
    assert main(["import", "github", str(pages), *args]) == 0
    assert rows(wh, "SELECT deployment_id, model_id, environment, deployed_at, outcome "
                    "FROM deployments") == [
        ("262350588", "churn", "production", datetime(2020, 8, 26, 14, 32, 51), "succeeded")]


def test_raw_counters_summed_without_their_name_are_refused(make_warehouse, tmp_path,
                                                            capsys):
    """Case 2. `sum by (le, model) (http_request_duration_seconds_bucket)` drops __name__
    but still returns totals: whole numbers that only grow (13,375, 14,904, 16,430 on
    +Inf). Refused as well. The same shape from increase() (non-integer values) loads."""
    wh = make_warehouse(BASE)
    bounds = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
              "+Inf"]

    def answer(values_of):
        return json.dumps({"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {"model": "churn", "le": le},
             "values": [[H0 + HOUR * k, v] for k, v in enumerate(values_of(n))]}
            for n, le in enumerate(bounds, start=1)]}})

    raw = tmp_path / "summed.json"
    raw.write_text(answer(lambda n: [str(t - 12 + n) for t in (13375, 14904, 16430)]))
    assert main(["import", "prometheus", str(raw), "--warehouse", str(wh)]) == 2
    assert capsys.readouterr().out.startswith(
        f"{raw}: REJECTED, nothing loaded: series 1 is whole numbers that only grow, as raw "
        "counters do (totals since the process started, not counts per hour): query ")
    increases = tmp_path / "increase.json"
    increases.write_text(answer(lambda n: [f"{t - 12 + n}.4" for t in (3055, 3060, 3070)]))
    assert main(["import", "prometheus", str(increases), "--warehouse", str(wh)]) == 0
    assert rows(wh, "SELECT sum(requests) FROM metrics_hourly") == [(3055 + 3060 + 3070,)]


def test_an_evidently_report_without_drift_results_exits_2(make_warehouse, tmp_path, capsys):
    """Case 11. A legacy report holding only DatasetDriftMetric (the project's fixture
    without its DataDriftTable) has no per-column result: nothing loads, exit 2."""
    wh = make_warehouse(BASE)
    doc = json.loads((Path(__file__).parent / "fixtures" / "importers" / "evidently" /
                      "legacy-report.json").read_text())
    doc["metrics"] = [m for m in doc["metrics"] if m["metric"] != "DataDriftTable"]
    report = tmp_path / "summary-only.json"
    report.write_text(json.dumps(doc))
    assert main(["import", "evidently", str(report), "--model", "churn",
                 "--warehouse", str(wh)]) == 2
    assert capsys.readouterr().out.splitlines()[-1] == (
        "nothing loaded: no record is of the kind this importer reads (seen: "
        "DatasetDriftMetric); it reads per-column drift results (ValueDrift in 0.7; "
        "DataDriftTable or ColumnDriftMetric in legacy reports): run a report with "
        "DataDriftPreset")

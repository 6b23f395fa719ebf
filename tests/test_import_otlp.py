"""OTLP/JSON histograms -> metrics_hourly, rows worked out by hand from the fixture."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from importer_support import MAP, quarantine, rows, samples_warehouse

from modelops.cli import main
from modelops.importers import otlp
from modelops.importers.base import Bad, Options, Row, Unreadable

FIX = Path(__file__).parent / "fixtures" / "importers" / "otlp"
BUCKETS = [f"latency_le_{b}ms" for b in (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
                                          10000)]
H10 = datetime(2026, 11, 17, 10, tzinfo=UTC)
H11 = datetime(2026, 11, 17, 11, tzinfo=UTC)


def hourly(hour, requests, errors, buckets):
    return {"hour": hour, "requests": requests, "errors": errors,
            **dict(zip(BUCKETS, buckets, strict=True))}


def summary(items):
    out = []
    for item in items:
        if isinstance(item, Row):
            out.append(("row", item.origin.line, item.key, item.values))
        elif isinstance(item, Bad):
            out.append(("bad", item.origin.line, item.reason))
        else:
            out.append(("skip", item.origin.line, item.reason))
    return out


BASELINE = "first cumulative point covers more than an hour: the baseline for the next point"


def test_histograms_become_hourly_rows():
    items = list(otlp.parse([FIX / "metrics.json"], Options()))
    assert summary(items) == [
        ("skip", 7, ("metric http.server.active_requests is not http.server.request.duration "
                     "or http.server.duration")),
        ("skip", 11, "data point flagged no recorded value"),
        ("bad", 12, "unit 'By' is not a duration in s or ms"),
        ("bad", 13, "resource has no service.name attribute"),
        ("skip", 1, BASELINE),  # started 09:00, first point 10:10
        ("skip", 5, BASELINE),
        ("bad", 10, "bucket counts add up to 1, count is 5"),
        ("bad", 15, "cumulative counts went down with the same start time"),
        # fraud 10:00: (p2 - p1) + (p3 - p2) of the 200 series, (p2 - p1) of the 503 series;
        # seconds x 1000; 75, 750, 7500 ms dropped; per-bucket counts summed up.
        ("row", 2, "fraud-detector-eu",
         hourly(H10, 23, 3, [3, 6, 7, 8, 10, 11, 12, 14, 15, 16, 18])),
        # 11:20 restart (a new start): the point counts in full, in the hour of its start
        ("row", 4, "fraud-detector-eu", hourly(H11, 5, 0, [0, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5])),
        # DELTA in ms on the SDK default bounds; the error.type point is an error
        ("row", 8, "chatbot", hourly(H10, 12, 2, [4, 7, 9, 10, 11, 11, 11, 11, 11, 11, 11])),
        ("bad", 10, ("hour 2026-11-17T11:00:00+00:00 of service chatbot left out: its data "
                    "point 10 was refused")),
        ("bad", 14, ("hour 2026-11-17T10:00:00+00:00 of service legacy-scorer left out: its "
                    "data point 15 was refused")),
    ]


def _doc(tmp_path, points, bounds, unit="s", temporality=1, lines=False):
    request = {"resourceMetrics": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "a"}}]},
        "scopeMetrics": [{"metrics": [{
            "name": "http.server.request.duration", "unit": unit,
            "histogram": {"aggregationTemporality": temporality, "dataPoints": [
                {"startTimeUnixNano": str(s), "timeUnixNano": str(t), "count": str(sum(b)),
                 "bucketCounts": [str(x) for x in b], "explicitBounds": bounds}
                for s, t, b in points]}}]}]}]}
    path = tmp_path / "m.json"
    if lines:  # the collector's file exporter: one request per line
        path.write_text("\n".join(json.dumps({"resourceMetrics": [r]})
                                  for r in request["resourceMetrics"]) + "\n")
    else:
        path.write_text(json.dumps(request))
    return path


T = 1794909600 * 10**9


def test_a_missing_contract_bound_or_a_too_long_delta_is_refused(tmp_path):
    short = [0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 2.5, 5, 10]  # no 0.25
    full = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    path = _doc(tmp_path, [(T, T + 60 * 10**9, [1] * 11)], short)
    assert [i.reason for i in otlp.parse([path], Options())] == [
        "no bucket bound at 250 ms (contract bounds cannot be interpolated)",
        "hour 2026-11-17T10:00:00+00:00 of service a left out: its data point 1 was refused"]
    path = _doc(tmp_path, [(T, T + 2 * 3600 * 10**9, [1] * 12)], full, lines=True)
    assert [i.reason for i in otlp.parse([path], Options())] == [
        "delta point covers more than an hour: cannot be put in one hour",
        "hour 2026-11-17T10:00:00+00:00 of service a left out: its data point 1 was refused"]


def test_a_delta_point_ending_in_the_next_hour_counts_in_the_hour_it_started(tmp_path):
    full = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    start = T + 59 * 60 * 10**9
    path = _doc(tmp_path, [(start, start + 120 * 10**9, [2] + [0] * 11)], full)
    assert [(i.key, i.values) for i in otlp.parse([path], Options())] == [
        ("a", hourly(H10, 2, 0, [2] * 11))]


def test_something_else_than_otlp_is_unreadable():
    with pytest.raises(Unreadable) as error:
        list(otlp.parse([FIX / "not-otlp.json"], Options()))
    assert error.value.reason == "not OTLP/JSON metrics (no resourceMetrics)"


# --- end to end: `modelops import otlp` into a warehouse of data/samples -------------------

def test_import_otlp_end_to_end(tmp_path):
    wh = samples_warehouse(tmp_path / "wh.duckdb")
    code = main(["import", "otlp", str(FIX / "metrics.json"), "--map", str(MAP),
                 "--warehouse", str(wh)])
    assert code == 1
    assert rows(wh, f"SELECT model_id, hour, requests, errors, {', '.join(BUCKETS)}"
                    " FROM metrics_hourly WHERE hour IN ('2026-11-17 10:00', '2026-11-17 11:00')"
                    " AND model_id IN ('fraud-detector-eu', 'support-chatbot-eu')"
                    " ORDER BY model_id, hour") == [
        ("fraud-detector-eu", datetime(2026, 11, 17, 10), 23, 3,
         3, 6, 7, 8, 10, 11, 12, 14, 15, 16, 18),
        ("fraud-detector-eu", datetime(2026, 11, 17, 11), 5, 0,
         0, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5),
        ("support-chatbot-eu", datetime(2026, 11, 17, 10), 12, 2,
         4, 7, 9, 10, 11, 11, 11, 11, 11, 11, 11),
        # the sample's 11:00 row stays: the chatbot's 11:00 hour was refused
        ("support-chatbot-eu", datetime(2026, 11, 17, 11), 1723, *rows(
            wh, "SELECT errors, " + ", ".join(BUCKETS) + " FROM metrics_hourly WHERE"
                " model_id = 'support-chatbot-eu' AND hour = '2026-11-17 11:00'")[0]),
    ]
    assert quarantine(wh, "metrics_hourly") == [
        ("metrics.json", 10, "bucket counts add up to 1, count is 5"),
        ("metrics.json", 10, ("hour 2026-11-17T11:00:00+00:00 of service chatbot left out: "
                             "its data point 10 was refused")),
        ("metrics.json", 12, "unit 'By' is not a duration in s or ms"),
        ("metrics.json", 13, "resource has no service.name attribute"),
        ("metrics.json", 14, ("hour 2026-11-17T10:00:00+00:00 of service legacy-scorer left "
                             "out: its data point 15 was refused")),
        ("metrics.json", 15, "cumulative counts went down with the same start time"),
    ]


@pytest.mark.parametrize("attribute, value, errors", [
    ("http.response.status_code", {"intValue": "500"}, 3),
    ("http.response.status_code", {"intValue": "499"}, 0),
    ("http.status_code", {"intValue": "502"}, 3),  # semconv before 1.21
    ("http.response.status_code", {"stringValue": "503"}, 3),
    ("error.type", {"stringValue": "java.net.UnknownHostException"}, 3),
])
def test_which_points_are_errors(tmp_path, attribute, value, errors):
    full = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    path = _doc(tmp_path, [(T, T + 60 * 10**9, [3] + [0] * 11)], full)
    doc = json.loads(path.read_text())
    point = doc["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["histogram"][
        "dataPoints"][0]
    point["attributes"] = [{"key": attribute, "value": value}]
    path.write_text(json.dumps(doc))
    assert [i.values["errors"] for i in otlp.parse([path], Options())] == [errors]


def test_replicas_of_a_service_are_differenced_apart_then_summed(tmp_path):
    full = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    minute = 60 * 10**9
    resources = []
    for instance, (first, second) in (("pod-a", (10, 14)), ("pod-b", (100, 101))):
        resources.append({
            "resource": {"attributes": [
                {"key": "service.name", "value": {"stringValue": "a"}},
                {"key": "service.instance.id", "value": {"stringValue": instance}}]},
            "scopeMetrics": [{"metrics": [{
                "name": "http.server.request.duration", "unit": "s",
                "histogram": {"aggregationTemporality": 2, "dataPoints": [
                    {"startTimeUnixNano": str(T), "timeUnixNano": str(T + m * minute),
                     "count": str(n), "bucketCounts": [str(n)] + ["0"] * 11,
                     "explicitBounds": full}
                    for m, n in ((1, first), (2, second))]}}]}]})
    path = tmp_path / "replicas.json"
    path.write_text(json.dumps({"resourceMetrics": resources}))
    # pod-a: 10 then +4; pod-b: 100 then +1 (both started on the hour): 115 in all.
    # Mixed into one series, one pod's counts would be differenced against the other's.
    assert [(i.key, i.values) for i in otlp.parse([path], Options())] == [
        ("a", hourly(H10, 115, 0, [115] * 11))]

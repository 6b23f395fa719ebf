"""Prometheus range-query matrices -> metrics_hourly, rows worked out by hand from the fixture."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from importer_support import MAP, quarantine, rows, samples_warehouse

from modelops.cli import main
from modelops.importers import prometheus
from modelops.importers.base import Bad, Options, Row, Skipped, Unreadable
from modelops.importers.http import Client

FIX = Path(__file__).parent / "fixtures" / "importers" / "prometheus"
LAT, ERR = FIX / "latency_1h.json", FIX / "errors_1h.json"
BUCKETS = [f"latency_le_{b}ms" for b in (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
                                          10000)]


def hourly(hour, requests, errors, buckets):
    return {"hour": hour, "requests": requests, "errors": errors,
            **dict(zip(BUCKETS, buckets, strict=True))}


def summary(items):
    out = []
    for item in items:
        where = (Path(item.origin.file).name, item.origin.line)
        if isinstance(item, Row):
            out.append(("row", *where, item.key, item.values))
        elif isinstance(item, Bad):
            out.append(("bad", *where, item.reason))
        else:
            out.append(("skip", *where, item.reason))
    return out


H10 = datetime(2026, 11, 17, 10, tzinfo=UTC)


def test_buckets_and_errors_become_hourly_rows():
    items = list(prometheus.parse([LAT, ERR], Options()))
    assert summary(items) == [
        ("bad", "latency_1h.json", 43, "series has no 'model' label"),
        ("skip", "errors_1h.json", 2,
         "errors at a time with no latency buckets for its model: no row"),
        # 100.2 -> 100; "1" + "1.0" = 95.2 -> 95; 39.4 -> 39 raised to 40 by the running
        # max; 60.5 -> 61 (half up); 99.6 -> 100 <= +Inf 100; errors 2.7 -> 3.
        ("row", "latency_1h.json", 1, "fraud-detector-eu",
         hourly(H10, 100, 3, [10, 21, 40, 40, 61, 80, 90, 95, 98, 99, 100])),
        ("bad", "latency_1h.json", 1,
         "bucket le=0.5 is nan at 2026-11-17T12:00:00+00:00"),
        # Python client bounds: 75 ms, 750 ms and 7.5 s dropped; no error series: 0.
        ("row", "latency_1h.json", 14, "chatbot",
         hourly(H10, 14, 0, [0, 1, 2, 3, 5, 6, 7, 9, 10, 11, 13])),
        ("row", "latency_1h.json", 29, "ranker", hourly(H10, 0, 0, [0] * 11)),
        ("bad", "latency_1h.json", 41, "bucket le=10 (7) exceeds +Inf (6)"),
    ]


def _answer(tmp_path, result, name="m.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"status": "success",
                                "data": {"resultType": "matrix", "result": result}}))
    return path


def test_a_missing_contract_bound_or_no_inf_or_an_unaligned_time_is_refused(tmp_path):
    t = 1794913200
    full = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"]
    series = [{"metric": {"model": "a", "le": le}, "values": [[t, "1"]]}
              for le in full if le != "0.25"]
    series.append({"metric": {"model": "a", "le": "+Inf"}, "values": [[t, "1"]]})
    series.append({"metric": {"model": "b", "le": "10"}, "values": [[t, "1"]]})
    series += [{"metric": {"model": "c", "le": le}, "values": [[t + 1800, "1"]]}
               for le in [*full, "+Inf"]]
    items = list(prometheus.parse([_answer(tmp_path, series)], Options()))
    assert [(type(i).__name__, i.reason) for i in items] == [
        ("Bad", "no bucket at 250 ms (contract bounds cannot be interpolated)"),
        ("Bad", "no +Inf bucket: requests unknown"),
        ("Bad", "point at 2026-11-17T11:30:00+00:00 is not on the hour (align the query start)"),
    ]


def test_another_label_names_the_model(tmp_path):
    t = 1794913200
    series = [{"metric": {"service": "s1", "le": le}, "values": [[t, "2"]]}
              for le in ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
                         "5", "10", "+Inf"]]
    series.append({"metric": {"service": "s1"}, "values": [[t, "1"]]})
    items = list(prometheus.parse([_answer(tmp_path, series)],
                                  Options(extra={"label": "service"})))
    assert [(i.key, i.values) for i in items] == [("s1", hourly(H10, 2, 1, [2] * 11))]


@pytest.mark.parametrize("name, reason", [
    ("failed.json", 'the query failed: bad_data: invalid parameter "query"'),
    ("instant.json", "resultType 'vector' is not a matrix (use /api/v1/query_range)"),
])
def test_a_failed_or_instant_answer_is_unreadable(name, reason):
    with pytest.raises(Unreadable) as error:
        list(prometheus.parse([FIX / name], Options()))
    assert error.value.reason == reason


def test_skipped_is_reported_not_quarantined():
    items = list(prometheus.parse([ERR], Options()))
    # errors alone make no rows: every error point lacks its buckets
    assert [type(i) for i in items] == [Skipped, Skipped, Skipped]


# --- end to end: `modelops import prometheus` into a warehouse of data/samples -------------

def test_import_prometheus_end_to_end(tmp_path, capsys):
    wh = samples_warehouse(tmp_path / "wh.duckdb")
    code = main(["import", "prometheus", str(LAT), str(ERR), "--map", str(MAP),
                 "--warehouse", str(wh)])
    assert code == 1  # rows quarantined
    assert rows(wh, f"SELECT model_id, hour, requests, errors, {', '.join(BUCKETS)}"
                    " FROM metrics_hourly WHERE hour = '2026-11-17 10:00:00'"
                    " ORDER BY model_id") == [
        # replaces the sample's 10:00 row of fraud-detector-eu
        ("fraud-detector-eu", datetime(2026, 11, 17, 10), 100, 3,
         10, 21, 40, 40, 61, 80, 90, 95, 98, 99, 100),
        # chatbot -> support-chatbot-eu through the map
        ("support-chatbot-eu", datetime(2026, 11, 17, 10), 14, 0,
         0, 1, 2, 3, 5, 6, 7, 9, 10, 11, 13),
    ]
    assert quarantine(wh, "metrics_hourly") == [
        ("latency_1h.json", 1, "bucket le=0.5 is nan at 2026-11-17T12:00:00+00:00"),
        ("latency_1h.json", 29, "model label ranker has no model"),
        ("latency_1h.json", 41, "bucket le=10 (7) exceeds +Inf (6)"),
        ("latency_1h.json", 43, "series has no 'model' label"),
    ]
    out = capsys.readouterr().out
    assert "skipped 1 × errors at a time with no latency buckets for its model: no row" in out


class Replay(Client):
    """The real client, answering from the fixtures instead of the network."""

    def __init__(self, out_dir, answers):
        super().__init__("http://prometheus.test:9090", out_dir)
        self.answers, self.calls = answers, []

    def request(self, method, path, params=None, body=None):
        self.calls.append((method, path, dict(params or {})))
        return self.answers[params["query"]], {}


def test_fetch_asks_both_range_queries_for_whole_hours_and_parses_like_files(tmp_path):
    answers = {prometheus.BUCKET_QUERY.format(label="model"): json.loads(LAT.read_text()),
               prometheus.ERROR_QUERY.format(label="model"): json.loads(ERR.read_text())}
    client = Replay(tmp_path, answers)
    files = prometheus.fetch(client, Options(
        since=datetime(2026, 11, 17, 9, 30, tzinfo=UTC),
        until=datetime(2026, 11, 17, 12, 10, tzinfo=UTC)))
    # first point 11:00 (covers 10:00-11:00, the first whole hour after 09:30), last 12:00
    window = {"start": 1794913200, "end": 1794916800, "step": "3600"}
    assert client.calls == [
        ("GET", "/api/v1/query_range", {
            "query": "sum by (le, model) (increase(http_request_duration_seconds_bucket[1h]))",
            **window}),
        ("GET", "/api/v1/query_range", {
            "query": 'sum by (model) (increase(http_requests_total{code=~"5.."}[1h]))',
            **window}),
    ]
    fetched = [(type(i), getattr(i, "values", None), i.origin.line)
               for i in prometheus.parse(files, Options())]
    from_files = [(type(i), getattr(i, "values", None), i.origin.line)
                  for i in prometheus.parse([LAT, ERR], Options())]
    assert fetched == from_files

"""`modelops sync` once (issue 27, item 2): incremental from a cursor in the warehouse, through
the import path, against local fake APIs that change between two syncs, with a clock the
test moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb
from importer_support import BASE, FIXTURES, rows
from sync_support import Clock, FakeGitHub, FakeMLflow, FakeOpsgenie, FakePagerDuty, refused_url

from modelops.config import Source, load_config
from modelops.sync.runner import sync_source, window

T0 = datetime(2026, 11, 19, 0, 0, tzinfo=UTC)
MAP = FIXTURES / "map.csv"


def pd_source(url: str, **kw) -> Source:
    return Source(**{"name": "pd", "kind": "pagerduty", "url": url, "every_s": 300,
                     "map_path": MAP, "overlap_s": 86400, "backfill_s": 7 * 86400, **kw})


def gh_source(url: str, **kw) -> Source:
    return Source(**{"name": "gh", "kind": "github", "url": url, "every_s": 300,
                     "map_path": MAP, "options": {"repo": "acme/ml"}, **kw})


def state(wh, name):
    return rows(wh, "SELECT cursor, last_attempt, last_success, last_rows, next_run,"
                    " last_error, failures FROM sync_sources WHERE name = ?", [name])


def naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def test_a_change_at_the_source_lands_once_and_no_interval_is_skipped(make_warehouse):
    wh = make_warehouse(BASE)
    clock = Clock(T0)
    with FakePagerDuty() as pd:
        first = sync_source(wh, pd_source(pd.base), now=clock.now)
        # PSVC2 has no model, SEV-X no severity number, ...: quarantined, as `import` does
        assert (first.status, first.error) == (1, None)
        assert rows(wh, "SELECT incident_id, severity, resolved_at FROM incidents"
                        " ORDER BY 1") == [("PABC001", 1, datetime(2026, 11, 17, 9, 30)),
                                           ("PABC003", 4, None)]
        # the source changes: PABC003 resolved, a new sev-2 incident on the churn service
        pd.resolve("PABC003", "2026-11-19T00:03:00Z")
        pd.add("PABC900", "2026-11-19T00:02:00Z")
        clock.advance(minutes=5)
        second = sync_source(wh, pd_source(pd.base), now=clock.now)
        assert second.status == 1 and second.rows == 2, second.lines
        assert rows(wh, "SELECT incident_id, severity, resolved_at FROM incidents"
                        " ORDER BY 1") == [("PABC001", 1, datetime(2026, 11, 17, 9, 30)),
                                           ("PABC003", 4, datetime(2026, 11, 19, 0, 3)),
                                           ("PABC900", 2, None)]
        clock.advance(minutes=5)
        third = sync_source(wh, pd_source(pd.base), now=clock.now)
        assert third.rows == 0
    # windows: the backfill, then from the cursor less the one-day overlap, each to "now"
    assert pd.windows() == [
        (T0 - timedelta(days=7), T0),
        (T0 - timedelta(days=1), T0 + timedelta(minutes=5)),
        (T0 + timedelta(minutes=5) - timedelta(days=1), T0 + timedelta(minutes=10)),
    ]
    for (_, until), (since, _) in zip(pd.windows(), pd.windows()[1:], strict=False):
        assert since <= until  # each window starts before the last one ended
    assert rows(wh, "SELECT count(*), count(DISTINCT incident_id) FROM incidents") == [(3, 3)]
    assert state(wh, "pd") == [(
        naive(T0 + timedelta(minutes=10)), naive(T0 + timedelta(minutes=10)),
        naive(T0 + timedelta(minutes=10)), 0, naive(T0 + timedelta(minutes=15)), None, 0)]


def test_a_restart_resumes_from_the_cursor_kept_in_the_warehouse(make_warehouse):
    """A new process knows nothing but the warehouse: it reads from the stored cursor (less
    the overlap), not the backfill, and a new deployment lands once."""
    wh = make_warehouse(BASE)
    clock = Clock(T0)
    with FakePagerDuty() as pd:
        sync_source(wh, pd_source(pd.base), now=clock.now)
        con = duckdb.connect(str(wh), read_only=True)  # what a new process sees
        try:
            assert con.execute("SELECT cursor FROM sync_sources").fetchall() == [(naive(T0),)]
        finally:
            con.close()
        clock.advance(hours=3)
        sync_source(wh, pd_source(pd.base, overlap_s=3600), now=clock.now)
    assert pd.windows()[1] == (T0 - timedelta(hours=1), T0 + timedelta(hours=3))


def test_github_a_new_deployment_lands_once_a_rerun_changes_nothing(make_warehouse):
    wh = make_warehouse(BASE)
    clock = Clock(datetime(2026, 11, 24, tzinfo=UTC))
    with FakeGitHub() as gh:
        sync_source(wh, gh_source(gh.base), now=clock.now)
        before = rows(wh, "SELECT deployment_id, model_id, version FROM deployments ORDER BY 1")
        gh.add(110, "churn", "4", "2026-11-24T00:01:00Z")
        clock.advance(minutes=5)
        again = sync_source(wh, gh_source(gh.base), now=clock.now)
        assert again.rows == 1, again.lines
        clock.advance(minutes=5)
        assert sync_source(wh, gh_source(gh.base), now=clock.now).rows == 0
    after = rows(wh, "SELECT deployment_id, model_id, version FROM deployments ORDER BY 1")
    assert after == sorted([*before, ("110", "churn", "4")])
    assert rows(wh, "SELECT count(*) = count(DISTINCT deployment_id) FROM deployments") == [
        (True,)]


def test_a_source_that_is_down_shows_its_error_while_the_others_load(make_warehouse):
    wh = make_warehouse(BASE)
    clock = Clock(T0)
    with FakePagerDuty() as pd, FakeGitHub() as failing, FakeGitHub() as limited:
        failing.down = (500, {}, {"message": "Server Error"})
        limited.down = (429, {"Retry-After": "3600"}, {"message": "API rate limit exceeded"})
        outcomes = [sync_source(wh, source, now=clock.now) for source in (
            gh_source(refused_url(), name="refused"),
            gh_source(failing.base, name="five-hundred"),
            gh_source(limited.base, name="rate-limited"),
            pd_source(pd.base))]
    assert [o.status for o in outcomes] == [2, 2, 2, 1]
    errors = dict(rows(wh, "SELECT name, last_error FROM sync_sources"))
    assert "cannot reach the host (Connection refused)" in errors["refused"]
    assert "HTTP 500 Internal Server Error" in errors["five-hundred"]
    assert "HTTP 429" in errors["rate-limited"]
    assert errors["pd"] is None
    assert rows(wh, "SELECT count(*) FROM incidents") == [(2,)]
    assert rows(wh, "SELECT count(*) FROM deployments") == [(0,)]
    # a failure keeps the cursor and backs off: next run after 60 s, not the interval
    assert rows(wh, "SELECT cursor, last_success, failures, next_run FROM sync_sources"
                    " WHERE name = 'five-hundred'") == [
        (None, None, 1, naive(T0 + timedelta(seconds=60)))]


def test_windows_are_cut_on_whole_hours_and_days_where_the_source_needs_them():
    now = datetime(2026, 11, 19, 10, 42, 7, tzinfo=UTC)
    prom = Source(name="p", kind="prometheus", url="http://x", every_s=300, overlap_s=7200,
                  backfill_s=86400)
    assert window(prom, None, now) == (datetime(2026, 11, 18, 10, tzinfo=UTC),
                                       datetime(2026, 11, 19, 10, tzinfo=UTC))
    assert window(prom, datetime(2026, 11, 19, 10, tzinfo=UTC), now) == (
        datetime(2026, 11, 19, 8, tzinfo=UTC), datetime(2026, 11, 19, 10, tzinfo=UTC))
    cost = Source(name="c", kind="opencost", url="http://x", every_s=3600, overlap_s=86400,
                  backfill_s=7 * 86400)
    assert window(cost, datetime(2026, 11, 19, tzinfo=UTC), now) == (
        datetime(2026, 11, 18, tzinfo=UTC), datetime(2026, 11, 19, tzinfo=UTC))


def test_prometheus_a_new_hour_lands_once_and_the_open_hour_is_never_read(make_warehouse,
                                                                         tmp_path):
    from sync_support import FakePrometheus

    wh = make_warehouse(BASE)
    mapping = tmp_path / "map.csv"
    mapping.write_text("source,key,model_id\nprometheus,fraud-detector-eu,fraud\n")
    source = Source(name="prom", kind="prometheus", url="", every_s=300, map_path=mapping,
                    overlap_s=7200, backfill_s=86400)
    clock = Clock(datetime(2026, 11, 17, 12, 20, tzinfo=UTC))
    with FakePrometheus() as prom:
        source = Source(**{**source.__dict__, "url": prom.base})
        sync_source(wh, source, now=clock.now)
        # the recorded hour 11:00 has a NaN bucket: quarantined, as `import` does
        assert rows(wh, "SELECT hour, requests FROM metrics_hourly WHERE model_id = 'fraud'"
                        " ORDER BY 1") == [(datetime(2026, 11, 17, 10), 100)]
        prom.add_hour("fraud-detector-eu", datetime(2026, 11, 17, 13, tzinfo=UTC), 2)
        clock.advance(hours=1)
        second = sync_source(wh, source, now=clock.now)
        clock.advance(minutes=5)
        third = sync_source(wh, source, now=clock.now)
    assert second.rows == 1 and third.rows == 0, (second.lines, third.lines)
    assert rows(wh, "SELECT hour, requests FROM metrics_hourly WHERE model_id = 'fraud'"
                    " ORDER BY 1") == [(datetime(2026, 11, 17, 10), 100),
                                       (datetime(2026, 11, 17, 12), 200)]
    assert rows(wh, "SELECT day, requests FROM metrics_daily WHERE model_id = 'fraud'") == [
        (date(2026, 11, 17), 300)]
    # points asked for: whole hours only, each window reaching back over the last one
    asked = [(int(p["start"]), int(p["end"])) for _, path, p in prom.requests
             if "bucket" in p["query"]]
    hour = 3600
    t12 = int(datetime(2026, 11, 17, 12, tzinfo=UTC).timestamp())
    # 12:20 with a day's backfill; 13:20 from cursor 12:00 less 2 h; 13:25 from 13:00 less 2 h
    assert asked == [(t12 - 23 * hour, t12), (t12 - hour, t12 + hour), (t12, t12 + hour)]


def test_opencost_a_new_cost_day_lands_once_and_no_part_day_is_read(make_warehouse,
                                                                    tmp_path):
    from sync_support import FakeOpenCost

    wh = make_warehouse(BASE)
    mapping = tmp_path / "map.csv"
    mapping.write_text("source,key,model_id\nopencost,fraud-detector-eu,fraud\n"
                       "opencost,legacy-scorer,churn\n")
    clock = Clock(datetime(2026, 11, 19, 0, 30, tzinfo=UTC))
    with FakeOpenCost() as oc:
        source = Source(name="oc", kind="opencost", url=oc.base, every_s=3600,
                        map_path=mapping, overlap_s=86400, backfill_s=3 * 86400)
        first = sync_source(wh, source, now=clock.now)
        assert first.error is None, first.lines
        before = rows(wh, "SELECT model_id, day, category, amount_usd FROM costs_daily"
                          " ORDER BY ALL")
        clock.advance(hours=12)  # the same day: nothing new is whole yet
        assert sync_source(wh, source, now=clock.now).rows == 0
        oc.add_day("2026-11-19", like="2026-11-18", scale=2)
        clock.advance(hours=12)  # 2026-11-20 00:30: the 19th is whole
        third = sync_source(wh, source, now=clock.now)
    windows = [p["window"] for _, path, p in oc.requests if path == "/allocation"]
    assert windows == ["2026-11-16T00:00:00Z,2026-11-19T00:00:00Z",
                       "2026-11-18T00:00:00Z,2026-11-19T00:00:00Z",
                       "2026-11-18T00:00:00Z,2026-11-20T00:00:00Z"]
    added = rows(wh, "SELECT model_id, day, category, amount_usd FROM costs_daily"
                     " WHERE day = '2026-11-19' ORDER BY ALL")
    day_18 = [r for r in before if r[1] == date(2026, 11, 18)]
    assert added == [(m, date(2026, 11, 19), c, a * 2) for m, _, c, a in day_18]
    assert third.rows == len(added) > 0
    assert rows(wh, "SELECT count(*) FROM costs_daily") == [(len(before) + len(added),)]


def configured(tmp_path, kind: str, url: str) -> Source:
    """The source as modelops.toml gives it, with the documented defaults (overlap: 1 day
    for Opsgenie, none for MLflow; backfill 7 days)."""
    config = tmp_path / "modelops.toml"
    config.write_text(f'[sources.{kind}]\nkind = "{kind}"\nurl = "{url}"\n'
                      f'map = "{MAP}"\nevery = "5m"\n')
    return load_config(config).sources[kind]


def test_opsgenie_an_alert_closed_and_a_new_one_land_once_a_rerun_changes_nothing(
        make_warehouse, tmp_path):
    wh = make_warehouse(BASE)
    t0 = datetime(2026, 11, 22, tzinfo=UTC)
    clock = Clock(t0)
    with FakeOpsgenie(page_size=3) as og:
        source = configured(tmp_path, "opsgenie", og.base)
        assert (source.overlap_s, source.backfill_s) == (86400, 7 * 86400)
        og.add("og-800", "2026-11-20T06:00:00Z")  # open, created before the next overlap
        first = sync_source(wh, source, now=clock.now)
        # the recorded alerts, as `modelops import opsgenie` loads them (an infrastructure
        # alert skipped, four quarantined), over three pages linked by paging.next
        assert (first.status, first.error) == (1, None), first.lines
        assert any("fetched 3 page(s) in 3 request(s)" in line for line in first.lines)
        before = rows(wh, "SELECT incident_id, model_id, severity, resolved_at FROM incidents"
                          " ORDER BY 1")
        assert before == [
            ("70413a06-38d6-4c85-92b8-5ebc900d42e2", "churn", 2,
             datetime(2026, 11, 20, 10, 1, 0, 503000)),
            ("b1f1c2d3-0002-4b43-9a1e-2f1d7c0c0a02", "fraud", 4, None),
            ("f0000000-0006-4b43-9a1e-2f1d7c0c0a06", "churn", 3, datetime(2026, 11, 21, 12, 45)),
            ("og-800", "churn", 1, None)]
        # after the run: an alert of the overlap day closed, a new P1 alert on ops-churn,
        # and og-800 closed, which was created before [cursor - 1 day, now)
        og.close("b1f1c2d3-0002-4b43-9a1e-2f1d7c0c0a02", "2026-11-22T00:03:00Z")
        og.add("og-900", "2026-11-22T00:02:00Z")
        og.close("og-800", "2026-11-22T00:04:00Z")
        clock.advance(minutes=5)
        second = sync_source(wh, source, now=clock.now)
        assert (second.status, second.rows) == (1, 2), second.lines
        clock.advance(minutes=5)
        third = sync_source(wh, source, now=clock.now)
        assert (third.status, third.rows) == (1, 0), third.lines
    assert rows(wh, "SELECT incident_id, model_id, severity, resolved_at FROM incidents"
                    " ORDER BY 1") == [
        before[0],
        ("b1f1c2d3-0002-4b43-9a1e-2f1d7c0c0a02", "fraud", 4, datetime(2026, 11, 22, 0, 3)),
        before[2],
        # the window is on createdAt: a change to an alert older than the overlap is not
        # read again (README: set `overlap` to the longest an alert stays open)
        ("og-800", "churn", 1, None),
        ("og-900", "churn", 1, None)]
    assert rows(wh, "SELECT count(*), count(DISTINCT incident_id) FROM incidents") == [(5, 5)]
    # windows on createdAt: the backfill, then from the cursor less one day, each to "now"
    assert og.windows() == [
        (t0 - timedelta(days=7), t0),
        (t0 - timedelta(days=1), t0 + timedelta(minutes=5)),
        (t0 + timedelta(minutes=5) - timedelta(days=1), t0 + timedelta(minutes=10))]
    assert state(wh, "opsgenie") == [(
        naive(t0 + timedelta(minutes=10)), naive(t0 + timedelta(minutes=10)),
        naive(t0 + timedelta(minutes=10)), 0, naive(t0 + timedelta(minutes=15)), None, 0)]


def test_mlflow_a_new_version_and_a_retagged_one_land_once_a_rerun_changes_nothing(
        make_warehouse, tmp_path):
    wh = make_warehouse(BASE)
    t0 = datetime(2026, 11, 24, tzinfo=UTC)
    clock = Clock(t0)
    with FakeMLflow(page_size=4) as ml:
        source = configured(tmp_path, "mlflow", ml.base)
        assert source.overlap_s == 0
        first = sync_source(wh, source, now=clock.now)
        # as `modelops import mlflow` loads the recorded answers: three versions, three
        # quarantined; the two searches in 1 + 2 pages
        assert (first.status, first.error) == (1, None), first.lines
        assert any("fetched 3 page(s) in 3 request(s)" in line for line in first.lines)
        before = rows(wh, "SELECT model_id, version, registered_at, artifact_uri,"
                          " training_data_ref FROM model_versions ORDER BY 1, 2")
        assert before == [
            ("churn", "1", datetime(2025, 11, 19, 12, 0, 0, 123000),
             "s3://mlflow/1/abc/artifacts/model", None),
            ("churn", "2", datetime(2025, 11, 20, 12, 0), "models:/m-2b7",
             "s3://data/churn/2026-11-20"),
            ("fraud", "4", datetime(2025, 11, 21, 12, 0), "dbfs:/models/fraud/4", None)]
        # after the run: churn version 5 registered, fraud-detector 4 given its dataset
        ml.add_version("churn", "5", "2026-11-24T00:01:00Z", "models:/m-5")
        ml.tag("fraud-detector", "4", "dataset", "s3://data/fraud/2026-11-23")
        clock.advance(minutes=5)
        second = sync_source(wh, source, now=clock.now)
        assert (second.status, second.rows) == (1, 2), second.lines
        clock.advance(minutes=5)
        third = sync_source(wh, source, now=clock.now)
        assert (third.status, third.rows) == (1, 0), third.lines
    assert rows(wh, "SELECT model_id, version, registered_at, artifact_uri,"
                    " training_data_ref FROM model_versions ORDER BY 1, 2") == [
        before[0], before[1],
        ("churn", "5", datetime(2026, 11, 24, 0, 1), "models:/m-5", None),
        ("fraud", "4", datetime(2025, 11, 21, 12, 0), "dbfs:/models/fraud/4",
         "s3://data/fraud/2026-11-23")]
    assert rows(wh, "SELECT count(*), count(DISTINCT (model_id, version))"
                    " FROM model_versions") == [(4, 4)]
    # no time filter: every run reads both searches whole; the cursor is each run's "now"
    assert {key for _, _, params in ml.requests for key in params} == {
        "max_results", "page_token"}
    assert [path.rsplit("/", 2)[1] for _, path, p in ml.requests if "page_token" not in p] \
        == ["registered-models", "model-versions"] * 3
    assert state(wh, "mlflow") == [(
        naive(t0 + timedelta(minutes=10)), naive(t0 + timedelta(minutes=10)),
        naive(t0 + timedelta(minutes=10)), 0, naive(t0 + timedelta(minutes=15)), None, 0)]

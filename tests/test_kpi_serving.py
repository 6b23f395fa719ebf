"""Serving KPIs: availability, error budget, latency, scope, windows, series, compliance."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from modelops.warehouse import reading, run
from modelops.warehouse.schema import LATENCY_BOUNDS_MS
from queries import kpi
from queries.filters import Filter

ORG = {
    "business_units": [{"business_unit_id": "b1", "name": "North"},
                       {"business_unit_id": "b2", "name": "South"}],
    "teams": [{"team_id": "t1", "name": "Search", "business_unit_id": "b1"},
              {"team_id": "t2", "name": "Ranking", "business_unit_id": "b1"},
              {"team_id": "t3", "name": "Fraud", "business_unit_id": "b2"}],
}
JAN = Filter.for_days(date(2026, 1, 1), date(2026, 1, 31))


def model(model_id, team, slo=0.99, **extra):
    return {"model_id": model_id, "name": model_id.upper(), "team_id": team,
            "risk_tier": "limited", "lifecycle_stage": "production",
            "slo_availability": slo, "created_at": "2025-01-01T00:00:00", **extra}


MODELS = [model("a", "t1"), model("b", "t1", slo=0.999), model("c", "t2"), model("d", "t3")]


def hour_row(model_id, hour, requests, errors=0, served=None):
    """`served` maps a bucket's upper bound (ms, or None for +Inf) to the requests served
    in that bucket alone; by default every request is within 5 ms."""
    served = {5: requests} if served is None else served
    assert sum(served.values()) == requests
    cumulative, total = {}, 0
    for bound in LATENCY_BOUNDS_MS:
        total += served.get(bound, 0)
        cumulative[f"latency_le_{bound}ms"] = total
    return {"model_id": model_id, "hour": hour, "requests": requests, "errors": errors,
            **cumulative}


def by_key(frame, key):
    return {row[key]: row for row in frame.iter_rows(named=True)}


# --- availability and error budget -------------------------------------------------------

def test_team_availability_is_from_summed_counts_not_mean_of_models(make_warehouse):
    path = make_warehouse({**ORG, "models": MODELS, "metrics_hourly": [
        hour_row("a", "2026-01-05T10:00:00", 1000, 100),   # 0.90
        hour_row("b", "2026-01-05T10:00:00", 9000, 0),     # 1.00
    ]})
    one_day = Filter.for_days(date(2026, 1, 5), date(2026, 1, 5))
    with reading(path) as con:
        models = by_key(kpi.serving(con, one_day, by="model"), "model_id")
        team = by_key(kpi.serving(con, one_day, by="team"), "group_id")["t1"]

    assert models["a"]["availability"] == pytest.approx(0.90)
    assert models["b"]["availability"] == pytest.approx(1.0)
    # 1 - 100 / 10,000 = 0.99, not the mean of 0.90 and 1.00 (0.95)
    assert (team["requests"], team["errors"]) == (10_000, 100)
    assert team["availability"] == pytest.approx(0.99)
    assert team["availability"] != pytest.approx(0.95)
    # a misses its 99% SLO, b meets its 99.9%
    assert models["a"]["availability_slo_met"] is False
    assert models["b"]["availability_slo_met"] is True
    assert team["models_availability_slo_met"] == 1
    # group budget: allowed = 0.01 * 1,000 + 0.001 * 9,000 = 19 errors; consumed = 100 / 19
    assert team["error_budget_allowed"] == pytest.approx(19)
    assert team["error_budget_consumed"] == pytest.approx(100 / 19)
    assert team["error_budget_remaining"] == pytest.approx(1 - 100 / 19)
    assert models["a"]["error_budget_consumed"] == pytest.approx(100 / 10)
    assert models["b"]["error_budget_consumed"] == pytest.approx(0)
    # one day = 1,440 minutes at 1% errors
    assert team["downtime_minutes"] == pytest.approx(14.4)


def test_empty_window_gives_empty_availability_not_zero_or_one(make_warehouse):
    path = make_warehouse({**ORG, "models": MODELS, "metrics_hourly": [
        hour_row("a", "2026-01-05T10:00:00", 1000, 100)]})
    february = Filter.for_days(date(2026, 2, 1), date(2026, 2, 28))
    with reading(path) as con:
        a = by_key(kpi.serving(con, february, by="model"), "model_id")["a"]
        everything = kpi.serving(con, february, by="all").row(0, named=True)
        tiles = kpi.kpi_tiles(con, february).row(0, named=True)
    assert (a["requests"], a["errors"]) == (0, 0)
    for column in ("availability", "availability_slo_met", "error_budget_consumed",
                   "error_budget_remaining", "downtime_minutes", "latency_p50_ms",
                   "latency_p95_ms", "latency_p99_ms", "latency_slo_met"):
        assert a[column] is None, column
    assert everything["requests"] == 0
    assert everything["availability"] is None
    assert everything["error_budget_consumed"] is None
    assert everything["latency_p95_ms"] is None
    assert tiles["requests"] == 0
    assert tiles["availability"] is None


# --- latency -----------------------------------------------------------------------------

def test_team_p95_comes_from_the_merged_histogram(make_warehouse):
    path = make_warehouse({**ORG, "models": MODELS, "metrics_hourly": [
        # a: 50 requests in (10, 25] ms, 50 in (25, 50] ms
        hour_row("a", "2026-01-07T08:00:00", 100, served={25: 50, 50: 50}),
        # b: all 100 in (500, 1000] ms
        hour_row("b", "2026-01-07T09:00:00", 100, served={1000: 100}),
    ]})
    with reading(path) as con:
        models = by_key(kpi.serving(con, JAN, by="model"), "model_id")
        team = by_key(kpi.serving(con, JAN, by="team"), "group_id")["t1"]

    # a: rank 95 in (25, 50]: 25 + 25 * (95 - 50) / 50 = 47.5; rank 50 in (10, 25] -> 25
    assert models["a"]["latency_p95_ms"] == pytest.approx(47.5)
    assert models["a"]["latency_p50_ms"] == pytest.approx(25)
    # b: rank 95 in (500, 1000]: 500 + 500 * 95 / 100 = 975
    assert models["b"]["latency_p95_ms"] == pytest.approx(975)
    # merged: cumulative 50 at 25 ms, 100 at 50 ms, 200 at 1000 ms; rank 190 in (500, 1000]:
    # 500 + 500 * (190 - 100) / 100 = 950 (the mean of the model p95s would be 511.25)
    assert team["latency_p95_ms"] == pytest.approx(950)
    assert team["latency_p50_ms"] == pytest.approx(50)    # rank 100 -> top of (25, 50]
    assert team["latency_p99_ms"] == pytest.approx(990)   # 500 + 500 * 98 / 100
    # against the default 500 ms SLO: a meets it, b does not
    assert models["a"]["latency_slo_met"] is True
    assert models["b"]["latency_slo_met"] is False
    assert team["models_latency_slo_met"] == 1


def test_rank_beyond_the_last_bucket_reports_10000_ms(make_warehouse):
    path = make_warehouse({**ORG, "models": MODELS, "metrics_hourly": [
        hour_row("c", "2026-01-07T08:00:00", 10, served={5: 5, None: 5})]})
    with reading(path) as con:
        c = by_key(kpi.serving(con, JAN), "model_id")["c"]
    assert c["latency_p95_ms"] == 10000     # rank 9.5 is in the +Inf bucket
    assert c["latency_p50_ms"] == pytest.approx(5)   # rank 5 is the top of (0, 5]


# --- scope and window --------------------------------------------------------------------

def test_scope_filter_by_business_unit_team_and_model(make_warehouse):
    path = make_warehouse({**ORG, "models": MODELS, "metrics_hourly": [
        hour_row(m, "2026-01-10T00:00:00", n)
        for m, n in (("a", 1), ("b", 10), ("c", 100), ("d", 1000))]})

    def requests(**scope):
        f = Filter.for_days(date(2026, 1, 1), date(2026, 1, 31), **scope)
        return kpi.kpi_tiles(con, f).row(0, named=True)["requests"]

    with reading(path) as con:
        assert requests() == 1111
        assert requests(business_units=["b1"]) == 111
        assert requests(teams=["t3"]) == 1000
        assert requests(models=["a", "d"]) == 1001
        assert requests(business_units=["b1"], teams=["t2"]) == 100
        assert requests(business_units=["b2"], teams=["t1"]) == 0   # no model in both
        north = Filter.for_days(date(2026, 1, 1), date(2026, 1, 31), business_units=("b1",))
        assert set(kpi.serving(con, north)["model_id"]) == {"a", "b", "c"}
        assert kpi.serving(con, JAN, by="all")["requests"].to_list() == [1111]
        units = by_key(kpi.serving(con, JAN, by="business_unit"), "group_id")
        assert {k: v["requests"] for k, v in units.items()} == {"b1": 111, "b2": 1000}
        assert units["b1"]["group_name"] == "North"
        assert units["b1"]["models"] == 3


def test_window_is_half_open_on_whole_days(make_warehouse):
    path = make_warehouse({**ORG, "models": MODELS, "metrics_hourly": [
        hour_row("a", "2025-12-31T23:00:00", 1000),
        hour_row("a", "2026-01-01T00:00:00", 1),
        hour_row("a", "2026-01-01T23:00:00", 10),
        hour_row("a", "2026-01-02T00:00:00", 100),
    ]})
    new_year = Filter.for_days(date(2026, 1, 1), date(2026, 1, 1))
    with reading(path) as con:
        assert by_key(kpi.serving(con, new_year), "model_id")["a"]["requests"] == 11
        daily = kpi.serving_series(con, new_year, by="all")
    assert daily.select("day", "requests").rows() == [(date(2026, 1, 1), 11)]


def test_daily_series_per_group_uses_the_group_rule(make_warehouse):
    path = make_warehouse({**ORG, "models": MODELS, "metrics_hourly": [
        hour_row("a", "2026-01-03T01:00:00", 1000, 10),
        hour_row("b", "2026-01-03T02:00:00", 1000, 0),
        hour_row("a", "2026-01-04T01:00:00", 500, 50),
    ]})
    with reading(path) as con:
        series = kpi.serving_series(con, JAN, by="team")
    rows = series.select("day", "group_id", "requests", "errors", "availability",
                         "error_budget_consumed").rows()
    assert [r[:4] for r in rows] == [(date(2026, 1, 3), "t1", 2000, 10),
                                     (date(2026, 1, 4), "t1", 500, 50)]
    assert rows[0][4] == pytest.approx(1 - 10 / 2000)
    # allowed = 0.01 * 1000 + 0.001 * 1000 = 11 errors
    assert rows[0][5] == pytest.approx(10 / 11)
    assert rows[1][5] == pytest.approx(50 / 5)


def test_slo_compliance_month_by_month(make_warehouse):
    path = make_warehouse({**ORG, "models": MODELS, "metrics_hourly": [
        hour_row("a", "2026-01-10T00:00:00", 1000, 500),   # before the window
        hour_row("a", "2026-01-20T00:00:00", 1000, 5),     # 99.5%: met, half the budget
        hour_row("a", "2026-02-10T00:00:00", 1000, 20),    # 98%: missed, twice the budget
        hour_row("a", "2026-02-20T00:00:00", 1000, 500),   # after the window
    ]})
    f = Filter.for_days(date(2026, 1, 15), date(2026, 2, 15))
    with reading(path) as con:
        months = kpi.slo_compliance_by_month(con, f)
    rows = months.select("model_id", "month", "requests", "errors",
                         "availability_slo_met").rows()
    assert rows == [("a", date(2026, 1, 1), 1000, 5, True),
                    ("a", date(2026, 2, 1), 1000, 20, False)]
    assert months["availability"].to_list() == pytest.approx([0.995, 0.98])
    assert months["error_budget_consumed"].to_list() == pytest.approx([0.5, 2.0])


def test_unknown_grouping_is_refused(make_warehouse):
    path = make_warehouse({**ORG, "models": MODELS})
    with reading(path) as con:
        with pytest.raises(ValueError, match="by must be one of"):
            kpi.serving(con, JAN, by="vendor")
        with pytest.raises(duckdb.Error, match="group_by must be"):
            run(con, "serving_by_group", **JAN.params(), group_by="vendor")


# --- burn-rate alerts --------------------------------------------------------------------

def test_fast_and_slow_burn_alerts_need_both_windows(make_warehouse):
    # Windows end at 4 March 00:00; the short windows (5 min, 30 min) are approximated by
    # the last complete hour, 23:00-24:00.
    last_six = [f"2026-03-03T{h:02d}:00:00" for h in range(18, 24)]
    path = make_warehouse({**ORG, "models": [
        model(m, "t1") for m in ("fast", "edge", "slow", "recovered", "quiet")],
        "metrics_hourly": [
            hour_row("fast", last_six[-1], 1000, 150),              # 15 in 1 h
            hour_row("edge", last_six[-1], 1000, 144),              # exactly 14.4: not above
            *(hour_row("slow", h, 1000, 70) for h in last_six),     # 7 in 6 h and in 1 h
            # 1,000 errors five hours ago, none since: 6 h burns at 16.7, the last hour at 0
            hour_row("recovered", last_six[0], 1000, 1000),
            *(hour_row("recovered", h, 1000, 0) for h in last_six[1:]),
        ]})
    scope = Filter.for_days(date(2026, 3, 1), date(2026, 3, 3))
    with reading(path) as con:
        on_the_hour = kpi.burn_rates(con, scope, datetime(2026, 3, 4))
        half_past = kpi.burn_rates(con, scope, datetime(2026, 3, 4, 0, 30))
    rates = by_key(on_the_hour, "model_id")
    flags = {m: (r["fast_burn"], r["slow_burn"]) for m, r in rates.items()}
    assert flags == {"fast": (True, True), "edge": (False, True), "slow": (False, True),
                     "recovered": (False, False), "quiet": (False, False)}
    assert rates["fast"]["burn_rate_1h"] == pytest.approx(15)
    assert rates["slow"]["burn_rate_6h"] == pytest.approx(7)
    assert rates["recovered"]["burn_rate_6h"] == pytest.approx(1000 / 6000 / 0.01)
    assert rates["recovered"]["burn_rate_1h"] == 0
    assert rates["quiet"]["requests_3d"] == 0
    assert rates["quiet"]["burn_rate_1h"] is None
    assert rates["fast"]["window_end"] == datetime(2026, 3, 4)
    # a moment inside an hour uses the windows ending at the start of that hour
    assert half_past.equals(on_the_hour)


def test_ticket_burn_needs_a_long_and_its_short_window(make_warehouse):
    # Windows end at 4 March 00:00. SLO 99% (budget 1% of requests). Ticket burn:
    # (1 d > 3 and 2 h > 3) or (3 d > 1 and 6 h > 1); 2 h and 6 h are whole hours.
    day = [f"2026-03-03T{h:02d}:00:00" for h in range(24)]
    path = make_warehouse({**ORG, "models": [
        model(m, "t1") for m in ("daily", "old_spike", "creeping", "quiet_now", "edge")],
        "metrics_hourly": [
            # 24 h at 4% errors: 1 d = 0.04 / 0.01 = 4 > 3, last 2 h also 4 -> ticket
            *(hour_row("daily", h, 1000, 40) for h in day),
            # 5% errors in the first 18 h of the day, none in the last 6 h: 1 d = 900 /
            # 24,000 / 0.01 = 3.75 and 3 d the same, but 2 h = 6 h = 0 -> none
            *(hour_row("old_spike", h, 1000, 50 if i < 18 else 0) for i, h in enumerate(day)),
            # three days at 1.5%: 3 d = 1.5 > 1 and 6 h = 1.5 > 1 -> ticket (1 d = 1.5 < 3)
            *(hour_row("creeping", f"2026-03-0{d}T{h:02d}:00:00", 1000, 15)
              for d in (1, 2, 3) for h in range(24)),
            # 2% for the first two days, nothing served on the third: only 3 d has traffic
            *(hour_row("quiet_now", f"2026-03-0{d}T{h:02d}:00:00", 1000, 20)
              for d in (1, 2) for h in range(24)),
            # exactly 3 over 1 d and 2 h, exactly 1 over 3 d: not above -> none
            *(hour_row("edge", h, 1000, 30) for h in day),
            *(hour_row("edge", f"2026-03-0{d}T{h:02d}:00:00", 1000, 0)
              for d in (1, 2) for h in range(24)),
        ]})
    scope = Filter.for_days(date(2026, 3, 1), date(2026, 3, 3))
    with reading(path) as con:
        rates = by_key(kpi.burn_rates(con, scope, datetime(2026, 3, 4)), "model_id")
    assert {m: r["ticket_burn"] for m, r in rates.items()} == {
        "daily": True, "old_spike": False, "creeping": True, "quiet_now": False,
        "edge": False}
    assert (rates["daily"]["requests_2h"], rates["daily"]["errors_2h"]) == (2000, 80)
    assert rates["daily"]["burn_rate_2h"] == pytest.approx(4)
    assert rates["daily"]["burn_rate_1d"] == pytest.approx(4)
    assert rates["old_spike"]["burn_rate_1d"] == pytest.approx(3.75)
    assert rates["old_spike"]["burn_rate_3d"] == pytest.approx(3.75)
    assert (rates["old_spike"]["burn_rate_2h"], rates["old_spike"]["burn_rate_6h"]) == (0, 0)
    assert rates["creeping"]["burn_rate_3d"] == pytest.approx(1.5)
    assert rates["creeping"]["burn_rate_6h"] == pytest.approx(1.5)
    assert rates["creeping"]["burn_rate_1d"] == pytest.approx(1.5)
    assert rates["quiet_now"]["burn_rate_3d"] == pytest.approx(2)
    assert rates["quiet_now"]["burn_rate_6h"] is None     # no requests: no alert
    assert rates["edge"]["burn_rate_1d"] == pytest.approx(3)
    assert rates["edge"]["burn_rate_3d"] == pytest.approx(1)
    # none of them is a page: the 1 h rate never exceeds 6
    assert not any(r["fast_burn"] or r["slow_burn"] for r in rates.values())


def test_latest_serving_hour_is_the_scope_s_own_newest_hour_plus_one(make_warehouse):
    # North's newest hour is 5 Jan 10:00 (model a, a later day than c's); South's is
    # 4 Jan 23:00: "now" for burn rates is the end of that hour, per scope.
    path = make_warehouse({**ORG, "models": MODELS, "metrics_hourly": [
        hour_row("a", "2026-01-03T08:00:00", 10), hour_row("a", "2026-01-05T09:00:00", 10),
        hour_row("a", "2026-01-05T10:00:00", 10), hour_row("c", "2026-01-04T22:00:00", 10),
        hour_row("d", "2026-01-04T23:00:00", 10), hour_row("d", "2026-01-02T05:00:00", 10),
    ]})
    with reading(path) as con:
        def newest(**scope):
            return kpi.latest_serving_hour(con, Filter.for_days(date(2026, 1, 1),
                                                                date(2026, 1, 1), **scope))
        assert newest() == datetime(2026, 1, 5, 11)
        assert newest(business_units=("b1",)) == datetime(2026, 1, 5, 11)
        assert newest(teams=("t2",)) == datetime(2026, 1, 4, 23)
        assert newest(business_units=("b2",)) == datetime(2026, 1, 5, 0)
        assert newest(models=("b",)) is None  # no metrics at all

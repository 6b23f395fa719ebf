"""Every window the dashboard offers reads the serving numbers metrics_hourly holds, and
every surface that shows a KPI shows the same number for it (issue 30, items 1 and 2).

Item 1: a window that is not whole UTC days ("Last 24 hours") used to read the daily
rollup, the tiles with the bounds cast to days and the model table with days compared to
the timestamps: two different wrong answers. Here one model serves a power of two of
requests in each of a few hours, so every window's sum is unambiguous by hand.

Item 2: the KPIs at their boundaries (exactly at the SLO, no requests, a model retired in
the middle of the week) are the same on the tiles, the model table, the weekly CSV, the
week in review and Model detail (the tiles of one model): every surface goes through the
kpi_* macros, never its own DOUBLE formula.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from conftest import build_warehouse
from test_report import metrics

from dashboard.filter_bar import PRESETS, last_24_hours, preset_days
from modelops.reports.review import review_file
from modelops.reports.weekly import to_csv, weekly_report
from modelops.warehouse import reading
from queries import kpi
from queries.filters import Filter

ORG = {
    "business_units": [{"business_unit_id": "b1", "name": "North"}],
    "teams": [{"team_id": "t1", "name": "Search", "business_unit_id": "b1"}],
    "vendors": [{"vendor_id": "v1", "name": "Cloud", "kind": "cloud"}],
}
# (hour, requests): a power of two of thousands per hour, and two small ones
HOURS = [
    ("2026-11-10 12:00:00", 50),
    ("2026-11-16 22:00:00", 100),
    ("2026-11-17 09:00:00", 1_000),
    ("2026-11-17 10:00:00", 2_000),
    ("2026-11-17 15:00:00", 4_000),
    ("2026-11-17 16:00:00", 8_000),
    ("2026-11-17 23:00:00", 16_000),
    ("2026-11-18 00:00:00", 32_000),
    ("2026-11-18 09:00:00", 64_000),
    ("2026-11-18 10:00:00", 128_000),
    ("2026-11-18 16:00:00", 256_000),
]
SERVING = {
    **ORG,
    "models": [{"model_id": "m1", "name": "M1", "team_id": "t1", "risk_tier": "limited",
                "lifecycle_stage": "production", "slo_availability": 0.99,
                "vendor_id": "v1", "created_at": "2025-01-01T00:00:00"}],
    "metrics_hourly": [metrics("m1", at, n, 0, [n]) for at, n in HOURS],
}
NOW = datetime(2026, 11, 18, 10, 30)  # a Wednesday; the last whole day is 17 Nov


def _window(name: str) -> Filter:
    if name == "24h":
        return Filter(*last_24_hours(NOW))
    first, last = preset_days(name, NOW.date())
    return Filter.for_days(first, last)


# By hand, from HOURS:
EXPECTED = {
    # 17 Nov 10:00 -> 18 Nov 10:00: 2,000 + 4,000 + 8,000 + 16,000 + 32,000 + 64,000
    "24h": 126_000,
    # 11..17 Nov: 100 + 1,000 + 2,000 + 4,000 + 8,000 + 16,000
    "7d": 31_100,
    "30d": 31_150,  # 19 Oct..17 Nov: and the 10 Nov hour
    "90d": 31_150,
    "last-week": 50,  # Monday 9 .. Sunday 15 Nov
    "qtd": 31_150,  # 1 Oct .. 17 Nov
    # the custom dates 17..17 Nov: 1,000 + 2,000 + 4,000 + 8,000 + 16,000
    "custom": 31_000,
}
CUSTOM = {
    "custom": Filter.for_days(date(2026, 11, 17), date(2026, 11, 17)),
    # the second window: 17 Nov 16:00 -> 18 Nov 16:00
    "16:00": Filter(datetime(2026, 11, 17, 16), datetime(2026, 11, 18, 16)),
    # part days at both ends and one whole day between: 16 Nov 22:00 -> 18 Nov 01:00
    "ragged": Filter(datetime(2026, 11, 16, 22), datetime(2026, 11, 18, 1)),
}
EXPECTED_CUSTOM = {
    "custom": 31_000,
    "16:00": 8_000 + 16_000 + 32_000 + 64_000 + 128_000,  # 248,000
    "ragged": 100 + 1_000 + 2_000 + 4_000 + 8_000 + 16_000 + 32_000,  # 63,100
}


@pytest.fixture(scope="module")
def hourly(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("windows") / "wh.duckdb", SERVING)


def _requests_everywhere(con, f: Filter) -> dict[str, int]:
    """The window's requests as each surface that shows them reads them."""
    return {
        "tiles": kpi.kpi_tiles(con, f)["requests"][0],
        "model table": kpi.serving(con, f, "model")["requests"].sum(),
        "group table": kpi.serving(con, f, "all")["requests"].sum(),
        "daily series": kpi.serving_series(con, f, "all")["requests"].sum(),
        "monthly SLO": kpi.slo_compliance_by_month(con, f)["requests"].sum(),
        "cost & value": kpi.cost_value(con, f, "all")["requests"].sum(),
        "cost & value daily": kpi.cost_value_series(con, f, "all")["requests"].sum(),
        "vendor scorecard": kpi.vendor_scorecard(con, f)["requests"].sum(),
    }


def _hourly_truth(con, f: Filter) -> int:
    rows = con.execute("SELECT coalesce(sum(requests), 0) FROM metrics_hourly "
                       "WHERE hour >= $start AND hour < $end",
                       {"start": f.start, "end": f.end}).fetchall()
    return rows[0][0]


def test_every_preset_sums_metrics_hourly(hourly):
    assert set(EXPECTED) == set(PRESETS)  # every preset the filter bar offers
    with reading(hourly) as con:
        for name, expected in EXPECTED.items():
            f = CUSTOM["custom"] if name == "custom" else _window(name)
            assert _hourly_truth(con, f) == expected, name
            seen = _requests_everywhere(con, f)
            assert seen == dict.fromkeys(seen, expected), (name, f.start, f.end)


def test_the_24_hour_window_and_part_days(hourly):
    assert _window("24h") == Filter(datetime(2026, 11, 17, 10), datetime(2026, 11, 18, 10))
    with reading(hourly) as con:
        for name, f in CUSTOM.items():
            seen = _requests_everywhere(con, f)
            assert _hourly_truth(con, f) == EXPECTED_CUSTOM[name], name
            assert seen == dict.fromkeys(seen, EXPECTED_CUSTOM[name]), name
        # The part days keep their own day in the daily series: 17 Nov 10:00..23:00 and
        # 18 Nov 00:00..09:00.
        series = kpi.serving_series(con, _window("24h"), "all")
        assert series.select("day", "requests").rows() == [
            (date(2026, 11, 17), 30_000), (date(2026, 11, 18), 96_000)]


# --- item 2: one formula per KPI, on every surface --------------------------------------

WEEK = "2026-W47"  # Monday 16 Nov .. Sunday 22 Nov 2026
WEEK_FILTER = Filter.for_days(date(2026, 11, 16), date(2026, 11, 22))


def _model(model_id, slo, **extra):
    return {"model_id": model_id, "name": model_id.upper(), "team_id": "t1",
            "risk_tier": "limited", "lifecycle_stage": "production",
            "slo_availability": slo, "slo_latency_p95_ms": 1000,
            "created_at": "2025-01-01T00:00:00", **extra}


BOUNDARY = {
    **ORG,
    "models": [
        # exactly at its SLO: 194 errors in 1,940 requests is availability 0.9 = the SLO,
        # and the budget (1 - 0.9) * 1,940 = 194 errors: consumed exactly 1 (not
        # 1.0000000000000002, which reads as "overspent")
        _model("at", 0.9),
        _model("idle", 0.99),  # no requests: no availability, no budget
        # retired on Thursday 19 Nov; served 1,000 requests with 5 errors on Tuesday:
        # availability 0.995, budget (1 - 0.99) * 1,000 = 10, consumed 0.5
        _model("gone", 0.99, lifecycle_stage="retired", retired_at="2026-11-19T12:00:00"),
    ],
    "metrics_hourly": [
        metrics("at", "2026-11-17 10:00:00", 1_940, 194, [1_940]),
        metrics("gone", "2026-11-17 10:00:00", 1_000, 5, [1_000]),
    ],
    "costs_daily": [
        # cost per 1k requests: 1.94 * 1000 / 1,940 = 1.0 exactly
        {"model_id": "at", "day": "2026-11-17", "category": "compute", "vendor_id": "v1",
         "amount_usd": 1.94},
    ],
}
# model -> (availability, error budget consumed, cost per 1k requests), by hand
HAND = {"at": (0.9, 1.0, 1.0), "idle": (None, None, None), "gone": (0.995, 0.5, 0.0)}


@pytest.fixture(scope="module")
def boundary(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("boundary") / "wh.duckdb", BOUNDARY)


def test_boundary_kpis_agree_on_every_surface(boundary):
    with reading(boundary) as con:
        table = {r["model_id"]: r for r in kpi.serving(con, WEEK_FILTER, "model")
                 .iter_rows(named=True)}
        report = {r["model_id"]: r for r in weekly_report(con, WEEK).iter_rows(named=True)}
        csv = to_csv(weekly_report(con, WEEK)).decode().splitlines()
        costs = {r["group_id"]: r for r in kpi.cost_value(con, WEEK_FILTER, "model")
                 .iter_rows(named=True)}
        for model_id, (availability, consumed, per_1k) in HAND.items():
            # Model detail shows the tiles of its one model
            detail = kpi.kpi_tiles(con, Filter(WEEK_FILTER.start, WEEK_FILTER.end,
                                               models=(model_id,))).row(0, named=True)
            for surface, row in (("model table", table[model_id]),
                                 ("weekly report", report[model_id]),
                                 ("model detail", detail)):
                assert row["availability"] == availability, (surface, model_id)
                assert row["error_budget_consumed"] == consumed, (surface, model_id)
            for surface, row in (("weekly report", report[model_id]),
                                 ("model detail", detail), ("cost & value", costs[model_id])):
                assert row["cost_per_1k_requests"] == per_1k, (surface, model_id)
        assert table["at"]["availability_slo_met"] is True
        assert table["at"]["error_budget_remaining"] == 0.0
        # the CSV writes the same numbers: consumed 1, not 1.0000000000000002
        at_line = next(line for line in csv if ",at,AT," in line)
        assert ",0.9,0.9,true,1.0," in at_line or ",0.9,0.9,true,1," in at_line, at_line
        tiles = kpi.kpi_tiles(con, WEEK_FILTER).row(0, named=True)
        # the scope: 2,940 requests, 199 errors; allowed 194 + 10 = 204
        assert tiles["requests"] == 2_940 and tiles["errors"] == 199
        assert tiles["availability"] == (2_940 - 199) / 2_940
        assert tiles["error_budget_consumed"] == 199 / 204
        scope = weekly_report(con, WEEK, group_by="business_unit").row(0, named=True)
        assert scope["availability"] == tiles["availability"]
        assert scope["error_budget_consumed"] == tiles["error_budget_consumed"]
        # the week in review: no model overspent its budget (consumed exactly 1 is spent,
        # not overspent), and no SLO was missed
        review = review_file(con, WEEK).decode()
        assert "overspent" not in review and "SLO missed" not in review, review

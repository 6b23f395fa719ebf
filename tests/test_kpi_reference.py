"""docs/REFERENCE_VECTORS.md: the public reference vectors, reproduced through the warehouse.

Each expected number is the one REFERENCE_VECTORS.md publishes (or, where a vector is stated as a
budget fraction, worked out beside the assertion), not a copy of the code's output.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelops.warehouse import query, reading
from modelops.warehouse.schema import LATENCY_BOUNDS_MS
from queries import kpi
from queries.filters import Filter

ORG = {
    "business_units": [{"business_unit_id": "bu", "name": "Unit"}],
    "teams": [{"team_id": "team", "name": "Team", "business_unit_id": "bu"}],
}


def model(model_id, slo=0.99, **extra):
    return {"model_id": model_id, "name": model_id.upper(), "team_id": extra.pop("team", "team"),
            "risk_tier": "limited", "lifecycle_stage": "production",
            "slo_availability": slo, "created_at": "2025-01-01T00:00:00", **extra}


def hour_row(model_id, hour: datetime, requests, errors=0):
    """All requests served within 5 ms (the latency does not matter to these vectors)."""
    return {"model_id": model_id, "hour": hour.isoformat(), "requests": requests,
            "errors": errors, **{f"latency_le_{b}ms": requests for b in LATENCY_BOUNDS_MS}}


# --- histogram_quantile (Prometheus) -----------------------------------------------------

@pytest.fixture
def con(make_warehouse):
    with reading(make_warehouse(ORG)) as connection:
        yield connection


def quantile(con, q, bounds, cumulative):
    return query(con, "SELECT histogram_quantile($q, $bounds, $cum) AS v", q=q, bounds=bounds,
                 cum=cumulative)["v"][0]


BOUNDS_S = [0.1, 0.2, 0.4, 0.8]
FAST = [600, 900, 980, 1000, 1000]
SLOW = [10, 40, 70, 95, 100]
MERGED = [610, 940, 1050, 1095, 1100]


def test_histogram_quantile_between_buckets(con):
    # rank 950 falls in (0.2, 0.4]: 0.2 + 0.2 * (950 - 900) / (980 - 900) = 0.325
    assert quantile(con, 0.95, BOUNDS_S, FAST) == pytest.approx(0.325)
    assert quantile(con, 0.95, BOUNDS_S, SLOW) == pytest.approx(0.8)
    assert quantile(con, 0.90, BOUNDS_S, SLOW) == pytest.approx(0.72)


def test_histogram_quantile_first_bucket_interpolates_from_zero(con):
    # bounds (1, 2, +Inf), cumulative (4, 8, 8): rank 2 in (0, 1] -> 0 + 1 * 2 / 4
    assert quantile(con, 0.25, [1, 2], [4, 8, 8]) == pytest.approx(0.5)


def test_histogram_quantile_rank_in_inf_bucket_is_highest_finite_bound(con):
    # cumulative (4, 8, 10): rank 9 is past the last finite bucket
    assert quantile(con, 0.9, [1, 2], [4, 8, 10]) == 2
    assert quantile(con, 0.99, [1, 2], [4, 8, 10]) == 2
    assert quantile(con, 1.0, [1, 2], [4, 8, 8]) == 2


def test_histogram_quantile_of_empty_histogram_is_empty(con):
    assert quantile(con, 0.95, [1, 2], [0, 0, 0]) is None


def test_merged_histogram_p95_is_not_the_mean_of_p95s(con):
    assert [a + b for a, b in zip(FAST, SLOW)] == MERGED
    assert quantile(con, 0.95, BOUNDS_S, MERGED) == pytest.approx(0.390909, abs=1e-6)
    assert quantile(con, 0.50, BOUNDS_S, MERGED) == pytest.approx(0.090164, abs=1e-6)
    assert quantile(con, 0.99, BOUNDS_S, MERGED) == pytest.approx(0.746667, abs=1e-6)
    mean_of_p95s = (quantile(con, 0.95, BOUNDS_S, FAST) + quantile(con, 0.95, BOUNDS_S, SLOW)) / 2
    assert mean_of_p95s == pytest.approx(0.5625)
    assert quantile(con, 0.95, BOUNDS_S, MERGED) != pytest.approx(0.5625)


def test_latency_quantile_ms_agrees_with_histogram_quantile(make_warehouse):
    """The KPI queries use latency_quantile_ms (modelops/warehouse/latency.py) for speed; it must give
    exactly what histogram_quantile gives over the contract's buckets."""
    with reading(make_warehouse(ORG)) as con:

        @settings(max_examples=300, deadline=None)
        @given(counts=st.lists(st.integers(0, 50), min_size=12, max_size=12),
               q=st.sampled_from([0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0]))
        def agree(counts, q):
            cumulative = [sum(counts[: k + 1]) for k in range(12)]
            fast, generic = query(
                con,
                "SELECT latency_quantile_ms($q, $c[1], $c[2], $c[3], $c[4], $c[5], $c[6],"
                " $c[7], $c[8], $c[9], $c[10], $c[11], $c[12]) AS fast,"
                " histogram_quantile($q, $b, $c) AS generic",
                q=q, c=cumulative, b=list(LATENCY_BOUNDS_MS)).row(0)
            if generic is None:
                assert fast is None and cumulative[-1] == 0
            else:
                assert fast == pytest.approx(generic, rel=1e-12, abs=1e-12)

        agree()


def test_latency_quantile_ms_keeps_each_row_its_own_and_empty_rows_empty(make_warehouse):
    """Rows are computed as one batch: a NULL or empty histogram between two others stays
    empty and does not shift its neighbours."""
    with reading(make_warehouse(ORG)) as con:
        rows = con.execute("""
            SELECT latency_quantile_ms(0.5, b, b, b, b, b, b, b, b, b, b, b, t)
            FROM (VALUES (1, 4, 4), (2, NULL, NULL), (3, 0, 0), (4, 2, 4)) v(i, b, t)
            ORDER BY i""").fetchall()
    # (4 of 4 in the first bucket): rank 2 -> 5 * 2 / 4; (2 of 4 there): rank 2 -> 5.
    assert [r[0] for r in rows] == [pytest.approx(2.5), None, None, pytest.approx(5.0)]


# --- burn rate ---------------------------------------------------------------------------

AT = datetime(2026, 3, 4)  # windows end here (a whole hour)


def hours_before(at, n):
    return [at - timedelta(hours=k) for k in range(1, n + 1)]


def test_burn_rate_reference_vectors(make_warehouse):
    # 30-day budget at 99% and 1,000 requests an hour: 0.01 * 720 * 1000 = 7,200 errors.
    rows = (
        # 2% of the budget (144 errors) in 1 h -> 14.4
        [hour_row("one_hour", h, 1000, 144) for h in hours_before(AT, 1)]
        # 5% (360 errors) over 6 h -> 6
        + [hour_row("six_hours", h, 1000, 60) for h in hours_before(AT, 6)]
        # 10% (720 errors) over 72 h -> 1
        + [hour_row("three_days", h, 1000, 10) for h in hours_before(AT, 72)]
        # 10% (720 errors) over 24 h -> 3
        + [hour_row("one_day", h, 1000, 30) for h in hours_before(AT, 24)]
        # at 99.9%, 1 failure in 10 requests -> 100
        + [hour_row("three_nines", h, 10, 1) for h in hours_before(AT, 1)]
        # outside every window: the hour starting at AT has not completed
        + [hour_row(m, AT, 1000, 1000) for m in ("one_hour", "six_hours", "three_days")]
    )
    path = make_warehouse({**ORG, "models": [
        model("one_hour"), model("six_hours"), model("three_days"), model("one_day"),
        model("three_nines", slo=0.999)], "metrics_hourly": rows})
    with reading(path) as con:
        rates = {r["model_id"]: r for r in kpi.burn_rates(con, Filter.for_days(
            date(2026, 3, 1), date(2026, 3, 3)), AT).iter_rows(named=True)}

    assert rates["one_hour"]["burn_rate_1h"] == pytest.approx(14.4)
    assert rates["six_hours"]["burn_rate_6h"] == pytest.approx(6)
    assert rates["three_days"]["burn_rate_3d"] == pytest.approx(1)
    assert rates["one_day"]["burn_rate_1d"] == pytest.approx(3)
    assert rates["three_nines"]["burn_rate_1h"] == pytest.approx(100)
    # the counts behind the ratio
    assert (rates["six_hours"]["errors_6h"], rates["six_hours"]["requests_6h"]) == (360, 6000)
    assert (rates["three_days"]["errors_3d"], rates["three_days"]["requests_3d"]) == (720, 72000)


# --- allowed downtime --------------------------------------------------------------------

def test_allowed_downtime_over_30_days(make_warehouse):
    # Each model spends exactly its budget: availability = its SLO over a 30-day window.
    start = datetime(2026, 4, 1)
    cases = {"two_nines": (0.99, 1000, 10, 432), "two_and_a_half": (0.995, 1000, 5, 216),
             "three_nines": (0.999, 1000, 1, 43.2), "four_nines": (0.9999, 10000, 1, 4.32)}
    path = make_warehouse({**ORG,
        "models": [model(m, slo=slo) for m, (slo, *_rest) in cases.items()],
        "metrics_hourly": [hour_row(m, start + timedelta(days=3), req, err)
                           for m, (_slo, req, err, _min) in cases.items()]})
    f = Filter.for_days(date(2026, 4, 1), date(2026, 4, 30))
    assert f.days == 30
    with reading(path) as con:
        rows = {r["model_id"]: r for r in kpi.serving(con, f).iter_rows(named=True)}
    for m, (slo, _req, _err, minutes) in cases.items():
        assert rows[m]["downtime_minutes"] == pytest.approx(minutes), m
        assert rows[m]["availability"] == pytest.approx(slo), m
        assert rows[m]["error_budget_consumed"] == pytest.approx(1.0), m
        assert rows[m]["error_budget_remaining"] == pytest.approx(0.0, abs=1e-9), m


# --- change failure rate -----------------------------------------------------------------

def deployment(deployment_id, model_id, day, outcome="succeeded", environment="production"):
    return {"deployment_id": deployment_id, "model_id": model_id, "version": deployment_id,
            "environment": environment, "deployed_at": f"{day}T12:00:00", "outcome": outcome}


def incident(incident_id, model_id, started, deployment_id=None, resolved=None, **extra):
    return {"incident_id": incident_id, "model_id": model_id, "severity": 2,
            "title": incident_id, "started_at": started, "resolved_at": resolved,
            "deployment_id": deployment_id, **extra}


def test_change_failure_rate_reference_vectors(make_warehouse):
    path = make_warehouse({
        **ORG,
        "teams": ORG["teams"] + [{"team_id": "other", "name": "Other", "business_unit_id": "bu"}],
        "models": [model("a"), model("b", team="other")],
        "deployments": [
            # team: 4 deployments, 1 failed -> 0.25
            deployment("a1", "a", "2026-05-02"), deployment("a2", "a", "2026-05-03"),
            deployment("a3", "a", "2026-05-04", outcome="failed"),
            deployment("a4", "a", "2026-05-05"),
            # other: 5 deployments, 2 named by incidents -> 0.40 (b1 is named twice)
            *(deployment(f"b{k}", "b", f"2026-05-0{k + 1}") for k in range(1, 6)),
            # not counted: not production, or outside the window
            deployment("b_staging", "b", "2026-05-06", outcome="failed", environment="staging"),
            deployment("b_before", "b", "2026-04-30", outcome="failed"),
        ],
        "incidents": [
            incident("i1", "b", "2026-05-02T13:00:00", deployment_id="b1"),
            incident("i2", "b", "2026-05-02T14:00:00", deployment_id="b1"),
            incident("i3", "b", "2026-05-04T13:00:00", deployment_id="b3"),
        ],
    })
    with reading(path) as con:
        rows = {r["group_id"]: r for r in kpi.dora(
            con, Filter.for_days(date(2026, 5, 1), date(2026, 5, 31)), by="team"
        ).iter_rows(named=True)}
    assert (rows["team"]["deployments"], rows["team"]["failed_changes"]) == (4, 1)
    assert rows["team"]["change_failure_rate"] == pytest.approx(0.25)
    assert (rows["other"]["deployments"], rows["other"]["failed_changes"]) == (5, 2)
    assert rows["other"]["change_failure_rate"] == pytest.approx(0.40)


# --- unit cost ---------------------------------------------------------------------------

def test_unit_cost_reference_vector(make_warehouse):
    path = make_warehouse({
        **ORG, "models": [model("a")],
        "metrics_hourly": [hour_row("a", datetime(2026, 6, 10, 9), 5_000_000)],
        "costs_daily": [{"model_id": "a", "day": "2026-06-10", "category": "compute",
                         "amount_usd": 1000},
                        {"model_id": "a", "day": "2026-06-11", "category": "storage",
                         "amount_usd": 250}],
    })
    with reading(path) as con:
        row = kpi.cost_value(con, Filter.for_days(date(2026, 6, 1), date(2026, 6, 30)),
                             by="all").row(0, named=True)
    assert row["cost_usd"] == pytest.approx(1250)
    assert row["requests"] == 5_000_000
    assert row["cost_per_1k_requests"] == pytest.approx(0.25)

"""The extreme values ingest admits (DATA_CONTRACT.md, "Bounds": times from 1970-01-01 to
2199-12-31, counts up to 10^15, text up to 4,096 characters) load through the real ingest
path and the Governance and Model detail pages draw them without an exception (issue 11.3:
`-infinity` and `infinity` used to load and crash both pages inside polars)."""

from __future__ import annotations

import pytest

FIRST = "1970-01-01T00:00:00Z"
LAST = "2199-12-31T23:59:59Z"
LAST_HOUR = "2199-12-31T23:00:00Z"
BIG = 10**15


def hourly(model_id: str, hour: str) -> dict:
    return {"model_id": model_id, "hour": hour, "requests": BIG, "errors": BIG,
            **{f"latency_le_{b}ms": BIG
               for b in (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)}}


@pytest.fixture
def extreme_warehouse(make_warehouse):
    models = [("m-old", FIRST), ("m-far", LAST)]
    return make_warehouse({
        "business_units": [{"business_unit_id": "bu1", "name": "Retail"}],
        "teams": [{"team_id": "t1", "name": "Search", "business_unit_id": "bu1"}],
        "vendors": [{"vendor_id": "v1", "name": "V" * 4096, "kind": "cloud",
                     "sla_availability": 1}],
        "models": [{"model_id": m, "name": m * 100, "team_id": "t1", "risk_tier": "high",
                    "lifecycle_stage": "production", "vendor_id": "v1", "created_at": created,
                    "use_case": "u" * 4096} for m, created in models],
        "model_versions": [{"model_id": m, "version": v, "registered_at": at,
                            "code_commit": "c" * 4096}
                           for m, _ in models for v, at in (("1", FIRST), ("2", LAST))],
        "deployments": [{"deployment_id": f"d-{m}", "model_id": m, "version": "2",
                         "environment": "production", "committed_at": FIRST,
                         "deployed_at": LAST, "outcome": "succeeded"} for m, _ in models],
        "incidents": [{"incident_id": f"i-{m}", "model_id": m, "severity": 1,
                       "title": "t" * 4096, "started_at": FIRST, "detected_at": FIRST,
                       "acknowledged_at": LAST, "resolved_at": LAST, "root_cause": "other"}
                      for m, _ in models],
        "metrics_hourly": [hourly(m, h) for m, _ in models for h in (FIRST, LAST_HOUR)],
        "costs_daily": [{"model_id": m, "day": d, "category": "compute", "amount_usd": 1e15}
                        for m, _ in models for d in ("1970-01-01", "2199-12-31")],
        "business_value_daily": [{"model_id": m, "day": d, "value_usd": -1e15}
                                 for m, _ in models for d in ("1970-01-01", "2199-12-31")],
        "drift": [{"model_id": m, "feature": "f", "measured_at": at, "method": "psi",
                   "score": 1e300, "threshold": 0} for m, _ in models for at in (FIRST, LAST)],
        "data_quality": [{"check_run_id": f"c-{m}-{n}", "model_id": m, "pipeline": "p",
                          "check_name": "n", "run_at": at, "status": "fail",
                          "rows_checked": BIG, "rows_failed": BIG}
                         for m, _ in models for n, at in enumerate((FIRST, LAST))],
        "validations": [{"validation_id": f"v-{m}-{n}", "model_id": m, "version": "2",
                         "stage": "pre_deployment", "run_at": at, "metric": "auc",
                         "value": -1e300, "threshold": 1e300, "passed": "false"}
                        for m, _ in models for n, at in enumerate((FIRST, LAST))],
        "risk_assessments": [{"assessment_id": f"r-{m}-{n}", "model_id": m, "assessed_at": at,
                              "risk_tier": "high", "assessor": "a" * 4096,
                              "outcome": "conditional", "next_review_due": due,
                              "notes": "n" * 4096}
                             for m, _ in models
                             for n, (at, due) in enumerate(((FIRST, "2199-12-31"),
                                                            (LAST, "1970-01-01")))],
    })


@pytest.mark.parametrize("period", [{}, {"period": "custom", "start": "1970-01-01"}],
                         ids=["default-period", "since-1970"])
def test_governance_draws_the_extreme_values(app, extreme_warehouse, period):
    at = app(extreme_warehouse, page="pages/governance.py", **period)
    assert not at.exception


@pytest.mark.parametrize("model_id", ["m-old", "m-far"])
@pytest.mark.parametrize("period", [{}, {"period": "custom", "start": "1970-01-01"}],
                         ids=["default-period", "since-1970"])
def test_model_detail_draws_the_extreme_values(app, extreme_warehouse, model_id, period):
    at = app(extreme_warehouse, page="pages/model_detail.py", id=model_id, **period)
    assert not at.exception

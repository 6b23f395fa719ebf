"""Governance and validation: coverage, overdue risk reviews, compliance gaps, risk tiers."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from modelops.warehouse import reading
from queries import kpi
from queries.filters import Filter

JUNE = Filter.for_days(date(2026, 6, 1), date(2026, 6, 30))
ORG = {
    "business_units": [{"business_unit_id": "b1", "name": "North"}],
    "teams": [{"team_id": "t1", "name": "Search", "business_unit_id": "b1"}],
}


def model(model_id, stage="production", tier="limited", **extra):
    return {"model_id": model_id, "name": model_id.upper(), "team_id": "t1",
            "risk_tier": tier, "lifecycle_stage": stage,
            "created_at": "2025-01-01T00:00:00", **extra}


def deployed(model_id, version, day="2026-05-01"):
    return {"deployment_id": f"{model_id}-{version}", "model_id": model_id, "version": version,
            "environment": "production", "deployed_at": f"{day}T12:00:00",
            "outcome": "succeeded"}


def validation(model_id, version, passed, stage="post_deployment", day="2026-05-02"):
    return {"validation_id": f"{model_id}-{version}-{stage}-{passed}", "model_id": model_id,
            "version": version, "stage": stage, "run_at": f"{day}T00:00:00",
            "metric": "auc", "value": 0.8, "passed": str(passed).lower()}


def assessment(assessment_id, model_id, assessed, due, outcome="approved", tier="limited"):
    return {"assessment_id": assessment_id, "model_id": model_id,
            "assessed_at": f"{assessed}T00:00:00", "risk_tier": tier, "assessor": "audit",
            "outcome": outcome, "next_review_due": due}


def test_validation_coverage_of_current_production_versions(make_warehouse):
    path = make_warehouse({
        **ORG,
        "models": [model("p1"), model("p2"), model("p3"), model("p4"),
                   model("s1", stage="staging")],
        "deployments": [deployed("p1", "v1", "2026-04-01"), deployed("p1", "v2"),
                        deployed("p2", "v1", "2026-04-01"), deployed("p2", "v2"),
                        deployed("p4", "v1"), deployed("s1", "v1")],
        "validations": [
            validation("p1", "v2", True),                              # covered
            validation("p2", "v1", True), validation("p2", "v2", False),  # old version only
            validation("p4", "v1", True, stage="pre_deployment"),     # not post-deployment
            validation("p4", "v1", False),
            validation("s1", "v1", True),                              # not a production model
        ],
    })
    with reading(path) as con:
        coverage = kpi.validation_coverage(con, JUNE).row(0, named=True)
        before_v2 = kpi.validation_coverage(con, JUNE, at=datetime(2026, 4, 15)).row(0, named=True)
    # p3 has never been deployed
    assert (coverage["production_models"], coverage["deployed_production_models"],
            coverage["covered_models"]) == (4, 3, 1)
    assert coverage["validation_coverage"] == pytest.approx(1 / 4)
    # On 15 April only p1 and p2 were deployed (both v1); p2's passing v1 validation ran on
    # 2 May, after that moment, so nothing was covered then.
    assert (before_v2["deployed_production_models"], before_v2["covered_models"]) == (2, 0)
    assert before_v2["validation_coverage"] == 0


def test_overdue_risk_reviews(make_warehouse):
    path = make_warehouse({
        **ORG,
        "models": [model("ma"), model("mb"), model("mc"), model("md", stage="retired"),
                   model("me")],
        "risk_assessments": [
            assessment("a-old", "ma", "2026-01-01", "2026-12-01"),
            assessment("a-new", "ma", "2026-03-01", "2026-05-01"),   # latest: overdue
            assessment("b-old", "mb", "2026-01-01", "2026-01-01"),
            assessment("b-new", "mb", "2026-03-01", "2026-07-01"),   # latest: not due yet
            assessment("e", "me", "2026-03-01", "2026-06-01"),       # due today: not overdue
        ],
    })
    with reading(path) as con:
        overdue = kpi.overdue_reviews(con, JUNE, today=date(2026, 6, 1))
    # mc has never been assessed; md is retired
    assert overdue.select("model_id", "never_assessed", "days_overdue").rows() == [
        ("mc", True, None), ("ma", False, 31)]
    assert overdue.row(1, named=True)["next_review_due"] == date(2026, 5, 1)


def test_compliance_gaps_per_production_model(make_warehouse):
    complete = {"owner": "ann", "runbook_url": "https://runbooks/x"}
    path = make_warehouse({
        **ORG,
        "models": [model("g1", tier="high", **complete), model("g2", tier="high"),
                   model("g3", **complete), model("g4", tier="high", **complete),
                   model("g5", stage="staging")],
        "deployments": [deployed("g1", "v1"), deployed("g3", "v1"), deployed("g4", "v1"),
                        deployed("g4", "v0", "2026-04-01")],
        "validations": [validation("g1", "v1", True), validation("g3", "v1", False),
                        validation("g4", "v1", True, stage="pre_deployment")],
        "risk_assessments": [
            assessment("r1", "g1", "2026-01-01", "2027-01-01", tier="high"),
            assessment("r3", "g3", "2026-01-01", "2027-01-01", outcome="conditional"),
            assessment("r4-old", "g4", "2025-06-01", "2026-06-01", tier="high"),
            assessment("r4-new", "g4", "2026-01-01", "2027-01-01", outcome="conditional",
                       tier="high"),
        ],
    })
    with reading(path) as con:
        gaps = kpi.governance_gaps(con, JUNE, today=date(2026, 6, 15))
    flags = ["no_owner", "no_runbook", "no_passed_validation", "no_risk_assessment",
             "high_risk_not_approved", "gaps"]
    assert gaps.select("model_id", *flags).rows() == [
        ("g2", True, True, True, True, True, 5),      # nothing at all, high risk
        ("g3", False, False, True, False, False, 1),  # only a failed validation; limited tier
        ("g4", False, False, False, False, True, 1),  # latest outcome conditional, high tier
        ("g1", False, False, False, False, False, 0),
    ]
    assert gaps.filter(model_id="g4").row(0, named=True)["deployed_version"] == "v1"


def test_risk_tiers(make_warehouse):
    path = make_warehouse({**ORG, "models": [
        model("h1", tier="high"), model("h2", tier="high", stage="staging"),
        model("l1"), model("m1", tier="minimal", stage="retired")]})
    with reading(path) as con:
        tiers = kpi.risk_tiers(con, JUNE)
    assert tiers.select("risk_tier", "models", "production_models").rows() == [
        ("high", 2, 1), ("limited", 1, 1), ("minimal", 1, 0)]

"""Human headers and spreadsheet number formats of the weekly report's columns.

Here, beside the report (weekly.py, which must not import the dashboard), so that the
report and the dashboard's registry (dashboard/presentation.py, which reads these labels)
name a column the same way. tests/test_presentation.py holds them equal to the registry's.
"""

from __future__ import annotations

# column -> (header, Excel number format; "" for text)
PCT2, PCT1, MS, USD, COUNT, HOURS = ("0.00%", "0.0%", '#,##0" ms"', '"$"#,##0.00', "#,##0",
                                     '#,##0.0" h"')
REPORT: dict[str, tuple[str, str]] = {
    "week": ("ISO week", ""),
    "business_unit_id": ("Business unit id", ""),
    "business_unit": ("Business unit", ""),
    "team_id": ("Team id", ""),
    "team": ("Team", ""),
    "model_id": ("Model id", ""),
    "model": ("Model", ""),
    "lifecycle_stage": ("Lifecycle stage", ""),
    "risk_tier": ("Risk tier", ""),
    "models": ("Models", COUNT),
    "requests": ("Requests", COUNT),
    "errors": ("Errors", COUNT),
    "availability": ("Availability", "0.000%"),
    "slo_availability": ("Availability SLO", PCT2),
    "availability_slo_met": ("Availability SLO met", ""),
    "error_budget_consumed": ("Error budget consumed", PCT1),
    "latency_p50_ms": ("Latency p50", MS),
    "latency_p95_ms": ("Latency p95", MS),
    "latency_p99_ms": ("Latency p99", MS),
    "slo_latency_p95_ms": ("Latency p95 SLO", MS),
    "latency_slo_met": ("Latency SLO met", ""),
    "incidents": ("Incidents", COUNT),
    "sev1_sev2_incidents": ("Sev 1–2", COUNT),
    "mttr_minutes": ("MTTR", HOURS),  # shown in hours, as everywhere in the app
    "deployments": ("Production deployments", COUNT),
    "failed_changes": ("Failed changes", COUNT),
    "change_failure_rate": ("Change failure rate", PCT1),
    "cost_usd": ("Cost", USD),
    "cost_per_1k_requests": ("Cost per 1k requests", USD),
    "business_value_usd": ("Business value", USD),
    "net_value_usd": ("Net value", USD),
    "drift_alerts": ("Drift alerts", COUNT),
    "dq_pass_rate": ("Data-quality pass rate", PCT1),
    "rework_rate": ("Deployment rework rate", PCT1),
    "open_action_items": ("Open follow-ups", COUNT),
    "overdue_action_items": ("Overdue follow-ups", COUNT),
    "pages": ("Pages", COUNT),
}


def header(column: str) -> str:
    return REPORT[column][0] if column in REPORT else column.replace("_", " ")


def digits_apart(value: float | None, target: float | None, digits: int, scale: float = 1,
                 most: int = 6) -> int:
    """How many decimals show `value * scale` and `target * scale` as different numbers
    when they differ: `digits`, or more (up to `most`), so rounding never makes a miss read
    as its target (99.496% is not "99.50%" beside an SLO of 99.50%; 200.5 ms is not
    "200 ms" beside 200 ms). Shared by the review file and the dashboard's formats."""
    if value is None or target is None or value == target:
        return digits
    while digits < most and f"{value * scale:.{digits}f}" == f"{target * scale:.{digits}f}":
        digits += 1
    return digits

"""What the importer tests share: a two-model warehouse, the fixtures, exact table reads."""

from __future__ import annotations

from pathlib import Path

import duckdb

FIXTURES = Path(__file__).parent / "fixtures" / "importers"

BASE = {
    "business_units": [{"business_unit_id": "bu", "name": "BU"}],
    "teams": [{"team_id": "t", "name": "T", "business_unit_id": "bu"}],
    "models": [
        {"model_id": "churn", "name": "Churn", "team_id": "t", "risk_tier": "high",
         "lifecycle_stage": "production", "created_at": "2026-01-01T00:00:00",
         "owner": "ana", "slo_availability": "0.995", "slo_latency_p95_ms": "300"},
        {"model_id": "fraud", "name": "Fraud", "team_id": "t", "risk_tier": "limited",
         "lifecycle_stage": "staging", "created_at": "2026-02-01T00:00:00"},
    ],
}


def rows(path: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def quarantine(path: Path) -> list[tuple]:
    """(file name, line, reason) of every quarantined row, in file and line order."""
    return [(Path(f).name, line, reason) for f, line, reason in rows(
        path, "SELECT file, line, reason FROM quarantine ORDER BY file, line")]

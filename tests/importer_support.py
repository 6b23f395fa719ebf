"""What the importer tests share: a two-model warehouse, one loaded from data/samples, the
fixtures, and exact table reads."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from modelops.warehouse.ingest import ingest_files

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
FIXTURES = Path(__file__).parent / "fixtures" / "importers"
MAP = FIXTURES / "map-part2.csv"

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


def samples_warehouse(path: Path) -> Path:
    """`data/samples` loaded through `modelops ingest`'s path; every file must load whole."""
    results = list(ingest_files(path, sorted(SAMPLES.iterdir())))
    assert [r.status for r in results] == ["loaded"] * len(results), [
        r.summary() for r in results]
    return path


def rows(path: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def quarantine(path: Path, entity: str | None = None) -> list[tuple]:
    """(file name, line, reason) of every quarantined row (of one entity, when named), in
    file and line order."""
    where, params = ("WHERE entity = ?", [entity]) if entity else ("", [])
    return [(Path(f).name, line, reason) for f, line, reason in rows(
        path, f"SELECT file, line, reason FROM quarantine {where} ORDER BY file, line",
        params)]


def send_json(handler, status: int, headers: dict, payload, base: str) -> None:
    """A fake API's answer: `payload` as JSON (or bytes as they are), with `headers`
    ("{base}" in a value becomes the server's own address, for next links)."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value.replace("{base}", base))
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)

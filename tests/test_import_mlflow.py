"""`modelops import mlflow`: registry search answers to model_versions."""

from __future__ import annotations

from datetime import datetime

from importer_support import BASE, FIXTURES, quarantine, rows

from modelops.cli import main

ML = FIXTURES / "mlflow"


def test_version_search_gives_these_rows_and_aliases_are_reported(make_warehouse, capsys):
    wh = make_warehouse(BASE)
    code = main(["import", "mlflow", str(ML / "registered-models.json"),
                 str(ML / "model-versions.json"), "--map", str(FIXTURES / "map.csv"),
                 "--warehouse", str(wh)])
    assert code == 1
    assert rows(wh, "SELECT model_id, version, registered_at, artifact_uri, artifact_sha256,"
                    " code_commit, training_data_ref FROM model_versions"
                    " ORDER BY model_id, version") == [
        # epoch ms as a JSON string is read too; no tags: no commit
        ("churn", "1", datetime(2025, 11, 19, 12, 0, 0, 123000),
         "s3://mlflow/1/abc/artifacts/model", None, None, None),
        ("churn", "2", datetime(2025, 11, 20, 12, 0), "models:/m-2b7",
         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "9f8e7d6c5b4a",
         "s3://data/churn/2026-11-20"),
        # name fraud-detector mapped to the model fraud
        ("fraud", "4", datetime(2025, 11, 21, 12, 0), "dbfs:/models/fraud/4", None, "c0ffee",
         None),
    ]
    assert quarantine(wh) == [
        ("model-versions.json", 5, "registered model ghost has no model"),
        ("model-versions.json", 6, "creation_timestamp: not epoch milliseconds: None"),
        ("model-versions.json", 7, ("artifact_sha256: must be 64 hex characters "
                                   "(got not-a-digest)")),
    ]
    out = capsys.readouterr().out
    assert (f"{ML}/registered-models.json: read 2 records, loaded 0 rows, skipped 2, "
            "quarantined 0\n"
            "  skipped 1 × registered model churn: aliases have no contract column "
            "(champion → 2, challenger → 1)\n"
            "  skipped 1 × registered model (its versions come from model-versions search)\n"
            ) in out
    assert "  skipped 1 × registration FAILED_REGISTRATION\n" in out

"""`modelops import github`: deployments and their status lists to deployments."""

from __future__ import annotations

from datetime import datetime

import pytest
from importer_support import BASE, FIXTURES, quarantine, rows

from modelops.cli import main
from modelops.importers import github
from modelops.importers.base import Options, Skipped

GH = FIXTURES / "github"


def test_deployments_and_statuses_give_these_rows(make_warehouse, capsys):
    wh = make_warehouse(BASE)
    code = main(["import", "github", str(GH), "--map", str(FIXTURES / "map.csv"),
                 "--option", "env.canary=shadow", "--warehouse", str(wh)])
    assert code == 1
    assert rows(wh, "SELECT deployment_id, model_id, version, environment, committed_at,"
                    " deployed_at, outcome, change_ticket, approved_by FROM deployments"
                    " ORDER BY deployment_id") == [
        # statuses listed newest first: the terminal one is success at 09:05
        ("101", "churn", "3", "production", None, datetime(2026, 11, 20, 9, 5), "succeeded",
         "CHG-7", None),
        # payload as a JSON string, key mapped; no version: the commit (commit_sha); failure
        # is terminal, the later `inactive` only means superseded; statuses found by the
        # file name (no deployment_url)
        ("102", "churn", "deadbeefcafe00000000000000000000deadbeef", "staging", None,
         datetime(2026, 11, 20, 10, 10), "failed", None, None),
        # canary mapped to shadow; the first terminal status (error 07:00) decides
        ("109", "fraud", "10", "shadow", None, datetime(2026, 11, 23, 7, 0), "failed",
         None, None),
    ]
    assert quarantine(wh) == [
        ("deployments.json", 6, "payload is not JSON: 'not json{'"),
        ("deployments.json", 7, "payload.model_id ghost has no model"),
        ("deployments.json", 8, ("no status list for deployment 108 (export GET "
                                "/repos/{owner}/{repo}/deployments/108/statuses)")),
    ]
    out = capsys.readouterr().out
    for line in (
        "  skipped 1 × preview/transient deployment without payload.model_id",
        ("  skipped 1 × environment 'qa' is not production, staging or shadow (map it with "
        "--option env.qa=...)"),
        "  skipped 1 × not finished: last status in_progress",
    ):
        assert line in out
    assert rows(wh, "SELECT rows_read, inserted, skipped, quarantined FROM load_log"
                    " WHERE source = 'github'") == [(6, 3, 3, 3)]


def test_without_the_env_option_canary_is_skipped_and_a_bare_deployment_is_not_a_model():
    (item,) = [i for i in github.parse([GH / "deployments.json", GH / "statuses" / "109.json"],
                                       Options()) if i.origin.line == 9]
    assert item == Skipped("environment 'canary' is not production, staging or shadow "
                           "(map it with --option env.canary=...)", item.origin)


def test_an_empty_status_list_means_not_finished(tmp_path):
    deployments = tmp_path / "deployments.json"
    deployments.write_text('[{"id": 5, "environment": "production", "sha": "abc",'
                           ' "payload": {"model_id": "m"}}]')
    statuses = tmp_path / "statuses-5.json"
    statuses.write_text("[]")
    (item,) = github.parse([deployments, statuses], Options())
    assert item.reason == "not finished: last status none"


def test_a_file_that_is_not_a_list_is_unreadable(tmp_path):
    odd = tmp_path / "x.json"
    odd.write_text('{"deployments": []}')
    with pytest.raises(github.Unreadable, match="not a GitHub deployment or status list"):
        list(github.parse([odd], Options()))


def test_a_payload_naming_an_incident_marks_the_deployment_as_rework(make_warehouse, tmp_path):
    """Issue 14: payload.remediates_incident_id (else payload.incident_id) fills
    remediates_incident_id; an incident the warehouse does not hold quarantines the row."""
    wh = make_warehouse({**BASE, "incidents": [
        {"incident_id": "INC-7", "model_id": "churn", "severity": 2, "title": "down",
         "started_at": "2026-11-17T09:00:00Z"}]})
    export = tmp_path / "export"
    export.mkdir()
    (export / "deployments.json").write_text(
        '[{"id": 1, "environment": "production", "sha": "a",'
        '  "payload": {"model_id": "churn", "remediates_incident_id": "INC-7"}},'
        ' {"id": 2, "environment": "production", "sha": "b",'
        '  "payload": {"model_id": "churn", "incident_id": "INC-7"}},'
        ' {"id": 3, "environment": "production", "sha": "c", "payload": {"model_id": "churn"}},'
        ' {"id": 4, "environment": "production", "sha": "d",'
        '  "payload": {"model_id": "churn", "incident_id": "INC-404"}}]')
    for n in (1, 2, 3, 4):
        (export / f"statuses-{n}.json").write_text(
            f'[{{"state": "success", "created_at": "2026-11-17T10:0{n}:00Z"}}]')
    assert main(["import", "github", str(export), "--warehouse", str(wh)]) == 1
    assert rows(wh, "SELECT deployment_id, remediates_incident_id FROM deployments"
                    " ORDER BY 1") == [("1", "INC-7"), ("2", "INC-7"), ("3", None)]
    assert quarantine(wh) == [
        ("deployments.json", 4, "remediates_incident_id: unknown incident_id INC-404")]

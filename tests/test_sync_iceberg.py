"""`modelops sync` into an Iceberg catalog (issue 27, item 5): each run of a source is one
commit, loads and cursor together; a dashboard's replica sees it."""

from __future__ import annotations

from datetime import datetime

import pytest
from importer_support import BASE, FIXTURES, rows
from sync_support import FakePagerDuty

from modelops.backends import iceberg
from modelops.cli import main


@pytest.fixture
def catalog(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELOPS_ICEBERG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(iceberg, "POLL_S", 0.0)
    iceberg._warehouses.clear()
    yield f"iceberg+sqlite:///{tmp_path / 'catalog.db'}?warehouse={tmp_path / 'wh'}"
    iceberg._warehouses.clear()


def test_each_sync_of_a_source_is_one_commit_the_replica_sees(catalog, make_warehouse,
                                                             tmp_path, capsys):
    assert main(["export", "--to", "iceberg", catalog,
                 "--warehouse", str(make_warehouse(BASE))]) == 0
    seq = iceberg.open_warehouse(catalog).head()[0]
    with FakePagerDuty() as pd:
        config = tmp_path / "modelops.toml"
        config.write_text(f'warehouse = "{catalog}"\n\n[sources.pd]\nkind = "pagerduty"\n'
                          f'url = "{pd.base}"\nmap = "{FIXTURES / "map.csv"}"\n'
                          'every = "5m"\nbackfill = "3650d"\noverlap = "3650d"\n')
        assert main(["sync", "--config", str(config)]) == 1  # PSVC2 has no model
        assert iceberg.open_warehouse(catalog).head()[0] == seq + 1
        pd.resolve("PABC003", "2026-11-19T00:03:00Z")
        assert main(["sync", "--config", str(config)]) == 1
    assert iceberg.open_warehouse(catalog).head()[0] == seq + 2
    replica = iceberg.replica_path(catalog)
    assert rows(replica, "SELECT incident_id, resolved_at FROM incidents ORDER BY 1") == [
        ("PABC001", datetime(2026, 11, 17, 9, 30)), ("PABC003", datetime(2026, 11, 19, 0, 3))]
    assert rows(replica, "SELECT name, failures, last_error, cursor IS NOT NULL"
                         " FROM sync_sources") == [("pd", 0, None, True)]
    assert "pd: ok, 1 rows new or changed" in capsys.readouterr().out

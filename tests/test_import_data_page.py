"""Loads per source: the catalog query and its section on the Data page."""

from __future__ import annotations

from importer_support import BASE, FIXTURES

from modelops.cli import main
from modelops.warehouse import reading
from queries import catalog

OG = FIXTURES / "opsgenie"


def test_loads_by_source_counts_each_file_once(make_warehouse, app):
    wh = make_warehouse(BASE)
    args = ["import", "opsgenie", str(OG), "--map", str(FIXTURES / "map.csv"),
            "--warehouse", str(wh)]
    assert main(args) == 1
    assert main(args) == 1  # the same export again: no double counting
    with reading(wh) as con:
        loads = catalog.loads_by_source(con)
    assert loads.drop("last_import").rows() == [
        # alerts-1: 1 row + 1 infra alert skipped; alerts-2: 2 rows, 4 quarantined
        ("opsgenie", 2, 3, 1, 4, 0),
        # the test warehouse itself: 1 business unit, 1 team, 2 models
        ("ingest", 3, 4, 0, 0, 0),
    ]
    at = app(wh, "pages/data.py")
    assert "Loads per source" in [h.value for h in at.subheader]
    shown = next(d.value for d in at.dataframe if "skipped" in d.value.columns
                 and "source" in d.value.columns and "files" in d.value.columns)
    assert shown["source"].tolist() == ["opsgenie", "ingest"]
    assert shown["skipped"].tolist() == [1, 0]

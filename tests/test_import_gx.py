"""Great Expectations validation results -> data_quality, rows worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from importer_support import quarantine, rows, samples_warehouse

from modelops.cli import main
from modelops.importers import gx
from modelops.importers.base import Bad, Options, Row, Unreadable
from modelops.warehouse import UsageError

FIX = Path(__file__).parent / "fixtures" / "importers" / "gx"
M = "fraud-detector-eu"
RUN = datetime(2026, 11, 18, 3, 19, 59, 174801, tzinfo=UTC)  # 04:19:59.174801+01:00
V1 = "09b6e9ea-487b-487c-b9e8-c373806dd56c:20261118T031959.174801Z:"
P = "fraud_features/transactions_daily"


def summary(items):
    out = []
    for item in items:
        if isinstance(item, Row):
            v = item.values
            assert v["model_id"] == M and v["run_at"] == RUN and item.key is None
            out.append(("row", item.origin.line, v["check_run_id"], v["pipeline"],
                        v["check_name"], v["status"], v["rows_checked"], v["rows_failed"]))
        elif isinstance(item, Bad):
            out.append(("bad", item.origin.line, item.reason))
    return out


def test_gx_1x_expectation_results_become_rows():
    items = gx.parse([FIX / "validation-1x.json"], Options(model=M))
    assert summary(items) == [
        ("row", 1, V1 + "f17dd9ff-fca9-4833-a550-5a84ff034d83", P,
         "expect_column_values_to_not_be_null(amount)", "fail", 5, 1),
        # severity warning -> warn; unexpected_count 1 (not 25 %, not 0.25)
        ("row", 2, V1 + "7df2fb5c-25a8-482c-9bd9-0f057f0125c3", P,
         "expect_column_values_to_be_between(amount)", "warn", 5, 1),
        ("row", 3, V1 + "61378203-f721-4ab0-920a-1b4646fd8a4b", P,
         "expect_column_values_to_be_in_set(country)", "pass", 5, 0),
        ("row", 4, V1 + "415e4f80-4893-47df-bdd6-69af223bb499", P,
         "expect_table_row_count_to_be_between", "pass", None, None),
        # raised an exception: fail, whatever its severity
        ("row", 5, V1 + "9a1c7e55-2f4b-4d0e-8e8f-0b7c1d2e3f40", P,
         "expect_column_values_to_match_regex(email)", "fail", None, None),
        ("row", 6, V1 + "c3d4e5f6-0a1b-4c2d-8e3f-405162738495", P,
         "expect_column_mean_to_be_between(amount)", "warn", None, None),
        ("bad", 7, "expectation result without an expectation type"),
    ]


def test_gx_0x_results_with_the_compact_time_and_an_index_id():
    items = list(gx.parse([FIX / "validation-0x.json"], Options(model=M, extra={
        "pipeline": "orders_nightly"})))
    assert [(i.origin.line, i.values) for i in items] == [
        (1, {"check_run_id": "orders_suite:20261118T031959.174801Z:#1", "model_id": M,
             "pipeline": "orders_nightly", "check_name":
             "expect_column_values_to_not_be_null(order_id)", "run_at": RUN,
             "status": "pass", "rows_checked": 100, "rows_failed": 0}),
        (2, {"check_run_id": "orders_suite:20261118T031959.174801Z:#2", "model_id": M,
             "pipeline": "orders_nightly", "check_name":
             "expect_column_values_to_be_unique(order_id)", "run_at": RUN,
             "status": "fail", "rows_checked": 100, "rows_failed": 4}),
    ]
    # without the option: datasource/data asset of batch_kwargs
    assert {i.values["pipeline"] for i in gx.parse([FIX / "validation-0x.json"],
                                                   Options(model=M))} == {"warehouse/orders"}


def test_model_is_required_and_a_checkpoint_description_is_unreadable():
    with pytest.raises(UsageError, match="give --model MODEL_ID"):
        list(gx.parse([FIX / "validation-1x.json"], Options()))
    with pytest.raises(Unreadable) as error:
        list(gx.parse([FIX / "checkpoint-describe.json"], Options(model=M)))
    assert error.value.reason.startswith("not a Great Expectations validation result")


def test_compact_and_iso_times():
    assert gx.gx_time("20261118T031959.174801Z") == RUN
    assert gx.gx_time("20261118T031959Z") == RUN.replace(microsecond=0)
    assert gx.gx_time("2026-11-18T03:19:59.174801") == RUN  # no offset: UTC


# --- end to end: `modelops import gx` into a warehouse of data/samples ---------------------

def test_import_gx_end_to_end(tmp_path, capsys):
    wh = samples_warehouse(tmp_path / "wh.duckdb")
    assert main(["import", "gx", str(FIX / "validation-1x.json"), "--warehouse", str(wh)]) == 2
    assert "give --model MODEL_ID" in capsys.readouterr().err
    code = main(["import", "gx", str(FIX / "validation-1x.json"), str(FIX / "validation-0x.json"),
                 "--model", M, "--warehouse", str(wh)])
    assert code == 1
    run = datetime(2026, 11, 18, 3, 19, 59, 174801)
    assert rows(wh, "SELECT check_run_id, pipeline, check_name, run_at, status, rows_checked,"
                    " rows_failed FROM data_quality WHERE run_at = ? ORDER BY check_run_id",
                [run]) == [
        (V1 + "415e4f80-4893-47df-bdd6-69af223bb499", P,
         "expect_table_row_count_to_be_between", run, "pass", None, None),
        (V1 + "61378203-f721-4ab0-920a-1b4646fd8a4b", P,
         "expect_column_values_to_be_in_set(country)", run, "pass", 5, 0),
        (V1 + "7df2fb5c-25a8-482c-9bd9-0f057f0125c3", P,
         "expect_column_values_to_be_between(amount)", run, "warn", 5, 1),
        (V1 + "9a1c7e55-2f4b-4d0e-8e8f-0b7c1d2e3f40", P,
         "expect_column_values_to_match_regex(email)", run, "fail", None, None),
        (V1 + "c3d4e5f6-0a1b-4c2d-8e3f-405162738495", P,
         "expect_column_mean_to_be_between(amount)", run, "warn", None, None),
        (V1 + "f17dd9ff-fca9-4833-a550-5a84ff034d83", P,
         "expect_column_values_to_not_be_null(amount)", run, "fail", 5, 1),
        ("orders_suite:20261118T031959.174801Z:#1", "warehouse/orders",
         "expect_column_values_to_not_be_null(order_id)", run, "pass", 100, 0),
        ("orders_suite:20261118T031959.174801Z:#2", "warehouse/orders",
         "expect_column_values_to_be_unique(order_id)", run, "fail", 100, 4),
    ]
    assert quarantine(wh, "data_quality") == [
        ("validation-1x.json", 7, "expectation result without an expectation type")]
    # loading the same results again changes nothing: the check ids are stable
    assert main(["import", "gx", str(FIX / "validation-0x.json"), "--model", M,
                 "--warehouse", str(wh)]) == 0
    assert rows(wh, "SELECT inserted, updated, unchanged FROM load_log WHERE source = 'gx'"
                    " ORDER BY load_id DESC LIMIT 1") == [(0, 0, 2)]

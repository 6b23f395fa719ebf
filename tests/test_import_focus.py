"""FOCUS cost exports -> costs_daily, rows worked out by hand from the fixture."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from importer_support import MAP, quarantine, rows, samples_warehouse

from modelops.cli import main
from modelops.importers import focus
from modelops.importers.base import Bad, Count, Options, Row, Unreadable

FIX = Path(__file__).parent / "fixtures" / "importers" / "focus"
V12, V13 = FIX / "focus-1.2.csv", FIX / "focus-1.3.csv"
VENDORS = {"vendor.nimbus-cloud": "nimbus", "vendor.cortex-ai-api": "cortex"}
D17, D18, D19 = date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19)


def summary(items):
    out = []
    for item in items:
        if isinstance(item, Count):  # how many records the file holds: test_import_real
            continue
        where = (Path(item.origin.file).name, item.origin.line)
        if isinstance(item, Row):
            v = item.values
            out.append(("row", *where, item.key, v["day"], v["category"], v["vendor_id"],
                        v["amount_usd"]))
        elif isinstance(item, Bad):
            out.append(("bad", *where, item.reason))
        else:
            out.append(("skip", *where, item.reason))
    return out


EXPECTED = [
    ("bad", "focus-1.2.csv", 7, "currency EUR is not USD"),
    ("bad", "focus-1.2.csv", 10, "Tags is not a JSON object: '{model: fraud-detector-eu}'"),
    ("bad", "focus-1.2.csv", 11, "EffectiveCost is not a number: '$10,000.00 '"),
    ("bad", "focus-1.2.csv", 13, "charge period: not an ISO 8601 timestamp: '5/1/25'"),
    # 1.25 + 2.75 (hourly) - 1.00 (credit, same day) + 0.50 (the 1.3 file, another file)
    ("row", "focus-1.2.csv", 2, "fraud-detector-eu", D17, "compute", "nimbus", 3.5),
    # 9.00 over three days; EffectiveCost, never BilledCost
    ("row", "focus-1.2.csv", 5, "fraud-detector-eu", D17, "storage", "nimbus", 3.0),
    ("row", "focus-1.2.csv", 5, "fraud-detector-eu", D18, "storage", "nimbus", 3.0),
    ("row", "focus-1.2.csv", 5, "fraud-detector-eu", D19, "storage", "nimbus", 3.0),
    # 23:00 to 01:00: an hour on each day
    ("row", "focus-1.2.csv", 6, "chatbot", D17, "inference_api", "cortex", 5.0),
    ("row", "focus-1.2.csv", 6, "chatbot", D18, "inference_api", "cortex", 5.0),
    # Networking -> other; a provider that is no vendor of the warehouse -> empty vendor
    ("row", "focus-1.2.csv", 12, "fraud-detector-eu", D18, "other", "", 0.4),
    ("row", "focus-1.2.csv", 14, "ranker", D17, "compute", "nimbus", 1.0),
    # a credit with nothing to net against: negative, refused by the contract on load
    ("row", "focus-1.2.csv", 15, "legacy-scorer", D17, "compute", "nimbus", -2.0),
    # untagged rows come last: whether any row had the tag is known only at the end
    ("skip", "focus-1.2.csv", 8, "no model tag (untagged shared cost)"),
    ("skip", "focus-1.2.csv", 9, "no model tag (untagged shared cost)"),
]


def test_focus_rows_become_daily_costs():
    items = list(focus.parse([V12, V13], Options(extra=VENDORS)))
    assert summary(items) == EXPECTED


def test_parquet_reads_like_csv(tmp_path):
    parquet = tmp_path / "focus-1.2.parquet"
    pl.read_csv(V12, infer_schema=False).write_parquet(parquet)
    items = list(focus.parse([parquet, V13], Options(extra=VENDORS)))
    # Parquet lines are row numbers (the CSV's line minus its header)
    assert summary(items) == [
        (e[0], "focus-1.2.parquet", e[2] - 1, *e[3:]) if e[1] == "focus-1.2.csv" else e
        for e in EXPECTED]


def test_gzipped_csv_reads_like_csv(tmp_path):
    import gzip

    packed = tmp_path / "focus-1.2.csv.gz"
    packed.write_bytes(gzip.compress(V12.read_bytes()))
    items = list(focus.parse([packed, V13], Options(extra=VENDORS)))
    assert summary(items) == [
        (e[0], "focus-1.2.csv.gz", *e[2:]) if e[1] == "focus-1.2.csv" else e
        for e in EXPECTED]


def test_service_provider_name_wins_and_a_warehouse_vendor_is_used_as_is():
    known = {"nimbus-cloud": {"vendor_id": "nimbus-cloud"}}
    items = list(focus.parse([V13], Options(current=lambda e, k: known.get(k))))
    assert summary(items) == [
        ("row", "focus-1.3.csv", 2, "fraud-detector-eu", D17, "compute", "nimbus-cloud", 0.5)]
    # without the warehouse vendor or an option, the vendor is left empty
    items = list(focus.parse([V13], Options()))
    assert items[0].values["vendor_id"] == ""


def test_another_tag_key_names_the_model(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(V13.read_text().replace('""model""', '""ml-model""'))
    items = list(focus.parse([path], Options(extra={"tag": "ml-model"})))
    assert [i.key for i in items if not isinstance(i, Count)] == ["fraud-detector-eu"]
    assert [type(i).__name__ for i in focus.parse([path], Options())] == ["Skipped", "Count"]


def test_a_file_without_focus_columns_is_unreadable():
    with pytest.raises(Unreadable) as error:
        list(focus.parse([FIX / "not-focus.csv"], Options()))
    assert error.value.reason == (
        "not a FOCUS export: missing column(s) EffectiveCost, ChargePeriodEnd, "
        "ServiceCategory, Tags, ServiceProviderName or ProviderName")


# --- end to end: `modelops import focus` into a warehouse of data/samples ------------------

def test_import_focus_end_to_end(tmp_path):
    wh = samples_warehouse(tmp_path / "wh.duckdb")
    code = main(["import", "focus", str(V12), str(V13), "--map", str(MAP),
                 "--option", "vendor.nimbus-cloud=nimbus",
                 "--option", "vendor.cortex-ai-api=cortex", "--warehouse", str(wh)])
    assert code == 1
    assert rows(wh, "SELECT model_id, day, category, vendor_id, amount_usd FROM costs_daily"
                    " ORDER BY model_id, day, category, vendor_id") == [
        ("chargeback-predictor-us", D17, "compute", "", 96.40),  # samples, untouched
        ("chargeback-predictor-us", D17, "labeling", "labelcraft", 2450.00),
        ("fraud-detector-eu", D17, "compute", "nimbus", 3.5),  # replaces the sample's
        ("fraud-detector-eu", D17, "storage", "nimbus", 3.0),
        ("fraud-detector-eu", D18, "compute", "nimbus", 398.05),
        ("fraud-detector-eu", D18, "other", "", 0.4),
        ("fraud-detector-eu", D18, "storage", "nimbus", 3.0),
        ("fraud-detector-eu", D19, "storage", "nimbus", 3.0),
        ("product-recommender-uk", D17, "compute", "", 22.75),
        ("support-chatbot-eu", D17, "compute", "nimbus", 35.10),
        ("support-chatbot-eu", D17, "inference_api", "cortex", 5.0),
        ("support-chatbot-eu", D18, "inference_api", "cortex", 5.0),
    ]
    assert quarantine(wh, "costs_daily") == [
        ("focus-1.2.csv", 7, "currency EUR is not USD"),
        ("focus-1.2.csv", 10, "Tags is not a JSON object: '{model: fraud-detector-eu}'"),
        ("focus-1.2.csv", 11, "EffectiveCost is not a number: '$10,000.00 '"),
        ("focus-1.2.csv", 13, "charge period: not an ISO 8601 timestamp: '5/1/25'"),
        ("focus-1.2.csv", 14, "model tag ranker has no model"),
        # legacy-scorer -> product-recommender-uk: a credit alone nets below zero
        ("focus-1.2.csv", 15, "amount_usd: must be >= 0 (got -2.0)"),
    ]
    assert rows(wh, "SELECT skipped FROM load_log WHERE source = 'focus'") == [(2,)]

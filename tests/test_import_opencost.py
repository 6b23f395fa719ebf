"""OpenCost /allocation answers -> costs_daily, rows worked out by hand from the fixture."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from importer_support import MAP, quarantine, rows, samples_warehouse

from modelops.cli import main
from modelops.importers import opencost
from modelops.importers.base import Bad, Count, Options, Row, Unreadable
from modelops.importers.http import Client

FIX = Path(__file__).parent / "fixtures" / "importers" / "opencost"
D17, D18 = date(2026, 11, 17), date(2026, 11, 18)


def summary(items):
    out = []
    for item in items:
        if isinstance(item, Count):  # how many allocations the file holds: test_import_real
            continue
        if isinstance(item, Row):
            v = item.values
            out.append(("row", item.origin.line, item.key, v["day"], v["category"],
                        v["vendor_id"], v["amount_usd"]))
        elif isinstance(item, Bad):
            out.append(("bad", item.origin.line, item.reason))
        else:
            out.append(("skip", item.origin.line, item.reason))
    return out


def test_allocations_become_daily_costs_by_category():
    items = list(opencost.parse([FIX / "allocation.json"], Options(extra={"vendor": "nimbus"})))
    assert summary(items) == [
        ("skip", 2, "__idle__ is not a model"),
        ("skip", 3, "__unallocated__ is not a model"),
        ("bad", 5, "allocation ranker: gpuCost is None (not a number: NaN or Inf in OpenCost)"),
        ("bad", 7, ("allocation legacy-scorer: compute + storage + other = 1.0 but totalCost "
                   "is 2.0")),
        ("skip", 8, "__unmounted__ is not a model"),
        # cpu 10.5 + gpu 20.25 + ram 3.25 - 0.5 cpu adjustment; network 0.5 + load balancer
        # 0.25 + shared 1.0 (networkCrossZoneCost is part of networkCost); pv 1.75 + 0.25
        ("row", 1, "fraud-detector-eu", D17, "compute", "nimbus", 33.5),
        ("row", 1, "fraud-detector-eu", D17, "other", "nimbus", 1.75),
        ("row", 1, "fraud-detector-eu", D17, "storage", "nimbus", 2.0),
        # the older "model=<value>" name
        ("row", 4, "chatbot", D17, "compute", "nimbus", 1.5),
        ("row", 4, "chatbot", D17, "other", "nimbus", 0.0),
        ("row", 4, "chatbot", D17, "storage", "nimbus", 0.0),
        ("row", 6, "fraud-detector-eu", D18, "compute", "nimbus", 3.0),
        ("row", 6, "fraud-detector-eu", D18, "other", "nimbus", 0.0),
        ("row", 6, "fraud-detector-eu", D18, "storage", "nimbus", 0.5),
        # a +02:00 day: 22:00-24:00 UTC of the 17th (2 h of 24), then 22 h of the 18th
        ("row", 9, "support-chatbot-eu", D17, "compute", "nimbus", 2.0),
        ("row", 9, "support-chatbot-eu", D17, "other", "nimbus", 0.0),
        ("row", 9, "support-chatbot-eu", D17, "storage", "nimbus", 0.0),
        ("row", 9, "support-chatbot-eu", D18, "compute", "nimbus", 22.0),
        ("row", 9, "support-chatbot-eu", D18, "other", "nimbus", 0.0),
        ("row", 9, "support-chatbot-eu", D18, "storage", "nimbus", 0.0),
    ]


def test_without_a_vendor_option_the_vendor_is_empty():
    items = [i for i in opencost.parse([FIX / "allocation.json"], Options()) if
             isinstance(i, Row)]
    assert {i.values["vendor_id"] for i in items} == {""}


def test_an_error_answer_is_unreadable():
    with pytest.raises(Unreadable) as error:
        list(opencost.parse([FIX / "error.json"], Options()))
    assert error.value.reason == "OpenCost answered code 400: invalid window"


# --- end to end: `modelops import opencost` into a warehouse of data/samples ---------------

def test_import_opencost_end_to_end(tmp_path):
    wh = samples_warehouse(tmp_path / "wh.duckdb")
    code = main(["import", "opencost", str(FIX / "allocation.json"), "--map", str(MAP),
                 "--option", "vendor=nimbus", "--warehouse", str(wh)])
    assert code == 1
    assert rows(wh, "SELECT model_id, day, category, vendor_id, amount_usd FROM costs_daily"
                    " WHERE vendor_id = 'nimbus' ORDER BY model_id, day, category") == [
        ("chargeback-predictor-us", D17, "compute", "nimbus", 1.5),  # model=chatbot, mapped
        ("chargeback-predictor-us", D17, "other", "nimbus", 0.0),
        ("chargeback-predictor-us", D17, "storage", "nimbus", 0.0),
        ("fraud-detector-eu", D17, "compute", "nimbus", 33.5),  # replace the samples' rows
        ("fraud-detector-eu", D17, "other", "nimbus", 1.75),
        ("fraud-detector-eu", D17, "storage", "nimbus", 2.0),
        ("fraud-detector-eu", D18, "compute", "nimbus", 3.0),
        ("fraud-detector-eu", D18, "other", "nimbus", 0.0),
        ("fraud-detector-eu", D18, "storage", "nimbus", 0.5),
        ("support-chatbot-eu", D17, "compute", "nimbus", 2.0),
        ("support-chatbot-eu", D17, "other", "nimbus", 0.0),
        ("support-chatbot-eu", D17, "storage", "nimbus", 0.0),
        ("support-chatbot-eu", D18, "compute", "nimbus", 22.0),
        ("support-chatbot-eu", D18, "other", "nimbus", 0.0),
        ("support-chatbot-eu", D18, "storage", "nimbus", 0.0),
    ]
    assert quarantine(wh, "costs_daily") == [
        ("allocation.json", 5,
         "allocation ranker: gpuCost is None (not a number: NaN or Inf in OpenCost)"),
        ("allocation.json", 7,
         "allocation legacy-scorer: compute + storage + other = 1.0 but totalCost is 2.0"),
    ]
    assert rows(wh, "SELECT skipped FROM load_log WHERE source = 'opencost'") == [(3,)]


class Replay(Client):
    """The real client, answering from the fixture instead of the network."""

    def __init__(self, out_dir, answer):
        super().__init__("http://opencost.test:9003", out_dir)
        self.answer, self.calls = answer, []

    def request(self, method, path, params=None, body=None):
        self.calls.append((method, path, dict(params or {})))
        return self.answer, {}


def test_fetch_asks_daily_steps_by_the_model_label_and_parses_like_the_file(tmp_path):
    client = Replay(tmp_path, json.loads((FIX / "allocation.json").read_text()))
    files = opencost.fetch(client, Options(since=datetime(2026, 11, 17, tzinfo=UTC),
                                           until=datetime(2026, 11, 19, tzinfo=UTC)))
    assert client.calls == [("GET", "/allocation", {
        "window": "2026-11-17T00:00:00Z,2026-11-19T00:00:00Z", "aggregate": "label:model",
        "step": "1d", "accumulate": "false"})]
    parsed = [(type(i), getattr(i, "values", None), i.origin.line)
              for i in opencost.parse(files, Options()) if not isinstance(i, Count)]
    assert parsed == [(type(i), getattr(i, "values", None), i.origin.line)
                      for i in opencost.parse([FIX / "allocation.json"], Options())
                      if not isinstance(i, Count)]


def test_days_the_export_covers_only_in_part_are_refused():
    # window=7d style: 24 h windows from 11:00 UTC; 24.00 of CPU in each
    items = list(opencost.parse([FIX / "allocation-7d.json"], Options()))
    partial = "{} cost of day {} is only partly in the export ({} h of 24): a partial day " \
              "would replace the whole day's cost"
    assert summary(items) == [
        ("bad", 1, partial.format("compute", "2026-11-17", 13)),  # 11:00-24:00
        ("bad", 1, partial.format("other", "2026-11-17", 13)),
        ("bad", 1, partial.format("storage", "2026-11-17", 13)),
        # 11 h of the first window and 13 h of the second: whole, 11.00 + 13.00
        ("row", 1, "fraud-detector-eu", D18, "compute", "", 24.0),
        ("row", 1, "fraud-detector-eu", D18, "other", "", 0.0),
        ("row", 1, "fraud-detector-eu", D18, "storage", "", 0.0),
        ("bad", 2, partial.format("compute", "2026-11-19", 11)),
        ("bad", 2, partial.format("other", "2026-11-19", 11)),
        ("bad", 2, partial.format("storage", "2026-11-19", 11)),
    ]

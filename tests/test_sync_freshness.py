"""Freshness on every screen (issue 27, item 4): "data as of" in each page header from the
newest load of what the page reads, a warning for a source that is behind or failed, and
the per-source table on the Data page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from importer_support import BASE, FIXTURES
from sync_support import Clock, FakePagerDuty, refused_url

from dashboard.shell import every_words, sync_warning
from modelops.config import Source
from modelops.sync.runner import sync_source
from modelops.warehouse import reading
from queries import catalog

T0 = datetime(2026, 11, 19, tzinfo=UTC)


def sources(pd_url: str) -> list[Source]:
    common = dict(every_s=300, map_path=FIXTURES / "map.csv")
    # the backfill reaches the recorded incidents (November 2026) from any later "now"
    return [Source(name="pd", kind="pagerduty", url=pd_url, overlap_s=86400,
                   backfill_s=3650 * 86400, **common),
            Source(name="gh_down", kind="github", url=refused_url(),
                   options={"repo": "acme/ml"}, **common)]


def test_behind_after_twice_the_interval_and_failed_after_an_error(make_warehouse):
    wh = make_warehouse(BASE)
    clock = Clock(T0)
    with FakePagerDuty() as pd:
        for source in sources(pd.base):
            sync_source(wh, source, now=clock.now)
    with reading(wh) as con:
        at_9 = catalog.sync_status(con, T0 + timedelta(minutes=9))
        at_11 = catalog.sync_status(con, T0 + timedelta(minutes=11))
        assert catalog.data_as_of(con, ("incidents",)) is not None
        assert catalog.data_as_of(con, ("drift",)) is None  # nothing of it was ever loaded
    assert at_9.select("source", "behind", "failed", "rows_changed").rows() == [
        ("gh_down", True, True, None), ("pd", False, False, 2)]
    assert at_11.select("source", "behind", "failed").rows() == [
        ("gh_down", True, True), ("pd", True, False)]
    row = at_9.row(0, named=True)
    assert row["last_attempt_at"] == datetime(2026, 11, 19) and row["last_success_at"] is None
    assert "Connection refused" in row["last_error"]
    assert row["next_run_at"] == datetime(2026, 11, 19, 0, 1)  # backoff: 60 s
    assert sync_warning(at_11.row(1, named=True)) == (
        "Source pd is behind: last success 19 Nov 00:00 UTC, expected every 5 min.")
    assert sync_warning(row) == ("Source gh\\_down: the last sync failed (19 Nov 00:00 UTC);"
                                 " the data from it may be stale. See the Data page.")


def test_intervals_in_words():
    assert [every_words(s) for s in (300, 3600, 90, 86400, 5400)] == [
        "5 min", "1 h", "90 s", "1 d", "90 min"]


def test_every_page_header_says_how_fresh_and_warns_the_data_page_lists_sources(
        make_warehouse, app):
    wh = make_warehouse(BASE)
    with FakePagerDuty() as pd:
        for source in sources(pd.base):
            sync_source(wh, source)  # the real clock: pd is fresh, gh_down failed
    at = app(wh, "pages/incidents.py")
    captions = [c.value for c in at.caption]
    assert any(re.fullmatch(r"Data as of \d\d:\d\d UTC", c) for c in captions), captions
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and warnings[0].startswith("Source gh\\_down: the last sync "
                                                         "failed ("), warnings
    data = app(wh, "pages/data.py")
    assert [w.value for w in data.warning] == warnings  # its header warns too
    assert "Sync sources" in [h.value for h in data.subheader]
    shown = next(d.value for d in data.dataframe if "last_error" in d.value.columns)
    assert shown["source"].tolist() == ["gh_down", "pd"]
    assert "Connection refused" in shown["last_error"].tolist()[0]
    assert shown["behind"].tolist()[1] in (False, "no")

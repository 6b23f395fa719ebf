"""Time arguments of the command line: an offset is converted to UTC, no offset is UTC
(README, "Timestamps are UTC throughout"; issue 30, item 8). `demo --end
2026-11-20T10:00+02:00` used to drop the offset and end the data at 10:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from modelops import cli
from modelops.warehouse import reading


def _last_hour(path) -> datetime:
    with reading(path) as con:
        return con.execute("SELECT max(hour) FROM metrics_hourly").fetchall()[0][0]


def test_demo_end_with_an_offset_is_converted_to_utc(tmp_path):
    offset, utc = tmp_path / "offset.duckdb", tmp_path / "utc.duckdb"
    common = ["demo", "--models", "3", "--days", "2"]
    assert cli.main([*common, "--end", "2026-11-20T10:00+02:00", "--warehouse", str(offset)]) == 0
    assert cli.main([*common, "--end", "2026-11-20T08:00", "--warehouse", str(utc)]) == 0
    # the data is [end - 2 days, end): its last hour starts at 07:00 UTC for an end of
    # 10:00 at +02:00, which is 08:00 UTC
    assert _last_hour(offset) == datetime(2026, 11, 20, 7) == _last_hour(utc)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-20T10:00+02:00", datetime(2026, 11, 20, 8, tzinfo=UTC)),
    ("2026-11-20T10:00-05:30", datetime(2026, 11, 20, 15, 30, tzinfo=UTC)),
    ("2026-11-20T10:00Z", datetime(2026, 11, 20, 10, tzinfo=UTC)),
    ("2026-11-20T10:00", datetime(2026, 11, 20, 10, tzinfo=UTC)),
    ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
])
def test_every_time_argument_reads_offsets(text, expected):
    # --since / --until of `import --url`, and --end of `demo` (naive UTC)
    assert cli._parse_moment(text, "--since") == expected
    assert cli._parse_end(text) == expected.replace(tzinfo=None)


def test_a_bad_time_is_a_one_line_user_error(tmp_path, capsys):
    assert cli.main(["demo", "--end", "20 Nov", "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    assert capsys.readouterr().err.strip() == (
        "modelops demo: --end: not an ISO date or timestamp: '20 Nov'")

"""Text from the data or the URL is drawn as text (issue 24, item 8): dashboard/text.py, and
the app's captions, warnings and charts fed with hostile names under AppTest. The same names
in a real browser: tests/test_browser_text.py."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from conftest import show_charts

from dashboard.text import WORD_JOINER, chart_text, code, plain

IMAGE = "![x](http://attacker.invalid/img.png)"
COLOUR_ICON = ":red[x] :material/home: :smile:"
LINK = "[Sign in](http://attacker.invalid/login) <a href='http://attacker.invalid/a'>a</a>"
AUTO = "mail bob@attacker.invalid or www.attacker.invalid"
LATENCY = ("latency_le_5ms", "latency_le_10ms", "latency_le_25ms", "latency_le_50ms",
           "latency_le_100ms", "latency_le_250ms", "latency_le_500ms", "latency_le_1000ms",
           "latency_le_2500ms", "latency_le_5000ms", "latency_le_10000ms")


def shown(markdown: str) -> str:
    """What a CommonMark renderer shows for text made by plain(): escapes undone, word
    joiners dropped (for the comparisons below)."""
    out, i = [], 0
    while i < len(markdown):
        if markdown[i] == "\\" and i + 1 < len(markdown):
            out.append(markdown[i + 1])
            i += 2
            continue
        out.append(markdown[i])
        i += 1
    return "".join(out).replace(WORD_JOINER, "")


@pytest.mark.parametrize("text", [IMAGE, COLOUR_ICON, LINK, AUTO, "a_b*c*`d`", "$x^2$",
                                  "# h\n- l\r\n> q", "&lt; \\ ~~s~~ | {x}"])
def test_plain_escapes_all_markdown_and_shows_the_same_text(text):
    out = plain(text)
    assert shown(out) == text.replace("\r\n", " ").replace("\n", " ")
    # no punctuation is left unescaped, so no Markdown construct can start
    bare = [c for j, c in enumerate(out) if c in "![]()*_`:<>#$~|{}&"
            and (j == 0 or out[j - 1] != "\\")]
    assert bare == []
    # the shortcodes and autolinks Streamlit finds after escapes are undone are broken
    for pattern in (":material/", ":red[", "http://", "www.", "@attacker", ":smile:"):
        assert pattern not in out.replace("\\", "")


def test_code_spans_and_chart_text():
    assert code("modelops report --team a`b") == "``modelops report --team a`b``"
    assert code("`x`") == "`` `x` ``"
    assert code("a\nb") == "`a b`"
    assert chart_text("<a href='x'>y</a> & <b>") == "&lt;a href='x'&gt;y&lt;/a&gt; &amp; &lt;b&gt;"
    assert chart_text(3) == 3


# --- in the app ---------------------------------------------------------------------------

def hour(model_id, at, requests, errors):
    return {"model_id": model_id, "hour": at, "requests": requests, "errors": errors,
            **dict.fromkeys(LATENCY, requests)}


def hostile_tables():
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    hours = [day - timedelta(days=d, hours=h) for d in range(1, 4) for h in range(3)]
    return {
        "business_units": [{"business_unit_id": "bu1", "name": IMAGE}],
        "teams": [{"team_id": "t1", "name": COLOUR_ICON, "business_unit_id": "bu1"}],
        "models": [{"model_id": "m1", "name": LINK, "team_id": "t1", "risk_tier": "limited",
                    "lifecycle_stage": "production", "created_at": "2025-01-01T00:00:00Z",
                    "slo_availability": 0.999, "slo_latency_p95_ms": 100}],
        "metrics_hourly": [hour("m1", at.isoformat(), 1000, 5) for at in hours],
    }


@pytest.fixture(scope="module")
def hostile_warehouse(tmp_path_factory):
    from conftest import build_warehouse

    return build_warehouse(tmp_path_factory.mktemp("hostile") / "wh.duckdb",
                           hostile_tables())


def test_names_in_the_scope_line_are_text(app, hostile_warehouse):
    at = app(hostile_warehouse, "pages/overview.py", bu="bu1", team="t1", model="m1")
    scope = [c.value for c in at.caption if "Business units" in c.value]
    assert len(scope) == 1, [c.value for c in at.caption]
    line = scope[0]
    assert plain(IMAGE) in line and plain(COLOUR_ICON) in line and plain(LINK) in line
    for raw in ("![x](", ":red[", ":material/home:", "[Sign in](", "<a "):
        assert not re.search(r"(?<!\\)" + re.escape(raw), line), raw


def test_a_crafted_link_is_named_as_text_in_the_warning(app, hostile_warehouse):
    crafted = ["![b](http://attacker.invalid/x.png)", "[Sign in](http://attacker.invalid)",
               ":material/home:"]
    at = app(hostile_warehouse, None, bu=crafted)  # the first run names them
    warnings = [w.value for w in at.sidebar.warning]
    assert len(warnings) == 1
    assert warnings[0].startswith("The link named unknown business units, ignored: ")
    for raw in crafted:
        assert raw not in warnings[0] and plain(repr(raw)) in warnings[0]


def test_names_in_charts_are_text(app, hostile_warehouse):
    at = show_charts(app(hostile_warehouse, "pages/reliability.py"))
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    strings = json.dumps([s["data"] for s in specs])
    assert chart_text(LINK) in json.dumps(chart_text(LINK))  # (as JSON encodes it)
    assert json.dumps(chart_text(LINK))[1:-1] in strings  # the model's name, escaped
    assert "<a href" not in strings

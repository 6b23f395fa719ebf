"""Display helpers: number formats and which links from the data become clickable."""

import polars as pl

from dashboard import charts, formats, tables


def test_numbers_are_formatted_for_reading_and_missing_values_show_a_dash():
    assert formats.pct(0.99912) == "99.91%"
    assert formats.pct(None) == "–" and formats.pct(float("nan")) == "–"
    assert formats.usd(812.4) == "$812" and formats.usd(2054.1) == "$2.1k"
    assert formats.usd(961_234) == "$961.2k"
    assert formats.usd(-1_234_567) == "-$1.23M" and formats.usd(12.5) == "$12.50"
    assert formats.count(1_390_000) == "1.39M" and formats.count(12_345) == "12.3k"
    assert formats.minutes(45) == "45 min" and formats.minutes(150) == "150 min"
    assert formats.hours(150) == "2.5 h" and formats.hours(45) == "0.8 h"
    assert formats.hours(1_921) == "32.0 h" and formats.hours(600_000) == "10,000.0 h"
    assert formats.ms(76.6) == "77 ms"


def test_only_web_links_and_app_paths_are_clickable():
    urls = ["https://runbooks.example.com/a", "HTTP://wiki/x", "/model?id=m1",
            "javascript:alert(1)", "data:text/html,<script>", "//evil.example", None]
    shown = pl.select(tables.safe_link(pl.lit(pl.Series(urls)))).to_series().to_list()
    assert shown == [urls[0], urls[1], urls[2], None, None, None, None]


def test_chart_builds_the_dict_plotly_would():
    fig = charts.figure("Latency", "ms", height=300)
    fig.add_scatter(x=[1, 2], y=[3, 4], name="p95", marker_color="#dc2626",
                    line=dict(dash="dot"), hovertemplate="%{y}")
    fig.update_yaxes(title="milliseconds", rangemode="tozero")
    fig.add_hline(y=500, line_dash="dash", annotation_text="SLO")
    spec = fig.to_dict()
    trace = spec["data"][0]
    assert trace["type"] == "scatter"
    assert trace["marker"] == {"color": "#dc2626"} and trace["line"] == {"dash": "dot"}
    layout = spec["layout"]
    assert layout["title"]["text"] == "Latency" and layout["height"] == 300
    assert layout["yaxis"] == {"title": {"text": "milliseconds"}, "rangemode": "tozero"}
    assert layout["shapes"] == [{"type": "line", "xref": "x domain", "x0": 0, "x1": 1,
                                 "yref": "y", "y0": 500, "y1": 500, "line": {"dash": "dash"}}]
    assert layout["annotations"][0]["text"] == "SLO"
    # Two charts never share layout parts.
    assert "shapes" not in charts.figure("Other", "ms").to_dict()["layout"]


def test_charts_are_validated_under_test():
    import plotly.graph_objects as go
    import pytest

    assert charts.VALIDATE_CHARTS
    fig = charts.figure("A chart", "unit")
    fig.add_scatter(x=[1], y=[1], hovertemplate="%{y}", colour="red")  # not a property
    with pytest.raises(ValueError, match="colour"):
        go.Figure(fig.to_dict(), _validate=charts.VALIDATE_CHARTS)


def long_table_app():
    import polars as pl

    from dashboard import tables

    n = 250
    frame = pl.DataFrame({"model_id": [f"m{i:03d}" for i in range(n)],
                          "model": [f"=model {i}" for i in range(n)],
                          "availability": [i / n for i in range(n)]})
    tables.table(tables.with_detail_link(frame), key="long")


def test_a_long_table_is_sent_a_hundred_rows_at_a_time_and_downloads_whole():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(long_table_app, default_timeout=30)
    at.run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert len(shown) == tables.ROWS == 100
    assert list(shown.columns) == ["model", "availability", "detail"]  # the id stays home
    assert shown["model"].iloc[0] == "=model 0"
    rows = at.selectbox(key="long_rows")
    assert rows.options == ["rows 1–100 of 250", "rows 101–200 of 250", "rows 201–250 of 250"]
    rows.select(200).run()
    shown = at.dataframe[0].value
    assert len(shown) == 50 and shown["model"].iloc[0] == "=model 200"
    assert at.get("download_button")


def test_sorting_a_long_table_orders_every_row_not_only_those_shown():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(long_table_app, default_timeout=30)
    at.run()
    sort = at.selectbox(key="long_sort")
    assert sort.value == "as listed"
    sort.select("availability").run()                 # descending by default
    shown = at.dataframe[0].value
    # The highest availability sits in row 250 as listed: sorting brings it to the top.
    assert shown["model"].iloc[0] == "=model 249"
    assert list(shown["availability"]) == sorted(shown["availability"], reverse=True)
    at.toggle(key="long_desc").set_value(False).run()
    assert at.dataframe[0].value["model"].iloc[0] == "=model 0"


def test_a_table_downloads_with_its_labels_and_formulas_guarded():
    frame = pl.DataFrame({"model": ["=cmd", "a,b"], "availability": [0.5, None]})
    config = {"model": {"label": "model"}, "availability": {"label": "Availability"}}
    assert tables.csv_bytes(frame, config) == (
        b"model,Availability\n'=cmd,0.5\n\"a,b\",\n")


def gap_table_app():
    import polars as pl

    from dashboard import tables

    tables.table(pl.DataFrame({"model": ["a", "b"], "availability": [0.5, None],
                               "requests": [1, 2]}), key="gaps")


def test_a_missing_number_is_an_explained_dash_not_none():
    import json

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(gap_table_app, default_timeout=30)
    at.run()
    proto = at.dataframe[0].proto
    assert proto.placeholder == tables.MISSING == "–"
    config = json.loads(proto.columns)
    assert tables.MISSING_HELP in config["availability"]["help"]      # the column with a gap
    assert tables.MISSING_HELP not in (config["requests"].get("help") or "")


def test_charts_keep_titles_and_legends_apart_and_hover_names():
    """Issue 28 item 14: what follows a title's first " · " is a subtitle line (a long
    title is not clipped); the legend sits under the plot, never over the title; an event's
    hover names the model, not its id."""
    from datetime import datetime

    fig = charts.figure("Error budget per model · the 25 highest of 176", "")
    title = fig.to_dict()["layout"]["title"]
    assert title["text"] == "Error budget per model"
    assert title["subtitle"] == {"text": "the 25 highest of 176"} and title["automargin"]
    legend = fig.to_dict()["layout"]["legend"]
    assert (legend["yref"], legend["y"], legend["yanchor"]) == ("container", 0, "bottom")
    deployments = pl.DataFrame({
        "deployment_id": ["dep-004855"], "model_id": ["mdl-0074"], "model": ["Ranker"],
        "version": ["1.2"], "outcome": ["rolled_back"],
        "deployed_at": [datetime(2026, 12, 1, 9, 30)]})
    incidents = pl.DataFrame({"incident_id": ["INC-7"], "model_id": ["mdl-0074"],
                              "model": ["Ranker"], "severity": [1],
                              "started_at": [datetime(2026, 12, 1, 10)]})
    marks = charts.event_markers(deployments, incidents)
    hovers = [t for m in marks for t in m["hovertext"]]
    assert hovers == ["Ranker v1.2 · rolled back · 01 Dec 09:30", "Sev 1 incident INC-7 on Ranker"]
    assert not any("mdl-" in h or "dep-" in h for h in hovers)


def test_an_events_status_is_its_shape_too():
    """Issue 28 item 13: a failed deployment is a filled red triangle, a good one an open
    green one; status never rests on colour alone (nor on an emoji a browser may lack)."""
    from datetime import datetime

    deployments = pl.DataFrame({
        "deployment_id": ["d1", "d2"], "model_id": ["m", "m"], "model": ["M", "M"],
        "version": ["1", "2"], "outcome": ["failed", "succeeded"],
        "deployed_at": [datetime(2026, 12, 1), datetime(2026, 12, 2)]})
    (marks,) = charts.event_markers(deployments, everything=True)
    assert marks["marker"]["symbol"] == ["triangle-up", "triangle-up-open"]
    assert marks["marker"]["color"][0] == "#dc2626"
    import pathlib
    emoji = "🔴🟠🟡🟢⚪✅❌"
    root = pathlib.Path(__file__).resolve().parents[1]
    for path in [*root.glob("pages/*.py"), *root.glob("dashboard/*.py")]:
        assert not set(emoji) & set(path.read_text()), path


def test_near_a_target_a_miss_never_reads_as_equal():
    """Issue 28 item 11: "99.5% vs SLO 99.5% ✗ missed" and "200 ms vs 200 ms" no more."""
    from dashboard import formats

    assert formats.pct_against(0.99496, 0.995) == "99.496%"
    assert formats.pct(0.995) == "99.50%"
    assert formats.pct_against(0.9, 0.995) == "90.00%"        # far off: the usual digits
    assert formats.ms_against(200.5, 200) == "200.5 ms"
    assert formats.ms_against(None, 200) == "–"

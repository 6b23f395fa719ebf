"""Display helpers: number formats and which links from the data become clickable."""

import polars as pl

from pages import ui


def test_numbers_are_formatted_for_reading_and_missing_values_show_a_dash():
    assert ui.pct(0.99912) == "99.91%"
    assert ui.pct(None) == "–" and ui.pct(float("nan")) == "–"
    assert ui.usd(812.4) == "$812" and ui.usd(2054.1) == "$2.05k"
    assert ui.usd(-1_234_567) == "-$1.23M" and ui.usd(12.5) == "$12.50"
    assert ui.count(1_390_000) == "1.39M" and ui.count(12_345) == "12.3k"
    assert ui.minutes(45) == "45 min" and ui.minutes(150) == "2.5 h"
    assert ui.ms(76.6) == "77 ms"


def test_only_web_links_and_app_paths_are_clickable():
    urls = ["https://runbooks.example.com/a", "HTTP://wiki/x", "/model?id=m1",
            "javascript:alert(1)", "data:text/html,<script>", "//evil.example", None]
    shown = pl.select(ui.safe_link(pl.lit(pl.Series(urls)))).to_series().to_list()
    assert shown == [urls[0], urls[1], urls[2], None, None, None, None]


def test_chart_builds_the_dict_plotly_would():
    fig = ui.figure("Latency", "ms", height=300)
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
    assert "shapes" not in ui.figure("Other", "ms").to_dict()["layout"]


def test_charts_are_validated_under_test():
    import plotly.graph_objects as go
    import pytest

    assert ui.VALIDATE_CHARTS
    fig = ui.figure("A chart", "unit")
    fig.add_scatter(x=[1], y=[1], hovertemplate="%{y}", colour="red")  # not a property
    with pytest.raises(ValueError, match="colour"):
        go.Figure(fig.to_dict(), _validate=ui.VALIDATE_CHARTS)

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

"""modelops.toml: the deployment file is checked whole before anything is fetched, and each
mistake is one line naming the file, the line and the key (issue 27, item 1)."""

from __future__ import annotations

import pytest
from importer_support import FIXTURES

from modelops.cli import main
from modelops.config import file_warehouse, load_config, parse_duration
from modelops.warehouse import UsageError

GOOD = """\
# the deployment
warehouse = "wh/warehouse.duckdb"

[sources.pd]
kind = "pagerduty"
url = "https://api.pagerduty.com"
token_env = "PD_TOKEN"
map = "map.csv"
every = "5m"

[sources.pd.options]
"priority.SEV1" = "1"

[sources.costs]
kind = "focus"
path = "exports/*.csv"
every = "1h"
"""


def write(tmp_path, text, map_text=None):
    (tmp_path / "map.csv").write_text(map_text if map_text is not None
                                      else (FIXTURES / "map.csv").read_text())
    path = tmp_path / "modelops.toml"
    path.write_text(text)
    return path


def test_a_good_file_gives_every_source_with_paths_beside_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PD_TOKEN", "t0ken")
    config = load_config(write(tmp_path, GOOD))
    assert config.warehouse == str(tmp_path / "wh" / "warehouse.duckdb")
    pd, costs = config.sources["pd"], config.sources["costs"]
    assert (pd.kind, pd.url, pd.every_s, pd.overlap_s, pd.backfill_s) == (
        "pagerduty", "https://api.pagerduty.com", 300, 86400, 7 * 86400)
    assert pd.map_path == tmp_path / "map.csv"
    assert pd.options == {"priority.SEV1": "1"}
    assert pd.token() == "t0ken"
    assert (costs.kind, costs.path, costs.every_s, costs.url) == (
        "focus", str(tmp_path / "exports" / "*.csv"), 3600, None)


@pytest.mark.parametrize("change, line, message", [
    (("every = \"5m\"\n\n[sources.pd.options]", "\n[sources.pd.options]"),
     4, "sources.pd: the key 'every' is missing"),
    (("token_env = \"PD_TOKEN\"", "token_env = \"PD_TOKEN\"\ntokn = \"x\""),
     8, "sources.pd.tokn: unknown key (known: kind, url, path,"),
    (("warehouse =", "warehose ="), 2, "warehose: unknown key (known: warehouse, sources, subscriptions)"),
    (("kind = \"focus\"", "kind = \"focuss\""), 15, "sources.costs.kind: unknown importer"),
    (("every = \"1h\"", "every = \"hourly\""), 17,
     "sources.costs.every: 'hourly' is not a duration"),
    (("path = \"exports/*.csv\"", "url = \"https://x\""), 16,
     "sources.costs.url: focus reads files only: use 'path'"),
    (("url = \"https://api.pagerduty.com\"",
      "url = \"https://api.pagerduty.com\"\npath = \"x/*\""), 4,
     "sources.pd: give exactly one of 'url'"),
    (("map = \"map.csv\"", "map = \"nowhere.csv\""), 8,
     "sources.pd.map: "),
    (("every = \"5m\"", "every = \"5s\""), 9, "sources.pd.every: at least 10s"),
    (("[sources.costs]", "[sources.costs]\nkind = \"gx\""), 16, "not valid TOML: Cannot overwrite a value"),
])
def test_each_mistake_is_one_line_naming_file_line_and_key(tmp_path, monkeypatch, change,
                                                           line, message):
    monkeypatch.setenv("PD_TOKEN", "t0ken")
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(UsageError) as error:
        load_config(path)
    text = str(error.value)
    assert "\n" not in text
    assert text.startswith(f"{path}:{line}: {message}"), text


def test_a_missing_token_variable_names_its_key_line_and_never_a_token(tmp_path,
                                                                         monkeypatch):
    monkeypatch.delenv("PD_TOKEN", raising=False)
    path = write(tmp_path, GOOD)
    with pytest.raises(UsageError) as error:
        load_config(path)
    assert str(error.value) == (f"{path}:7: sources.pd.token_env: "
                                "the variable PD_TOKEN is not set")


def test_an_unreadable_map_names_the_map_key_and_the_map_line(tmp_path, monkeypatch):
    monkeypatch.setenv("PD_TOKEN", "t0ken")
    path = write(tmp_path, GOOD, map_text="src,key\npagerduty,PSVC1\n")
    with pytest.raises(UsageError) as error:
        load_config(path)
    assert str(error.value) == (
        f"{path}:8: sources.pd.map: {tmp_path / 'map.csv'}:1: the header must be "
        "source,key,model_id (got src,key)")


def test_the_cli_exits_2_with_the_line_before_fetching_anything(tmp_path, monkeypatch,
                                                                  capsys):
    monkeypatch.delenv("PD_TOKEN", raising=False)
    path = write(tmp_path, GOOD)
    assert main(["sync", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == (f"modelops sync: {path}:7: sources.pd.token_env: "
                   "the variable PD_TOKEN is not set\n")
    assert not (tmp_path / "wh").exists()


def test_a_missing_file_and_the_environment_variable(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MODELOPS_CONFIG", str(tmp_path / "nope.toml"))
    assert main(["sync"]) == 2
    assert capsys.readouterr().err == (
        f"modelops sync: {tmp_path / 'nope.toml'}: cannot read the configuration "
        "(No such file or directory)\n")


def test_durations():
    assert [parse_duration(t) for t in ("30s", "5m", "1h30m", "2d")] == [
        30, 300, 5400, 172800]
    for bad in ("", "5", "m5", "5 minutes", "1h-"):
        with pytest.raises(ValueError):
            parse_duration(bad)


SUBSCRIPTION = """
[subscriptions.managers]
to = ["alice@example.com"]
business_units = ["b1"]
"""


def test_one_file_holds_sources_and_subscriptions_and_both_are_checked(tmp_path, monkeypatch):
    """The deployment file of DESIGN.md: sync reads a file that also holds subscriptions,
    and a mistake in a subscription is found by sync too, on its own line."""
    monkeypatch.setenv("PD_TOKEN", "t")
    config = load_config(write(tmp_path, GOOD + SUBSCRIPTION))
    assert set(config.sources) == {"pd", "costs"}
    bad = write(tmp_path, GOOD + SUBSCRIPTION + 'colour = "red"\n')
    with pytest.raises(UsageError) as error:
        load_config(bad)
    line = (GOOD + SUBSCRIPTION).count("\n") + 1
    assert str(error.value).startswith(f"{bad}:{line}: subscriptions.managers.colour: ")


def test_deliver_takes_the_files_warehouse_beside_the_file(tmp_path):
    """`deliver` and `sync` write to the same warehouse: the file's, read from its folder,
    without needing the sources' tokens."""
    path = write(tmp_path, GOOD + SUBSCRIPTION)  # PD_TOKEN unset: deliver does not need it
    assert file_warehouse(path) == str(tmp_path / "wh" / "warehouse.duckdb")
    assert file_warehouse(write(tmp_path, SUBSCRIPTION)) is None

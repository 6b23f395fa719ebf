"""Finding a model among thousands (dashboard/model_search.py): past 200 models, the
sidebar's Models filter and Model detail's picker list only the matches of a search box."""

from __future__ import annotations

from datetime import UTC, datetime, time

import duckdb
import pytest

from dashboard.model_search import LISTED, listing

NAMES = {"m1": "Fraud EU", "m2": "fraud US", "m3": "Churn EU", "m4": "Churn", "m5": "Basket"}


def test_no_search_lists_every_model_by_name_then_id():
    found = listing(NAMES)
    # Case counts in the order ("Basket" < "Churn" < "Churn EU" < "Fraud EU" < "fraud US").
    assert found.options == ["m5", "m4", "m3", "m1", "m2"]
    assert (found.matches, found.listed, found.note()) == (5, 5, None)


def test_every_word_must_be_in_the_name_or_the_id_in_any_case():
    assert listing(NAMES, "FRAUD").options == ["m1", "m2"]
    assert listing(NAMES, "eu churn").options == ["m3"]
    assert listing(NAMES, "m4").options == ["m4"]  # the id
    assert listing(NAMES, "churn m3").options == ["m3"]  # a word of each


def test_a_limit_lists_the_first_matches_and_says_how_many_match():
    found = listing(NAMES, "", limit=2)
    assert found.options == ["m5", "m4"]
    assert found.note() == ("5 models match: the first 2 by name are listed. Type more of a "
                            "name or id to narrow.")


def test_the_models_kept_come_first_and_do_not_count_against_the_limit():
    found = listing(NAMES, "fraud", keep=["m4", "gone", "m1"], limit=1)
    # m4 (chosen, no match) and m1 (chosen) are kept; "gone" is no model; one match listed.
    assert found.options == ["m4", "m1", "m2"]
    assert (found.matches, found.listed) == (2, 1)


def test_no_match_says_so_without_repeating_the_search():
    found = listing(NAMES, "<b>nothing</b>")
    assert found.options == []
    assert found.note("models") == "No model has every word searched in its name or id."


# --- in the app -------------------------------------------------------------------------

MODELS = LISTED + 3


@pytest.fixture(scope="module")
def many_models(tmp_path_factory):
    """A demo warehouse of 203 models: three more than a picker lists."""
    from modelops.demo import build_demo

    path = tmp_path_factory.mktemp("many") / "warehouse.duckdb"
    end = datetime.combine(datetime.now(UTC).date(), time())
    build_demo(path, models=MODELS, days=3, seed=5, end=end, progress=lambda line: None)
    with duckdb.connect(str(path), read_only=True) as con:
        names = dict(con.execute("SELECT model_id, name FROM models").fetchall())
    return path, names


def by_name(names):
    return sorted(names, key=lambda m: (names[m], m))


def test_the_sidebar_lists_200_models_and_finds_the_others(app, many_models):
    path, names = many_models
    at = app(path, page="pages/overview.py")
    find = at.text_input(key="model_find")
    models = at.multiselect(key="model")
    assert len(models.options) == LISTED
    assert any(f"{MODELS} models match: the first {LISTED} by name are listed" in c.value
               for c in at.sidebar.caption)
    last = by_name(names)[-1]  # not listed until searched for
    assert names[last] not in models.options
    find.input(last).run()
    assert at.multiselect(key="model").options == [names[last]]
    at.multiselect(key="model").select(last).run()
    assert at.query_params["model"] == last
    # A new search keeps the model chosen, listed first, and the filter on.
    at.text_input(key="model_find").input("").run()
    models = at.multiselect(key="model")
    assert models.value == [last]
    assert models.options[0] == names[last] and len(models.options) == LISTED + 1
    assert not at.exception


def test_a_link_to_a_model_past_the_first_200_keeps_it(app, many_models):
    path, names = many_models
    last = by_name(names)[-1]
    at = app(path, page="pages/overview.py", model=last)
    assert at.multiselect(key="model").value == [last]
    assert not at.sidebar.warning  # not "unknown models"


def test_model_detail_finds_a_model_past_the_first_200(app, many_models):
    path, names = many_models
    ordered = by_name(names)
    at = app(path, page="pages/model_detail.py", id=ordered[-1])
    picker = at.selectbox(key="detail_model")
    assert picker.value == ordered[-1]
    assert len(picker.options) == LISTED + 1  # the model shown, then the first 200
    at.text_input(key="detail_find").input(ordered[-2]).run()
    picker = at.selectbox(key="detail_model")
    assert picker.options == [f"{names[m]} · {m}" for m in (ordered[-1], ordered[-2])]
    picker.set_value(ordered[-2]).run()
    assert at.query_params["id"] == ordered[-2]


def test_up_to_200_models_there_is_no_search_box(app, demo_warehouse):
    at = app(demo_warehouse, page="pages/model_detail.py")
    assert not [t for t in at.text_input if t.key in ("model_find", "detail_find")]
    assert len(at.selectbox(key="detail_model").options) == 24

"""Access by business unit: a scoped user sees nothing of another business unit, anywhere."""

from __future__ import annotations

import re
from datetime import date

import pytest

from dashboard.text import WORD_JOINER
from modelops import access
from modelops.warehouse import reading
from queries.catalog import model_catalog
from queries.filters import Filter

PAGES = [
    "pages/overview.py", "pages/reliability.py", "pages/incidents.py", "pages/releases.py",
    "pages/cost_value.py", "pages/model_quality.py", "pages/governance.py",
    "pages/model_detail.py", "pages/weekly_report.py", "pages/data.py",
    "pages/week_in_review.py", "pages/team.py",
]


# --- the policy -------------------------------------------------------------------------

def write_policy(tmp_path, text: str):
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return path


def test_policy_grants_admins_and_strangers(tmp_path):
    policy = access.load_policy(write_policy(tmp_path, """
        admins = ["Boss@Example.com"]
        [grants]
        "alice@example.com" = ["retail", "payments", "retail"]
    """))
    assert access.scope_for(policy, "boss@example.com") == access.Scope(
        "boss@example.com", None, admin=True)
    alice = access.scope_for(policy, " ALICE@example.com ")
    assert alice.business_units == ("payments", "retail") and alice.has_access
    assert not access.scope_for(policy, "mallory@example.com").has_access
    assert not access.scope_for(policy, None).has_access
    assert access.scope_for(None, None) is access.OPEN


@pytest.mark.parametrize("text,message", [
    ("admins = 'boss'", "`admins` must be a list"),
    ("[grants]\nalice = 'retail'", "`grants` must map each user"),
    ("admins = [", "not valid TOML"),
])
def test_a_bad_policy_is_refused_with_its_file_named(tmp_path, text, message):
    path = write_policy(tmp_path, text)
    with pytest.raises(access.PolicyError, match=message) as error:
        access.load_policy(path)
    assert str(path) in str(error.value)


def test_the_scope_bounds_every_query_parameter():
    day = date(2026, 11, 2)
    open_filter = Filter.for_days(day, day)
    assert open_filter.params()["business_units"] == []
    scoped = Filter.for_days(day, day, allowed_business_units=("retail",))
    assert scoped.params()["business_units"] == ["retail"]
    chose_foreign = Filter.for_days(day, day, business_units=("risk",),
                                    allowed_business_units=("retail",))
    assert chose_foreign.params()["business_units"] == [""]
    mixed = Filter.for_days(day, day, business_units=("risk", "retail"),
                            allowed_business_units=("retail", "payments"))
    assert mixed.params()["business_units"] == ["retail"]
    nothing = Filter.for_days(day, day, allowed_business_units=())
    assert nothing.params()["business_units"] == [""]


# --- in the app -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def units(demo_warehouse):
    with reading(demo_warehouse) as con:
        catalog = model_catalog(con)
    mine = catalog["business_unit_id"][0]
    own = catalog.filter(catalog["business_unit_id"] == mine)
    other = catalog.filter(catalog["business_unit_id"] != mine)
    return {
        "mine": mine,
        "mine_name": own["business_unit"][0],
        "own_models": set(own["model_id"]),
        "foreign_models": set(other["model_id"]),
        "foreign_names": set(other["model"]) | set(other["business_unit"]) | set(other["team"]),
        "foreign_bu": other["business_unit_id"][0],
    }


@pytest.fixture
def policy(tmp_path, monkeypatch, units):
    path = write_policy(tmp_path, f"""
        admins = ["boss@example.com"]
        [grants]
        "alice@example.com" = ["{units['mine']}"]
    """)
    monkeypatch.setenv("MODELOPS_ACCESS_POLICY", str(path))
    return path


def scoped_app(app, warehouse, user, page=None, **params):
    return app(warehouse, page, user=user, **params)


def shown_values(at) -> set[str]:
    """Every cell of every table and every option of every select on the screen."""
    values = set()
    for frame in at.dataframe:
        for column in frame.value.columns:
            values |= {str(v) for v in frame.value[column].tolist()}
    for widget in list(at.multiselect) + list(at.selectbox):
        values |= {str(o) for o in widget.options}
    return values


@pytest.mark.parametrize("page", PAGES)
def test_a_scoped_user_sees_no_row_of_another_business_unit(app, demo_warehouse, policy, units,
                                                            page):
    # An admin runs the page first, so the cache holds unscoped results for the same view.
    scoped_app(app, demo_warehouse, "boss@example.com", page)
    if page == "pages/data.py":  # admins only: not even in a scoped user's navigation
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            scoped_app(app, demo_warehouse, "alice@example.com", page)
        return
    at = scoped_app(app, demo_warehouse, "alice@example.com", page)
    leaked = shown_values(at) & (units["foreign_models"] | units["foreign_names"])
    assert not leaked, leaked


def test_the_admin_sees_every_business_unit(app, demo_warehouse, policy, units):
    at = scoped_app(app, demo_warehouse, "boss@example.com", "pages/overview.py")
    shown = shown_values(at)
    assert units["foreign_models"] & shown or units["foreign_names"] & shown


def test_a_foreign_business_unit_in_the_link_changes_nothing(app, demo_warehouse, policy, units):
    plain = scoped_app(app, demo_warehouse, "alice@example.com")
    crafted = scoped_app(app, demo_warehouse, "alice@example.com", bu=units["foreign_bu"])
    assert [m.value for m in crafted.metric] == [m.value for m in plain.metric]
    assert any("unknown business units" in w.value for w in crafted.sidebar.warning)


def test_a_foreign_model_in_the_detail_link_shows_nothing_of_it(app, demo_warehouse, policy,
                                                               units):
    foreign = min(units["foreign_models"])
    at = scoped_app(app, demo_warehouse, "alice@example.com", "pages/model_detail.py")
    at.query_params["id"] = foreign
    at.run()
    assert not shown_values(at) & (units["foreign_models"] | units["foreign_names"])
    assert at.warning, "a model outside the user's scope must say so"
    assert not at.metric


def test_a_user_without_a_grant_sees_no_access(app, demo_warehouse, policy):
    at = scoped_app(app, demo_warehouse, "mallory@example.com")
    assert at.title[0].value == "No access"
    assert not at.dataframe and not at.metric


def test_without_a_policy_the_app_is_open(app, demo_warehouse, monkeypatch, units):
    monkeypatch.delenv("MODELOPS_ACCESS_POLICY", raising=False)
    at = app(demo_warehouse, "pages/overview.py")
    shown = shown_values(at)
    assert units["foreign_models"] & shown or units["foreign_names"] & shown


# --- policy changes and broken policies (issues 11.2, 18.2, 18.3) --------------------------

def page_text(at) -> str:
    """Every text the page shows: titles, alerts, markdown, captions, exceptions, as a reader
    sees them (the Markdown escapes and word joiners of dashboard.text.plain undone)."""
    parts = [e.value for e in at.title] + [e.value for e in at.error]
    parts += [e.value for e in at.warning] + [e.value for e in at.markdown]
    parts += [e.value for e in at.caption] + [e.value for e in at.exception]
    text = "\n".join(str(p) for p in parts)
    return re.sub(r"\\(.)", r"\1", text).replace(WORD_JOINER, "")


def test_a_policy_change_applies_on_the_next_rerun(app, demo_warehouse, policy, units):
    at = scoped_app(app, demo_warehouse, "alice@example.com", "pages/overview.py")
    assert at.title[0].value == "Overview" and at.metric
    granted = policy.read_text()
    # Revoked in place, same size and inode, within the same clock tick: still seen.
    revoked = granted.replace("alice@example.com", "alicx@example.com")
    assert len(revoked) == len(granted)
    policy.write_text(revoked)
    at.run()
    assert not at.exception
    assert at.title[0].value == "No access" and not at.metric and not at.dataframe
    policy.write_text(granted)
    at.run()
    assert at.title[0].value == "Overview" and at.metric


@pytest.mark.parametrize("breakage,reason", [
    ("corrupt", "the file is not valid TOML"),
    ("delete", "the file does not exist"),
    ("directory", "the path is a directory, not a file"),
    ("wrong types", "`admins` must be a list of user names"),
    ("not utf-8", "the file is not UTF-8 text"),
])
def test_a_broken_policy_fails_closed_with_a_plain_page_and_a_log_line(
        app, demo_warehouse, policy, monkeypatch, caplog, breakage, reason):
    at = scoped_app(app, demo_warehouse, "boss@example.com", "pages/overview.py")
    assert at.title[0].value == "Overview"
    secret = 'admins = ["boss@example.com"'
    if breakage == "corrupt":
        policy.write_text(secret + "\n[grants\n")
    elif breakage == "delete":
        policy.unlink()
    elif breakage == "directory":
        monkeypatch.setenv("MODELOPS_ACCESS_POLICY", str(policy.parent))
    elif breakage == "wrong types":
        policy.write_text('admins = "boss@example.com"\n')
    else:
        policy.write_bytes(b'admins = ["boss\xff@example.com"]\n')
    with caplog.at_level("ERROR", logger="modelops.access"):
        at.run()
    assert not at.exception
    assert at.title[0].value == "No access" and not at.metric and not at.dataframe
    shown = page_text(at)
    assert f"access policy cannot be read: {reason}" in shown
    assert str(policy.parent) not in shown and "boss@" not in shown and "Traceback" not in shown
    logged = [r for r in caplog.records if r.name == "modelops.access"]
    assert logged and str(policy.parent) in logged[-1].getMessage()


def test_a_policy_set_but_empty_fails_closed(app, demo_warehouse, monkeypatch):
    monkeypatch.setenv("MODELOPS_ACCESS_POLICY", "")
    at = app(demo_warehouse)
    assert at.title[0].value == "No access" and not at.metric and not at.dataframe
    assert "MODELOPS_ACCESS_POLICY is set but empty" in page_text(at)


def test_a_policy_with_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_bytes('\ufeffadmins = ["boss@example.com"]\n'.encode())
    assert access.load_policy(path).admins == {"boss@example.com"}


@pytest.mark.parametrize("text", ['header = ""', "header = 3"])
def test_a_policy_header_must_name_a_header(tmp_path, text):
    with pytest.raises(access.PolicyError, match="`header` must be a header name"):
        access.load_policy(write_policy(tmp_path, text))


def test_a_broken_policy_is_logged_once_per_change(tmp_path, caplog):
    path = write_policy(tmp_path, "admins = [")
    env = {"MODELOPS_ACCESS_POLICY": str(path)}
    with caplog.at_level("INFO", logger="modelops.access"):
        for _ in range(3):
            assert not access.current_scope(NO_HEADERS, {"email": "a@x"}, env).has_access
        path.write_text('[grants]\n"a@x" = ["retail"]\n')
        assert access.current_scope(NO_HEADERS, {"email": "a@x"}, env).business_units == (
            "retail",)
    records = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert [level for level, _ in records] == ["ERROR", "INFO"], records
    assert str(path) in records[0][1] and "not valid TOML" in records[0][1]


# --- the identity header (issue 18.1) ---------------------------------------------------

def headers(*pairs):
    """Request headers as Streamlit hands them to the script (st.context.headers)."""
    from streamlit.runtime.context import StreamlitHeaders

    return StreamlitHeaders(pairs)


NO_HEADERS = headers()


@pytest.fixture
def header_env(tmp_path):
    path = write_policy(tmp_path, """
        header = "X-Forwarded-Email"
        admins = ["ops-lead@example.com"]
        [grants]
        "alice@example.com" = ["retail"]
    """)
    return {"MODELOPS_ACCESS_POLICY": str(path)}


def test_the_policy_header_names_the_user(header_env):
    scope = access.current_scope(headers(("x-forwarded-email", "Alice@example.com")),
                                 {"email": "ops-lead@example.com"}, header_env)
    assert scope == access.Scope("alice@example.com", ("retail",))
    assert not access.current_scope(NO_HEADERS, {}, header_env).has_access


@pytest.mark.parametrize("sent", [
    [("X-Forwarded-Email", "ops-lead@example.com"), ("X-Forwarded-Email", "alice@example.com")],
    [("X-Forwarded-Email", "alice@example.com"), ("x-forwarded-email", "alice@example.com")],
    [("X-Forwarded-Email", "ops-lead@example.com, alice@example.com")],
    [("X-Forwarded-Email", "ops-lead@example.com,")],
])
def test_an_identity_header_sent_twice_or_comma_joined_is_refused(header_env, caplog, sent):
    with caplog.at_level("WARNING", logger="modelops.access"):
        scope = access.current_scope(headers(*sent), {}, header_env)
    assert scope.user is None and scope.business_units == () and not scope.has_access
    title, message = scope.refusal
    assert title == "No access" and message.startswith("Access refused: this request names")
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "X-Forwarded-Email" in caplog.records[0].getMessage()


def test_a_trusted_user_header_sent_twice_is_refused(tmp_path):
    """--server.trustedUserHeaders fills st.user.email from the first value: refuse that."""
    env = {"MODELOPS_ACCESS_POLICY": str(write_policy(
        tmp_path, 'admins = ["ops-lead@example.com"]'))}
    trusted = {"X-Forwarded-User": "email"}
    twice = headers(("X-Forwarded-User", "ops-lead@example.com"),
                    ("X-Forwarded-User", "mallory@example.com"))
    assert not access.current_scope(twice, {"email": "ops-lead@example.com"}, env,
                                    trusted).has_access
    once = headers(("X-Forwarded-User", "ops-lead@example.com"))
    assert access.current_scope(once, {"email": "ops-lead@example.com"}, env, trusted).admin


def test_without_a_policy_nothing_is_refused():
    assert access.current_scope(headers(("X-Forwarded-Email", "a, b")), {}, {}) is access.OPEN


# --- identity normalisation (issue 24, items 11 and 12) ---------------------------------

@pytest.mark.parametrize("first, second", [
    ('"alice@example.com" = ["retail"]', '"Alice@Example.com" = ["payments"]'),
    ('"Alice@Example.com" = ["payments"]', '"alice@example.com" = ["retail"]'),
])
def test_a_user_granted_twice_in_different_case_fails_closed_naming_both_lines(
        tmp_path, first, second):
    path = write_policy(tmp_path, f"[grants]\n{first}\n'bob@example.com' = ['risk']\n{second}\n")
    with pytest.raises(access.PolicyError) as error:
        access.load_policy(path)
    a, b = first.split(" = ")[0].strip('"'), second.split(" = ")[0].strip('"')
    assert error.value.reason == (f"{a!r} (line 2) and {b!r} (line 4) are the same user; "
                                  "keep one grant")


def test_identities_are_compared_by_ascii_case_folding_only(tmp_path):
    policy = access.load_policy(write_policy(tmp_path, """
        admins = ["ops-lead@example.com"]
        [grants]
        "kate@example.com" = ["retail"]
        "o'brien+ml@example.com" = ["risk"]
    """))
    assert access.scope_for(policy, "KATE@Example.COM").business_units == ("retail",)
    assert access.scope_for(policy, "\tO'Brien+ML@example.com ").business_units == ("risk",)
    assert access.scope_for(policy, " ops-lead@example.com").admin
    kelvin = "\u212aate@example.com"  # KELVIN SIGN: str.lower() gives "kate@example.com"
    assert kelvin.lower() == "kate@example.com"
    for name in (kelvin, "ops-lead@example.com\u00a0", "\u2003ops-lead@example.com",
                 "kate@exa\u0301mple.com", "kate@example.com\n"):
        scope = access.scope_for(policy, name)
        assert not scope.has_access and not scope.admin and scope.business_units == ()
        assert scope.refused.startswith("Access refused: your user name holds characters")


@pytest.mark.parametrize("text, reason", [
    ('admins = ["ops-lead@example.com\u00a0"]',
     ("the admin 'ops-lead@example.com\\xa0' (line 1) holds a character outside ASCII letters, "
     "digits and . _ % + - ' @")),
    ('[grants]\n"\u212aate@example.com" = ["retail"]',
     ("the grant for '\u212aate@example.com' (line 2) holds a character outside ASCII letters, "
     "digits and . _ % + - ' @")),
])
def test_a_policy_name_outside_the_allowed_characters_fails_closed(tmp_path, text, reason):
    with pytest.raises(access.PolicyError) as error:
        access.load_policy(write_policy(tmp_path, text))
    assert error.value.reason == reason


# --- revocation reaches fragments and downloads (issue 24, item 10) ---------------------

def run_fragments_only(at, monkeypatch):
    """Rerun only the fragments the page registered, as a click on a fragment's own control
    does in the browser (AppTest's run() always reruns the whole script, app.py included)."""
    import dataclasses

    from streamlit.testing.v1 import local_script_runner

    ids = list(at._fragment_storage._fragments)
    assert ids, "the page registered no fragment"
    real = local_script_runner.RerunData

    def fragment_rerun(**kwargs):
        return dataclasses.replace(real(**kwargs), fragment_id_queue=ids)

    monkeypatch.setattr(local_script_runner, "RerunData", fragment_rerun)
    try:
        at.run()
    finally:
        monkeypatch.setattr(local_script_runner, "RerunData", real)
    return at


def revoke_alice(policy):
    policy.write_text('admins = ["boss@example.com"]\n[grants]\n"bob@example.com" = ["x"]\n')


@pytest.mark.parametrize("page, drawn_by_fragment", [
    ("pages/incidents.py", lambda at: len(at.get("plotly_chart")) + len(at.dataframe)),
    ("pages/reliability.py", lambda at: len(at.get("plotly_chart")) + len(at.dataframe)),
    ("pages/cost_value.py", lambda at: len(at.get("plotly_chart")) + len(at.dataframe)),
])
def test_a_revoked_grant_stops_the_next_fragment_run(app, demo_warehouse, policy, monkeypatch,
                                                      page, drawn_by_fragment):
    at = scoped_app(app, demo_warehouse, "alice@example.com", page)
    run_fragments_only(at, monkeypatch)  # with the grant: the fragments draw again
    assert not at.exception and drawn_by_fragment(at) > 0
    assert "No access" not in [t.value for t in at.title]
    revoke_alice(policy)
    run_fragments_only(at, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    assert drawn_by_fragment(at) == 0
    assert [t.value for t in at.title] == ["No access"]


def test_a_revoked_grant_stops_the_review_download(app, demo_warehouse, policy, monkeypatch):
    from dashboard import identity

    built = {}
    real = identity.guarded

    def keep(build):
        guarded = real(build)
        built.setdefault("first", guarded)
        return guarded

    monkeypatch.setattr(identity, "guarded", keep)
    scoped_app(app, demo_warehouse, "alice@example.com", "pages/week_in_review.py")
    download = built["first"]  # the "Download Markdown" button's builder, as drawn
    assert download().startswith(b"# Week in review")
    revoke_alice(policy)
    with pytest.raises(identity.AccessChanged):
        download()

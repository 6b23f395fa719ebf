"""The `[subscriptions.*]` tables and `every`: one-line errors naming file, line and key;
the cron matcher and the weekly time in its own zone across DST; when a loop is due."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from modelops.access import parse_policy
from modelops.delivery.run import due_week, email_scope, webhook_scope
from modelops.delivery.schedule import parse_every
from modelops.delivery.subscriptions import load_subscriptions
from modelops.warehouse import UsageError

GOOD = """\
warehouse = "wh.duckdb"

[subscriptions.managers]
to = ["alice@example.com"]
business_units = ["b1", "b2"]
every = "monday 08:00 Europe/Berlin"

[[subscriptions.managers.webhooks]]
kind = "teams"
url_env = "TEAMS_URL"
business_units = ["*"]
"""


def load(tmp_path, text):
    path = tmp_path / "modelops.toml"
    path.write_text(text)
    return load_subscriptions(path)


def test_a_subscription_is_read_with_its_defaults(tmp_path):
    (sub,) = load(tmp_path, GOOD).values()
    assert (sub.name, sub.to, sub.send, sub.group_by) == (
        "managers", ("alice@example.com",), ("review", "csv"), "model")
    (hook,) = sub.webhooks
    assert (hook.kind, hook.url_env, hook.business_units) == ("teams", "TEAMS_URL", None)
    assert webhook_scope(sub, hook) == ("b1", "b2")


@pytest.mark.parametrize("change, message", [
    (("business_units = [\"b1\", \"b2\"]", "business_units = [\"b1\"]\nsned = [\"csv\"]"),
     ":6: subscriptions.managers.sned: unknown key (known: to, send,"),
    (("to = [\"alice@example.com\"]", "to = [\"alice@example.com\\nBcc: x@evil.com\"]"),
     ":4: subscriptions.managers.to: 'alice@example.com\\nBcc: x@evil.com' is not an e-mail"),
    (("to = [\"alice@example.com\"]", "to = [\"alice@example.com\", \"Alice@example.com\"]"),
     ":4: subscriptions.managers.to: Alice@example.com is listed twice"),
    (("monday 08:00 Europe/Berlin", "monday 8h Europe/Berlin"),
     ":6: subscriptions.managers.every: 'monday 8h Europe/Berlin': expected like"),
    (("monday 08:00 Europe/Berlin", "monday 08:00 Mars/Olympus"),
     ":6: subscriptions.managers.every: unknown time zone 'Mars/Olympus'"),
    (("monday 08:00 Europe/Berlin", "0 8 * * 8"),
     ":6: subscriptions.managers.every: day of week field '8' is outside 0-7"),
    (("business_units = [\"*\"]\n", ""),
     ":8: subscriptions.managers.webhooks.business_units: a channel's scope is explicit"),
    (("kind = \"teams\"", "kind = \"discord\""),
     ":9: subscriptions.managers.webhooks.kind: one of slack, teams"),
])
def test_a_mistake_is_one_line_with_file_line_and_key(tmp_path, change, message):
    with pytest.raises(UsageError) as error:
        load(tmp_path, GOOD.replace(*change))
    text = str(error.value)
    assert text.startswith(str(tmp_path / "modelops.toml") + message[:message.index(":", 1)])
    assert message in text and "\n" not in text.strip()


def test_policy_scope_per_address(tmp_path):
    (sub,) = load(tmp_path, GOOD).values()
    policy = parse_policy(b'admins = ["boss@example.com"]\n[grants]\n'
                          b'"Alice@Example.com" = ["b2", "b9"]\n"eve@example.com" = ["b9"]\n')
    assert email_scope(policy, sub, "alice@example.com") == ("b2",)   # within the filter
    assert email_scope(policy, sub, "eve@example.com") is None        # nothing in common
    assert email_scope(policy, sub, "nobody@example.com") is None
    assert email_scope(policy, sub, "boss@example.com") == ("b1", "b2")
    assert email_scope(None, sub, "nobody@example.com") == ("b1", "b2")


def test_monday_0800_berlin_is_0600_utc_in_summer_and_0700_in_winter():
    every = parse_every("monday 08:00 Europe/Berlin")
    assert every.matches(datetime(2026, 5, 18, 6, 0, tzinfo=UTC))
    assert not every.matches(datetime(2026, 5, 18, 7, 0, tzinfo=UTC))
    assert every.matches(datetime(2026, 12, 7, 7, 0, tzinfo=UTC))
    assert every.next_after(datetime(2026, 12, 7, 7, 0, tzinfo=UTC)) == datetime(
        2026, 12, 14, 7, 0, tzinfo=UTC)


def test_cron_fields_steps_ranges_and_either_day():
    every = parse_every("*/20 8-9 * * 1-5")
    hits = [t for t in (datetime(2026, 5, 18, h, m, tzinfo=UTC)
                        for h in range(7, 11) for m in range(60)) if every.matches(t)]
    assert [(t.hour, t.minute) for t in hits] == [(8, 0), (8, 20), (8, 40), (9, 0),
                                                  (9, 20), (9, 40)]
    assert not every.matches(datetime(2026, 5, 17, 8, 0, tzinfo=UTC))     # a Sunday
    # both day fields restricted: the 1st of the month OR a Sunday (cron's rule)
    either = parse_every("0 8 1 * 0 Europe/Berlin")
    assert either.matches(datetime(2026, 5, 17, 6, 0, tzinfo=UTC))        # Sunday 17th
    assert either.matches(datetime(2026, 6, 1, 6, 0, tzinfo=UTC))         # Monday 1st
    assert not either.matches(datetime(2026, 6, 2, 6, 0, tzinfo=UTC))
    assert parse_every("0 8 * * 7").matches(datetime(2026, 5, 17, 8, 0, tzinfo=UTC))


def test_the_loop_delivers_the_last_week_once_its_time_has_come(tmp_path):
    (sub,) = load(tmp_path, GOOD).values()
    assert due_week(sub, datetime(2026, 5, 18, 5, 59, tzinfo=UTC)) is None
    assert due_week(sub, datetime(2026, 5, 18, 6, 0, tzinfo=UTC)) == "2026-W20"
    assert due_week(sub, datetime(2026, 5, 21, 12, 0, tzinfo=UTC)) == "2026-W20"  # restart

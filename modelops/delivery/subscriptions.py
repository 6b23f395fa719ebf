"""The `[subscriptions.NAME]` tables of modelops.toml: who gets the week, what, and when.

    [subscriptions.managers]
    to = ["alice@example.com", "bob@example.com"]   # e-mail; each scoped by the policy
    send = ["review", "csv"]                         # review (HTML mail / Markdown chat),
                                                     # csv or xlsx (the weekly report)
    business_units = ["retail"]                      # the filter without a policy
    group_by = "model"                               # the report's grouping
    every = "monday 08:00 Europe/Berlin"             # or a cron expression
    dashboard_url = "https://modelops.example.com"   # links back (optional)
    subject = "Week in review"                       # optional prefix of the subject

    [[subscriptions.managers.webhooks]]              # a chat channel is not a person:
    kind = "slack"                                   # slack or teams
    url_env = "SLACK_OPS_WEBHOOK"                    # the URL is a secret: its variable
    business_units = ["retail"]                      # its scope, always explicit ("*": all)

Every mistake is one line naming the file, the line and the key, raised as UsageError
(exit 2), in the style of modelops/config.py (the same file's `warehouse` and `[sources]`).
A webhook URL is read from its variable when sending, never written in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from modelops.delivery.schedule import Schedule, parse_every
from modelops.reports.weekly import GROUP_BY
from modelops.toml_file import failer, read_toml

SUBSCRIPTION_KEYS = ("to", "send", "business_units", "teams", "group_by", "every",
                     "dashboard_url", "subject", "webhooks")
WEBHOOK_KEYS = ("kind", "url_env", "business_units")
WEBHOOK_KINDS = ("slack", "teams")
SEND = ("review", "csv", "xlsx")
ALL = "*"
# An address we are willing to hand to SMTP: one @, no spaces, no header-breaking bytes.
_ADDRESS = re.compile(r"[^@\s<>,;\"'\x00-\x1f]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


@dataclass(frozen=True)
class Webhook:
    kind: str
    url_env: str
    business_units: tuple[str, ...] | None   # None: every business unit


@dataclass(frozen=True)
class Subscription:
    name: str
    to: tuple[str, ...]
    send: tuple[str, ...]
    business_units: tuple[str, ...]          # empty: all (the filter without a policy)
    teams: tuple[str, ...]
    group_by: str
    every: Schedule | None
    dashboard_url: str | None
    subject: str
    webhooks: tuple[Webhook, ...]


def load_subscriptions(path: Path) -> dict[str, Subscription]:
    """The checked `[subscriptions.*]` of the deployment file; other top-level keys are
    config.py's to check."""
    path = Path(path)
    text, doc = read_toml(path)
    return parse_subscriptions(path, text, doc)


def parse_subscriptions(path: Path, text: str, doc: dict) -> dict[str, Subscription]:
    fail = failer(path, text)

    tables = doc.get("subscriptions", {})
    if not isinstance(tables, dict):
        fail(("subscriptions",), "must be a table of [subscriptions.NAME] tables")
    return {name: _subscription(name, table, fail) for name, table in tables.items()}


def _strings(value, at, fail, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                              for v in value):
        fail(at, f"must be a list of {what}")
    return tuple(v.strip() for v in value)


def _subscription(name: str, table, fail) -> Subscription:
    at = ("subscriptions", name)
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        fail(at, "a subscription name is letters, digits, '-' and '_' (at most 64)")
    if not isinstance(table, dict):
        fail(at, "must be a table ([subscriptions.NAME])")
    for key in table:
        if key not in SUBSCRIPTION_KEYS:
            fail((*at, key), f"unknown key (known: {', '.join(SUBSCRIPTION_KEYS)})")
    to = _strings(table.get("to", []), (*at, "to"), fail, "e-mail addresses")
    seen: set[str] = set()
    for address in to:
        if not _ADDRESS.fullmatch(address):
            fail((*at, "to"), f"{address!r} is not an e-mail address")
        if address.lower() in seen:
            fail((*at, "to"), f"{address} is listed twice (it would get the week twice)")
        seen.add(address.lower())
    send = _strings(table.get("send", ["review", "csv"]), (*at, "send"), fail,
                    f"what to send ({', '.join(SEND)})")
    for item in send:
        if item not in SEND:
            fail((*at, "send"), f"{item!r}: one of {', '.join(SEND)}")
    if not send:
        fail((*at, "send"), "sends nothing")
    if "csv" in send and "xlsx" in send:
        fail((*at, "send"), "csv or xlsx, not both")
    units = _strings(table.get("business_units", []), (*at, "business_units"), fail,
                     "business unit ids")
    teams = _strings(table.get("teams", []), (*at, "teams"), fail, "team ids")
    group_by = table.get("group_by", "model")
    if group_by not in GROUP_BY:
        fail((*at, "group_by"), f"one of {', '.join(GROUP_BY)}")
    every = None
    if "every" in table:
        if not isinstance(table["every"], str):
            fail((*at, "every"), "must be text like \"monday 08:00 Europe/Berlin\"")
        try:
            every = parse_every(table["every"])
        except ValueError as error:
            fail((*at, "every"), str(error))
    url = table.get("dashboard_url")
    if url is not None and (not isinstance(url, str)
                            or not re.fullmatch(r"https?://[^\s\"'<>]{1,500}", url)):
        fail((*at, "dashboard_url"), "must be an http(s) address")
    subject = table.get("subject", "Week in review")
    if not isinstance(subject, str) or re.search(r"[\r\n]", subject) or len(subject) > 200:
        fail((*at, "subject"), "must be one line of text (at most 200 characters)")
    hooks_doc = table.get("webhooks", [])
    if not isinstance(hooks_doc, list):
        fail((*at, "webhooks"), "must be [[subscriptions.NAME.webhooks]] tables")
    hooks = tuple(_webhook(hook, (*at, "webhooks"), fail) for hook in hooks_doc)
    if not to and not hooks:
        fail(at, "has no recipient (give `to` or a [[...webhooks]] table)")
    return Subscription(name=name, to=to, send=send, business_units=units, teams=teams,
                        group_by=group_by, every=every, dashboard_url=url,
                        subject=subject, webhooks=hooks)


def _webhook(hook, at, fail) -> Webhook:
    if not isinstance(hook, dict):
        fail(at, "must be [[subscriptions.NAME.webhooks]] tables")
    for key in hook:
        if key not in WEBHOOK_KEYS:
            fail((*at, key), f"unknown key (known: {', '.join(WEBHOOK_KEYS)})")
    kind = hook.get("kind")
    if kind not in WEBHOOK_KINDS:
        fail((*at, "kind"), f"one of {', '.join(WEBHOOK_KINDS)}")
    env = hook.get("url_env")
    if not isinstance(env, str) or not _ENV_NAME.fullmatch(env):
        fail((*at, "url_env"), "the name of the environment variable holding the URL")
    if "business_units" not in hook:
        fail((*at, "business_units"), "a channel's scope is explicit: a list of business "
             "unit ids, or [\"*\"] for all")
    units = _strings(hook["business_units"], (*at, "business_units"), fail,
                     "business unit ids (or \"*\")")
    if not units:
        fail((*at, "business_units"), "is empty: the channel would get nothing")
    return Webhook(kind=kind, url_env=env,
                   business_units=None if ALL in units else tuple(sorted(set(units))))


# --- lines of keys (as modelops/config.py finds them) -------------------------------------

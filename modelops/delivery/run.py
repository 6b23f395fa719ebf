"""`modelops deliver [NAME...] [--week W] [--dry-run DIR] [--resend] [--loop]`.

For each subscription and each recipient: the scope (policy.py's rules below), the message
for that scope (built once per scope, shared), the send, a row in the delivery log. Each
e-mail address is scoped by the access policy (MODELOPS_ACCESS_POLICY) exactly as the
dashboard would scope that user; a webhook's scope is the one its table names.

Exit status: 0 when every recipient has the week (sent now, sent before, or skipped for
want of a grant, which prints a line); 2 when any delivery failed (each failure is one line,
the other recipients are still served) or the command could not run.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from modelops.access import ENV as POLICY_ENV
from modelops.access import Policy, PolicyError, load_policy
from modelops.backends import read_path, warehouse_location
from modelops.backends.iceberg import is_iceberg
from modelops.config import file_warehouse, find_config
from modelops.delivery import log, transport
from modelops.delivery.message import Content, build_content, mail, scope_text, slack_text
from modelops.delivery.subscriptions import Subscription, Webhook, load_subscriptions
from modelops.reports.files import write_file
from modelops.reports.weekly import last_complete_week, parse_week, week_label
from modelops.warehouse import UsageError, WarehouseError, reading


@dataclass(frozen=True)
class Result:
    """What happened to one recipient: `sent`, `failed`, `already` (sent before),
    `no-grant` (nothing sent), or `written` (--dry-run)."""

    subscription: str
    recipient: str
    week: str
    status: str
    detail: str

    def line(self) -> str:
        return f"{self.subscription}\t{self.recipient}\t{self.week}\t{self.status}\t" \
               f"{self.detail}"


# --- scope ------------------------------------------------------------------------------

def email_scope(policy: Policy | None, sub: Subscription, address: str
                ) -> tuple[str, ...] | None:
    """The business units to send `address` (empty: all), or None: no grant, send nothing.

    Without a policy the subscription's filter applies. With one, an admin gets the
    subscription's filter, a user the units granted to them (within the filter, if any).
    """
    if policy is None:
        return sub.business_units
    name = address.strip().lower()
    if name in policy.admins:
        return sub.business_units
    granted = policy.grants.get(name, ())
    if sub.business_units:
        granted = tuple(sorted(set(granted) & set(sub.business_units)))
    return granted or None


def webhook_scope(sub: Subscription, hook: Webhook) -> tuple[str, ...]:
    """A channel is not a person: its table names its units; `"*"`: the subscription's."""
    return sub.business_units if hook.business_units is None else hook.business_units


def read_policy(env: Mapping[str, str]) -> Policy | None:
    """The policy, or None without one. A policy that cannot be read stops the run (the
    dashboard fails closed; so does delivery)."""
    path = env.get(POLICY_ENV)
    if path is None:
        return None
    if not path.strip():
        raise UsageError(f"{POLICY_ENV} is set but empty: nothing is sent")
    try:
        return load_policy(path)
    except PolicyError as error:
        raise UsageError(f"{error} (nothing is sent)") from None


# --- one run ----------------------------------------------------------------------------

def deliver(subs: list[Subscription], week: str, warehouse: str | None = None, *,
            env: Mapping[str, str] = os.environ, dry_run: Path | None = None,
            resend: bool = False, backoff_s: tuple[float, ...] = transport.BACKOFF_S,
            emit: Callable[[Result], None] = lambda r: None) -> list[Result]:
    """Deliver `week` of each subscription once; returns (and emits, as they happen) one
    Result per recipient."""
    week = week_label(week)
    parse_week(week)
    location = warehouse_location(warehouse)
    if dry_run is None and is_iceberg(location):
        raise UsageError("the delivery log needs a DuckDB file warehouse; an Iceberg catalog "
                         "can be delivered with --dry-run only")
    policy = read_policy(env)
    path = read_path(warehouse)
    smtp = None
    if dry_run is None and any(s.to for s in subs):
        smtp = transport.SmtpSettings.from_env(env)
    results: list[Result] = []

    def done(result: Result) -> None:
        results.append(result)
        emit(result)

    for sub in subs:
        plan = [(address, email_scope(policy, sub, address), None) for address in sub.to]
        plan += [(f"{log.RECIPIENT_WEBHOOK}{h.kind}:{h.url_env}", webhook_scope(sub, h), h)
                 for h in sub.webhooks]
        sent_before = set() if dry_run is not None or resend else \
            log.delivered(path, sub.name, week)
        contents: dict[tuple[str, ...], Content | str] = {}
        wanted = {units for recipient, units, _ in plan
                  if units is not None and recipient not in sent_before}
        with reading(path) if wanted else nullcontext() as con:
            for units in sorted(wanted):
                if units not in contents:
                    try:
                        contents[units] = build_content(con, sub, week, units)
                    except UsageError as error:  # e.g. a granted unit the data lacks
                        contents[units] = str(error)
        with log.Recorder(path) as recorder:  # --dry-run records nothing
            for recipient, units, hook in plan:
                if units is None:
                    done(Result(sub.name, recipient, week, "no-grant",
                                "no business unit granted in the access policy: nothing sent"))
                    continue
                if recipient in sent_before:
                    done(Result(sub.name, recipient, week, "already",
                                "sent before (use --resend to send again)"))
                    continue
                content = contents[units]
                if isinstance(content, str):
                    done(_logged(recorder, dry_run, sub, recipient, week, units,
                                 transport.Outcome(False, content, 0)))
                    continue
                if dry_run is not None:
                    done(_write_dry(dry_run, sub, recipient, week, units, content, hook, smtp))
                    continue
                if hook is None:
                    outcome = transport.send_mail(
                        smtp, mail(content, smtp.sender, recipient), backoff_s=backoff_s)
                else:
                    outcome = _send_webhook(hook, content, env, sub, backoff_s)
                done(_logged(recorder, dry_run, sub, recipient, week, units, outcome))
    return results


def _logged(recorder, dry_run, sub, recipient, week, units, outcome) -> Result:
    status = "sent" if outcome.sent else "failed"
    detail = f"{scope_text(units)}; {outcome.detail}"
    if dry_run is None:
        recorder.record(sub.name, recipient, week, status, scope_text(units),
                        outcome.detail, outcome.attempts)
    return Result(sub.name, recipient, week, status, detail)


def _send_webhook(hook: Webhook, content: Content, env, sub, backoff_s
                  ) -> transport.Outcome:
    url = env.get(hook.url_env, "").strip()
    if not url:
        return transport.Outcome(False, f"{hook.url_env} is not set (the webhook's URL)", 0)
    if not re.match(r"https?://", url):
        return transport.Outcome(False, f"{hook.url_env} is not an http(s) URL", 0)
    text = slack_text(content.markdown) if hook.kind == "slack" else content.markdown
    pieces = transport.chunks(text, transport.CHUNK[hook.kind], more_at=sub.dashboard_url)
    attempts = 0
    for n, piece in enumerate(pieces, start=1):
        outcome = transport.post_webhook(url, transport.payload(hook.kind, piece),
                                         backoff_s=backoff_s)
        attempts += outcome.attempts
        if not outcome.sent:
            return transport.Outcome(False, f"message {n} of {len(pieces)}: "
                                     f"{outcome.detail}", attempts)
    return transport.Outcome(True, f"sent in {len(pieces)} message(s)", attempts)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._-]", "_", name)[:120]


def _write_dry(folder: Path, sub, recipient, week, units, content: Content, hook, smtp
               ) -> Result:
    """What would be sent, as files: the whole .eml for an address, the chat text for a
    channel, under DIR/<subscription>/<week>/."""
    out = folder / _safe(sub.name) / week
    out.mkdir(parents=True, exist_ok=True)
    if hook is None:
        sender = smtp.sender if smtp else "modelops@localhost"
        target = out / f"{_safe(recipient)}.eml"
        write_file(target, mail(content, sender, recipient).as_bytes())
    else:
        target = out / f"{_safe(recipient)}.md"
        write_file(target, content.markdown.encode("utf-8"))
    return Result(sub.name, recipient, week, "written",
                  f"{scope_text(units)}; {target}")


# --- schedule ---------------------------------------------------------------------------

def due_week(sub: Subscription, now: datetime) -> str | None:
    """The week to deliver at `now`: the last complete one, once the subscription's time
    has come this ISO week (so a loop started late, or restarted, still delivers it; the
    log keeps it to once). None when the time has not come yet or there is no `every`."""
    if sub.every is None:
        return None
    week = last_complete_week(now.replace(tzinfo=None))
    start = parse_week(week)[1].replace(tzinfo=UTC)  # the end of that week: this Monday
    first = sub.every.next_after(start - timedelta(minutes=1), horizon_days=8)
    return week if first is not None and first <= now else None


def loop(subs, warehouse, env, emit, sleep=time.sleep, now=lambda: datetime.now(UTC),
         rounds: int | None = None) -> None:
    """The built-in scheduler: once a minute, deliver each subscription that is due.

    A subscription's week is attempted once per loop: a recipient that failed is tried
    again by the next `modelops deliver` or loop start (the log skips the others)."""
    n = 0
    attempted: set[tuple[str, str]] = set()
    while rounds is None or n < rounds:
        n += 1
        moment = now()
        for sub in subs:
            week = due_week(sub, moment)
            if week and (sub.name, week) not in attempted:
                attempted.add((sub.name, week))
                try:
                    deliver([sub], week, warehouse, env=env, emit=emit)
                except (UsageError, WarehouseError) as error:
                    emit(Result(sub.name, "-", week, "failed", str(error)))
        sleep(max(1.0, 60 - now().second))


# --- CLI --------------------------------------------------------------------------------

def add_deliver_parser(sub, add_warehouse) -> None:
    parser = sub.add_parser(
        "deliver", help="send the week in review and the weekly report to subscribers",
        description="Send each subscription of modelops.toml: the week in review (HTML "
                    "mail, Markdown chat) and the weekly report, scoped per recipient by "
                    "the access policy. Idempotent per subscription, recipient and week.")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="only these subscriptions (default: all)")
    parser.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: the last complete)")
    parser.add_argument("--dry-run", metavar="DIR",
                        help="write what would be sent to DIR instead of sending")
    parser.add_argument("--resend", action="store_true",
                        help="send again to recipients that already have the week")
    parser.add_argument("--loop", action="store_true",
                        help="keep running and deliver each subscription on its `every`")
    parser.add_argument("--config", metavar="FILE",
                        help="the deployment file (default: $MODELOPS_CONFIG or "
                             "./modelops.toml)")
    add_warehouse(parser)
    parser.set_defaults(func=cmd_deliver)


def select(subs: dict[str, Subscription], names: list[str]) -> list[Subscription]:
    unknown = [n for n in names if n not in subs]
    if unknown:
        raise UsageError(f"no subscription named {', '.join(unknown)} (known: "
                         f"{', '.join(subs) or 'none'})")
    return [subs[n] for n in names] if names else list(subs.values())


def cmd_deliver(args: argparse.Namespace) -> int:
    config = find_config(args.config)
    subs = select(load_subscriptions(config), args.names)
    if not subs:
        raise UsageError(f"{config}: no [subscriptions.NAME] to deliver")
    # --warehouse, else the file's `warehouse`, else MODELOPS_WAREHOUSE, else the default,
    # as `modelops sync` picks it.
    warehouse = args.warehouse or file_warehouse(config)

    def emit(result: Result) -> None:
        print(result.line(), flush=True)

    if args.loop:
        if args.dry_run or args.week or args.resend:
            raise UsageError("--loop delivers each week on schedule: without --week, "
                             "--dry-run or --resend")
        missing = [s.name for s in subs if s.every is None]
        if missing:
            raise UsageError(f"{config}: subscriptions.{missing[0]}: no `every` for --loop")
        loop(subs, warehouse, os.environ, emit)
        return 0
    week = week_label(args.week) if args.week else last_complete_week()
    results = deliver(subs, week, warehouse, dry_run=Path(args.dry_run)
                      if args.dry_run else None, resend=args.resend, emit=emit)
    return 2 if any(r.status == "failed" for r in results) else 0

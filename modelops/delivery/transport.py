"""Sending: SMTP (smtplib) and Slack / Microsoft Teams incoming webhooks.

Each send returns an Outcome instead of raising, so one failing recipient never stops the
others. Temporary failures are retried with backoff: SMTP 4xx replies, dropped connections
and timeouts; webhook 429 (waiting the Retry-After it gives, capped) and 5xx. Permanent
ones (SMTP 5xx, a refused address, webhook 4xx) give one clear line at once.

SMTP settings come from the environment, never from modelops.toml:
MODELOPS_SMTP_HOST, MODELOPS_SMTP_PORT (default 587, or 465 with tls), MODELOPS_SMTP_SECURITY
(`starttls` the default, `tls` for implicit TLS, `none` only for a relay on localhost),
MODELOPS_SMTP_USER and MODELOPS_SMTP_PASSWORD (login only when both are set),
MODELOPS_MAIL_FROM (the sender address).
"""

from __future__ import annotations

import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

from modelops.warehouse import UsageError

SECURITY = ("starttls", "tls", "none")
BACKOFF_S = (2.0, 10.0, 30.0)          # waits before the 2nd, 3rd and 4th attempt
MAX_RETRY_AFTER_S = 120.0
MAX_ANSWER_BYTES = 64 * 1024
# Slack: `text` is cut at 40,000 characters and messages past ~4,000 are hard to read;
# Teams: 28 KB per message. Below both, in characters of UTF-8 text.
CHUNK = {"slack": 3_500, "teams": 18_000}
MAX_CHUNKS = 8


@dataclass(frozen=True)
class Outcome:
    sent: bool
    detail: str
    attempts: int = 1


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    sender: str
    user: str | None = None
    password: str | None = None
    timeout_s: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings:
        host = env.get("MODELOPS_SMTP_HOST", "").strip()
        if not host:
            raise UsageError("MODELOPS_SMTP_HOST is not set: e-mail needs an SMTP server "
                             "(or use --dry-run DIR)")
        security = env.get("MODELOPS_SMTP_SECURITY", "starttls").strip().lower()
        if security not in SECURITY:
            raise UsageError(f"MODELOPS_SMTP_SECURITY: one of {', '.join(SECURITY)}, "
                             f"not {security!r}")
        port_text = env.get("MODELOPS_SMTP_PORT", "465" if security == "tls" else "587")
        if not port_text.strip().isdigit() or not 0 < int(port_text) < 65536:
            raise UsageError(f"MODELOPS_SMTP_PORT: not a port number: {port_text!r}")
        sender = env.get("MODELOPS_MAIL_FROM", "").strip()
        if "@" not in parseaddr(sender)[1]:
            raise UsageError("MODELOPS_MAIL_FROM is not set to an address (the sender)")
        return cls(host=host, port=int(port_text), security=security, sender=sender,
                   user=env.get("MODELOPS_SMTP_USER") or None,
                   password=env.get("MODELOPS_SMTP_PASSWORD") or None)


def _temporary(code: int) -> bool:
    return 400 <= code < 500


def _smtp_once(settings: SmtpSettings, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    if settings.security == "tls":
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_s,
                                  context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
    with client:
        client.ehlo()
        if settings.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if settings.user and settings.password:
            client.login(settings.user, settings.password)
        client.send_message(message)


def send_mail(settings: SmtpSettings, message: EmailMessage,
              backoff_s: tuple[float, ...] = BACKOFF_S,
              sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """One message to its one recipient; retried on 4xx, dropped connections, timeouts."""
    attempts = 0
    while True:
        attempts += 1
        try:
            _smtp_once(settings, message)
            return Outcome(True, "sent", attempts)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            temporary, why = _temporary(code), f"address refused: {code} {_text(reply)}"
        except smtplib.SMTPResponseException as error:
            temporary = _temporary(error.smtp_code)
            why = f"{error.smtp_code} {_text(error.smtp_error)}"
        except (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError) as error:
            temporary, why = True, f"connection: {error or type(error).__name__}"
        except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
            temporary, why = False, f"{type(error).__name__}: {error}"
        if not temporary or attempts > len(backoff_s):
            kind = "temporary failure, gave up" if temporary else "refused"
            return Outcome(False, f"{kind} after {attempts} attempt(s): {why}", attempts)
        sleep(backoff_s[attempts - 1])


def _text(reply) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())[:300]


# --- webhooks ---------------------------------------------------------------------------

def chunks(text: str, limit: int, more_at: str | None = None,
           max_chunks: int = MAX_CHUNKS) -> list[str]:
    """`text` cut at line ends into pieces of at most `limit` characters (a longer line is
    cut); past `max_chunks` pieces the last says how much is left and where to read it."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current.strip():
        pieces.append(current)
    if len(pieces) > max_chunks:
        left = sum(p.count("\n") + 1 for p in pieces[max_chunks - 1:])
        where = f": {more_at}" if more_at else " in the e-mail or the dashboard"
        pieces = pieces[:max_chunks - 1] + [f"… {left} more lines; the full review is{where}"]
    return pieces


def payload(kind: str, text: str) -> bytes:
    """Slack: `{"text"}` (mrkdwn); Teams (Office 365 connector): `{"text"}` (Markdown)."""
    return json.dumps({"text": text}).encode("utf-8")


def post_webhook(url: str, body: bytes, backoff_s: tuple[float, ...] = BACKOFF_S,
                 sleep: Callable[[float], None] = time.sleep, timeout_s: float = 15.0
                 ) -> Outcome:
    """POST one JSON payload; 429 waits Retry-After (capped), 5xx and timeouts back off."""
    attempts = 0
    while True:
        attempts += 1
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        wait = None
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as answer:
                answer.read(MAX_ANSWER_BYTES)
            return Outcome(True, "sent", attempts)
        except urllib.error.HTTPError as error:
            code = error.code
            why = f"HTTP {code} {_text(error.read(2000))}"
            temporary = code == 429 or code >= 500
            if code == 429:
                wait = _retry_after(error.headers.get("Retry-After"))
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            temporary, why = True, f"connection: {getattr(error, 'reason', error)}"
        if not temporary or attempts > len(backoff_s):
            kind = "temporary failure, gave up" if temporary else "refused"
            return Outcome(False, f"{kind} after {attempts} attempt(s): {why}", attempts)
        sleep(wait if wait is not None else backoff_s[attempts - 1])


def _retry_after(value: str | None) -> float | None:
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER_S) if value else None
    except ValueError:
        return None

"""`modelops deliver` against a real SMTP server (aiosmtpd on 127.0.0.1) and a local
webhook receiver: scope per recipient, idempotence, retries, permanent failures, hostile
names. The data is the review's own fixture (tests/test_report_review.py): b1 holds m1
(named `<script>alert(1)</script>`, an SLO miss, one sev-1 incident), b2 holds q1 only."""

from __future__ import annotations

import csv
import email
import io
import json
import shutil
import socket
import threading
from email import policy as email_policy
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from test_report_review import HOSTILE_MODEL, TABLES

from modelops.cli import main as cli
from modelops.delivery.run import deliver
from modelops.delivery.subscriptions import load_subscriptions

WEEK = "2026-W20"
FAST = (0.01, 0.01, 0.01)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that keeps what it accepted; `refuse` addresses get 550 at RCPT,
    `flaky` addresses get 421 at the end of DATA the first time."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()
        self.flaky: set[str] = set()
        self.data_replies: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(a in self.flaky for a in envelope.rcpt_tos):
            self.flaky -= set(envelope.rcpt_tos)
            self.data_replies.append("421")
            return "421 4.3.2 try again later"
        self.data_replies.append("250")
        self.messages.append(email.message_from_bytes(envelope.content,
                                                      policy=email_policy.default))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from conftest import build_warehouse
    return build_warehouse(tmp_path_factory.mktemp("deliver") / "wh.duckdb", TABLES)


@pytest.fixture
def warehouse(built, tmp_path):
    """A fresh copy per test, so each starts with an empty delivery log."""
    return Path(shutil.copy(built, tmp_path / "wh.duckdb"))


@pytest.fixture
def smtp():
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.env = {"MODELOPS_SMTP_HOST": "127.0.0.1", "MODELOPS_SMTP_PORT": str(port),
               "MODELOPS_SMTP_SECURITY": "none", "MODELOPS_MAIL_FROM": "ops@example.com"}
    yield box
    controller.stop()


@pytest.fixture
def hook():
    """A webhook receiver: answers the queued statuses first (429 with Retry-After: 0),
    then 200, and keeps each JSON body it accepted."""
    received, statuses = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = statuses.pop(0) if statuses else 200
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"slow down")
            if status == 200:
                received.append(json.loads(body))

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.received, server.statuses = received, statuses
    server.url = f"http://127.0.0.1:{server.server_port}/hook"
    yield server
    server.shutdown()


def write(path, text):
    path.write_text(text)
    return path


@pytest.fixture
def setup(tmp_path, smtp):
    """A policy granting alice b1, bob b2, ops an admin, carol nothing; one subscription."""
    policy = write(tmp_path / "policy.toml", 'admins = ["ops@example.com"]\n[grants]\n'
                   '"alice@example.com" = ["b1"]\n"bob@example.com" = ["b2"]\n')
    config = write(tmp_path / "modelops.toml", """\
[subscriptions.managers]
to = ["alice@example.com", "carol@example.com", "bob@example.com"]
send = ["review", "csv"]
dashboard_url = "https://modelops.example.com"
""")
    env = {**smtp.env, "MODELOPS_ACCESS_POLICY": str(policy)}
    return config, env


def attachment(message):
    (part,) = [p for p in message.iter_attachments()]
    return part.get_filename(), part.get_content()


def test_a_scoped_manager_receives_only_their_units(warehouse, setup, smtp):
    config, env = setup
    subs = list(load_subscriptions(config).values())
    results = deliver(subs, WEEK, str(warehouse), env=env, backoff_s=FAST)
    assert [(r.recipient, r.status) for r in results] == [
        ("alice@example.com", "sent"), ("carol@example.com", "no-grant"),
        ("bob@example.com", "sent")]
    assert smtp.to("carol@example.com") == []
    (alice,) = smtp.to("alice@example.com")
    assert alice["Subject"] == "Week in review 2026-W20 (b1)"
    assert alice.get_content_type() == "multipart/mixed"
    text = alice.get_body(("plain",)).get_content()
    html = alice.get_body(("html",)).get_content()
    # The summary first (the review's counters): b1 has one SLO miss and one incident
    # to follow up (i1).
    assert "- SLOs missed: 1 SLOs missed" in text
    assert ('<li><a href="#new-sev-1-2-incidents">New sev 1-2 incidents</a>: 1 incidents to '
            "follow up</li>") in html
    assert html.index("<h2>Summary</h2>") < html.index("<h2 id=")
    assert '<a href="https://modelops.example.com">' in html
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "src=" not in html and "@import" not in html and "url(" not in html
    name, data = attachment(alice)
    assert name == "modelops-weekly-2026-W20-model-b1.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode() if isinstance(data, bytes)
                                           else data)))
    # b1's models only (m2 is the model whose review is late), none of b2's
    assert [(r["business_unit_id"], r["model_id"]) for r in rows] == [("b1", "m1"), ("b1", "m2")]
    (bob,) = smtp.to("bob@example.com")
    name, data = attachment(bob)
    assert name == "modelops-weekly-2026-W20-model-b2.csv"
    assert HOSTILE_MODEL not in bob.get_body(("plain",)).get_content()
    assert "- SLOs missed: 0 SLOs missed" in bob.get_body(("plain",)).get_content()


def test_a_second_run_sends_nothing_and_resend_says_so(warehouse, setup, smtp):
    config, env = setup
    subs = list(load_subscriptions(config).values())
    deliver(subs, WEEK, str(warehouse), env=env, backoff_s=FAST)
    assert len(smtp.messages) == 2
    again = deliver(subs, WEEK, str(warehouse), env=env, backoff_s=FAST)
    assert len(smtp.messages) == 2
    assert {r.status for r in again} == {"already", "no-grant"}
    deliver(subs, WEEK, str(warehouse), env=env, resend=True, backoff_s=FAST)
    assert len(smtp.messages) == 4


def test_421_then_250_gives_one_message(warehouse, setup, smtp):
    config, env = setup
    smtp.flaky = {"alice@example.com"}
    subs = list(load_subscriptions(config).values())
    results = deliver(subs, "2026-W19", str(warehouse), env=env, backoff_s=FAST)
    assert len(smtp.to("alice@example.com")) == 1
    assert smtp.data_replies.count("421") == 1
    assert results[0].status == "sent"


def test_a_550_for_one_address_does_not_stop_the_next(warehouse, setup, smtp, capsys):
    config, env = setup
    smtp.refuse = {"alice@example.com"}
    subs = list(load_subscriptions(config).values())
    results = deliver(subs, "2026-W18", str(warehouse), env=env, backoff_s=FAST)
    alice = results[0]
    assert alice.status == "failed"
    assert "refused after 1 attempt(s): address refused: 550" in alice.detail
    assert results[2].status == "sent" and len(smtp.to("bob@example.com")) == 1
    # a failed address is not "delivered": the next run tries it again
    smtp.refuse = set()
    again = deliver(subs, "2026-W18", str(warehouse), env=env, backoff_s=FAST)
    assert [r.status for r in again] == ["sent", "no-grant", "already"]


def test_a_webhook_gets_its_explicit_scope_in_inert_markdown(warehouse, tmp_path, hook):
    config = write(tmp_path / "modelops.toml", """\
[subscriptions.chat]
send = ["review"]

[[subscriptions.chat.webhooks]]
kind = "slack"
url_env = "OPS_SLACK"
business_units = ["b1"]
""")
    hook.statuses.append(429)
    policy = write(tmp_path / "policy.toml", "admins = []\n")
    env = {"OPS_SLACK": hook.url, "MODELOPS_ACCESS_POLICY": str(policy)}
    (result,) = deliver(list(load_subscriptions(config).values()), WEEK, str(warehouse),
                        env=env, backoff_s=FAST)
    assert result.status == "sent" and result.recipient == "webhook:slack:OPS_SLACK"
    (body,) = hook.received
    text = body["text"]
    assert text.startswith("# Week in review 2026-W20 · Mon 11 May – Sun 17 May 2026\n")
    assert "Business units: North" in text
    # <script> neither a Slack link nor HTML; | cannot break the table
    assert "<" not in text and "\\&lt;script\\&gt;alert(1)\\&lt;/script\\&gt;" in text
    assert "Search \\| Ranking" in text


def test_a_long_review_is_split_within_the_limit_and_linked_past_it():
    from modelops.delivery.transport import chunks
    text = "\n".join(f"line {n:04d} " + "x" * 90 for n in range(1000))   # 100 chars each
    pieces = chunks(text, 3_500, more_at="https://m.example.com")
    assert all(len(p) <= 3_500 for p in pieces) and len(pieces) == 8
    assert pieces[0].startswith("line 0000") and pieces[6].endswith(f"line 0237 {'x' * 90}")
    assert pieces[7] == "… 762 more lines; the full review is: https://m.example.com"


def test_cli_dry_run_writes_what_would_be_sent(warehouse, tmp_path, monkeypatch, capsys):
    config = write(tmp_path / "modelops.toml", """\
[subscriptions.weekly]
to = ["alice@example.com"]
send = ["xlsx"]
business_units = ["b2"]
""")
    monkeypatch.delenv("MODELOPS_ACCESS_POLICY", raising=False)
    out = tmp_path / "out"
    assert cli(["deliver", "--config", str(config), "--week", WEEK, "--dry-run", str(out),
                "--warehouse", str(warehouse)]) == 0
    eml = out / "weekly" / WEEK / "alice@example.com.eml"
    message = email.message_from_bytes(eml.read_bytes(), policy=email_policy.default)
    name, data = attachment(message)
    assert name == "modelops-weekly-2026-W20-model-b2.xlsx" and data[:2] == b"PK"
    assert "<table>" not in message.get_body(("html",)).get_content()  # no review asked
    assert "weekly\talice@example.com\t2026-W20\twritten\tb2;" in capsys.readouterr().out


def test_a_broken_policy_sends_nothing(warehouse, setup, smtp, tmp_path, capsys):
    config, env = setup
    env["MODELOPS_ACCESS_POLICY"] = str(write(tmp_path / "bad.toml", "admins = 3\n"))
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        status = cli(["deliver", "--config", str(config), "--week", WEEK,
                      "--warehouse", str(warehouse)])
    assert status == 2 and smtp.messages == []
    assert "`admins` must be a list" in capsys.readouterr().err


def test_the_loop_sends_once_its_time_has_come_and_never_twice(warehouse, setup, smtp):
    from datetime import UTC, datetime

    from modelops.delivery.run import loop
    config, env = setup
    config.write_text(config.read_text() + 'every = "monday 08:00 Europe/Berlin"\n')
    subs = list(load_subscriptions(config).values())
    moments = iter([datetime(2026, 5, 18, 5, 59, tzinfo=UTC)] * 2
                   + [datetime(2026, 5, 18, 6, 0, tzinfo=UTC)] * 2
                   + [datetime(2026, 5, 18, 6, 1, tzinfo=UTC)] * 2)
    lines = []
    loop(subs, str(warehouse), env, lines.append, sleep=lambda s: None,
         now=lambda: next(moments), rounds=3)
    assert [(r.week, r.recipient, r.status) for r in lines] == [
        ("2026-W20", "alice@example.com", "sent"), ("2026-W20", "carol@example.com", "no-grant"),
        ("2026-W20", "bob@example.com", "sent")]
    assert len(smtp.messages) == 2
    # a restart the same week: the log answers, nothing is built or sent again
    lines.clear()
    loop(subs, str(warehouse), env, lines.append, sleep=lambda s: None,
         now=lambda: datetime(2026, 5, 19, 9, 0, tzinfo=UTC), rounds=2)
    assert [r.status for r in lines] == ["already", "no-grant", "already"]
    assert len(smtp.messages) == 2


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (openssl), trusted through SSL_CERT_FILE."""
    import subprocess
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_starttls_and_implicit_tls_with_a_login(warehouse, tmp_path, certificate, security,
                                                monkeypatch):
    import ssl

    from aiosmtpd.smtp import AuthResult
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, data):
        logins.append((data.login, data.password))
        return AuthResult(success=data.login == b"ops" and data.password == b"s3cret")

    box, port = Mailbox(), free_port()
    tls = ({"tls_context": context, "require_starttls": True} if security == "starttls"
           else {"ssl_context": context})
    # aiosmtpd does not count an implicit-TLS socket as TLS for AUTH: only STARTTLS needs it
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=security == "starttls", **tls)
    controller.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        config = write(tmp_path / "modelops.toml",
                       '[subscriptions.s]\nto = ["alice@example.com"]\nsend = ["review"]\n')
        env = {"MODELOPS_SMTP_HOST": "127.0.0.1", "MODELOPS_SMTP_PORT": str(port),
               "MODELOPS_SMTP_SECURITY": security, "MODELOPS_MAIL_FROM": "ops@example.com",
               "MODELOPS_SMTP_USER": "ops", "MODELOPS_SMTP_PASSWORD": "s3cret"}
        (result,) = deliver(list(load_subscriptions(config).values()), WEEK, str(warehouse),
                            env=env, backoff_s=FAST)
    finally:
        controller.stop()
    assert result.status == "sent", result.detail
    assert logins == [(b"ops", b"s3cret")] and len(box.to("alice@example.com")) == 1


def test_a_channel_without_its_url_fails_in_one_line_and_the_next_is_served(
        warehouse, tmp_path, hook, monkeypatch, capsys):
    config = write(tmp_path / "modelops.toml", """\
[subscriptions.chat]
send = ["review"]

[[subscriptions.chat.webhooks]]
kind = "teams"
url_env = "UNSET_TEAMS_URL"
business_units = ["*"]

[[subscriptions.chat.webhooks]]
kind = "teams"
url_env = "OPS_TEAMS"
business_units = ["b2"]
""")
    monkeypatch.delenv("MODELOPS_ACCESS_POLICY", raising=False)
    monkeypatch.delenv("UNSET_TEAMS_URL", raising=False)
    monkeypatch.setenv("OPS_TEAMS", hook.url)
    hook.statuses.append(503)   # a temporary failure: the CLI's first backoff (2 s), then sent
    status = cli(["deliver", "--config", str(config), "--week", WEEK,
                  "--warehouse", str(warehouse)])
    out = capsys.readouterr().out.splitlines()
    assert status == 2
    assert out == [
        ("chat\twebhook:teams:UNSET_TEAMS_URL\t2026-W20\tfailed\tall business units; "
         "UNSET_TEAMS_URL is not set (the webhook's URL)"),
        "chat\twebhook:teams:OPS_TEAMS\t2026-W20\tsent\tb2; sent in 1 message(s)"]
    (body,) = hook.received
    assert "Business units: South" in body["text"] and "\\<script\\>" not in body["text"]

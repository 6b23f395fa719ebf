"""The tests' sign-in proxy (tests/identity_proxy.py) puts the identity header on every
request of a keep-alive connection, the WebSocket upgrade included, and leaves bodies and
WebSocket bytes alone. Checked against a raw socket server that records what it received."""

from __future__ import annotations

import socket
import threading

import pytest
from identity_proxy import identity_proxy


class RawServer:
    """Accepts one connection; records each request head; answers 200 (echoing nothing) or,
    to an upgrade, 101 and then echoes every byte back."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.heads: list[str] = []
        self.bodies: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _ = self.sock.accept()
        conn.settimeout(10)
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                text = head.decode("latin-1")
                self.heads.append(text)
                length = next((int(line.split(":")[1]) for line in text.split("\r\n")
                               if line.lower().startswith("content-length:")), 0)
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                self.bodies.append(buffer[:length])
                buffer = buffer[length:]
                if "upgrade: websocket" in text.lower():
                    conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                 b"Connection: Upgrade\r\n\r\n" + buffer)
                    while data := conn.recv(65536):
                        conn.sendall(data)
                    return
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def identity_lines(head: str) -> list[str]:
    return [line.split(":", 1)[1].strip() for line in head.split("\r\n")
            if line.lower().startswith("x-forwarded-email:")]


def recv_until(sock, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    return data


@pytest.mark.parametrize("mode,expected", [
    ("set", ["alice@example.com"]),
    ("append", ["mallory@example.com", "alice@example.com"]),
    ("duplicate", ["alice@example.com", "alice@example.com"]),
])
def test_every_request_of_a_connection_and_the_upgrade_carry_the_header(mode, expected):
    upstream = RawServer()
    forged = b"X-Forwarded-Email: mallory@example.com\r\n"
    websocket_bytes = b"\x81\x85GET / HTTP/1.1\r\nX-Forwarded-Email: x\r\n\r\n"
    with (identity_proxy(upstream.url, "X-Forwarded-Email", "alice@example.com", mode) as proxy,
          socket.create_connection(urlsplit_port(proxy.url), timeout=10) as client):
        client.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n" + forged + b"\r\n")
        recv_until(client, b"ok")
        client.sendall(b"POST /upload HTTP/1.1\r\nHost: a\r\n" + forged
                       + b"Content-Length: 11\r\n\r\nhello world")
        recv_until(client, b"ok")
        client.sendall(b"GET /_stcore/stream HTTP/1.1\r\nHost: a\r\n"
                       b"Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"
                       + forged + b"\r\n")
        recv_until(client, b"\r\n\r\n")
        # After the upgrade, bytes pass untouched, even ones that look like a request.
        client.sendall(websocket_bytes)
        assert recv_until(client, b"x\r\n\r\n") == websocket_bytes
    upstream.thread.join(10)
    assert [h.split("\r\n")[0] for h in upstream.heads] == [
        "GET / HTTP/1.1", "POST /upload HTTP/1.1", "GET /_stcore/stream HTTP/1.1"]
    for head in upstream.heads:
        assert identity_lines(head) == expected, head
    assert upstream.bodies[1] == b"hello world"
    assert [r.path for r in proxy.log.upgrades()] == ["/_stcore/stream"]
    assert proxy.log.upgrades()[0].identity == expected
    assert proxy.log.upgrades()[0].from_client == ["mallory@example.com"]


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be one of"):
        identity_proxy("http://127.0.0.1:1", "X-Forwarded-Email", "a", "merge").__enter__()


def urlsplit_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)

"""A sign-in proxy for the tests: what oauth2-proxy or nginx `proxy_set_header` do in front of
the dashboard, on 127.0.0.1.

Every request the browser sends (page, static files, and the WebSocket upgrade Streamlit
reads `st.context.headers` from) reaches the server with the identity header the proxy
chose. The request heads are rewritten one by one on each keep-alive connection; after an
upgrade, and for every response, bytes are piped unchanged.

Modes, as deployments differ:
- "set": the browser's own identity header, if any, is dropped and the proxy's put in its
  place (nginx `proxy_set_header`, oauth2-proxy).
- "append": the proxy's header is added after whatever the browser sent (a proxy that
  appends: the server then sees the browser's first).
- "duplicate": the browser's is dropped and the proxy's sent twice (a misconfigured chain
  of two proxies that each add it).

Why a proxy and not Playwright's extra headers: Chromium sends `set_extra_http_headers` on
ordinary requests but (Debian's chromium, from version 150 at least) not on the WebSocket
upgrade, so a test relying on it tests the browser, not the deployment (issue 22).
"""

from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MODES = ("set", "append", "duplicate")
MAX_HEAD = 64 * 1024  # a request head larger than this is refused, never buffered


@dataclass
class Seen:
    """One request as forwarded: its request line, the identity values the client sent and
    those sent upstream."""

    method: str
    path: str
    upgrade: bool
    identity: list[str]
    from_client: list[str] = field(default_factory=list)


@dataclass
class ProxyLog:
    """What the proxy forwarded, so a test can check the upgrade went through it."""

    requests: list[Seen] = field(default_factory=list)

    def upgrades(self) -> list[Seen]:
        return [r for r in self.requests if r.upgrade]


def rewrite_head(head: bytes, header: str, value: str, mode: str) -> tuple[bytes, Seen]:
    """The request head with the identity header set, appended or duplicated (see MODES)."""
    lines = head.decode("latin-1").split("\r\n")
    request_line, fields = lines[0], [line for line in lines[1:] if line]
    name = header.lower()
    from_client = [f.split(":", 1)[1].strip() for f in fields
                   if f.split(":", 1)[0].strip().lower() == name]
    if mode in ("set", "duplicate"):
        fields = [f for f in fields if f.split(":", 1)[0].strip().lower() != name]
    fields += [f"{header}: {value}"] * (2 if mode == "duplicate" else 1)
    method, path = (request_line.split(" ") + ["", ""])[:2]
    lowered = {f.split(":", 1)[0].strip().lower(): f.split(":", 1)[-1].strip().lower()
               for f in fields}
    seen = Seen(method=method, path=path,
                upgrade="upgrade" in lowered.get("connection", "")
                and lowered.get("upgrade") == "websocket",
                identity=[f.split(":", 1)[1].strip() for f in fields
                          if f.split(":", 1)[0].strip().lower() == name],
                from_client=from_client)
    return ("\r\n".join([request_line, *fields]) + "\r\n\r\n").encode("latin-1"), seen


def _body_length(head: bytes) -> int | str:
    """Content-Length of the request, or "chunked"."""
    length = 0
    for line in head.decode("latin-1").split("\r\n")[1:]:
        key, _, val = line.partition(":")
        key = key.strip().lower()
        if key == "transfer-encoding" and "chunked" in val.lower():
            return "chunked"
        if key == "content-length":
            length = int(val.strip())
    return length


async def _copy_exactly(reader, writer, n: int) -> None:
    while n > 0:
        chunk = await reader.read(min(n, 65536))
        if not chunk:
            raise ConnectionError("client closed mid-body")
        writer.write(chunk)
        n -= len(chunk)
    await writer.drain()


async def _copy_chunked(reader, writer) -> None:
    while True:
        size_line = await reader.readuntil(b"\r\n")
        writer.write(size_line)
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:  # trailers, then an empty line
            while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
                writer.write(line)
            writer.write(b"\r\n")
            await writer.drain()
            return
        await _copy_exactly(reader, writer, size + 2)


async def _pipe(reader, writer) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


class IdentityProxy:
    """A reverse proxy on 127.0.0.1 in front of `upstream` (http://host:port) adding
    `header: value` to every request in `mode`; runs its own event loop in a thread."""

    def __init__(self, upstream: str, header: str, value: str, mode: str = "set"):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.header, self.value, self.mode = header, value, mode
        self.log = ProxyLog()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"identity-proxy-{value}")
        self.url = ""

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", 0, limit=MAX_HEAD))
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> IdentityProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the identity proxy did not start")
        return self

    def stop(self) -> None:
        async def close():
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _client(self, reader, writer) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream, limit=MAX_HEAD)
        except OSError:
            writer.close()
            return
        responses = asyncio.ensure_future(_pipe(up_reader, writer))
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    break  # the browser closed the connection between requests
                new_head, seen = rewrite_head(head, self.header, self.value, self.mode)
                self.log.requests.append(seen)
                up_writer.write(new_head)
                await up_writer.drain()
                if seen.upgrade:  # from here on, WebSocket frames: bytes both ways
                    await _pipe(reader, up_writer)
                    break
                length = _body_length(head)
                if length == "chunked":
                    await _copy_chunked(reader, up_writer)
                else:
                    await _copy_exactly(reader, up_writer, length)
        except (ConnectionError, asyncio.LimitOverrunError, asyncio.CancelledError,
                ValueError):
            pass
        finally:
            up_writer.close()
            await asyncio.gather(responses, return_exceptions=True)
            writer.close()


@contextmanager
def identity_proxy(upstream: str, header: str, value: str, mode: str = "set"):
    """`with identity_proxy(url, "X-Forwarded-Email", "alice@example.com") as proxy:` then
    browse `proxy.url`; `proxy.log` lists what was forwarded."""
    proxy = IdentityProxy(upstream, header, value, mode).start()
    try:
        yield proxy
    finally:
        proxy.stop()

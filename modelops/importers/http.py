"""A small HTTP client for `modelops import SOURCE --url BASE_URL`: pages to files.

Each HTTP source module defines `fetch(client, options) -> list[Path]`: it asks the API for
every page of what `parse` reads and saves each page, exactly as the API returned it, with
`client.save(name, page)`; the shared path then parses those files like exported ones. So
a fetched import and a file import of the same pages load the same rows.

The client:
- follows the source's pagination to the end: `pages_offset` (PagerDuty `offset`/`more`),
  `pages_cursor` (PagerDuty analytics `starting_after`), `pages_link` (GitHub `Link:
  rel="next"`), `pages_token` (MLflow `next_page_token`), `pages_next_url` (Opsgenie
  `paging.next`); or one `get_json` for a single answer (Prometheus, OpenCost);
- honours `Retry-After` (seconds or an HTTP date) on 429 and 503, a bounded number of times;
- sends the token from the environment variable named by `--token-env`, formatted by the
  module's `AUTH` (e.g. "Token token={token}"); it is never printed, logged or saved;
- times out (`timeout_s` bounds one whole request: connecting, the headers and the body, not
  each read) and fails with one line (`FetchError`) on an unreachable host, a refused
  connection, an answer over `max_bytes`, a non-JSON answer or an HTTP error status;
- stays on the origin (scheme, host, port) of `--url`: a redirect (301/302/303/307/308) or a
  next-page link to any other origin or scheme is refused before anything is sent there, so
  the token never leaves that origin; nothing but http(s) is ever opened (no ftp:, file:,
  data:), and no redirect is followed automatically;
- saves pages under names the fetch module builds from counters (and GitHub's integer ids),
  never from a string the server sent; `save` refuses any other name and never overwrites.

Example, a source with one JSON answer per query (what `prometheus` or `opencost` needs):

    AUTH = "Bearer {token}"

    def fetch(client, options):
        start, end = options.since, options.until      # aware datetimes, or None
        page = client.get_json("/api/v1/query_range", {
            "query": 'sum by (le, model) (increase(http_request_duration_seconds_bucket[1h]))',
            "start": int(start.timestamp()), "end": int(end.timestamp()), "step": "3600"})
        return [client.save("buckets.json", page)]

and one that pages with a `Link` header (GitHub):

    def fetch(client, options):
        files = []
        for n, page in enumerate(client.pages_link("/repos/o/r/deployments",
                                                   {"per_page": 100}), start=1):
            files.append(client.save(f"deployments-{n}.json", page))
        return files
"""

from __future__ import annotations

import email.utils
import http.client
import json
import math
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

USER_AGENT = "modelops-import/1"
MAX_PAGES = 10_000
MAX_REDIRECTS = 5
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_MB = 64.0  # one answer; the largest page any supported API sends is a few MB
CHUNK = 64 * 1024
REDIRECTS = (301, 302, 303, 307, 308)
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}(/[A-Za-z0-9][A-Za-z0-9_.-]{0,99})?")
HEADER_SAFE = re.compile(r"[\x21-\x7e]+( [\x21-\x7e]+)*")  # printable ASCII, single spaces


class FetchError(Exception):
    """The fetch cannot go on; the message is one line and never holds the token."""


def origin_of(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) as RFC 6454 compares them; ValueError for a malformed URL."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower(), 0)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def check_base_url(base_url: str) -> str:
    """The --url as fetched from, or FetchError saying why not (never echoing a password)."""
    try:
        parts = urllib.parse.urlsplit(base_url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as error:
        raise FetchError(f"--url: not a valid URL ({error})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(f"--url: not an http(s) URL (scheme {parts.scheme or 'missing'!r}); "
                         "only http:// and https:// are fetched")
    if parts.username is not None or parts.password is not None:
        raise FetchError("--url: a user name or password in the URL is refused (it would be "
                         "shown in messages); put the token in an environment variable and "
                         "give --token-env VAR")
    if not parts.hostname:
        raise FetchError("--url: no host name")
    if parts.query or parts.fragment:
        raise FetchError("--url: give the base URL without ?query or #fragment")
    return base_url.rstrip("/")


class _Deadline:
    """Ends a request at its deadline: shuts down the sockets it opened, so that a read
    blocked on a server sending one byte at a time returns at once (a socket timeout only
    bounds each read)."""

    def __init__(self, seconds: float):
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.fired:
                _shutdown(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _watched(base: type[http.client.HTTPConnection], deadline: _Deadline):
    class Connection(base):
        def connect(self):
            super().connect()
            deadline.watch(self.sock)

    return Connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline):
        super().__init__()
        self.deadline = deadline

    def http_open(self, req):
        return self.do_open(_watched(http.client.HTTPConnection, self.deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline):
        super().__init__()
        self.deadline = deadline

    def https_open(self, req):
        return self.do_open(_watched(http.client.HTTPSConnection, self.deadline), req,
                            context=self._context)


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    """http and https only, no automatic redirect (`request` checks each one), proxies from
    the environment as urllib reads them."""
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), _HTTPHandler(deadline),
                    _HTTPSHandler(deadline), urllib.request.HTTPDefaultErrorHandler(),
                    urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener


class Client:
    def __init__(self, base_url: str, out_dir: Path, *, auth: str | None = None,
                 timeout_s: float = DEFAULT_TIMEOUT_S, max_mb: float = DEFAULT_MAX_MB,
                 retries: int = 5, max_wait_s: float = 120.0,
                 headers: dict[str, str] | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.base_url = check_base_url(base_url)
        self.origin = origin_of(self.base_url)
        if not (isinstance(timeout_s, (int, float)) and math.isfinite(timeout_s)
                and 0 < timeout_s <= 86_400):
            raise FetchError(f"--timeout {timeout_s}: give seconds above 0 (at most a day)")
        if not (isinstance(max_mb, (int, float)) and math.isfinite(max_mb)
                and 0 < max_mb <= 65_536):
            raise FetchError(f"--max-answer-mb {max_mb}: give megabytes above 0 "
                             "(at most 65536)")
        if auth is not None and not HEADER_SAFE.fullmatch(auth):
            raise FetchError("the token holds a character an HTTP header cannot carry "
                             "(a control character, a newline or non-ASCII); not shown")
        self.out_dir = Path(out_dir)
        self._auth = auth  # the Authorization header value; kept out of every message
        self.timeout_s = float(timeout_s)
        self.max_bytes = int(max_mb * 1024 * 1024)
        self.retries = retries
        self.max_wait_s = max_wait_s
        self.headers = dict(headers or {})
        self.sleep = sleep
        self.requests = 0  # how many HTTP requests were sent (tests, the report)
        self.saved: list[Path] = []

    def __repr__(self) -> str:  # no token in a repr either
        return f"Client({self.base_url!r})"

    # --- one request ---------------------------------------------------------------------

    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        """`path` under the base URL (or an absolute URL as given), with `params` added."""
        url = path if re.match(r"https?://", path) else self.base_url + "/" + path.lstrip("/")
        if params:
            query = urllib.parse.urlencode(
                [(k, v) for k, v in params.items() if v is not None], doseq=True)
            url += ("&" if "?" in url else "?") + query
        return url

    def check_same_origin(self, url: str, what: str, shown: str) -> None:
        """Refuse `url` (a redirect target or next-page link) unless it is http(s) on the
        --url origin: the token goes nowhere else, and no answer from elsewhere is loaded."""
        try:
            scheme, host, port = origin_of(url)
        except ValueError:
            raise FetchError(f"{shown}: {what} is not a valid URL; refused") from None
        if scheme not in ("http", "https"):
            raise FetchError(f"{shown}: {what} uses the scheme {scheme or 'none'!r}; only "
                             f"http(s) on {_origin_text(self.origin)} is followed")
        if (scheme, host, port) != self.origin:
            raise FetchError(f"{shown}: {what} leads to another origin "
                             f"({_origin_text((scheme, host, port))}); only "
                             f"{_origin_text(self.origin)} (the --url) is followed, "
                             "and the token is sent nowhere else")

    def request(self, method: str, path: str, params: dict[str, Any] | None = None,
                body: Any = None) -> tuple[Any, dict[str, str]]:
        """(the JSON answer, its headers); retries 429/503 after Retry-After, follows
        same-origin redirects."""
        url = self.url(path, params)
        shown = _without_query(url)
        self.check_same_origin(url, "the URL", f"{method} {shown}")
        data = None if body is None else json.dumps(body).encode()
        attempt = redirects = 0
        while True:
            status, raw, answer_headers = self._send(method, url, data, shown)
            if status in REDIRECTS and answer_headers.get("location"):
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    raise FetchError(f"{method} {shown}: more than {MAX_REDIRECTS} redirects")
                target = urllib.parse.urljoin(url, answer_headers["location"])
                self.check_same_origin(target, f"a redirect ({status}) to "
                                       f"{_without_query(target)}", f"{method} {shown}")
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method, data = "GET", None
                url, shown = target, _without_query(target)
                continue
            if status in (429, 503) and attempt < self.retries:
                attempt += 1
                wait = _retry_after(answer_headers.get("retry-after"))
                if wait is not None and wait <= self.max_wait_s:
                    self.sleep(wait)
                    continue
            if status >= 300:
                detail = " ".join(raw[:300].decode("utf-8", errors="replace").split())[:160]
                reason = answer_headers.get(":reason", "")
                raise FetchError(f"{method} {shown}: HTTP {status} {reason}"
                                 f"{': ' + detail if detail else ''}")
            try:
                return json.loads(raw.decode("utf-8-sig")), answer_headers
            except RecursionError:
                raise FetchError(f"{method} {shown}: the answer nests deeper than modelops "
                                 "reads") from None
            except ValueError as error:  # not UTF-8, not JSON, an integer of 4300+ digits
                why = ("an integer with more digits than modelops reads"
                       if "digits" in str(error) else f"{raw[:60]!r}")
                raise FetchError(f"{method} {shown}: the answer is not JSON ({why})") from None

    def _send(self, method: str, url: str, data: bytes | None,
              shown: str) -> tuple[int, bytes, dict[str, str]]:
        """One HTTP exchange within `timeout_s` in all: (status, body, lower-case headers)."""
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **self.headers}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self._auth:
            headers["Authorization"] = self._auth
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        self.requests += 1
        late = f"{method} {shown}: no answer within {self.timeout_s:g} s"
        with _Deadline(self.timeout_s) as deadline:
            try:
                try:
                    answer = _opener(deadline).open(req, timeout=self.timeout_s)
                except urllib.error.HTTPError as error:
                    answer = error
                with answer:
                    status = answer.code
                    answer_headers = {k.lower(): v for k, v in answer.headers.items()}
                    answer_headers[":reason"] = str(getattr(answer, "reason", "") or "")
                    raw = self._read(answer, answer_headers, method, shown, status)
            except FetchError:
                raise
            except TimeoutError:
                raise FetchError(late) from None
            except urllib.error.URLError as error:
                if deadline.fired or isinstance(error.reason, TimeoutError):
                    raise FetchError(late) from None
                reason = error.reason
                text = getattr(reason, "strerror", None) or str(reason)
                raise FetchError(f"{method} {shown}: cannot reach the host ({text})") from None
            except (http.client.HTTPException, OSError, ValueError) as error:
                if deadline.fired:
                    raise FetchError(late) from None
                text = getattr(error, "strerror", None) or type(error).__name__
                raise FetchError(f"{method} {shown}: connection failed ({text})") from None
            if deadline.fired:
                raise FetchError(late)
        return status, raw, answer_headers

    def _read(self, answer, headers: dict[str, str], method: str, shown: str,
              status: int) -> bytes:
        """The body, refused past `max_bytes` (announced by Content-Length or counted)."""
        limit = self.max_bytes if status < 300 else 300  # an error's first words suffice
        too_big = (f"{method} {shown}: the answer is larger than {_size(self.max_bytes)} "
                   "(--max-answer-mb)")
        length = headers.get("content-length", "").strip()
        if status < 300 and length.isdigit() and int(length) > limit:
            raise FetchError(too_big)
        chunks, size = [], 0
        while size <= limit:
            chunk = answer.read(min(CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit and status < 300:
            raise FetchError(too_big)
        return b"".join(chunks)[:limit]

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params)[0]

    # --- pagination ----------------------------------------------------------------------

    def pages_offset(self, path: str, params: dict[str, Any] | None = None, *,
                     items: str, limit: int = 100) -> Iterator[Any]:
        """PagerDuty classic pagination: `offset` += items on the page while `more`."""
        params, offset = dict(params or {}), 0
        for _ in range(MAX_PAGES):
            page = self.get_json(path, {**params, "limit": limit, "offset": offset})
            yield page
            got = len(page.get(items) or []) if isinstance(page, dict) else 0
            if not (isinstance(page, dict) and page.get("more")) or got == 0:
                return
            offset += got
        raise FetchError(f"{path}: more than {MAX_PAGES} pages")

    def pages_cursor(self, path: str, body: dict[str, Any] | None = None, *,
                     limit: int = 1000) -> Iterator[Any]:
        """PagerDuty analytics: POST with `starting_after` = the page's `last` while `more`."""
        body = dict(body or {})
        body["limit"] = limit
        for _ in range(MAX_PAGES):
            page, _ = self.request("POST", path, body=body)
            yield page
            if not (isinstance(page, dict) and page.get("more") and page.get("last")):
                return
            body["starting_after"] = page["last"]
        raise FetchError(f"{path}: more than {MAX_PAGES} pages")

    def pages_link(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """GitHub: follow the `Link: <…>; rel="next"` header to the last page."""
        url: str | None = self.url(path, params)
        for _ in range(MAX_PAGES):
            page, headers = self.request("GET", url)
            yield page
            url = _next_link(headers.get("link"))
            if url is None:
                return
            self.check_same_origin(url, "the next page link (Link rel=next)",
                                   f"GET {_without_query(self.url(path))}")
        raise FetchError(f"{path}: more than {MAX_PAGES} pages")

    def pages_token(self, path: str, params: dict[str, Any] | None = None, *,
                    token: str = "next_page_token", param: str = "page_token") -> Iterator[Any]:
        """MLflow: pass the answer's `next_page_token` back as `page_token` until absent."""
        params = dict(params or {})
        for _ in range(MAX_PAGES):
            page = self.get_json(path, params)
            yield page
            following = page.get(token) if isinstance(page, dict) else None
            if not following:
                return
            params[param] = following
        raise FetchError(f"{path}: more than {MAX_PAGES} pages")

    def pages_next_url(self, path: str, params: dict[str, Any] | None = None, *,
                       next_url: Callable[[Any], str | None]) -> Iterator[Any]:
        """Opsgenie: the answer names the next page's full URL (`paging.next`)."""
        url: str | None = self.url(path, params)
        seen = set()
        for _ in range(MAX_PAGES):
            page = self.get_json(url)
            seen.add(url)
            yield page
            url = next_url(page) if isinstance(page, dict) else None
            if not url or not isinstance(url, str) or url in seen:
                return
            self.check_same_origin(url, "the next page link",
                                   f"GET {_without_query(self.url(path))}")
        raise FetchError(f"{path}: more than {MAX_PAGES} pages")

    # --- saving --------------------------------------------------------------------------

    def save(self, name: str, page: Any) -> Path:
        """Write one page as JSON under the fetch directory; its path for `parse`. `name` is
        built by the fetch module from counters or integers (never a string the server sent):
        anything but `[dir/]file` of letters, digits, `.`, `_`, `-` is refused, and an
        existing file is never overwritten."""
        if not SAFE_NAME.fullmatch(name) or ".." in name:
            raise FetchError(f"refused to save a page as {name!r}: not a plain file name")
        path = self.out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            text = json.dumps(page, ensure_ascii=False)
        except RecursionError:
            raise FetchError(f"{name}: the answer nests deeper than modelops reads") from None
        try:
            with open(path, "x", encoding="utf-8") as out:
                out.write(text)
        except FileExistsError:
            raise FetchError(f"refused to save a page as {name!r}: the name is taken") from None
        self.saved.append(path)
        return path


def _without_query(url: str) -> str:
    """The URL as shown in messages: no user name, password, query or fragment."""
    parts = urllib.parse.urlsplit(url)
    try:
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return f"{parts.scheme}://?"
    host = f"[{host}]" if ":" in host else host
    netloc = host if port is None else f"{host}:{port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _origin_text(origin: tuple[str, str, int]) -> str:
    scheme, host, port = origin
    return f"{scheme}://{host}:{port}"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB"


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait: `Retry-After` as seconds or as an HTTP date; 1 s when absent."""
    if value is None:
        return 1.0
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _next_link(header: str | None) -> str | None:
    """The rel="next" target of an RFC 8288 Link header."""
    if not header:
        return None
    for part in header.split(","):
        match = re.match(r'\s*<([^>]*)>\s*;(.*)', part)
        if match and re.search(r'rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?', match.group(2)):
            return match.group(1)
    return None

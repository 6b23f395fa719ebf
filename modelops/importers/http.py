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
- times out (`timeout_s`) and fails with one line (`FetchError`) on an unreachable host, a
  refused connection, a non-JSON answer or an HTTP error status.

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
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

USER_AGENT = "modelops-import/1"
MAX_PAGES = 10_000


class FetchError(Exception):
    """The fetch cannot go on; the message is one line and never holds the token."""


class Client:
    def __init__(self, base_url: str, out_dir: Path, *, auth: str | None = None,
                 timeout_s: float = 30.0, retries: int = 5, max_wait_s: float = 120.0,
                 headers: dict[str, str] | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise FetchError(f"--url {base_url!r}: not an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self.out_dir = Path(out_dir)
        self._auth = auth  # the Authorization header value; kept out of every message
        self.timeout_s = timeout_s
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

    def request(self, method: str, path: str, params: dict[str, Any] | None = None,
                body: Any = None) -> tuple[Any, dict[str, str]]:
        """(the JSON answer, its headers); retries 429/503 after Retry-After."""
        url = self.url(path, params)
        shown = _without_query(url)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **self.headers}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self._auth:
            headers["Authorization"] = self._auth
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(url, data=data, headers=headers, method=method)
            self.requests += 1
            try:
                with urllib.request.urlopen(req, timeout=self.timeout_s) as answer:
                    raw = answer.read()
                    answer_headers = {k.lower(): v for k, v in answer.headers.items()}
            except urllib.error.HTTPError as error:
                if error.code in (429, 503) and attempt < self.retries:
                    wait = _retry_after(error.headers.get("Retry-After"))
                    if wait is not None and wait <= self.max_wait_s:
                        self.sleep(wait)
                        continue
                detail = _detail(error)
                raise FetchError(f"{method} {shown}: HTTP {error.code} {error.reason}"
                                 f"{': ' + detail if detail else ''}") from None
            except TimeoutError:
                raise FetchError(f"{method} {shown}: no answer within "
                                 f"{self.timeout_s:g} s") from None
            except urllib.error.URLError as error:
                reason = error.reason
                if isinstance(reason, TimeoutError):
                    raise FetchError(f"{method} {shown}: no answer within "
                                     f"{self.timeout_s:g} s") from None
                text = getattr(reason, "strerror", None) or str(reason)
                raise FetchError(f"{method} {shown}: cannot reach the host ({text})") from None
            except (ConnectionError, OSError) as error:
                raise FetchError(f"{method} {shown}: connection failed "
                                 f"({error.strerror or type(error).__name__})") from None
            try:
                return json.loads(raw.decode("utf-8-sig")), answer_headers
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise FetchError(f"{method} {shown}: the answer is not JSON "
                                 f"({raw[:60]!r})") from None
        raise FetchError(f"{method} {shown}: still rate-limited after "
                         f"{self.retries} retries")

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
            url = next_url(page)
            if not url or url in seen:
                return
        raise FetchError(f"{path}: more than {MAX_PAGES} pages")

    # --- saving --------------------------------------------------------------------------

    def save(self, name: str, page: Any) -> Path:
        """Write one page as JSON under the fetch directory; its path for `parse`."""
        path = self.out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(page, ensure_ascii=False))
        self.saved.append(path)
        return path


def _without_query(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _detail(error: urllib.error.HTTPError) -> str:
    try:
        text = error.read(300).decode("utf-8", errors="replace")
    except OSError:
        return ""
    return " ".join(text.split())[:160]


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

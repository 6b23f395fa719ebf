"""`modelops import SOURCE --url`: the HTTP client against a local server replaying pages.

Nothing here contacts the internet: a ThreadingHTTPServer on 127.0.0.1 answers from a table
of recorded pages and records what it was asked.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from importer_support import BASE, FIXTURES, rows, send_json

from modelops.cli import main
from modelops.importers.http import Client, FetchError


class Replay:
    """routes: "METHOD /path?query" -> list of (status, headers, body) answered in turn
    (the last one repeats); requests are recorded as (method, path?query, headers, body)."""

    def __init__(self, routes):
        self.routes = {k: list(v) for k, v in routes.items()}
        self.requests = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else None
                replay.requests.append((self.command, self.path, dict(self.headers), body))
                key = f"{self.command} {self.path}"
                if body:
                    key += f" {body}"
                answers = replay.routes.get(key)
                if answers is None:
                    status, headers, payload = 404, {}, {"error": f"no route {key}"}
                else:
                    status, headers, payload = answers.pop(0) if len(answers) > 1 else answers[0]
                if status == "sleep":
                    time.sleep(headers)
                    status, headers = 200, {}
                try:
                    send_json(self, status, headers, payload, replay.base)
                except OSError:  # the client gave up (the timeout test)
                    pass

            do_GET = do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def page(body, status=200, headers=None):
    return [(status, headers or {}, body)]


def load(path):
    return json.loads(path.read_text())


def test_offset_pages_and_log_entries_then_the_same_rows_as_from_files(make_warehouse, capsys,
                                                                       monkeypatch):
    pd = FIXTURES / "pagerduty"
    first, second = load(pd / "incidents-1.json"), load(pd / "incidents-2.json")
    routes = {
        "GET /incidents?time_zone=UTC&sort_by=created_at%3Aasc&limit=100&offset=0": page(first),
        "GET /incidents?time_zone=UTC&sort_by=created_at%3Aasc&limit=100&offset=2": page(second),
        "GET /incidents/PABC001/log_entries?time_zone=UTC&limit=100&offset=0":
            page(load(pd / "log_entries" / "PABC001.json")),
    }
    for incident in ("PABC002", "PABC003", "PABC004", "PABC005", "PABC006"):
        routes[f"GET /incidents/{incident}/log_entries?time_zone=UTC&limit=100&offset=0"] = \
            page({"log_entries": [], "more": False})
    monkeypatch.setenv("PD_TOKEN", "s3cret-token")
    wh = make_warehouse(BASE)
    with Replay(routes) as server:
        code = main(["import", "pagerduty", "--url", server.base, "--token-env", "PD_TOKEN",
                     "--map", str(FIXTURES / "map.csv"), "--option", "priority.SEV-X=2",
                     "--warehouse", str(wh)])
    assert code == 1
    assert [r[1].split("?")[0] for r in server.requests] == [
        "/incidents", "/incidents", *(f"/incidents/PABC00{n}/log_entries" for n in range(1, 7))]
    assert {r[2]["Authorization"] for r in server.requests} == {"Token token=s3cret-token"}
    out = capsys.readouterr()
    assert "s3cret" not in out.out + out.err
    assert out.out.startswith(f"fetched 8 page(s) in 8 request(s) from {server.base}\n")
    # the same incidents as the file import of these pages (analytics aside)
    assert rows(wh, "SELECT incident_id, model_id, severity, acknowledged_at FROM incidents"
                    " ORDER BY 1") == [
        ("PABC001", "churn", 1, datetime(2026, 11, 17, 8, 5)),
        ("PABC003", "fraud", 4, datetime(2026, 11, 18, 10, 15)),
        ("PABC004", "churn", 2, None),
    ]
    assert rows(wh, "SELECT DISTINCT file FROM quarantine ORDER BY 1") == [
        (f"{server.base}/incidents-0001.json",), (f"{server.base}/incidents-0002.json",)]


def test_link_header_pages_and_a_429_with_retry_after(make_warehouse, capsys):
    gh = FIXTURES / "github"
    deployments = load(gh / "deployments.json")
    routes = {
        "GET /repos/acme/ml/deployments?per_page=100": [
            (429, {"Retry-After": "1"}, {"message": "API rate limit exceeded"}),
            (200, {"Link": '<{base}/repos/acme/ml/deployments?per_page=100&page=2>; rel="next",'
                           ' <{base}/repos/acme/ml/deployments?per_page=100&page=2>; rel="last"'},
             deployments[:1]),
        ],
        "GET /repos/acme/ml/deployments?per_page=100&page=2": page(
            deployments[1:2], headers={"Link": '<{base}/repos/acme/ml/deployments?per_page=100>;'
                                               ' rel="first"'}),
        "GET /repos/acme/ml/deployments/101/statuses?per_page=100":
            page(load(gh / "statuses" / "101.json")),
        # no deployment_url in these statuses: the saved file's name holds the id
        "GET /repos/acme/ml/deployments/102/statuses?per_page=100":
            page(load(gh / "statuses" / "deployment-102.json")),
    }
    wh = make_warehouse(BASE)
    with Replay(routes) as server:
        started = time.monotonic()
        code = main(["import", "github", "--url", server.base, "--option", "repo=acme/ml",
                     "--map", str(FIXTURES / "map.csv"), "--warehouse", str(wh)])
        waited = time.monotonic() - started
    assert code == 0
    # the 429 was retried once, after the second it asked for
    assert [r[1] for r in server.requests][:2] == ["/repos/acme/ml/deployments?per_page=100"] * 2
    assert waited >= 1.0
    assert capsys.readouterr().out.startswith(
        f"fetched 4 page(s) in 5 request(s) from {server.base}\n")
    assert rows(wh, "SELECT deployment_id, outcome FROM deployments ORDER BY 1") == [
        ("101", "succeeded"), ("102", "failed")]


def test_page_tokens_and_next_urls(tmp_path):
    routes = {
        "GET /api/2.0/mlflow/model-versions/search?max_results=1000":
            page({"model_versions": [{"name": "a"}], "next_page_token": "eyJvZmZzZXQiOiAxfQ=="}),
        "GET /api/2.0/mlflow/model-versions/search?max_results=1000&page_token=eyJvZmZzZXQiOiAxfQ%3D%3D":
            page({"model_versions": [{"name": "b"}]}),
        "GET /v2/alerts?limit=100": page({"data": [1], "paging": {"next": "{next}"}}),
    }
    with Replay(routes) as server:
        routes_next = f"{server.base}/v2/alerts?limit=100&offset=100"
        server.routes["GET /v2/alerts?limit=100"] = page(
            {"data": [1], "paging": {"next": routes_next}})
        server.routes["GET /v2/alerts?limit=100&offset=100"] = page(
            {"data": [2], "paging": {"first": "x"}})
        client = Client(server.base, tmp_path)
        versions = list(client.pages_token("/api/2.0/mlflow/model-versions/search",
                                           {"max_results": 1000}))
        alerts = list(client.pages_next_url(
            "/v2/alerts", {"limit": 100}, next_url=lambda p: p["paging"].get("next")))
    assert [v["model_versions"][0]["name"] for v in versions] == ["a", "b"]
    assert [a["data"] for a in alerts] == [[1], [2]]


def test_cursor_pages_post_starting_after(tmp_path):
    routes = {
        'POST /analytics/raw/incidents {"limit": 2}':
            page({"data": [{"id": "A"}, {"id": "B"}], "more": True, "last": "B"}),
        'POST /analytics/raw/incidents {"limit": 2, "starting_after": "B"}':
            page({"data": [{"id": "C"}], "more": False, "last": "C"}),
    }
    with Replay(routes) as server:
        pages = list(Client(server.base, tmp_path).pages_cursor("/analytics/raw/incidents",
                                                                limit=2))
    assert [[d["id"] for d in p["data"]] for p in pages] == [["A", "B"], ["C"]]


def test_a_slow_host_times_out_and_nothing_is_loaded(make_warehouse, capsys):
    wh = make_warehouse(BASE)
    routes = {"GET /v2/alerts?limit=100&sort=createdAt&order=asc": [("sleep", 2.0, {})]}
    with Replay(routes) as server:
        code = main(["import", "opsgenie", "--url", server.base, "--timeout", "0.3",
                     "--warehouse", str(wh)])
    assert code == 2
    assert capsys.readouterr().err == (
        f"modelops import: GET {server.base}/v2/alerts: no answer within 0.3 s "
        "(nothing loaded)\n")
    assert rows(wh, "SELECT count(*) FROM load_log WHERE source <> 'ingest'") == [(0,)]


def test_an_unreachable_port_is_one_line(make_warehouse, capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    wh = make_warehouse(BASE)
    code = main(["import", "mlflow", "--url", f"http://127.0.0.1:{port}", "--warehouse",
                 str(wh)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"modelops import: GET http://127.0.0.1:{port}/api/2.0/mlflow/"
                          "registered-models/search: cannot reach the host (")
    assert err.endswith("(nothing loaded)\n") and err.count("\n") == 1


def test_http_errors_and_tokens(tmp_path, monkeypatch, capsys):
    routes = {"GET /x": page({"message": "Bad credentials"}, status=401)}
    with Replay(routes) as server:
        client = Client(server.base, tmp_path, auth="Bearer tok-123")
        with pytest.raises(FetchError) as error:
            client.get_json("/x")
    assert str(error.value) == (f'GET {server.base}/x: HTTP 401 Unauthorized: '
                                '{"message": "Bad credentials"}')
    assert "tok-123" not in repr(client)
    monkeypatch.delenv("NO_SUCH_TOKEN", raising=False)
    capsys.readouterr()
    assert main(["import", "github", "--url", "http://127.0.0.1:9", "--token-env",
                 "NO_SUCH_TOKEN"]) == 2
    assert capsys.readouterr().err == (
        "modelops import: --token-env NO_SUCH_TOKEN: the variable is not set\n")
    with pytest.raises(FetchError, match="not an http"):
        Client("ftp://x", tmp_path)
    assert urlsplit(Client("http://h/a/", tmp_path).url("b", {"q": 1, "n": None})).query == "q=1"


def test_opsgenie_fetch_follows_paging_next_with_the_window(make_warehouse, monkeypatch):
    og = FIXTURES / "opsgenie"
    first, second = load(og / "alerts-1.json"), load(og / "alerts-2.json")
    query = "limit=100&sort=createdAt&order=asc&query=createdAt+%3E%3D+1763596800000"
    with Replay({}) as server:
        first["paging"]["next"] = f"{server.base}/v2/alerts?{query}&offset=100"
        server.routes = {f"GET /v2/alerts?{query}": page(first),
                         f"GET /v2/alerts?{query}&offset=100": page(second)}
        monkeypatch.setenv("OG_KEY", "genie")
        wh = make_warehouse(BASE)
        code = main(["import", "opsgenie", "--url", server.base, "--since", "2025-11-20",
                     "--token-env", "OG_KEY", "--map", str(FIXTURES / "map.csv"),
                     "--warehouse", str(wh)])
    assert code == 1
    assert [r[2]["Authorization"] for r in server.requests] == ["GenieKey genie"] * 2
    assert rows(wh, "SELECT count(*), sum(skipped) FROM load_log WHERE source = 'opsgenie'") \
        == [(2, 1)]
    assert rows(wh, "SELECT count(*) FROM incidents") == [(3,)]


def test_mlflow_fetch_reads_both_searches_to_the_last_token(make_warehouse):
    ml = FIXTURES / "mlflow"
    registered = load(ml / "registered-models.json")
    versions = load(ml / "model-versions.json")["model_versions"]
    routes = {
        "GET /api/2.0/mlflow/registered-models/search?max_results=1000": page(registered),
        "GET /api/2.0/mlflow/registered-models/search?max_results=1000&page_token="
        "eyJvZmZzZXQiOiAyfQ%3D%3D": page({}),  # MLflow leaves out empty fields
        "GET /api/2.0/mlflow/model-versions/search?max_results=1000":
            page({"model_versions": versions[:3], "next_page_token": "t2"}),
        "GET /api/2.0/mlflow/model-versions/search?max_results=1000&page_token=t2":
            page({"model_versions": versions[3:]}),
    }
    wh = make_warehouse(BASE)
    with Replay(routes) as server:
        code = main(["import", "mlflow", "--url", server.base, "--map",
                     str(FIXTURES / "map.csv"), "--warehouse", str(wh)])
    assert code == 1
    assert len(server.requests) == 4
    assert rows(wh, "SELECT model_id, version FROM model_versions ORDER BY 1, 2") == [
        ("churn", "1"), ("churn", "2"), ("fraud", "4")]


def test_pagerduty_analytics_fetch_pages_by_cursor(make_warehouse):
    data = load(FIXTURES / "pagerduty" / "analytics" / "raw-incidents.json")
    first = {**data, "data": data["data"][:1], "more": True, "last": "PAN001"}
    second = {**data, "data": data["data"][1:], "more": False, "last": "PAN002"}
    body = ('{"filters": {"created_at_start": "2026-11-19T00:00:00+00:00"}, "time_zone": '
            '"Etc/UTC", "order": "asc", "order_by": "created_at", "limit": 1000')
    routes = {f"POST /analytics/raw/incidents {body}}}": page(first),
              f'POST /analytics/raw/incidents {body}, "starting_after": "PAN001"}}': page(second)}
    wh = make_warehouse(BASE)
    with Replay(routes) as server:
        code = main(["import", "pagerduty", "--url", server.base, "--option", "api=analytics",
                     "--since", "2026-11-19", "--map", str(FIXTURES / "map.csv"),
                     "--warehouse", str(wh)])
    assert code == 0
    assert rows(wh, "SELECT incident_id, started_at FROM incidents ORDER BY 1") == [
        ("PAN001", datetime(2026, 11, 19, 15, 0)), ("PAN002", datetime(2026, 11, 19, 17, 30))]


# --- security round 3 (issue 24): the token stays with its origin, answers are bounded ----

class Raw:
    """A server on 127.0.0.1 whose handler is `answer(handler)`: for answers Replay cannot
    give (endless, dripping, announced larger than sent)."""

    def __init__(self, answer):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                try:
                    answer(self)
                except OSError:  # the client hung up, as it should
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _import(capsys, *args):
    code = main(["import", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


PD_FIRST = "/incidents?time_zone=UTC&sort_by=created_at%3Aasc&limit=100&offset=0"


@pytest.mark.parametrize("status", [302, 307])
def test_a_redirect_to_another_origin_gets_no_token_and_nothing_loads(
        make_warehouse, capsys, monkeypatch, status):
    monkeypatch.setenv("PD_TOKEN", "s3cret-token")
    wh = make_warehouse(BASE)
    incidents = load(FIXTURES / "pagerduty" / "incidents-1.json")
    with Replay({f"GET {PD_FIRST}": page(incidents)}) as other, \
            Replay({}) as api:
        api.routes[f"GET {PD_FIRST}"] = page({}, status=status,
                                             headers={"Location": other.base + PD_FIRST})
        code, out, err = _import(capsys, "pagerduty", "--url", api.base, "--token-env",
                                 "PD_TOKEN", "--warehouse", str(wh))
    assert code == 2
    assert other.requests == []  # never asked, so never given the token
    port = urlsplit(other.base).port
    assert err == (f"modelops import: GET {api.base}/incidents: a redirect ({status}) to "
                   f"{other.base}/incidents leads to another origin (http://127.0.0.1:{port}); "
                   f"only http://127.0.0.1:{urlsplit(api.base).port} (the --url) is followed, "
                   "and the token is sent nowhere else (nothing loaded)\n")
    assert "s3cret" not in out + err
    assert rows(wh, "SELECT count(*) FROM incidents WHERE incident_id LIKE 'PABC%'") == [(0,)]


def test_a_redirect_within_the_origin_is_followed(make_warehouse, capsys, monkeypatch):
    monkeypatch.setenv("PD_TOKEN", "s3cret-token")
    wh = make_warehouse(BASE)
    incidents = {"incidents": [], "limit": 100, "offset": 0, "more": False}
    with Replay({f"GET {PD_FIRST}": page({}, status=301, headers={"Location": "/v2" + PD_FIRST}),
                 f"GET /v2{PD_FIRST}": page(incidents)}) as api:
        code, out, err = _import(capsys, "pagerduty", "--url", api.base, "--token-env",
                                 "PD_TOKEN", "--warehouse", str(wh))
    assert (code, err) == (0, "")
    assert [r[1] for r in api.requests] == [PD_FIRST, "/v2" + PD_FIRST]
    assert out.startswith(f"fetched 1 page(s) in 2 request(s) from {api.base}\n")


def test_next_links_to_another_origin_are_refused(make_warehouse, capsys, monkeypatch):
    monkeypatch.setenv("GH_TOKEN", "gh-secret")
    monkeypatch.setenv("OG_KEY", "genie-secret")
    wh = make_warehouse(BASE)
    deployments = load(FIXTURES / "github" / "deployments.json")
    with Replay({}) as other, Replay({}) as api:
        api.routes["GET /repos/acme/ml/deployments?per_page=100"] = page(deployments[:1], headers={
            "Link": f'<{other.base}/repos/acme/ml/deployments?page=2>; rel="next"'})
        api.routes["GET /v2/alerts?limit=100&sort=createdAt&order=asc"] = page(
            {"data": [], "paging": {"next": other.base.replace("127.0.0.1", "localhost")
                                    + "/v2/alerts?offset=100"}})
        gh = _import(capsys, "github", "--url", api.base, "--option", "repo=acme/ml",
                     "--token-env", "GH_TOKEN", "--warehouse", str(wh))
        og = _import(capsys, "opsgenie", "--url", api.base, "--token-env", "OG_KEY",
                     "--warehouse", str(wh))
    assert other.requests == []
    assert gh[0] == og[0] == 2
    assert gh[2].startswith(f"modelops import: GET {api.base}/repos/acme/ml/deployments: the "
                            "next page link (Link rel=next) leads to another origin")
    assert og[2].startswith(f"modelops import: GET {api.base}/v2/alerts: the next page link "
                            "leads to another origin (http://localhost:")
    assert "secret" not in "".join(gh[1:] + og[1:])
    assert rows(wh, "SELECT count(*) FROM load_log WHERE source <> 'ingest'") == [(0,)]


def test_only_http_is_followed_and_never_down_from_https(tmp_path, capsys, make_warehouse):
    wh = make_warehouse(BASE)
    with Replay({"GET /api/2.0/mlflow/registered-models/search?max_results=1000": page(
            {}, status=302, headers={"Location": "ftp://127.0.0.1/models.json"})}) as api:
        code, _out, err = _import(capsys, "mlflow", "--url", api.base, "--warehouse", str(wh))
    assert code == 2
    assert err == (f"modelops import: GET {api.base}/api/2.0/mlflow/registered-models/search:"
                   " a redirect (302) to ftp://127.0.0.1/models.json uses the scheme 'ftp'; "
                   f"only http(s) on http://127.0.0.1:{urlsplit(api.base).port} is followed "
                   "(nothing loaded)\n")
    client = Client("https://api.example.com", tmp_path, auth="Bearer t")
    with pytest.raises(FetchError, match=r"another origin \(http://api.example.com:80\)"):
        client.check_same_origin("http://api.example.com/next", "the next page link", "GET x")
    with pytest.raises(FetchError, match="another origin"):
        client.check_same_origin("https://api.example.com:8443/", "a redirect", "GET x")
    client.check_same_origin("https://API.example.com:443/x?page=2", "the next page link", "x")


def test_ids_from_the_server_never_become_paths(make_warehouse, capsys, tmp_path, monkeypatch):
    import tempfile

    fetch_root = tmp_path / "tmp"
    fetch_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(fetch_root))
    planted = fetch_root / "PWNED-001.json"
    planted.write_text("keep me")
    wh = make_warehouse(BASE)
    evil = "../../PWNED"
    incidents = {"incidents": [{"id": evil, "service": {"id": "PX"}}], "more": False}
    log = {"log_entries": [], "more": False}
    deployments = [{"id": evil, "environment": "production"},
                   {"id": "../../PWNED2"}, {"id": 7}]
    with Replay({f"GET {PD_FIRST}": page(incidents),
                 "GET /incidents/..%2F..%2FPWNED/log_entries?time_zone=UTC&limit=100&offset=0":
                     page(log),
                 "GET /repos/a/b/deployments?per_page=100": page(deployments),
                 "GET /repos/a/b/deployments/7/statuses?per_page=100": page([])}) as api:
        pd = _import(capsys, "pagerduty", "--url", api.base, "--warehouse", str(wh))
        gh = _import(capsys, "github", "--url", api.base, "--option", "repo=a/b",
                     "--warehouse", str(wh))
    assert planted.read_text() == "keep me"
    assert sorted(p.name for p in fetch_root.rglob("*")) == ["PWNED-001.json"]
    # the id reached the API quoted, as one path segment; GitHub's string ids ask nothing
    assert [r[1].split("?")[0] for r in api.requests] == [
        "/incidents", "/incidents/..%2F..%2FPWNED/log_entries", "/repos/a/b/deployments",
        "/repos/a/b/deployments/7/statuses"]
    assert "fetched 2 page(s)" in pd[1] and "fetched 2 page(s)" in gh[1]
    client = Client("http://h", tmp_path)
    for name in ("../x.json", "a/../../x.json", "/etc/x", "a/b/c.json", ".hidden"):
        with pytest.raises(FetchError, match="not a plain file name"):
            client.save(name, {})
    client.save("ok-1.json", {})
    with pytest.raises(FetchError, match="the name is taken"):
        client.save("ok-1.json", {})


def _endless(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b"[" + b"1," * 32_000
    while True:
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))


def _announced(handler):
    handler.send_response(200)
    handler.send_header("Content-Length", str(5 * 1024 ** 3))
    handler.end_headers()
    handler.wfile.write(b"[1,")
    time.sleep(3)


def _drip(handler):
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
    handler.wfile.flush()
    for _ in range(100):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.1)


def test_answers_are_bounded_in_bytes_and_in_total_time(tmp_path, capsys, make_warehouse):
    import resource

    for answer in (_endless, _announced):
        with Raw(answer) as api:
            client = Client(api.base, tmp_path, max_mb=1)
            started = time.monotonic()
            with pytest.raises(FetchError) as error:
                client.get_json("/x")
            assert time.monotonic() - started < 2.5
        assert str(error.value) == (f"GET {api.base}/x: the answer is larger than 1 MB "
                                    "(--max-answer-mb)")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 2_000_000  # kB: no GBs
    # one byte every 0.1 s: each read is quick, the request is not (10 s) and is cut at 1 s
    wh = make_warehouse(BASE)
    with Raw(_drip) as api:
        started = time.monotonic()
        code, _out, err = _import(capsys, "mlflow", "--url", api.base, "--timeout", "1",
                                 "--warehouse", str(wh))
        took = time.monotonic() - started
    assert code == 2 and took < 3, took
    assert err == (f"modelops import: GET {api.base}/api/2.0/mlflow/registered-models/search:"
                   " no answer within 1 s (nothing loaded)\n")


@pytest.mark.parametrize("body, reason", [
    (b'{"incidents": [' + b"9" * 5000 + b"]}",
     "the answer is not JSON (an integer with more digits than modelops reads)"),
    (b"[" * 100_000 + b"]" * 100_000, "the answer nests deeper than modelops reads"),
])
def test_unreadable_answers_are_one_line(make_warehouse, capsys, body, reason):
    wh = make_warehouse(BASE)
    with Replay({f"GET {PD_FIRST}": page(body)}) as api:
        code, _out, err = _import(capsys, "pagerduty", "--url", api.base, "--warehouse", str(wh))
    assert (code, err) == (2, (f"modelops import: GET {api.base}/incidents: {reason} "
                              "(nothing loaded)\n"))


@pytest.mark.parametrize("args, message", [
    (["--since", "9999-12-31T23:00-02:00"], ("--since: not an ISO date or timestamp: "
                                             "'9999-12-31T23:00-02:00'")),
    (["--until", "0001-01-01T00:00+01:00"], ("--until: not an ISO date or timestamp: "
                                             "'0001-01-01T00:00+01:00'")),
    (["--since", "9999-12-31"], "--since: '9999-12-31' is outside the years 1970 to 2100"),
    (["--until", "0001-01-01"], "--until: '0001-01-01' is outside the years 1970 to 2100"),
    (["--timeout", "nan"], "--timeout nan: give seconds above 0 (at most a day)"),
    (["--timeout", "-1"], "--timeout -1.0: give seconds above 0 (at most a day)"),
    (["--timeout", "inf"], "--timeout inf: give seconds above 0 (at most a day)"),
    (["--timeout", "0"], "--timeout 0.0: give seconds above 0 (at most a day)"),
    (["--max-answer-mb", "0"], "--max-answer-mb 0.0: give megabytes above 0 (at most 65536)"),
])
def test_bad_bounds_and_times_are_one_line(make_warehouse, capsys, args, message):
    wh = make_warehouse(BASE)
    code, _out, err = _import(capsys, "pagerduty", "--url", "http://127.0.0.1:9", *args,
                             "--warehouse", str(wh))
    assert (code, err) == (2, f"modelops import: {message}" + (
        " (nothing loaded)\n" if message.startswith("--timeout") or "answer" in message
        else "\n"))


@pytest.mark.parametrize("url, message", [
    ("file:///etc/passwd", ("--url: not an http(s) URL (scheme 'file'); only http:// and "
                           "https:// are fetched")),
    ("http://[::1", "--url: not a valid URL (Invalid IPv6 URL)"),
    ("http://h:99999999/", "--url: not a valid URL (Port out of range 0-65535)"),
    ("http://alice:hunter2@127.0.0.1:9/", ("--url: a user name or password in the URL is "
     "refused (it would be shown in messages); put the token in an environment variable and "
     "give --token-env VAR")),
    ("http://127.0.0.1:9/?key=hunter2", "--url: give the base URL without ?query or #fragment"),
])
def test_bad_urls_are_one_line_and_no_password_is_shown(make_warehouse, capsys, url, message):
    wh = make_warehouse(BASE)
    code, out, err = _import(capsys, "opsgenie", "--url", url, "--warehouse", str(wh))
    assert (code, err) == (2, f"modelops import: {message} (nothing loaded)\n")
    assert "hunter2" not in out + err


def test_a_token_with_a_trailing_newline_is_stripped_and_a_bad_one_never_shown(
        make_warehouse, capsys, monkeypatch):
    wh = make_warehouse(BASE)
    empty = {"data": [], "paging": {}}
    with Replay({"GET /v2/alerts?limit=100&sort=createdAt&order=asc": page(empty)}) as api:
        monkeypatch.setenv("OG_KEY", "SECRET-genie\n")
        code, out, err = _import(capsys, "opsgenie", "--url", api.base, "--token-env",
                                 "OG_KEY", "--warehouse", str(wh))
        assert (code, err) == (0, "")
        assert api.requests[0][2]["Authorization"] == "GenieKey SECRET-genie"
        monkeypatch.setenv("OG_KEY", "SECRET\nX-Injected: 1")
        code, out, err = _import(capsys, "opsgenie", "--url", api.base, "--token-env",
                                 "OG_KEY", "--warehouse", str(wh))
    assert code == 2 and len(api.requests) == 1
    assert err == ("modelops import: --token-env OG_KEY: the value holds a character an HTTP "
                   "header cannot carry (a control character, a newline inside, or non-ASCII);"
                   " the value is not shown\n")
    assert "SECRET" not in out + err

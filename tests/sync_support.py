"""Local fake APIs for `modelops sync` tests: they start from the recorded answers in
tests/fixtures/importers/ (read, never written) and can then change (a new incident, one
resolved, a new deployment, an alert closed, a new model version) or go down (refused, 500,
429), and a clock the test moves by hand.

Every server binds 127.0.0.1 on a free port; nothing here reaches the internet."""

from __future__ import annotations

import base64
import copy
import json
import re
import socket
import threading
import time
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from importer_support import FIXTURES, send_json


class Clock:
    """now() for the sync; the test moves it with advance()."""

    def __init__(self, start: datetime):
        self.moment = start

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment


class FakeAPI:
    """A server whose answers come from `answer(method, path, params)`; `down` replaces
    every answer by (status, headers, body) while set. Requests are recorded."""

    def __init__(self):
        self.requests: list[tuple[str, str, dict]] = []
        self.down: tuple[int, dict, object] | None = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                api.requests.append(("GET", parts.path, params))
                status, headers, body = api.down or api.answer("GET", parts.path, params)
                send_json(self, status, headers, body, api.base)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, method, path, params):
        return 404, {}, {"error": f"no route {path}"}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        return [p for _, p, _ in self.requests]


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


class FakePagerDuty(FakeAPI):
    """GET /incidents (since/until on created_at, offset pages of `limit`) and each
    incident's log entries, from the recorded pages; `incidents` can be changed."""

    def __init__(self):
        super().__init__()
        pd = FIXTURES / "pagerduty"
        self.incidents = [i for f in ("incidents-1.json", "incidents-2.json")
                          for i in json.loads((pd / f).read_text())["incidents"]]
        self.log_entries = {"PABC001": json.loads(
            (pd / "log_entries" / "PABC001.json").read_text())["log_entries"]}

    def incident(self, incident_id: str) -> dict:
        return next(i for i in self.incidents if i["id"] == incident_id)

    def add(self, incident_id: str, created: str, service: str = "PSVC1",
            priority: str = "P2") -> dict:
        new = copy.deepcopy(self.incident("PABC001"))
        new.update(id=incident_id, created_at=created, status="triggered", resolved_at=None,
                   title=f"incident {incident_id}", last_status_change_at=created)
        new["service"]["id"] = service
        new["priority"] = {"id": "PX", "type": "priority", "summary": priority,
                           "name": priority}
        self.incidents.append(new)
        return new

    def resolve(self, incident_id: str, at: str) -> None:
        self.incident(incident_id).update(status="resolved", resolved_at=at,
                                          last_status_change_at=at)

    def answer(self, method, path, params):
        if path == "/incidents":
            since = _time(params["since"]) if "since" in params else None
            until = _time(params["until"]) if "until" in params else None
            chosen = [i for i in self.incidents
                      if (since is None or _time(i["created_at"]) >= since)
                      and (until is None or _time(i["created_at"]) < until)]
            offset, limit = int(params.get("offset", 0)), int(params.get("limit", 25))
            page = chosen[offset:offset + limit]
            return 200, {}, {"incidents": page, "limit": limit, "offset": offset,
                             "more": offset + limit < len(chosen), "total": None}
        if path.startswith("/incidents/") and path.endswith("/log_entries"):
            entries = self.log_entries.get(path.split("/")[2], [])
            return 200, {}, {"log_entries": entries, "limit": 100, "offset": 0,
                             "more": False}
        return super().answer(method, path, params)

    def windows(self) -> list[tuple[datetime, datetime]]:
        """The (since, until) of each /incidents request, first page only."""
        return [(_time(p["since"]), _time(p["until"])) for _, path, p in self.requests
                if path == "/incidents" and p.get("offset") == "0"]


class FakeGitHub(FakeAPI):
    """GET /repos/acme/ml/deployments (one page) and each deployment's statuses."""

    def __init__(self):
        super().__init__()
        gh = FIXTURES / "github"
        self.deployments = json.loads((gh / "deployments.json").read_text())
        self.statuses = {101: json.loads((gh / "statuses" / "101.json").read_text()),
                         105: json.loads((gh / "statuses" / "105.json").read_text())}

    def add(self, deployment_id: int, model: str, version: str, created: str,
            state: str = "success") -> None:
        new = copy.deepcopy(self.deployments[0])
        new.update(id=deployment_id, created_at=created, updated_at=created,
                   payload={"model_id": model, "version": version})
        self.deployments.insert(0, new)
        status = copy.deepcopy(self.statuses[101][0])
        status.update(id=deployment_id * 10, state=state, created_at=created,
                      deployment_url=f"https://api.github.com/repos/acme/ml/deployments/"
                                     f"{deployment_id}")
        self.statuses[deployment_id] = [status]

    def answer(self, method, path, params):
        if path == "/repos/acme/ml/deployments":
            return 200, {}, self.deployments
        if path.startswith("/repos/acme/ml/deployments/") and path.endswith("/statuses"):
            return 200, {}, self.statuses.get(int(path.split("/")[5]), [])
        return super().answer(method, path, params)


def _epoch_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


class FakeOpsgenie(FakeAPI):
    """GET /v2/alerts as Opsgenie answers it: the recorded alerts (alerts-1/2.json) whose
    createdAt meets the `query` (`createdAt >= MS AND createdAt < MS`, as the importer
    sends it), oldest first, `limit` a page, each page naming the next one's full URL in
    `paging.next`. `close` and `add` change the alerts between two syncs."""

    def __init__(self, page_size: int = 3):
        super().__init__()
        og = FIXTURES / "opsgenie"
        self.alerts = [a for f in ("alerts-1.json", "alerts-2.json")
                       for a in json.loads((og / f).read_text())["data"]]
        self.page_size = page_size

    def alert(self, alert_id: str) -> dict:
        return next(a for a in self.alerts if a["id"] == alert_id)

    def close(self, alert_id: str, at: str) -> None:
        """Closed at `at`: Opsgenie's report.closeTime is milliseconds after createdAt."""
        alert = self.alert(alert_id)
        alert.update(status="closed", updatedAt=at)
        alert.setdefault("report", {})["closeTime"] = (
            _epoch_ms(at) - _epoch_ms(alert["createdAt"]))

    def add(self, alert_id: str, created: str, tag: str = "model:ops-churn",
            priority: str = "P1") -> dict:
        new = copy.deepcopy(self.alerts[0])
        new.update(id=alert_id, tinyId=alert_id, message=f"alert {alert_id}", status="open",
                   acknowledged=False, createdAt=created, updatedAt=created,
                   lastOccurredAt=created, tags=[tag], priority=priority, report={})
        self.alerts.append(new)
        return new

    def answer(self, method, path, params):
        if path == "/v2/alerts":
            bounds = dict(re.findall(r"createdAt (>=|<) (\d+)", params.get("query", "")))
            low, high = int(bounds.get(">=", 0)), int(bounds.get("<", 2**63))
            chosen = sorted((a for a in self.alerts
                             if low <= _epoch_ms(a["createdAt"]) < high),
                            key=lambda a: _epoch_ms(a["createdAt"]))
            offset = int(params.get("offset", 0))
            limit = min(int(params.get("limit", 20)), self.page_size)
            paging = {}
            if offset + limit < len(chosen):
                following = {**params, "offset": str(offset + limit)}
                paging["next"] = f"{self.base}/v2/alerts?{urlencode(following)}"
            return 200, {}, {"data": chosen[offset:offset + limit], "paging": paging,
                             "took": 0.01, "requestId": f"fake-{len(self.requests)}"}
        return super().answer(method, path, params)

    def windows(self) -> list[tuple[datetime, datetime]]:
        """The createdAt [since, until) of each first /v2/alerts request."""
        out = []
        for _, path, p in self.requests:
            if path == "/v2/alerts" and "offset" not in p:
                bounds = dict(re.findall(r"createdAt (>=|<) (\d+)", p.get("query", "")))
                out.append(tuple(datetime.fromtimestamp(int(bounds[k]) / 1000, UTC)
                                 for k in (">=", "<")))
        return out


class FakeMLflow(FakeAPI):
    """The registry's two searches (registered-models, model-versions) over the recorded
    answers, `max_results` a page (at most `page_size`) with an opaque next_page_token;
    MLflow has no time filter. `add_version` and `tag` change the registry."""

    def __init__(self, page_size: int = 4):
        super().__init__()
        ml = FIXTURES / "mlflow"
        self.registered = json.loads((ml / "registered-models.json").read_text())[
            "registered_models"]
        self.versions = json.loads((ml / "model-versions.json").read_text())["model_versions"]
        self.page_size = page_size

    def version(self, name: str, version: str) -> dict:
        return next(v for v in self.versions if (v["name"], v["version"]) == (name, version))

    def add_version(self, name: str, version: str, created: str, source: str) -> dict:
        new = {"name": name, "version": version, "creation_timestamp": _epoch_ms(created),
               "last_updated_timestamp": _epoch_ms(created), "current_stage": "None",
               "source": source, "run_id": f"run-{version}", "status": "READY"}
        self.versions.append(new)
        return new

    def tag(self, name: str, version: str, key: str, value: str) -> None:
        self.version(name, version).setdefault("tags", []).append({"key": key, "value": value})

    def answer(self, method, path, params):
        lists = {"/api/2.0/mlflow/registered-models/search": ("registered_models",
                                                              self.registered),
                 "/api/2.0/mlflow/model-versions/search": ("model_versions", self.versions)}
        if path in lists:
            key, records = lists[path]
            token = params.get("page_token")
            offset = json.loads(base64.b64decode(token))["offset"] if token else 0
            size = min(int(params.get("max_results", 100)), self.page_size)
            page = {key: records[offset:offset + size]}
            if offset + size < len(records):
                page["next_page_token"] = base64.b64encode(
                    json.dumps({"offset": offset + size}).encode()).decode()
            return 200, {}, page
        return super().answer(method, path, params)


def refused_url() -> str:
    """A 127.0.0.1 URL on which nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def now_utc() -> datetime:
    return datetime.now(UTC)


FOCUS_HEADER = ("BilledCost,BillingCurrency,ChargeCategory,ChargeClass,ChargePeriodEnd,"
                "ChargePeriodStart,EffectiveCost,ProviderName,ServiceCategory,ServiceName,"
                "Tags,x_Project")


def deployment(tmp_path: Path, wh: Path, every: str = "1h") -> Path:
    """A modelops.toml with one path source, `costs` (FOCUS files in tmp_path/exports)."""
    (tmp_path / "exports").mkdir(exist_ok=True)
    (tmp_path / "map.csv").write_text("source,key,model_id\nfocus,fraud-detector-eu,fraud\n")
    config = tmp_path / "modelops.toml"
    config.write_text(f'warehouse = "{wh}"\n\n[sources.costs]\nkind = "focus"\n'
                      f'path = "exports/*.csv"\nmap = "map.csv"\nevery = "{every}"\n')
    return config


def large_focus_exports(folder: Path, per_day: int, days: int, first_day: date,
                        files: int = 4) -> None:
    """`files` FOCUS exports of the churn model, file n covering its own `days` days with
    `per_day` half-hour charges of $0.25 a day: a costs_daily row per day."""
    folder.mkdir(exist_ok=True)
    for n in range(files):
        lines = [FOCUS_HEADER]
        for d in range(days):
            day = first_day + timedelta(days=n * days + d)
            for h in range(per_day):
                start, end = f"{day}T{h % 24:02d}:00:00Z", f"{day}T{h % 24:02d}:30:00Z"
                lines.append(f"0.25,USD,Usage,,{end},{start},0.25,Nimbus Cloud,Compute,"
                             f'Nimbus VMs,"{{""model"":""churn""}}",p{n}')
        (folder / f"focus-{n}.csv").write_text("\n".join(lines) + "\n")


class SlowAPI(FakeAPI):
    """Answers every request after `delay_s` seconds (a source that hangs)."""

    def __init__(self, delay_s: float):
        super().__init__()
        self.delay_s = delay_s

    def answer(self, method, path, params):
        time.sleep(self.delay_s)
        return 200, {}, []


class FakePrometheus(FakeAPI):
    """GET /api/v1/query_range for the bucket and the error query, from the recorded
    matrices, answering the points within [start, end]; `add_hour` adds a point."""

    def __init__(self):
        super().__init__()
        prom = FIXTURES / "prometheus"
        self.buckets = json.loads((prom / "latency_1h.json").read_text())
        self.errors = json.loads((prom / "errors_1h.json").read_text())

    def add_hour(self, model: str, at: datetime, scale: float = 1.0) -> None:
        """A new point at `at` (covering the hour before it) for every series of `model`:
        its first point's values times `scale`."""
        for doc in (self.buckets, self.errors):
            for series in doc["data"]["result"]:
                if series["metric"].get("model") == model and series["values"]:
                    value = float(series["values"][0][1]) * scale
                    series["values"].append([int(at.timestamp()), repr(value)])

    def answer(self, method, path, params):
        if path == "/api/v1/query_range":
            start, end = float(params["start"]), float(params["end"])
            doc = copy.deepcopy(self.buckets if "bucket" in params["query"] else self.errors)
            for series in doc["data"]["result"]:
                series["values"] = [v for v in series["values"] if start <= v[0] <= end]
            doc["data"]["result"] = [s for s in doc["data"]["result"] if s["values"]]
            return 200, {}, doc
        return super().answer(method, path, params)


class FakeOpenCost(FakeAPI):
    """GET /allocation?window=START,END&step=1d: one step per whole UTC day of the window
    that the recorded answer (or `add_day`) has, with the allocations recorded for it
    whose window is that UTC day."""

    def __init__(self):
        super().__init__()
        recorded = json.loads((FIXTURES / "opencost" / "allocation.json").read_text())
        self.days: dict[str, dict] = {}
        for step in recorded["data"]:
            for name, allocation in step.items():
                start = allocation["window"]["start"]
                if start.endswith("Z"):
                    self.days.setdefault(start[:10], {})[name] = allocation

    def add_day(self, day: str, like: str, scale: float = 1.0) -> None:
        """A new day: the allocations of day `like`, every cost times `scale`."""
        step = copy.deepcopy(self.days[like])
        end = (datetime.fromisoformat(day) + timedelta(days=1)).strftime("%Y-%m-%d")
        for allocation in step.values():
            allocation["window"] = {"start": f"{day}T00:00:00Z", "end": f"{end}T00:00:00Z"}
            allocation["start"], allocation["end"] = (allocation["window"]["start"],
                                                      allocation["window"]["end"])
            for key, value in list(allocation.items()):
                if key.endswith(("Cost", "CostAdjustment")) and isinstance(value, int | float):
                    allocation[key] = value * scale
        self.days[day] = step

    def answer(self, method, path, params):
        if path == "/allocation":
            start, end = (datetime.fromisoformat(t) for t in params["window"].split(","))
            steps = []
            day = start
            while day < end:
                steps.append(self.days.get(day.strftime("%Y-%m-%d"), {}))
                day += timedelta(days=1)
            return 200, {}, {"code": 200, "status": "success", "data": steps}
        return super().answer(method, path, params)

"""Opsgenie → incidents.

Reads `GET /v2/alerts` pages as the API returns them: `{"data": [alert...], "paging":
{"next", ...}, "took", "requestId"}` (a bare JSON list of alerts is accepted too).

Source key: the alert's `model:<id>` tag (resolved with --map, else a model id). Alerts
without a model tag are infrastructure alerts: skipped and counted, not quarantined. Two
different model tags on one alert are quarantined (which model is it about?).
Severity: priority P1..P5 → 1, 2, 3, 4, 4 (Opsgenie's default is P3).
started_at = detected_at = createdAt; acknowledged_at = createdAt + report.ackTime and,
when the alert is closed, resolved_at = createdAt + report.closeTime (both milliseconds
after createdAt: the OAS only says int64; the docs' samples, 15702 / 60503, read as ms).
A closed alert without closeTime is resolved at its updatedAt.
Lost: description and details (only `GET /v2/alerts/{id}` has them), root cause.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from modelops.importers.base import Bad, Origin, Row, Skipped, Unreadable, parse_time, read_json

SOURCE = "opsgenie"
KEY = "model tag"
ENTITIES = ("incidents",)
AUTH = "GenieKey {token}"
PRIORITY = {"P1": 1, "P2": 2, "P3": 3, "P4": 4, "P5": 4}
TAG = "model:"


def parse(files, options):
    for path in files:
        doc = read_json(path)
        alerts = doc.get("data") if isinstance(doc, dict) else doc
        if not isinstance(alerts, list):
            raise Unreadable(path, "not an Opsgenie alert list: expected {\"data\": [...]}")
        for n, alert in enumerate(alerts, start=1):
            yield _alert(alert, Origin(str(Path(path)), n))


def _alert(alert, origin):
    if not isinstance(alert, dict) or not alert.get("id"):
        return Bad("incidents", "alert record has no id", origin, raw=alert)
    tags = alert.get("tags") or []
    models = list(dict.fromkeys(
        t[len(TAG):].strip() for t in tags if isinstance(t, str) and t.startswith(TAG)
        and t[len(TAG):].strip()))
    if not models:
        return Skipped("alert without a model:<id> tag (not about a model)", origin)
    if len(models) > 1:
        return Bad("incidents", f"alert {alert['id']} has several model tags: "
                   f"{', '.join(models)}", origin, raw=alert)
    priority = alert.get("priority") or "P3"
    if priority not in PRIORITY:
        return Bad("incidents", f"severity: priority {priority!r} is not P1..P5", origin,
                   raw=alert)
    report = alert.get("report") or {}
    try:
        created = parse_time(alert.get("createdAt"))
        ack = _after(created, report.get("ackTime"), "report.ackTime")
        resolved = None
        if alert.get("status") == "closed":
            resolved = _after(created, report.get("closeTime"), "report.closeTime")
            if resolved is None and alert.get("updatedAt"):
                resolved = parse_time(alert["updatedAt"])
    except ValueError as error:
        return Bad("incidents", str(error), origin, raw=alert)
    return Row("incidents", {
        "incident_id": alert["id"],
        "severity": PRIORITY[priority],
        "title": alert.get("message"),
        "started_at": created,
        "detected_at": created,
        "acknowledged_at": ack,
        "resolved_at": resolved,
    }, origin, key=models[0], raw=alert)


def _after(created, millis, name):
    if millis is None:
        return None
    if isinstance(millis, bool) or not isinstance(millis, (int, float)) or millis < 0:
        raise ValueError(f"{name}: not a duration in milliseconds: {millis!r}")
    return created + timedelta(milliseconds=millis)


def fetch(client, options):
    """Every page of `GET /v2/alerts` (oldest first, 100 a page), following `paging.next`;
    `--since/--until` become a createdAt query."""
    query = []
    if options.since:
        query.append(f"createdAt >= {int(options.since.timestamp() * 1000)}")
    if options.until:
        query.append(f"createdAt < {int(options.until.timestamp() * 1000)}")
    params = {"limit": 100, "sort": "createdAt", "order": "asc",
              "query": " AND ".join(query) or None}
    files = []
    pages = client.pages_next_url("/v2/alerts", params, next_url=_next_page)
    for n, page in enumerate(pages, start=1):
        files.append(client.save(f"alerts-{n:04d}.json", page))
    return files


def _next_page(page) -> str | None:
    """`paging.next` (the client refuses it unless it is on the --url origin)."""
    paging = page.get("paging") if isinstance(page, dict) else None
    following = paging.get("next") if isinstance(paging, dict) else None
    return following if isinstance(following, str) else None

"""PagerDuty → incidents, and who was paged for them → oncall_pages.

Reads, in any mix and order (each file is recognised by its shape):
- `GET /incidents` pages: `{"incidents": [...], "limit", "offset", "more"}`;
- `GET /incidents/{id}/log_entries` (or `GET /log_entries`) pages: `{"log_entries": [...]}`,
  whose times carry the account zone's offset; the first acknowledge entry of an incident
  is its acknowledged_at (both type names the schema uses are accepted:
  `acknowledge_log_entry`, `acknowledgement_log_entry`);
- `POST /analytics/raw/incidents` pages: `{"data": [...], "time_zone": ..., "more", "last"}`,
  whose times carry no offset and are read in `time_zone`; acknowledged_at is
  created_at + seconds_to_first_ack.

Source key: the service id (`service.id`, analytics `service_id`), resolved with --map.
Severity: a priority name carrying a number means that level: P1..P5 → 1, 2, 3, 4, 4, and
as well `SEV-2`, `Sev 2`, `S2` → 2 (PagerDuty's own analytics example says "SEV-2"); other
names with `--option priority.NAME=N`, else the incident is quarantined naming that option
(never guessed from the urgency). Only an incident without a priority takes urgency high
→ 2, low → 4.
`acknowledgements` is emptied by PagerDuty once an incident is resolved, so for resolved
incidents only the log entries (or analytics) give the acknowledgement time.
started_at = detected_at = created_at (the true start of impact is not in PagerDuty).
Lost: root_cause, deployment_id, postmortem_url.

On-call pages (issue 14): one `oncall_pages` row per incident and person it was assigned
to, from the incident's `assignments[{at, assignee}]` and the log entries
`assign_log_entry` (`assignees[]`) and `notify_log_entry` (`user`); paged_at is the
earliest such time, page_id `<incident>-<user id>`, responder the user's `summary` (else
its id), team_id the team of the incident's model (resolved like the incident's service).
acknowledged_at is that person's first acknowledgement (`acknowledgements[].acknowledger`
or an acknowledge log entry's `agent`) at or after the page. A page's row goes with its
incident's record, so it loads right after the incident. Assignments without an assignee
(as PagerDuty shows them on some exports) page no one we can name and are not rows.
"""

from __future__ import annotations

import re
import urllib.parse
from datetime import timedelta
from pathlib import Path

from modelops.importers.base import Bad, Origin, Row, Unreadable, parse_time, read_json
from modelops.warehouse import UsageError

SOURCE = "pagerduty"
KEY = "service"
ENTITIES = ("incidents", "oncall_pages")
AUTH = "Token token={token}"
PRIORITY = {"P1": 1, "P2": 2, "P3": 3, "P4": 4, "P5": 4}
URGENCY = {"high": 2, "low": 4}
# a priority name that carries its level: P2, SEV-2, Sev 2, S2, Priority 2, "P2 - High"
NUMBERED = re.compile(r"\s*(?:p|sev|severity|s|priority)?[\s_-]*(\d+)(?:\b|$)", re.IGNORECASE)
ACK_TYPES = ("acknowledge_log_entry", "acknowledgement_log_entry")
PAGE_TYPES = ("assign_log_entry", "notify_log_entry")


def _kind(path: Path, doc) -> str:
    if isinstance(doc, dict):
        if isinstance(doc.get("incidents"), list):
            return "incidents"
        if isinstance(doc.get("log_entries"), list):
            return "log_entries"
        if isinstance(doc.get("data"), list):
            return "analytics"
    raise Unreadable(path, "not a PagerDuty export: expected an object with an "
                           "'incidents', 'log_entries' or (analytics) 'data' list")


def parse(files, options):
    docs = [(Path(f), read_json(f)) for f in files]
    kinds = [(path, _kind(path, doc), doc) for path, doc in docs]
    zone = options.extra.get("time_zone")
    priorities = {**PRIORITY, **_priority_options(options.extra)}

    acks: dict[str, object] = {}
    paged = _Paging()
    for path, kind, doc in kinds:
        if kind != "log_entries":
            continue
        for entry in doc["log_entries"]:
            if not isinstance(entry, dict) or entry.get("type") not in ACK_TYPES + PAGE_TYPES:
                continue
            incident = (entry.get("incident") or {}).get("id")
            try:
                at = parse_time(entry.get("created_at"), zone)
            except ValueError:
                continue  # an unreadable log entry only loses an acknowledgement time
            if not incident:
                continue
            if entry["type"] in PAGE_TYPES:
                people = entry.get("assignees") or [entry.get("user")]
                for person in people:
                    paged.page(incident, person, at)
                continue
            paged.ack(incident, entry.get("agent"), at)
            if incident not in acks or at < acks[incident]:
                acks[incident] = at

    for path, kind, doc in kinds:
        if kind == "incidents":
            for n, record in enumerate(doc["incidents"], start=1):
                origin = Origin(str(path), n)
                yield _incident(record, origin, acks, priorities, zone)
                yield from _pages(record, origin, paged, zone, options)
        elif kind == "analytics":
            page_zone = doc.get("time_zone") or zone
            for n, record in enumerate(doc["data"], start=1):
                yield _analytics(record, Origin(str(path), n), acks, priorities, page_zone)


class _Paging:
    """Who was paged for which incident, and when each person first acknowledged it."""

    def __init__(self):
        self.pages: dict[str, dict[str, tuple[str, object]]] = {}
        self.acks: dict[tuple[str, str], object] = {}

    def page(self, incident, person, at) -> None:
        if not isinstance(person, dict) or not person.get("id"):
            return
        name = person.get("summary") or person["id"]
        known = self.pages.setdefault(incident, {}).get(person["id"])
        if known is None or at < known[1]:
            self.pages[incident][person["id"]] = (name, at)

    def ack(self, incident, person, at) -> None:
        if isinstance(person, dict) and person.get("id"):
            key = (incident, person["id"])
            if key not in self.acks or at < self.acks[key]:
                self.acks[key] = at


def _pages(record, origin, paged: _Paging, zone, options):
    """The oncall_pages rows of one incident record (none when no one is named)."""
    if not isinstance(record, dict) or not record.get("id"):
        return
    incident = record["id"]
    try:
        for a in record.get("assignments") or []:
            if isinstance(a, dict) and a.get("at"):
                paged.page(incident, a.get("assignee"), parse_time(a["at"], zone))
        for a in record.get("acknowledgements") or []:
            if isinstance(a, dict) and a.get("at"):
                paged.ack(incident, a.get("acknowledger"), parse_time(a["at"], zone))
    except ValueError as error:
        yield Bad("oncall_pages", str(error), origin, raw=_slim(record))
        return
    people = paged.pages.get(incident)
    if not people:
        return
    service = (record.get("service") or {}).get("id")
    model = options.current("models", service) if service else None
    for person_id, (name, at) in sorted(people.items()):
        if model is None:
            yield Bad("oncall_pages", f"service {service} has no model", origin,
                      raw={"incident": incident, "user": person_id})
            continue
        ack = paged.acks.get((incident, person_id))
        yield Row("oncall_pages", {
            "page_id": f"{incident}-{person_id}",
            "incident_id": incident,
            "team_id": model.get("team_id"),
            "responder": name,
            "paged_at": at,
            "acknowledged_at": ack if ack is not None and ack >= at else None,
        }, origin, raw={"incident": incident, "user": person_id})


def _priority_options(extra: dict[str, str]) -> dict[str, int]:
    out = {}
    for key, value in extra.items():
        if key.startswith("priority."):
            try:
                out[key.removeprefix("priority.")] = int(value)
            except ValueError:
                raise UsageError(f"--option {key}={value}: severity must be 1 to 4") from None
    return out


def _severity(priority_name, urgency, priorities) -> int | str:
    """The severity, or the reason there is none.

    Priority names are per account. A name the options map wins; else a name carrying a
    number (`P2`, `SEV-2`, `Sev 2`, `S2`, `Priority 2`, `P2 - High`) means that severity
    (0 and 1 → 1, 5 and up → 4, as P5 is); a name without one (`Critical`) is refused with
    the option that maps it, never guessed from the urgency. Only an incident without a
    priority takes its severity from the urgency."""
    if priority_name in priorities:
        return priorities[priority_name]
    if isinstance(priority_name, str) and priority_name.strip():
        match = NUMBERED.match(priority_name)
        if match:
            return min(max(int(match.group(1)), 1), 4)
        return (f"severity: priority {priority_name!r} carries no number: map it with "
                f"--option priority.{priority_name}=1..4")
    if urgency in URGENCY:
        return URGENCY[urgency]
    return f"severity: no priority and urgency {urgency!r} is not high or low"


def _incident(record, origin, acks, priorities, zone):
    if not isinstance(record, dict) or not record.get("id"):
        return Bad("incidents", "incident record has no id", origin, raw=record)
    service = (record.get("service") or {}).get("id")
    if not service:
        return Bad("incidents", f"incident {record['id']} has no service", origin, raw=record)
    priority = (record.get("priority") or {}).get("summary") or \
        (record.get("priority") or {}).get("name")
    severity = _severity(priority, record.get("urgency"), priorities)
    if isinstance(severity, str):
        return Bad("incidents", severity, origin, raw=_slim(record))
    try:
        created = parse_time(record.get("created_at"), zone)
        resolved = record.get("resolved_at")
        if not resolved and record.get("status") == "resolved":
            resolved = record.get("last_status_change_at")
        resolved = parse_time(resolved, zone) if resolved else None
        ack = acks.get(record["id"])
        if ack is None and record.get("status") != "resolved":
            open_acks = [parse_time(a.get("at"), zone)
                         for a in record.get("acknowledgements") or [] if a.get("at")]
            ack = min(open_acks) if open_acks else None
    except ValueError as error:
        return Bad("incidents", str(error), origin, raw=_slim(record))
    return Row("incidents", {
        "incident_id": record["id"],
        "severity": severity,
        "title": record.get("title") or record.get("summary"),
        "started_at": created,
        "detected_at": created,
        "acknowledged_at": ack,
        "resolved_at": resolved,
    }, origin, key=service, raw=_slim(record))


def _analytics(record, origin, acks, priorities, zone):
    if not isinstance(record, dict) or not record.get("id"):
        return Bad("incidents", "analytics record has no id", origin, raw=record)
    if not record.get("service_id"):
        return Bad("incidents", f"incident {record['id']} has no service_id", origin,
                   raw=record)
    severity = _severity(record.get("priority_name"), record.get("urgency"), priorities)
    if isinstance(severity, str):
        return Bad("incidents", severity, origin, raw=record)
    try:
        created = parse_time(record.get("created_at"), zone)
        resolved = parse_time(record["resolved_at"], zone) if record.get("resolved_at") \
            else None
    except ValueError as error:
        return Bad("incidents", str(error), origin, raw=record)
    ack = acks.get(record["id"])
    seconds = record.get("seconds_to_first_ack")
    if ack is None and isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
        try:
            ack = created + timedelta(seconds=seconds)
        except (OverflowError, ValueError):  # -10^12, 10^18, Infinity: no calendar time
            return Bad("incidents", f"seconds_to_first_ack {seconds!r} is out of range",
                       origin, raw=record)
    title = record.get("description") or record.get("title")
    return Row("incidents", {
        "incident_id": record["id"],
        "severity": severity,
        "title": title,
        "started_at": created,
        "detected_at": created,
        "acknowledged_at": ack,
        "resolved_at": resolved,
    }, origin, key=record["service_id"], raw=record)


def _slim(record: dict) -> dict:
    """The fields the mapping reads, for the quarantine (a full incident is kilobytes)."""
    keep = ("id", "incident_number", "title", "status", "urgency", "created_at",
            "resolved_at", "last_status_change_at", "service", "priority")
    return {k: record.get(k) for k in keep if k in record}


def fetch(client, options):
    """Incident pages for the window (`since`/`until`, else PagerDuty's default of the last
    month), then each incident's log entries; every page saved as PagerDuty sent it. With
    `--option api=analytics`: `POST /analytics/raw/incidents` pages instead (cursor
    `starting_after`; acknowledgement from seconds_to_first_ack; data lags up to 24 h)."""
    if options.extra.get("api") == "analytics":
        filters = {}
        if options.since:
            filters["created_at_start"] = options.since.isoformat()
        if options.until:
            filters["created_at_end"] = options.until.isoformat()
        body = {"filters": filters, "time_zone": "Etc/UTC", "order": "asc",
                "order_by": "created_at"}
        return [client.save(f"analytics-{n:04d}.json", page) for n, page in enumerate(
            client.pages_cursor("/analytics/raw/incidents", body, limit=1000), start=1)]
    params = {"time_zone": "UTC", "sort_by": "created_at:asc"}
    if options.since:
        params["since"] = options.since.isoformat()
    if options.until:
        params["until"] = options.until.isoformat()
    if options.since and not options.until:
        params["until"] = _now().isoformat()
    files, ids = [], []
    for n, page in enumerate(client.pages_offset("/incidents", params, items="incidents"),
                             start=1):
        files.append(client.save(f"incidents-{n:04d}.json", page))
        listed = page.get("incidents") if isinstance(page, dict) else None
        ids += [i.get("id") for i in listed or [] if isinstance(i, dict)]
    # The id goes into the request path quoted, and never into a file name: the log entries
    # carry their incident's id, so the files are numbered.
    for k, incident in enumerate(dict.fromkeys(i for i in ids if isinstance(i, str) and i),
                                 start=1):
        for n, page in enumerate(client.pages_offset(
                f"/incidents/{urllib.parse.quote(incident, safe='')}/log_entries",
                {"time_zone": "UTC"}, items="log_entries"), start=1):
            files.append(client.save(f"log_entries/{k:05d}-{n:03d}.json", page))
    return files


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)

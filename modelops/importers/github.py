"""GitHub Deployments → deployments.

Reads, in any order: deployment lists (`GET /repos/{o}/{r}/deployments`, JSON arrays of
deployments) and status lists (`GET …/deployments/{id}/statuses`, JSON arrays of statuses;
each status names its deployment in `deployment_url`, else the file name holds the id, as
in `statuses/1234.json`).

Source key: `payload.model_id` (payload is an object or a JSON string). Most deployments
carry no such payload (PyGithub's recorded answers: `{}` or `{"test": true}`), so without
it the deployment is attributed through --map by, in this order, `OWNER/NAME@ENVIRONMENT`,
the repository `OWNER/NAME` (from the deployment's `url`), then the environment name
(`github,acme/churn-service,churn`). Deployments none of these attribute — previews,
transient environments, app deployments — are skipped and counted.
Outcome = the first terminal status in time: success → succeeded, failure / error →
failed (`inactive` only means a later deployment superseded this one); deployed_at = that
status's created_at. A deployment with no terminal status yet is skipped (import it again
later). version = `payload.version` (or `payload.model_version`), else the commit
(`sha`, or `commit_sha` as API version 2026-03-10 calls it). change_ticket =
`payload.change_ticket`. Environments: production/prod/live → production, staging/stage/
stg → staging, shadow → shadow, others with `--option env.NAME=production|staging|shadow`;
the rest are skipped with the reason. Lost: committed_at (needs the commit), approved_by.
remediates_incident_id (issue 14, DORA's rework) = `payload.remediates_incident_id`, else
`payload.incident_id`: the deployment was an unplanned fix for that incident (it must be
in the warehouse, else the row is quarantined like any unknown reference).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from modelops.importers.base import Bad, Origin, Row, Skipped, Unreadable, parse_time, read_json

SOURCE = "github"
KEY = "payload.model_id"
ENTITIES = ("deployments",)
AUTH = "Bearer {token}"
ENVIRONMENTS = {"production": "production", "prod": "production", "live": "production",
                "staging": "staging", "stage": "staging", "stg": "staging",
                "shadow": "shadow"}
OUTCOMES = {"success": "succeeded", "failure": "failed", "error": "failed"}


def parse(files, options):
    deployments, statuses = [], {}
    for path in files:
        doc = read_json(path)
        if not isinstance(doc, list) or not all(isinstance(x, dict) for x in doc):
            raise Unreadable(path, "not a GitHub deployment or status list (a JSON array "
                                   "of objects)")
        if doc and all("state" in x for x in doc):
            for status in doc:
                deployment = _deployment_of(status, path)
                statuses.setdefault(deployment, []).append(status)
        elif not doc:
            if "status" in Path(path).name and re.search(r"\d", Path(path).stem):
                statuses.setdefault(_deployment_of({}, path), [])  # no status yet
        else:
            if not all("id" in x and ("environment" in x or "statuses_url" in x) for x in doc):
                raise Unreadable(path, "not a GitHub deployment list: every deployment has "
                                       "an id and an environment")
            deployments += [(x, Origin(str(path), n)) for n, x in enumerate(doc, start=1)]
    environments = {**ENVIRONMENTS, **{
        k.removeprefix("env.").lower(): v for k, v in options.extra.items()
        if k.startswith("env.")}}
    for deployment, origin in deployments:
        yield _deployment(deployment, origin, statuses.get(str(deployment["id"])),
                          environments, options)


def _deployment_of(status: dict, path: Path) -> str:
    url = status.get("deployment_url") or ""
    match = re.search(r"/deployments/(\d+)/?$", url) or re.search(r"(\d+)", Path(path).stem)
    if not match:
        raise Unreadable(path, "a status without deployment_url, and no deployment id in "
                               "the file name")
    return match.group(1)


def _payload(raw) -> dict | str:
    if raw in (None, ""):
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return f"payload is not JSON: {raw[:40]!r}"
    return raw if isinstance(raw, dict) else f"payload is not a JSON object: {raw!r:.40}"


def repository(d: dict) -> str | None:
    """OWNER/NAME of a deployment, from its API URLs."""
    for field in ("url", "statuses_url", "repository_url"):
        match = re.search(r"/repos/([^/]+/[^/]+?)(?:/deployments\b|/?$)", str(d.get(field) or ""))
        if match:
            return match.group(1)
    return None


def _attributed(d: dict, environment: str, options) -> str | None:
    """The first of OWNER/NAME@ENV, OWNER/NAME and ENV that names a model (through --map,
    or as a model id), for a deployment without payload.model_id."""
    repo = repository(d)
    candidates = ([f"{repo}@{environment}", repo] if repo else []) + [environment]
    return next((key for key in candidates
                 if key and options.current("models", key) is not None), None)


def _deployment(d, origin, statuses, environments, options):
    payload = _payload(d.get("payload"))
    if isinstance(payload, str):
        return Bad("deployments", payload, origin, raw=d)
    model = payload.get("model_id")
    environment = str(d.get("environment") or "")
    if not model:
        model = _attributed(d, environment, options)
    if not model:
        if d.get("transient_environment") or "preview" in environment.lower():
            return Skipped("preview/transient deployment without payload.model_id", origin)
        repo = repository(d) or "OWNER/NAME"
        return Skipped("deployment without payload.model_id whose repository and environment "
                       f"map to no model (--map github,{repo},MODEL_ID)", origin)
    target = environments.get(environment.lower())
    if target not in ("production", "staging", "shadow"):
        return Skipped(f"environment {environment!r} is not production, staging or shadow "
                       f"(map it with --option env.{environment}=...)", origin)
    if statuses is None:
        return Bad("deployments", f"no status list for deployment {d['id']} (export GET "
                   f"/repos/{{owner}}/{{repo}}/deployments/{d['id']}/statuses)", origin, raw=d)
    try:
        ordered = sorted(statuses, key=lambda s: (parse_time(s.get("created_at")),
                                                  s.get("id") or 0))
    except ValueError as error:
        return Bad("deployments", f"a status of deployment {d['id']}: {error}", origin, raw=d)
    terminal = next((s for s in ordered if s.get("state") in OUTCOMES), None)
    if terminal is None:
        return Skipped(f"not finished: last status {ordered[-1].get('state') if ordered else 'none'}",
                       origin)
    version = payload.get("version") or payload.get("model_version") or d.get("sha") \
        or d.get("commit_sha")
    return Row("deployments", {
        "deployment_id": str(d["id"]),
        "version": None if version is None else str(version),
        "environment": target,
        "deployed_at": parse_time(terminal["created_at"]),
        "outcome": OUTCOMES[terminal["state"]],
        "change_ticket": payload.get("change_ticket"),
        "remediates_incident_id": _text_or_none(
            payload.get("remediates_incident_id") or payload.get("incident_id")),
    }, origin, key=str(model), raw=d)


def _text_or_none(value) -> str | None:
    return None if value in (None, "") else str(value)


def fetch(client, options):
    """Every deployment page (Link header), then each deployment's status pages.
    `--url https://api.github.com --option repo=OWNER/NAME` (or a --url that already ends
    in /repos/OWNER/NAME). GitHub has no time filter on deployments: all are fetched."""
    repo = options.extra.get("repo")
    base = f"/repos/{repo}" if repo else ""
    files = []
    ids = []
    for n, page in enumerate(client.pages_link(f"{base}/deployments", {"per_page": 100}),
                             start=1):
        files.append(client.save(f"deployments-{n:04d}.json", page))
        # Only integer ids (what GitHub sends) name a status request and its file: the
        # parse reads the id back from the file name when the statuses lack deployment_url.
        if isinstance(page, list):
            ids += [d["id"] for d in page
                    if isinstance(d, dict) and type(d.get("id")) is int and d["id"] >= 0]
    for deployment in dict.fromkeys(ids):
        for n, page in enumerate(client.pages_link(
                f"{base}/deployments/{deployment:d}/statuses", {"per_page": 100}), start=1):
            files.append(client.save(f"statuses/{deployment:d}-{n:03d}.json", page))
    return files

"""MLflow Model Registry → model_versions.

Reads the REST answers as MLflow returns them:
- `GET /api/2.0/mlflow/model-versions/search` pages: `{"model_versions": [...],
  "next_page_token"}` → one model_versions row per version;
- `GET /api/2.0/mlflow/registered-models/search` pages: `{"registered_models": [...]}` →
  no rows: the contract has no column for a registered model's aliases (`champion` → 3)
  or description, so each registered model is counted as skipped, its aliases named in
  the reason (a `model_aliases` entity would be the contract change that keeps them).
MLflow leaves empty fields out, so `{}` is an empty page.

Source key: the registered model `name` (resolved with --map, else a model id).
registered_at = creation_timestamp (epoch milliseconds, a JSON number or its text);
artifact_uri = source; code_commit, artifact_sha256, training_data_ref from version tags
(`mlflow.source.git.commit` / `git_commit` / `commit`; `artifact_sha256` / `sha256`;
`training_data_ref` / `dataset`). Versions whose registration is PENDING or FAILED are
skipped. Lost: stages (deprecated in MLflow), run metrics, descriptions.
"""

from __future__ import annotations

from modelops.importers.base import Bad, Origin, Row, Skipped, Unreadable, from_epoch_ms, read_json

SOURCE = "mlflow"
KEY = "registered model"
ENTITIES = ("model_versions",)
AUTH = "Bearer {token}"
TAGS = {
    "code_commit": ("mlflow.source.git.commit", "git_commit", "commit"),
    "artifact_sha256": ("artifact_sha256", "sha256"),
    "training_data_ref": ("training_data_ref", "dataset"),
}


def parse(files, options):
    for path in files:
        doc = read_json(path)
        if not isinstance(doc, dict) or not (
                {"model_versions", "registered_models"} & doc.keys()
                or set(doc) <= {"next_page_token"}):
            raise Unreadable(path, "not an MLflow search answer: expected "
                                   "'model_versions' or 'registered_models'")
        for n, model in enumerate(doc.get("registered_models") or [], start=1):
            yield _registered(model, Origin(str(path), n))
        for n, version in enumerate(doc.get("model_versions") or [], start=1):
            yield _version(version, Origin(str(path), n))


def _registered(model, origin):
    name = model.get("name") if isinstance(model, dict) else None
    aliases = ", ".join(f"{a.get('alias')} → {a.get('version')}"
                        for a in (model.get("aliases") or []) if isinstance(a, dict)) \
        if isinstance(model, dict) else ""
    if aliases:
        return Skipped(f"registered model {name}: aliases have no contract column "
                       f"({aliases})", origin)
    return Skipped("registered model (its versions come from model-versions search)", origin)


def _version(v, origin):
    if not isinstance(v, dict) or not v.get("name"):
        return Bad("model_versions", "model version without a name", origin, raw=v)
    if v.get("version") in (None, ""):
        return Bad("model_versions", f"{v['name']}: model version without a version", origin,
                   raw=v)
    status = v.get("status") or "READY"
    if status != "READY":
        return Skipped(f"registration {status}", origin)
    try:
        registered = from_epoch_ms(v.get("creation_timestamp"))
    except ValueError as error:
        return Bad("model_versions", f"creation_timestamp: {error}", origin, raw=v)
    tags = {t.get("key"): t.get("value") for t in v.get("tags") or [] if isinstance(t, dict)}
    values = {"version": str(v["version"]), "registered_at": registered,
              "artifact_uri": v.get("source") or None}
    for column, names in TAGS.items():
        values[column] = next((tags[n] for n in names if tags.get(n)), None)
    return Row("model_versions", values, origin, key=str(v["name"]), raw=v)


def fetch(client, options):
    """All registered models, then all model versions (search without a filter), every
    page; MLflow has no time filter on versions, so --since/--until are not used."""
    files = []
    for n, page in enumerate(client.pages_token(
            "/api/2.0/mlflow/registered-models/search", {"max_results": 1000}), start=1):
        files.append(client.save(f"registered-models-{n:04d}.json", page))
    for n, page in enumerate(client.pages_token(
            "/api/2.0/mlflow/model-versions/search", {"max_results": 1000}), start=1):
        files.append(client.save(f"model-versions-{n:04d}.json", page))
    return files

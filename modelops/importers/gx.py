"""Great Expectations validation results (JSON) -> data_quality.

Reads an `ExpectationSuiteValidationResult` as `to_json_dict()` writes it: GX 1.x
(`expectation_config.type`, `id`, `severity`) and 0.x (`expectation_config.expectation_type`,
no id or severity). One row per expectation result. The file names no model: `--model`
is required. A 0.x checkpoint or validation-operator result (`{run_id, run_results:
{"ValidationResultIdentifier::<suite>/<run>/<batch>": {validation_result, actions_results}},
success}`) is unwrapped: each validation result in it is read as above, its check ids
keyed on GX's own identifier of that result. (GX 1.x `CheckpointResult.describe_dict()`
keeps no per-expectation results or counts: not importable, export the validation
results.)

- check_run_id = "<validation_id or suite name>:<run time, compact UTC>:<expectation id,
  or #<1-based index> when it has none>". `meta.validation_id` is the id of the GX 1.x
  ValidationDefinition, the same for every run of it, so the run time is part of the id:
  stable when the same result file is loaded again, unique per run and expectation.
- check_name = the expectation type, with its column: `expect_column_values_to_not_be_null(amount)`.
- run_at = `meta.run_id.run_time` (0.9.x wrote `run_id` itself as the compact time
  string), else `meta.validation_time`, else `meta.batch_markers.ge_load_time`: the first
  that is a time; ISO 8601 or GX's compact `20261118T031959.174801Z`; a time without an
  offset is UTC (GX writes UTC).
- status: success -> pass; a failed expectation with severity "warning" or "info" (1.x)
  -> warn; any other failure, or an expectation that raised an exception -> fail.
- rows_checked = result.element_count, rows_failed = result.unexpected_count (both empty
  for table-level expectations that report only an observed_value). `unexpected_percent`
  is a percent of the non-missing values and is not used.
- pipeline = `--option pipeline=NAME`, else "<datasource_name>/<data_asset_name>" of
  `meta.active_batch_definition` (0.x: `meta.batch_kwargs` datasource/data_asset_name),
  else the suite name.
Origin line = the 1-based number of the result in `results` (counting on through the
validation results of a checkpoint result, in file order).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from modelops.importers.base import Bad, Options, Origin, Row, Unreadable, parse_time, read_json
from modelops.warehouse import UsageError

SOURCE = "gx"
KEY = "model"
ENTITIES = ("data_quality",)

ENTITY = "data_quality"
COMPACT = re.compile(r"(\d{8})T(\d{6})(?:\.(\d{1,6}))?Z")


def gx_time(value) -> datetime:
    """GX's compact `20261118T031959.174801Z` or ISO 8601 (no offset = UTC)."""
    if isinstance(value, str):
        match = COMPACT.fullmatch(value.strip())
        if match:
            day, clock, fraction = match.groups()
            moment = datetime.strptime(day + clock, "%Y%m%d%H%M%S")
            return moment.replace(microsecond=int((fraction or "0").ljust(6, "0")),
                                  tzinfo=UTC)
    return parse_time(value, zone="UTC")


def parse(files: list[Path], options: Options):
    if not options.model:
        raise UsageError("Great Expectations results name no model: give --model MODEL_ID")
    for path in files:
        number = 0
        for identifier, doc in _validation_results(path, read_json(path)):
            meta = doc.get("meta") or {}
            run_at = _run_time(path, meta)
            suite = doc.get("suite_name") or meta.get("expectation_suite_name") or "suite"
            pipeline = options.extra.get("pipeline") or _pipeline(meta) or suite
            run = identifier or f"{meta.get('validation_id') or suite}:" \
                                f"{run_at.strftime('%Y%m%dT%H%M%S.%fZ')}"
            for result in doc["results"]:
                number += 1
                yield _item(path, number, result, run, options.model, pipeline, run_at)


def _validation_results(path: Path, doc) -> list[tuple[str | None, dict]]:
    """(GX's identifier or None, validation result) of a file: one validation result, or
    those a 0.x checkpoint / validation-operator result wraps in `run_results`."""
    if isinstance(doc, dict) and isinstance(doc.get("results"), list):
        return [(None, doc)]
    if isinstance(doc, dict) and isinstance(doc.get("run_results"), dict):
        out = []
        for identifier, run in doc["run_results"].items():
            result = run.get("validation_result") if isinstance(run, dict) else None
            if not isinstance(result, dict) or not isinstance(result.get("results"), list):
                raise Unreadable(path, f"run_results entry {identifier!r} holds no "
                                       "validation_result with a results list")
            out.append((str(identifier).removeprefix("ValidationResultIdentifier::"), result))
        return out
    raise Unreadable(path, "not a Great Expectations validation result (no results list; "
                           "export ExpectationSuiteValidationResult.to_json_dict())")


def _run_time(path: Path, meta: dict) -> datetime:
    """The first of run_id.run_time (or run_id itself, a 0.9.x compact time string),
    validation_time and batch_markers.ge_load_time that is a time."""
    run_id = meta.get("run_id")
    candidates = (run_id.get("run_time") if isinstance(run_id, dict) else run_id,
                  meta.get("validation_time"),
                  (meta.get("batch_markers") or {}).get("ge_load_time"))
    problems = []
    for moment in candidates:
        if not moment:
            continue
        try:
            return gx_time(moment)
        except ValueError as error:
            problems.append(str(error))
    raise Unreadable(path, "run time: " + ("; ".join(problems) or
                                           "no meta.run_id, validation_time or ge_load_time"))


def _item(path, number, result, run, model, pipeline, run_at):
    """The row of one expectation result, or Bad."""
    origin = Origin(str(path), number)
    values = _row(result, number)
    if isinstance(values, str):
        return Bad(ENTITY, values, origin, raw=result)
    expectation, name, status, checked, failed = values
    return Row(ENTITY, {
        "check_run_id": f"{run}:{expectation}", "model_id": model,
        "pipeline": pipeline, "check_name": name, "run_at": run_at,
        "status": status, "rows_checked": checked, "rows_failed": failed,
    }, origin, raw=result)


def _pipeline(meta: dict) -> str | None:
    batch = meta.get("active_batch_definition") or {}
    source = batch.get("datasource_name")
    asset = batch.get("data_asset_name")
    if not source:  # 0.x
        kwargs = meta.get("batch_kwargs") or {}
        source, asset = kwargs.get("datasource"), kwargs.get("data_asset_name")
    return "/".join(p for p in (source, asset) if p) or None


def _row(result, number: int):
    if not isinstance(result, dict):
        return "not an expectation result object"
    config = result.get("expectation_config") or {}
    kind = config.get("type") or config.get("expectation_type")
    if not kind:
        return "expectation result without an expectation type"
    kwargs = config.get("kwargs") or {}
    column = kwargs.get("column")
    if column is None and kwargs.get("column_list"):
        column = ",".join(map(str, kwargs["column_list"]))
    if column is None and kwargs.get("column_A") is not None:
        column = f"{kwargs['column_A']},{kwargs.get('column_B')}"
    name = f"{kind}({column})" if column is not None else kind
    raised = bool((result.get("exception_info") or {}).get("raised_exception"))
    if result.get("success") is True and not raised:
        status = "pass"
    elif not raised and config.get("severity") in ("warning", "info"):
        status = "warn"
    else:
        status = "fail"
    outcome = result.get("result") or {}
    checked, failed = outcome.get("element_count"), outcome.get("unexpected_count")
    for label, value in (("element_count", checked), ("unexpected_count", failed)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            return f"{label} is not a count: {value!r}"
    return config.get("id") or f"#{number}", name, status, checked, failed

"""Great Expectations validation results (JSON) -> data_quality.

Reads an `ExpectationSuiteValidationResult` as `to_json_dict()` writes it: GX 1.x
(`expectation_config.type`, `id`, `severity`) and 0.x (`expectation_config.expectation_type`,
no id or severity). One row per expectation result. The file names no model: `--model`
is required.

- check_run_id = "<validation_id or suite name>:<run time, compact UTC>:<expectation id,
  or #<1-based index> when it has none>". `meta.validation_id` is the id of the GX 1.x
  ValidationDefinition, the same for every run of it, so the run time is part of the id:
  stable when the same result file is loaded again, unique per run and expectation.
- check_name = the expectation type, with its column: `expect_column_values_to_not_be_null(amount)`.
- run_at = `meta.run_id.run_time`, else `meta.validation_time`, else
  `meta.batch_markers.ge_load_time`; ISO 8601 or GX's compact `20261118T031959.174801Z`;
  a time without an offset is UTC (GX writes UTC).
- status: success -> pass; a failed expectation with severity "warning" or "info" (1.x)
  -> warn; any other failure, or an expectation that raised an exception -> fail.
- rows_checked = result.element_count, rows_failed = result.unexpected_count (both empty
  for table-level expectations that report only an observed_value). `unexpected_percent`
  is a percent of the non-missing values and is not used.
- pipeline = `--option pipeline=NAME`, else "<datasource_name>/<data_asset_name>" of
  `meta.active_batch_definition` (0.x: `meta.batch_kwargs` datasource/data_asset_name),
  else the suite name.
Origin line = the 1-based number of the result in `results`.
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
        doc = read_json(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
            raise Unreadable(path, "not a Great Expectations validation result (no results "
                                   "list; export ExpectationSuiteValidationResult.to_json_dict())")
        meta = doc.get("meta") or {}
        run_id = meta.get("run_id") if isinstance(meta.get("run_id"), dict) else {}
        moment = next((t for t in (run_id.get("run_time"), meta.get("validation_time"),
                                   (meta.get("batch_markers") or {}).get("ge_load_time"))
                       if t), None)
        try:
            run_at = gx_time(moment)
        except ValueError as error:
            raise Unreadable(path, f"run time: {error}") from None
        suite = doc.get("suite_name") or meta.get("expectation_suite_name") or "suite"
        pipeline = options.extra.get("pipeline") or _pipeline(meta) or suite
        run = f"{meta.get('validation_id') or suite}:{run_at.strftime('%Y%m%dT%H%M%S.%fZ')}"
        for number, result in enumerate(doc["results"], start=1):
            origin = Origin(str(path), number)
            values = _row(result, number)
            if isinstance(values, str):
                yield Bad(ENTITY, values, origin, raw=result)
                continue
            expectation, name, status, checked, failed = values
            yield Row(ENTITY, {
                "check_run_id": f"{run}:{expectation}", "model_id": options.model,
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

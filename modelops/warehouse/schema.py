"""The data contract as code: every entity, its columns, keys and rules.

DATA_CONTRACT.md is the reference; this module is the one place the code reads it from.
Both the warehouse DDL and the ingest validation are generated from these definitions,
so a rule cannot be enforced in one place and forgotten in the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from modelops.warehouse.errors import UnknownEntity

# SQL types used in the warehouse, by contract type.
SQL_TYPES = {
    "text": "VARCHAR",
    "float": "DOUBLE",
    "int": "BIGINT",
    "timestamp": "TIMESTAMP",  # always UTC, stored without zone
    "date": "DATE",
    "bool": "BOOLEAN",
}

# Bounds on every stored value (DATA_CONTRACT.md, "Bounds"), so that what loads can be
# drawn, subtracted and summed by the pages: a timestamp or date at or after EARLIEST and
# before END (infinity and year 9999 parse, then break the pages' date arithmetic); a text
# value of at most MAX_TEXT characters (a 50 MB field loads, then slows every page that
# lists it); a count of at most MAX_COUNT (24 hours of them still fit the daily rollup's
# BIGINT, int64 max does not); a float finite.
EARLIEST = "1970-01-01"
END = "2200-01-01"
LATEST_DAY = "2199-12-31"  # the last admitted day, as the reasons name the range
MAX_TEXT = 4096
MAX_COUNT = 10**15

LATENCY_BOUNDS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
LATENCY_BUCKETS = tuple(f"latency_le_{b}ms" for b in LATENCY_BOUNDS_MS)

RISK_TIERS = ("minimal", "limited", "high")
LIFECYCLE_STAGES = ("development", "staging", "production", "deprecated", "retired")
ROOT_CAUSES = ("deployment", "data_drift", "data_quality", "infrastructure", "vendor", "other")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    key: bool = False
    allowed: tuple[str, ...] | None = None
    # A SQL predicate over the typed value `v` that must hold when the value is present.
    check: str | None = None
    check_reason: str | None = None
    # (entity, column) that a present value must exist in.
    references: tuple[str, str] | None = None
    default: str | None = None  # SQL literal used when the value is absent


@dataclass(frozen=True)
class RowRule:
    """A rule across columns; `violated` is a SQL predicate over the typed row."""

    violated: str
    reason: str


@dataclass(frozen=True)
class Entity:
    name: str
    columns: tuple[Column, ...]
    rules: tuple[RowRule, ...] = field(default_factory=tuple)
    # The column that places a row in time: how fresh the entity is, and the order rows
    # are stored in (so a time window reads only the row groups it needs).
    time_column: str | None = None

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.key)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns a file must have: keys and required values without a default."""
        return tuple(
            c.name for c in self.columns if (c.key or c.required) and c.default is None
        )


def _text(name, **kw):
    return Column(name, "text", **kw)


def _enum(name, values, **kw):
    return Column(name, "text", allowed=values, **kw)


def _ratio_open(name, **kw):
    return Column(name, "float", check="v > 0 AND v < 1", check_reason="must be in (0, 1)", **kw)


_NON_NEGATIVE_INT = dict(check=f"v BETWEEN 0 AND {MAX_COUNT}",
                         check_reason="must be >= 0 and at most 10^15")

ENTITIES: dict[str, Entity] = {}


def _add(entity: Entity) -> None:
    ENTITIES[entity.name] = entity


_add(Entity("business_units", (
    _text("business_unit_id", key=True),
    _text("name", required=True),
)))

_add(Entity("teams", (
    _text("team_id", key=True),
    _text("name", required=True),
    _text("business_unit_id", required=True, references=("business_units", "business_unit_id")),
    _text("lead"),
    # Issue 14: where "out of hours" is measured for the team's on-call pages.
    _text("time_zone", default="'UTC'",
          check="v IN (SELECT name FROM pg_timezone_names())",
          check_reason="must be an IANA time zone name such as Europe/Berlin"),
)))

_add(Entity("vendors", (
    _text("vendor_id", key=True),
    _text("name", required=True),
    _enum("kind", ("cloud", "model_api", "hosting", "labeling", "other"), required=True),
    Column("sla_availability", "float", check="v > 0 AND v <= 1", check_reason="must be in (0, 1]"),
)))

_add(Entity("models", (
    _text("model_id", key=True),
    _text("name", required=True),
    _text("team_id", required=True, references=("teams", "team_id")),
    _text("owner"),
    _text("use_case"),
    _enum("risk_tier", RISK_TIERS, required=True),
    _enum("lifecycle_stage", LIFECYCLE_STAGES, required=True),
    _text("vendor_id", references=("vendors", "vendor_id")),
    _ratio_open("slo_availability", required=True, default="0.99"),
    Column("slo_latency_p95_ms", "float", required=True, default="500",
           check="v > 0", check_reason="must be > 0"),
    _text("runbook_url"),
    Column("created_at", "timestamp", required=True),
    Column("retired_at", "timestamp"),
    Column("runbook_reviewed_at", "timestamp"),  # issue 14: runbook health
), (
    RowRule("retired_at < created_at", "retired_at is before created_at"),
), time_column="created_at"))

_add(Entity("model_versions", (
    _text("model_id", key=True, references=("models", "model_id")),
    _text("version", key=True),
    Column("registered_at", "timestamp", required=True),
    _text("artifact_uri"),
    _text("artifact_sha256", check="regexp_full_match(v, '[0-9a-fA-F]{64}')",
          check_reason="must be 64 hex characters"),
    _text("code_commit"),
    _text("training_data_ref"),
), time_column="registered_at"))

_add(Entity("deployments", (
    _text("deployment_id", key=True),
    _text("model_id", required=True, references=("models", "model_id")),
    _text("version", required=True),
    _enum("environment", ("production", "staging", "shadow"), required=True),
    Column("committed_at", "timestamp"),
    Column("deployed_at", "timestamp", required=True),
    _enum("outcome", ("succeeded", "failed", "rolled_back"), required=True),
    _text("change_ticket"),
    _text("approved_by"),
    # Issue 14: the deployment was an unplanned fix for this incident (DORA rework).
    _text("remediates_incident_id", references=("incidents", "incident_id")),
), (
    RowRule("deployed_at < committed_at", "deployed_at is before committed_at"),
), time_column="deployed_at"))

_add(Entity("incidents", (
    _text("incident_id", key=True),
    _text("model_id", required=True, references=("models", "model_id")),
    Column("severity", "int", required=True, check="v BETWEEN 1 AND 4",
           check_reason="must be 1 to 4"),
    _text("title", required=True),
    Column("started_at", "timestamp", required=True),
    Column("detected_at", "timestamp"),
    Column("acknowledged_at", "timestamp"),
    Column("resolved_at", "timestamp"),
    _enum("root_cause", ROOT_CAUSES),
    _text("deployment_id"),
    _text("postmortem_url"),
), (
    RowRule("detected_at < started_at", "detected_at is before started_at"),
    RowRule("acknowledged_at < detected_at", "acknowledged_at is before detected_at"),
    RowRule("resolved_at < started_at", "resolved_at is before started_at"),
), time_column="started_at"))

_add(Entity("metrics_hourly", (
    _text("model_id", key=True, references=("models", "model_id")),
    Column("hour", "timestamp", key=True, check="v = date_trunc('hour', v)",
           check_reason="must be truncated to the hour"),
    Column("requests", "int", required=True, **_NON_NEGATIVE_INT),
    Column("errors", "int", required=True, **_NON_NEGATIVE_INT),
    *(Column(b, "int", required=True, **_NON_NEGATIVE_INT) for b in LATENCY_BUCKETS),
), (
    RowRule("errors > requests", "errors exceed requests"),
    *(RowRule(f"{hi} < {lo}", f"{hi} is below {lo} (buckets must not decrease)")
      for lo, hi in pairwise(LATENCY_BUCKETS)),
    RowRule(f"{LATENCY_BUCKETS[-1]} > requests", f"{LATENCY_BUCKETS[-1]} exceeds requests"),
), time_column="hour"))

_add(Entity("costs_daily", (
    _text("model_id", key=True, references=("models", "model_id")),
    Column("day", "date", key=True),
    _enum("category", ("compute", "storage", "inference_api", "labeling", "other"), key=True),
    # Part of the key but may be empty: stored as '' so that the key stays comparable.
    _text("vendor_id", key=True, default="''", references=("vendors", "vendor_id")),
    Column("amount_usd", "float", required=True, check="v >= 0", check_reason="must be >= 0"),
), time_column="day"))

_add(Entity("business_value_daily", (
    _text("model_id", key=True, references=("models", "model_id")),
    Column("day", "date", key=True),
    Column("value_usd", "float", required=True),
), time_column="day"))

_add(Entity("drift", (
    _text("model_id", key=True, references=("models", "model_id")),
    _text("feature", key=True),
    Column("measured_at", "timestamp", key=True),
    _enum("method", ("psi", "ks", "js", "wasserstein", "other"), required=True),
    Column("score", "float", required=True, check="v >= 0", check_reason="must be >= 0"),
    Column("threshold", "float", required=True, check="v >= 0", check_reason="must be >= 0"),
), time_column="measured_at"))

_add(Entity("data_quality", (
    _text("check_run_id", key=True),
    _text("model_id", required=True, references=("models", "model_id")),
    _text("pipeline", required=True),
    _text("check_name", required=True),
    Column("run_at", "timestamp", required=True),
    _enum("status", ("pass", "warn", "fail"), required=True),
    Column("rows_checked", "int", **_NON_NEGATIVE_INT),
    Column("rows_failed", "int", **_NON_NEGATIVE_INT),
), (
    RowRule("rows_failed > rows_checked", "rows_failed exceeds rows_checked"),
), time_column="run_at"))

_add(Entity("validations", (
    _text("validation_id", key=True),
    _text("model_id", required=True, references=("models", "model_id")),
    _text("version", required=True),
    _enum("stage", ("pre_deployment", "post_deployment"), required=True),
    Column("run_at", "timestamp", required=True),
    _text("metric", required=True),
    Column("value", "float", required=True),
    Column("threshold", "float"),
    Column("passed", "bool", required=True),
), time_column="run_at"))

_add(Entity("risk_assessments", (
    _text("assessment_id", key=True),
    _text("model_id", required=True, references=("models", "model_id")),
    Column("assessed_at", "timestamp", required=True),
    _enum("risk_tier", RISK_TIERS, required=True),
    _text("assessor", required=True),
    _enum("outcome", ("approved", "conditional", "rejected"), required=True),
    Column("next_review_due", "date", required=True),
    _text("notes"),
), time_column="assessed_at"))

_add(Entity("action_items", (
    _text("action_item_id", key=True),
    _text("incident_id", references=("incidents", "incident_id")),
    _text("model_id", references=("models", "model_id")),
    _text("team_id", required=True, references=("teams", "team_id")),
    _text("title", required=True),
    _text("owner", required=True),
    Column("priority", "int", required=True, check="v BETWEEN 1 AND 3",
           check_reason="must be 1 to 3"),
    Column("created_at", "timestamp", required=True),
    Column("due_at", "timestamp"),
    Column("closed_at", "timestamp"),
), (
    RowRule("due_at < created_at", "due_at is before created_at"),
    RowRule("closed_at < created_at", "closed_at is before created_at"),
), time_column="created_at"))

_add(Entity("oncall_pages", (
    _text("page_id", key=True),
    _text("incident_id", required=True, references=("incidents", "incident_id")),
    _text("team_id", required=True, references=("teams", "team_id")),
    _text("responder", required=True),
    Column("paged_at", "timestamp", required=True),
    Column("acknowledged_at", "timestamp"),
), (
    RowRule("acknowledged_at < paged_at", "acknowledged_at is before paged_at"),
), time_column="paged_at"))


def _load_order() -> tuple[str, ...]:
    """The order in which entities can be loaded so that references resolve: definition
    order, except that incidents come before deployments (a deployment may name the
    incident it remediates; an incident's deployment_id is not checked)."""
    names = [n for n in ENTITIES if n != "incidents"]
    names.insert(names.index("deployments"), "incidents")
    return tuple(names)


LOAD_ORDER = _load_order()


def entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        known = ", ".join(ENTITIES)
        raise UnknownEntity(f"unknown entity {name!r}; known entities: {known}") from None

"""The warehouse schema's migrations: how a file of any released version gets to this one.

A migration is frozen once released: it is literal DDL in a function that never changes
after users' files have run it, because a file records only the version number it reached.
(Generating a migration from the contract in schema.py would silently change what an
already-applied migration means whenever the contract changes.) A change to the contract
comes with a new migration appended below; tests/test_migrations.py checks that the
migrated schema holds every column the contract names, and that v1 still builds exactly
the tables of a file made by modelops at version 1 (tests/data/schema_v1.json).

To add one: write `def _v<N>() -> list[str]` returning literal statements
(`ALTER TABLE ... ADD COLUMN IF NOT EXISTS ...` for a new optional column), and append
`(N, _v<N>)` to MIGRATIONS. Never edit or drop an applied one: a warehouse's data is never
dropped or rebuilt. Each migration runs in its own transaction: it applies completely, with
its row in schema_version, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from modelops.warehouse.errors import WarehouseError


def _v1() -> list[str]:
    """The contract's 14 entities, the daily rollup, the load log and the quarantine, as
    modelops built them at schema version 1 (frozen)."""
    return [
        """
CREATE TABLE IF NOT EXISTS business_units (
    business_unit_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL
)""",
        """
CREATE TABLE IF NOT EXISTS teams (
    team_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    business_unit_id VARCHAR NOT NULL,
    lead VARCHAR
)""",
        """
CREATE TABLE IF NOT EXISTS vendors (
    vendor_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    sla_availability DOUBLE
)""",
        """
CREATE TABLE IF NOT EXISTS models (
    model_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    team_id VARCHAR NOT NULL,
    owner VARCHAR,
    use_case VARCHAR,
    risk_tier VARCHAR NOT NULL,
    lifecycle_stage VARCHAR NOT NULL,
    vendor_id VARCHAR,
    slo_availability DOUBLE NOT NULL,
    slo_latency_p95_ms DOUBLE NOT NULL,
    runbook_url VARCHAR,
    created_at TIMESTAMP NOT NULL,
    retired_at TIMESTAMP
)""",
        """
CREATE TABLE IF NOT EXISTS model_versions (
    model_id VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    registered_at TIMESTAMP NOT NULL,
    artifact_uri VARCHAR,
    artifact_sha256 VARCHAR,
    code_commit VARCHAR,
    training_data_ref VARCHAR
)""",
        """
CREATE TABLE IF NOT EXISTS deployments (
    deployment_id VARCHAR NOT NULL,
    model_id VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    environment VARCHAR NOT NULL,
    committed_at TIMESTAMP,
    deployed_at TIMESTAMP NOT NULL,
    outcome VARCHAR NOT NULL,
    change_ticket VARCHAR,
    approved_by VARCHAR
)""",
        """
CREATE TABLE IF NOT EXISTS incidents (
    incident_id VARCHAR NOT NULL,
    model_id VARCHAR NOT NULL,
    severity BIGINT NOT NULL,
    title VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    detected_at TIMESTAMP,
    acknowledged_at TIMESTAMP,
    resolved_at TIMESTAMP,
    root_cause VARCHAR,
    deployment_id VARCHAR,
    postmortem_url VARCHAR
)""",
        """
CREATE TABLE IF NOT EXISTS metrics_hourly (
    model_id VARCHAR NOT NULL,
    hour TIMESTAMP NOT NULL,
    requests BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    latency_le_5ms BIGINT NOT NULL,
    latency_le_10ms BIGINT NOT NULL,
    latency_le_25ms BIGINT NOT NULL,
    latency_le_50ms BIGINT NOT NULL,
    latency_le_100ms BIGINT NOT NULL,
    latency_le_250ms BIGINT NOT NULL,
    latency_le_500ms BIGINT NOT NULL,
    latency_le_1000ms BIGINT NOT NULL,
    latency_le_2500ms BIGINT NOT NULL,
    latency_le_5000ms BIGINT NOT NULL,
    latency_le_10000ms BIGINT NOT NULL
)""",
        """
CREATE TABLE IF NOT EXISTS costs_daily (
    model_id VARCHAR NOT NULL,
    day DATE NOT NULL,
    category VARCHAR NOT NULL,
    vendor_id VARCHAR NOT NULL,
    amount_usd DOUBLE NOT NULL
)""",
        """
CREATE TABLE IF NOT EXISTS business_value_daily (
    model_id VARCHAR NOT NULL,
    day DATE NOT NULL,
    value_usd DOUBLE NOT NULL
)""",
        """
CREATE TABLE IF NOT EXISTS drift (
    model_id VARCHAR NOT NULL,
    feature VARCHAR NOT NULL,
    measured_at TIMESTAMP NOT NULL,
    method VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    threshold DOUBLE NOT NULL
)""",
        """
CREATE TABLE IF NOT EXISTS data_quality (
    check_run_id VARCHAR NOT NULL,
    model_id VARCHAR NOT NULL,
    pipeline VARCHAR NOT NULL,
    check_name VARCHAR NOT NULL,
    run_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL,
    rows_checked BIGINT,
    rows_failed BIGINT
)""",
        """
CREATE TABLE IF NOT EXISTS validations (
    validation_id VARCHAR NOT NULL,
    model_id VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,
    run_at TIMESTAMP NOT NULL,
    metric VARCHAR NOT NULL,
    value DOUBLE NOT NULL,
    threshold DOUBLE,
    passed BOOLEAN NOT NULL
)""",
        """
CREATE TABLE IF NOT EXISTS risk_assessments (
    assessment_id VARCHAR NOT NULL,
    model_id VARCHAR NOT NULL,
    assessed_at TIMESTAMP NOT NULL,
    risk_tier VARCHAR NOT NULL,
    assessor VARCHAR NOT NULL,
    outcome VARCHAR NOT NULL,
    next_review_due DATE NOT NULL,
    notes VARCHAR
)""",
        """
CREATE TABLE IF NOT EXISTS metrics_daily (
    model_id VARCHAR NOT NULL,
    day DATE NOT NULL,
    requests BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    latency_le_5ms BIGINT NOT NULL,
    latency_le_10ms BIGINT NOT NULL,
    latency_le_25ms BIGINT NOT NULL,
    latency_le_50ms BIGINT NOT NULL,
    latency_le_100ms BIGINT NOT NULL,
    latency_le_250ms BIGINT NOT NULL,
    latency_le_500ms BIGINT NOT NULL,
    latency_le_1000ms BIGINT NOT NULL,
    latency_le_2500ms BIGINT NOT NULL,
    latency_le_5000ms BIGINT NOT NULL,
    latency_le_10000ms BIGINT NOT NULL
)""",
        """
CREATE TABLE IF NOT EXISTS load_log (
    load_id BIGINT NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    file VARCHAR NOT NULL,
    sha256 VARCHAR,
    entity VARCHAR,
    status VARCHAR NOT NULL,      -- loaded | partial | rejected
    rows_read BIGINT NOT NULL,
    inserted BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    quarantined BIGINT NOT NULL,
    message VARCHAR
)""",
        """
CREATE TABLE IF NOT EXISTS quarantine (
    load_id BIGINT NOT NULL,
    quarantined_at TIMESTAMP NOT NULL,
    file VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    line BIGINT,
    row_as_read VARCHAR,
    reason VARCHAR NOT NULL
)""",
    ]


def _v2() -> list[str]:
    """Issue 12: the load log says which importer (or plain ingest) wrote each load and how
    many source records it skipped as not about a model."""
    return [
        "ALTER TABLE load_log ADD COLUMN IF NOT EXISTS source VARCHAR DEFAULT 'ingest'",
        "ALTER TABLE load_log ADD COLUMN IF NOT EXISTS skipped BIGINT DEFAULT 0",
    ]


def _v3() -> list[str]:
    """Issue 14, the weekly operations review: postmortem follow-ups (action_items), who was
    paged (oncall_pages), deployments that remediate an incident, runbook reviews and each
    team's time zone."""
    return [
        """CREATE TABLE IF NOT EXISTS action_items (
    action_item_id VARCHAR NOT NULL,
    incident_id VARCHAR,
    model_id VARCHAR,
    team_id VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    owner VARCHAR NOT NULL,
    priority BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP,
    closed_at TIMESTAMP
)""",
        """CREATE TABLE IF NOT EXISTS oncall_pages (
    page_id VARCHAR NOT NULL,
    incident_id VARCHAR NOT NULL,
    team_id VARCHAR NOT NULL,
    responder VARCHAR NOT NULL,
    paged_at TIMESTAMP NOT NULL,
    acknowledged_at TIMESTAMP
)""",
        "ALTER TABLE deployments ADD COLUMN IF NOT EXISTS remediates_incident_id VARCHAR",
        "ALTER TABLE models ADD COLUMN IF NOT EXISTS runbook_reviewed_at TIMESTAMP",
        "ALTER TABLE teams ADD COLUMN IF NOT EXISTS time_zone VARCHAR DEFAULT 'UTC'",
    ]


def _v4() -> list[str]:
    """Issue 27, `modelops sync`: one row per configured source, kept in the warehouse so
    the cursor commits with the warehouse it describes and the dashboard can show each
    source's freshness. `cursor` is the end of the last interval loaded whole (url
    sources); `every_s` is copied from modelops.toml at each run so the dashboard, which
    does not read that file, can tell a source that is behind."""
    return [
        """CREATE TABLE IF NOT EXISTS sync_sources (
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    every_s BIGINT NOT NULL,
    cursor TIMESTAMP,
    last_attempt TIMESTAMP,
    last_success TIMESTAMP,
    last_rows BIGINT,
    next_run TIMESTAMP,
    last_error VARCHAR,
    failures BIGINT NOT NULL DEFAULT 0
)""",
    ]


def _v5() -> list[str]:
    """Issue 29, `modelops deliver`: what was sent to whom for which week, so a re-run or a
    restart never sends the same week twice (modelops/delivery/log.py)."""
    return [
        """CREATE TABLE IF NOT EXISTS delivery_log (
    subscription VARCHAR NOT NULL,
    recipient VARCHAR NOT NULL,
    week VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    scope VARCHAR,
    detail VARCHAR,
    attempts BIGINT NOT NULL,
    logged_at TIMESTAMP NOT NULL
)""",
    ]


MIGRATIONS: list[tuple[int, Callable[[], list[str]]]] = [
    (1, _v1),
    (2, _v2),
    (3, _v3),
    (4, _v4),
    (5, _v5),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def latest(migrations=None) -> int:
    return (MIGRATIONS if migrations is None else migrations)[-1][0]


def schema_version(con) -> int:
    """The version a file has reached (0: a file modelops never migrated)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    rows = con.execute("SELECT max(version) FROM schema_version").fetchall()
    return rows[0][0] or 0


def file_of(con) -> str:
    """The file a connection has open (for messages that name it)."""
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return rows[0][0] if rows and rows[0][0] else "the warehouse"


def refuse_newer(con, version: int, newest: int) -> None:
    if version > newest:
        raise WarehouseError(
            f"{file_of(con)}: schema version {version} was written by a newer modelops"
            f" (this one knows up to {newest}); upgrade modelops to open it")


def migrate(con, migrations=None) -> int:
    """Apply every migration newer than the file's version, each in its own transaction."""
    migrations = MIGRATIONS if migrations is None else migrations
    current = schema_version(con)
    newest = latest(migrations)
    refuse_newer(con, current, newest)
    for version, statements in migrations:
        if version <= current:
            continue
        con.execute("BEGIN")
        try:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version"
                " (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)"
            )
            for statement in statements():
                con.execute(statement)
            con.execute(
                "INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)", [version]
            )
            con.execute("COMMIT")
        except duckdb.Error as error:
            con.execute("ROLLBACK")
            raise WarehouseError(
                f"{file_of(con)}: migration {version} ({statements.__name__}) failed and"
                f" nothing of it was applied (still version {current}): {error}"
            ) from None
        except BaseException:
            con.execute("ROLLBACK")
            raise
        current = version
    return newest

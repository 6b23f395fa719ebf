"""`modelops demo`: a believable year of ML operations, loaded through the ingest path.

A fresh checkout must show a full dashboard, so the demo has the shapes the pages exist to
reveal: traffic with a daily and weekly rhythm and orders of magnitude between models;
incidents that follow bad deployments; drift alerts in the days before data-drift
incidents; vendor outages that hit several models at once; costs that grow with traffic; a
few models that lose money; and governance gaps (no owner, no runbook, reviews overdue,
production versions without a passed post-deployment validation).

Every row goes through `load_frame`, the same validation as `modelops ingest`, so the demo
can never hold a row that a real export could not. Generation is vectorised with numpy;
Python loops run only over entities and chunks of models. The same arguments always give
the same rows: each part draws from its own generator seeded from `seed` (and the chunk),
so nothing depends on the wall clock except the default `end`.

How it is built: `build_demo` plans what everything else derives from (`window` ->
`Span`, `model_table` -> `Models`, `plan_releases` / `plan_deployments` -> `Releases` /
`Deployments`, `plan_incidents` -> `Incidents`), then `_load` makes and loads one entity
at a time in load order, each by a function that takes what it needs and returns its
frame (`models_frame(models)`, ...), or, for the large daily entities, its frames of at
most LOAD_ROWS rows (`drift_frame(rng, ..., models, span, incidents)`, ...), each built as
it is loaded, so memory does not grow with the number of models. Hourly metrics come in
chunks of models and hand their daily sums (`DailyTraffic`) on to
`daily_costs` -> `DailyCosts`, which costs and business value are drawn from. Nothing is
shared or mutated between steps: a function's arguments are all it depends on.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from modelops.warehouse import WarehouseError, intent, writing
from modelops.warehouse.connect import connect
from modelops.warehouse.ingest import LoadResult, load_frame
from modelops.warehouse.schema import (
    LATENCY_BOUNDS_MS,
    LATENCY_BUCKETS,
    LIFECYCLE_STAGES,
    LOAD_ORDER,
    RISK_TIERS,
    ROOT_CAUSES,
    entity,
)

HOUR = 3600
DAY = 86400
METRICS_CHUNK = 200  # models per metrics_hourly load: ~1.75 M rows for a year
# Rows per load of the large daily entities (drift, data quality): their text columns (ids,
# names) take ~200 bytes a row, so a year of 10,000 models held whole took gigabytes.
LOAD_ROWS = 500_000

# --- the organisation ---------------------------------------------------------------------

BUSINESS_UNITS = (
    ("retail", "Retail"),
    ("payments", "Payments"),
    ("marketing", "Marketing"),
    ("logistics", "Logistics"),
    ("risk", "Risk & Fraud"),
    ("care", "Customer Care"),
)

# team_id, name, business_unit_id
TEAMS = (
    ("recsys", "Recommendations", "retail"),
    ("search", "Search & Ranking", "retail"),
    ("pricing", "Pricing", "retail"),
    ("demand", "Demand Planning", "retail"),
    ("merch", "Merchandising", "retail"),
    ("pay-routing", "Payment Routing", "payments"),
    ("pay-risk", "Payment Risk", "payments"),
    ("treasury", "Treasury Analytics", "payments"),
    ("growth", "Growth Modeling", "marketing"),
    ("crm", "CRM Analytics", "marketing"),
    ("adtech", "Ad Optimization", "marketing"),
    ("eta", "Delivery ETA", "logistics"),
    ("routing", "Route Optimization", "logistics"),
    ("fulfilment", "Fulfilment Science", "logistics"),
    ("fraud", "Fraud Detection", "risk"),
    ("credit", "Credit Risk", "risk"),
    ("fincrime", "Financial Crime", "risk"),
    ("support-ai", "Support Automation", "care"),
    ("voice", "Voice Analytics", "care"),
    ("care-insights", "Care Insights", "care"),
)

PEOPLE = (
    "Ana Kowalski", "Ben Okafor", "Chen Wei", "Dana Levi", "Elif Demir", "Farah Haddad",
    "Gustav Lind", "Hana Sato", "Ivan Petrov", "Julia Moreau", "Kofi Mensah", "Lena Fischer",
    "Marco Rossi", "Nadia Rahman", "Omar Aziz", "Priya Nair", "Quentin Blanc", "Rosa Diaz",
    "Sven Nilsson", "Tara Singh", "Umar Farouk", "Vera Novak", "Will Carter", "Xia Lin",
    "Yusuf Kaya", "Zoe Adams", "Arjun Mehta", "Bianca Costa", "Carlos Ruiz", "Dmitri Orlov",
    "Emma Larsen", "Felix Wagner", "Grace Kim", "Hugo Martin", "Ines Silva", "Jonas Berg",
    "Keiko Tanaka", "Liam Walsh", "Maya Cohen", "Noah Brown",
)

# vendor_id, name, kind, sla_availability (None: no SLA published)
VENDORS = (
    ("nimbus", "Nimbus Cloud", "cloud", 0.9995),
    ("stratus", "Stratus Compute", "cloud", 0.999),
    ("servewell", "Servewell Inference Hosting", "hosting", 0.999),
    ("cortex", "Cortex AI API", "model_api", 0.999),
    ("lexica", "Lexica LLM Platform", "model_api", 0.995),
    ("labelcraft", "LabelCraft", "labeling", None),
)
V_NIMBUS, V_STRATUS, V_SERVEWELL, V_CORTEX, V_LEXICA, V_LABELCRAFT = range(len(VENDORS))

# What a model does shapes its latency, metric, features and value.
KINDS = ("classifier", "ranking", "regression", "forecast", "llm")
K_CLF, K_RANK, K_REG, K_FCST, K_LLM = range(len(KINDS))

# stem, team_id, kind, use_case
USE_CASES = (
    ("product-recommender", "recsys", K_RANK, "Ranks products a shopper is likely to buy next"),
    ("similar-items", "recsys", K_RANK, "Finds items similar to the one being viewed"),
    ("next-best-offer", "recsys", K_RANK, "Chooses the offer to show a returning customer"),
    ("search-ranker", "search", K_RANK, "Orders search results by purchase likelihood"),
    ("query-autocomplete", "search", K_RANK, "Suggests completions while a query is typed"),
    ("query-classifier", "search", K_CLF, "Maps a search query to a product category"),
    ("price-optimizer", "pricing", K_REG, "Sets list prices within margin guardrails"),
    ("markdown-planner", "pricing", K_FCST, "Plans clearance markdowns by week"),
    ("demand-forecast", "demand", K_FCST, "Forecasts daily unit demand per store and item"),
    ("stockout-predictor", "demand", K_CLF, "Flags items likely to sell out within 3 days"),
    ("assortment-planner", "merch", K_FCST, "Forecasts the sales of candidate assortments"),
    ("product-tagger", "merch", K_LLM, "Writes attribute tags for new catalogue items"),
    ("payment-router", "pay-routing", K_CLF, "Routes payments to the likeliest acquirer"),
    ("auth-approval", "pay-routing", K_CLF, "Predicts issuer approval of an authorisation"),
    ("chargeback-predictor", "pay-risk", K_CLF, "Scores orders for chargeback risk"),
    ("refund-abuse-detector", "pay-risk", K_CLF, "Detects serial refund abuse"),
    ("fx-rate-forecast", "treasury", K_FCST, "Forecasts settlement FX rates for hedging"),
    ("cashflow-forecast", "treasury", K_FCST, "Forecasts daily merchant payouts"),
    ("churn-predictor", "growth", K_CLF, "Predicts customers likely to cancel within 30 days"),
    ("ltv-estimator", "growth", K_REG, "Estimates 12-month customer lifetime value"),
    ("lead-scorer", "crm", K_CLF, "Scores inbound B2B leads for sales follow-up"),
    ("email-send-time", "crm", K_REG, "Picks the hour a customer is most likely to open mail"),
    ("campaign-uplift", "crm", K_CLF, "Estimates the uplift of a campaign per customer"),
    ("bid-optimizer", "adtech", K_REG, "Sets bids for paid search keywords"),
    ("ad-ctr-predictor", "adtech", K_CLF, "Predicts click-through rate of ad creatives"),
    ("ad-copy-generator", "adtech", K_LLM, "Drafts ad copy variants for review"),
    ("eta-predictor", "eta", K_REG, "Predicts delivery arrival time shown at checkout"),
    ("delivery-delay-predictor", "eta", K_CLF, "Flags parcels likely to miss their promise"),
    ("route-optimizer", "routing", K_REG, "Scores candidate delivery routes"),
    ("courier-dispatcher", "routing", K_REG, "Assigns pickups to couriers"),
    ("warehouse-slotting", "fulfilment", K_REG, "Places fast movers near packing stations"),
    ("pick-time-estimator", "fulfilment", K_REG, "Estimates picking time per order"),
    ("fraud-detector", "fraud", K_CLF, "Scores transactions for payment fraud"),
    ("account-takeover-detector", "fraud", K_CLF, "Detects suspicious logins"),
    ("promo-abuse-detector", "fraud", K_CLF, "Detects coupon and promotion abuse"),
    ("credit-scorer", "credit", K_CLF, "Scores buy-now-pay-later applications"),
    ("limit-recommender", "credit", K_REG, "Recommends credit limits"),
    ("aml-screening", "fincrime", K_CLF, "Scores transactions for money laundering"),
    ("sanctions-name-matcher", "fincrime", K_CLF, "Matches names against sanctions lists"),
    ("ticket-router", "support-ai", K_CLF, "Routes support tickets to the right queue"),
    ("support-chatbot", "support-ai", K_LLM, "Answers customer questions in chat"),
    ("reply-suggester", "support-ai", K_LLM, "Suggests replies to support agents"),
    ("call-summarizer", "voice", K_LLM, "Summarises support calls for the CRM"),
    ("speech-intent-classifier", "voice", K_CLF, "Classifies caller intent in the IVR"),
    ("sentiment-classifier", "care-insights", K_CLF, "Classifies customer message sentiment"),
    ("csat-predictor", "care-insights", K_CLF, "Predicts satisfaction after a contact"),
)

# region suffix, UTC hour of peak traffic
REGIONS = (
    ("eu", 13), ("us", 19), ("uk", 13), ("de", 12), ("fr", 12), ("nl", 12), ("nordics", 11),
    ("apac", 5), ("latam", 20), ("ca", 19), ("global", 15),
)
SEGMENTS = ("web", "app", "b2b", "smb", "enterprise", "marketplace", "mobile")

FEATURES = {
    K_CLF: ("account_age_days", "txn_amount", "txn_velocity_1h", "device_type", "country",
            "merchant_category", "days_since_last_order", "session_count_7d", "basket_value",
            "payment_method", "tenure_months", "support_tickets_30d"),
    K_RANK: ("query_length", "item_popularity", "price", "category", "user_affinity", "ctr_7d",
             "position", "brand", "stock_level", "recency_days"),
    K_REG: ("distance_km", "order_size", "weather_code", "hour_of_day", "traffic_index",
            "courier_load", "warehouse_zone", "price", "competitor_price", "day_of_week"),
    K_FCST: ("sales_lag_7", "sales_lag_28", "promo_flag", "holiday_flag", "price",
             "temperature", "store_size", "category", "fx_rate", "seasonality_index"),
    K_LLM: ("prompt_length", "response_length", "language", "topic", "channel",
            "conversation_turns", "embedding_centroid_dist", "toxicity_score"),
}
DRIFT_THRESHOLD = {"psi": 0.2, "ks": 0.1}

# metric, higher is better, typical value range
VALIDATION_METRICS = {
    K_CLF: ("auc", True, (0.78, 0.94)),
    K_RANK: ("ndcg_at_10", True, (0.35, 0.55)),
    K_REG: ("mae", False, (2.0, 9.0)),
    K_FCST: ("mape", False, (0.06, 0.2)),
    K_LLM: ("answer_accuracy", True, (0.72, 0.9)),
}

DQ_CHECKS = ("row_count", "null_rate", "freshness", "schema", "duplicate_keys",
             "value_range", "referential_integrity")
DQ_ROWLESS = ("freshness", "schema")  # checks that do not count rows

S_DEV, S_STAGING, S_PROD, S_DEPRECATED, S_RETIRED = (LIFECYCLE_STAGES.index(s) for s in (
    "development", "staging", "production", "deprecated", "retired"))
C_DEPLOY, C_DRIFT, C_DQ, C_INFRA, C_VENDOR, C_OTHER = (ROOT_CAUSES.index(c) for c in (
    "deployment", "data_drift", "data_quality", "infrastructure", "vendor", "other"))


def _allowed(entity_name: str, column: str) -> tuple[str, ...]:
    """A column's allowed values as the contract lists them (indices below refer to them)."""
    return next(c.allowed for c in entity(entity_name).columns if c.name == column)


ENVIRONMENTS = _allowed("deployments", "environment")  # production, staging, shadow
OUTCOMES = _allowed("deployments", "outcome")  # succeeded, failed, rolled_back
VALIDATION_STAGES = _allowed("validations", "stage")  # pre_deployment, post_deployment
DQ_STATUSES = _allowed("data_quality", "status")  # pass, warn, fail
ASSESSMENT_OUTCOMES = _allowed("risk_assessments", "outcome")  # approved, conditional, rejected
# The generator draws these by position (weights per tier, `env == 0` for production,
# outcome 2 for a rollback, status 2 for a failed check): a contract that reorders them
# must stop the demo here rather than mislabel its rows.
assert RISK_TIERS == ("minimal", "limited", "high")
assert ENVIRONMENTS == ("production", "staging", "shadow")
assert OUTCOMES == ("succeeded", "failed", "rolled_back")
assert VALIDATION_STAGES == ("pre_deployment", "post_deployment")
assert DQ_STATUSES == ("pass", "warn", "fail")
assert ASSESSMENT_OUTCOMES == ("approved", "conditional", "rejected")

# P(severity 1..4) by cause: weighted to 3-4. Rows in ROOT_CAUSES order.
SEVERITY_WEIGHTS = np.array([{
    "deployment": [0.06, 0.19, 0.40, 0.35],
    "data_drift": [0.02, 0.10, 0.40, 0.48],
    "data_quality": [0.02, 0.10, 0.43, 0.45],
    "infrastructure": [0.05, 0.15, 0.40, 0.40],
    "vendor": [0.10, 0.25, 0.35, 0.30],
    "other": [0.02, 0.08, 0.35, 0.55],
}[cause] for cause in ROOT_CAUSES])

INCIDENT_TITLES = {
    C_DEPLOY: ("Error rate spike after release {version}",
               "p95 latency regression after release {version}",
               "Wrong predictions served after release {version}"),
    C_DRIFT: ("Prediction quality drop: drift in {feature}",
              "Input distribution shift on {feature}"),
    C_DQ: ("Upstream feed delivered null values", "Late batch in feature pipeline",
           "Schema change in upstream table broke features"),
    C_INFRA: ("Serving pods OOM-killed", "GPU node pool exhausted", "Feature store read timeouts",
              "Autoscaler failed to scale out", "Load balancer misconfiguration"),
    C_VENDOR: ("{vendor} errors and timeouts", "{vendor} regional outage"),
    C_OTHER: ("Unexpected traffic spike from a client", "TLS certificate expired on endpoint",
              "Misrouted traffic after DNS change"),
}

ASSESSORS = ("AI Governance Board", "Model Risk Management", "Lena Fischer", "Omar Aziz",
             "Priya Nair")
ASSESSMENT_NOTES = (
    "Annual review; no material change",
    "Bias testing across age bands documented",
    "Human oversight procedure to be documented before next release",
    "Explainability report attached",
    "Monitoring thresholds agreed with the business owner",
    "Training data lineage incomplete; follow-up ticket opened",
)
REVIEW_INTERVAL_DAYS = {"minimal": 365, "limited": 180, "high": 90}


# --- public entry point -------------------------------------------------------------------

def build_demo(path, models: int = 200, days: int = 365, seed: int = 7,
               end: datetime | date | None = None,
               progress: Callable[[str], None] | None = print,
               force: bool = False) -> dict[str, LoadResult]:
    """Build a demo warehouse at `path` and return each entity's (merged) load result.

    Hourly metrics cover `[end - days, end)`; `end` is truncated to the hour and defaults to
    the last full hour before now (UTC). The warehouse is built in `path + ".tmp"` and moved
    into place when complete, so a reader never sees a half-built file.

    A file already at `path` is replaced only when it holds nothing but a demo build (its
    load log names demo loads only), or with `force`; never while a writer holds it or
    waits for it (WarehouseError): checked before the build and again just before the
    move, so loaded data is never replaced without being asked.
    """
    if models < 1 or days < 1:
        raise ValueError("models and days must be at least 1")
    progress = progress or (lambda line: None)
    if end is None:
        end = datetime.now(UTC)
    elif not isinstance(end, datetime):  # a date: its midnight
        end = datetime.combine(end, datetime.min.time())
    if end.tzinfo is not None:
        end = end.astimezone(UTC).replace(tzinfo=None)
    end = end.replace(minute=0, second=0, microsecond=0)

    path = Path(path)
    check_replaceable(path, force)
    tmp = Path(f"{path}.tmp")
    for stale in (tmp, Path(f"{tmp}.wal")):
        stale.unlink(missing_ok=True)

    started = time.monotonic()
    # What the other entities are derived from: who the models are, what was released
    # when, and what broke. Each draws from its own stream, so adding a draw to one part
    # cannot shift the numbers of another.
    span = window(end, days)
    table = model_table(_rng(seed, 1), models, span)
    release_rng = _rng(seed, 2)
    releases = plan_releases(release_rng, table, span)
    deployments = plan_deployments(release_rng, table, releases)
    incidents = plan_incidents(_rng(seed, 5), table, span, releases, deployments)
    try:
        with writing(tmp) as con:
            results = _load(con, seed, span, table, releases, deployments, incidents, progress)
            con.execute("CHECKPOINT")
    except BaseException:
        for partial in (tmp, Path(f"{tmp}.wal")):
            partial.unlink(missing_ok=True)
        raise
    Path(f"{tmp}.wal").unlink(missing_ok=True)  # checkpointed above: nothing left in it
    try:
        check_replaceable(path, force)  # again: a load may have landed during the build
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # A WAL left beside the old file (a killed writer) belongs to it; DuckDB would replay
    # it into the new file.
    Path(f"{path}.wal").unlink(missing_ok=True)
    os.replace(tmp, path)
    progress(f"demo: {models} models, {days} days to {end:%Y-%m-%d %H:%M} UTC "
             f"in {time.monotonic() - started:.1f} s")
    return results


DEMO_SOURCE = "demo:"  # load_frame's source for every demo load (its load-log `file`)


def check_replaceable(path: Path, force: bool = False) -> None:
    """Raise WarehouseError unless the demo may replace `path`: no file there, or one whose
    load log holds demo loads only (or anything, with `force`), and in either case no
    writer holding or waiting for it (its rows would land in the file being replaced)."""
    if not path.exists():
        return
    if intent.writer_waiting(path):
        raise WarehouseError(f"{path}: a writer is using the warehouse; the demo does not "
                             "replace it now (try again when it is done)")
    try:
        con = connect(path, read_only=True, timeout_s=1)
    except WarehouseError as error:
        if force and "locked" not in str(error):
            return  # not a warehouse at all: --force replaces it
        raise WarehouseError(f"{path}: the demo does not replace it: {error}") from None
    try:
        if force:
            return
        has_log = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'load_log'"
        ).fetchall()[0][0]
        if not has_log:
            tables = con.execute("SELECT count(*) FROM information_schema.tables").fetchall()
            if tables[0][0]:
                raise WarehouseError(f"{path}: not a modelops warehouse; the demo does not "
                                     "replace it (give --force to replace it)")
            return
        loads, first = con.execute(
            "SELECT count(*), min(file) FROM load_log WHERE NOT starts_with(file, $demo)",
            {"demo": DEMO_SOURCE}).fetchall()[0]
    finally:
        con.close()
    if loads:
        raise WarehouseError(
            f"{path}: holds {loads} load(s) that are not a demo build (e.g. {first}); the "
            "demo does not replace it (give --force to replace it)")


def _load(con, seed: int, span: Span, models: Models, releases: Releases,
          deployments: Deployments, incidents: Incidents,
          progress: Callable[[str], None]) -> dict[str, LoadResult]:
    """Every entity through `load_frame`, in load order, one progress line each.

    Each line times its entity from the end of the previous one, so making the frame
    counts with loading it. Serving metrics load in chunks of models (a line per chunk)
    and hand their daily sums on to costs and value.
    """
    results: dict[str, LoadResult] = {}
    step_started = time.monotonic()

    def load(name: str, frame: pl.DataFrame | Iterable[pl.DataFrame]) -> None:
        """One frame, or the parts of a large entity, each built as it is loaded and
        freed before the next (memory stays bounded whatever the number of models)."""
        if isinstance(frame, pl.DataFrame):
            results[name] = load_frame(con, name, frame, source=f"{DEMO_SOURCE}{name}")
        else:
            results[name] = _merge(name, [
                load_frame(con, name, part, source=f"{DEMO_SOURCE}{name}:part{i + 1}")
                for i, part in enumerate(frame)])
        report(name)

    def report(name: str) -> None:
        nonlocal step_started
        r = results[name]
        progress(f"{name}: {r.inserted:,} rows"
                 + (f", {r.quarantined} QUARANTINED" if r.quarantined else "")
                 + f" ({time.monotonic() - step_started:.1f} s)")
        step_started = time.monotonic()

    stories = plan_review_stories(models, span, incidents)
    load("business_units", business_units_frame())
    load("teams", teams_frame(_rng(seed, 15)).with_columns(teams_time_zones()))
    load("vendors", vendors_frame())
    load("models", models_frame(models).with_columns(
        runbook_reviewed_at=runbook_reviews(_rng(seed, 16), models, span)))
    load("model_versions", model_versions_frame(_rng(seed, 3), models, releases))
    # Incidents first: a hotfix deployment names the incident it remediates.
    load("incidents", incidents_frame(models, span, releases, deployments, incidents))
    load("deployments", pl.concat([
        deployments_frame(models, releases, deployments).with_columns(
            remediates_incident_id=pl.lit(None, dtype=pl.String)),
        rework_deployments_frame(_rng(seed, 17), models, span, incidents, stories),
    ], how="vertical_relaxed"))

    # Serving metrics, in chunks of models (a progress line each) so that a year of 2,000
    # models never sits in memory at once; their daily sums are what costs and value
    # grow with.
    name = "metrics_hourly"
    parts = []
    requests = np.zeros((models.n, span.n_dates), dtype=np.int64)
    errors = np.zeros((models.n, span.n_dates), dtype=np.int64)
    for chunk, lo in enumerate(range(0, models.n, METRICS_CHUNK)):
        hi = min(lo + METRICS_CHUNK, models.n)
        frame, chunk_requests, chunk_errors = metrics_hourly_chunk(
            _rng(seed, 8, chunk), models, span, releases.serving_from, incidents, lo, hi)
        requests[lo:hi], errors[lo:hi] = chunk_requests, chunk_errors
        parts.append(load_frame(con, name, frame, source=f"demo:{name}:part{chunk + 1}"))
        progress(f"  {name} models {lo + 1}-{hi} of {models.n}: "
                 f"{frame.height:,} rows ({time.monotonic() - step_started:.1f} s)")
    results[name] = _merge(name, parts)
    report(name)

    traffic = DailyTraffic(requests=requests, errors=errors)
    costs = daily_costs(_rng(seed, 9), _rng(seed, 10), models, span, traffic)
    load("costs_daily", costs_daily_frame(models, span, costs))
    load("business_value_daily",
         business_value_daily_frame(_rng(seed, 11), models, span, traffic, costs))
    load("drift", drift_frame(_rng(seed, 12), _rng(seed, 12, 1), _rng(seed, 12, 2),
                              models, span, incidents))
    load("data_quality", data_quality_frame(_rng(seed, 13), models, span, incidents))
    load("validations", validations_frame(_rng(seed, 4), _rng(seed, 4, 1), models, span,
                                          releases, deployments))
    load("risk_assessments", risk_assessments_frame(_rng(seed, 14), models, span))
    load("action_items", action_items_frame(_rng(seed, 18), models, span, incidents, stories))
    load("oncall_pages", oncall_pages_frame(models, span, incidents, stories))
    assert list(results) == list(LOAD_ORDER), "the demo must load every entity in order"
    return results


def _slices(rows: int, build: Callable[[slice], pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """`build(rows lo..hi)` for consecutive ranges of at most LOAD_ROWS rows: the numbers
    are drawn for all rows first (the same draws as one frame), the text columns per part."""
    for lo in range(0, max(rows, 1), LOAD_ROWS):
        yield build(slice(lo, min(lo + LOAD_ROWS, rows)))


def _merge(name: str, parts: list[LoadResult]) -> LoadResult:
    """One load result for an entity loaded in parts."""
    merged = LoadResult(file=f"demo:{name}", entity=name)
    for part in parts:
        for counter in ("read", "inserted", "updated", "unchanged", "quarantined"):
            setattr(merged, counter, getattr(merged, counter) + getattr(part, counter))
        merged.reasons += part.reasons
        merged.warnings += part.warnings
    statuses = {p.status for p in parts}
    merged.status = next((s for s in ("rejected", "partial") if s in statuses), "loaded")
    return merged


# --- helpers ------------------------------------------------------------------------------

def _ts(seconds: np.ndarray) -> pl.Series:
    """Epoch seconds -> naive UTC timestamps."""
    return (pl.Series(np.asarray(seconds, dtype=np.int64) * 1_000_000)
            .cast(pl.Datetime("us")))


def _dates(day_numbers: np.ndarray) -> pl.Series:
    """Days since 1970-01-01 -> dates."""
    return pl.Series(np.asarray(day_numbers, dtype=np.int32)).cast(pl.Date)


def _where(values: pl.Series, valid: np.ndarray) -> pl.Series:
    """`values` with nulls where `valid` is false (an optional column left empty)."""
    frame = pl.DataFrame({"v": values, "ok": np.asarray(valid, dtype=bool)})
    return frame.select(pl.when(pl.col("ok")).then(pl.col("v"))).to_series()


def _pick(options, index: np.ndarray) -> pl.Series:
    """options[index] as a polars Series (strings, floats or ints)."""
    return pl.Series(list(options)).gather(np.asarray(index, dtype=np.int64))


def _hex(rng: np.random.Generator, n: int, chars: int) -> pl.Series:
    """n random lowercase hex strings of `chars` characters."""
    text = rng.bytes(n * chars // 2).hex().encode("ascii")
    return pl.Series(np.frombuffer(text, dtype=f"S{chars}").astype(f"U{chars}"))


def _segments(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of `counts` items: each item's group index and rank within its group."""
    counts = np.asarray(counts, dtype=np.int64)
    group = np.repeat(np.arange(len(counts)), counts)
    first = np.cumsum(counts) - counts
    rank = np.arange(counts.sum()) - first[group]
    return group, rank


def _choose(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One category per row of `weights` (rows are probability vectors)."""
    cumulative = np.cumsum(weights, axis=1)
    cumulative /= cumulative[:, -1:]
    u = rng.random(len(weights))
    return (u[:, None] > cumulative).sum(axis=1)


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, error < 1.5e-7), vectorised."""
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
                + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)


def _spread(n_rows: int, width: int, rows: np.ndarray, lo: np.ndarray, hi: np.ndarray,
            value: np.ndarray) -> np.ndarray:
    """A (n_rows, width) array summing `value` over [lo, hi) of each event's row."""
    diff = np.zeros((n_rows, width + 1))
    lo = np.clip(lo, 0, width)
    hi = np.clip(hi, 0, width)
    keep = hi > lo
    np.add.at(diff, (rows[keep], lo[keep]), value[keep])
    np.add.at(diff, (rows[keep], hi[keep]), -value[keep])
    return np.cumsum(diff, axis=1)[:, :width]


def _running_max(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Within each run of equal `group`: `values` made strictly increasing (running maximum)."""
    span = 1 << 40  # > any epoch second this century, so groups never mix
    step = np.arange(len(group), dtype=np.int64)  # strictly increasing: ties 1 s apart
    keyed = group.astype(np.int64) * span + np.asarray(values, dtype=np.int64) - step
    return np.maximum.accumulate(keyed) - group.astype(np.int64) * span + step


def _rng(seed: int, part: int, chunk: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, part, chunk])


# --- the window ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    """The demo's window `[start, end)`: epoch seconds, and dates as days since 1970-01-01."""

    start: int
    end: int
    days: int
    start_hour_of_day: int  # UTC hour at `start`: where the first date's hours begin
    first_date: int         # the date of `start`
    n_dates: int            # dates the window touches (one more than `days` unless at midnight)

    @property
    def hours(self) -> int:
        return self.days * 24


def window(end: datetime, days: int) -> Span:
    """The `days` before `end` (naive UTC, on the hour)."""
    start_dt = end - timedelta(days=days)
    end_s = int(end.replace(tzinfo=UTC).timestamp())
    first_date = (start_dt.date() - date(1970, 1, 1)).days
    last_date = ((end - timedelta(microseconds=1)).date() - date(1970, 1, 1)).days
    return Span(start=end_s - days * DAY, end=end_s, days=days,
                start_hour_of_day=start_dt.hour, first_date=first_date,
                n_dates=last_date - first_date + 1)


# --- the models ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Models:
    """The model catalogue and each model's hidden character; arrays aligned by model.

    The catalogue columns become the `models` rows; the character (traffic, latency,
    error rate, how flaky its pipelines are) shapes every other entity's numbers.
    """

    model_id: pl.Series
    model_name: pl.Series
    stem: np.ndarray          # USE_CASES index
    region: np.ndarray        # REGIONS index
    team: np.ndarray          # TEAMS index
    business_unit: np.ndarray  # BUSINESS_UNITS index
    kind: np.ndarray          # KINDS index
    stage: np.ndarray         # LIFECYCLE_STAGES index
    serving: np.ndarray       # bool: the stage serves traffic (production, deprecated, retired)
    created: np.ndarray       # epoch seconds
    retired: np.ndarray       # epoch seconds, -1 when not retired
    deprecated: np.ndarray    # epoch seconds, -1 when not deprecated
    live_to: np.ndarray       # exclusive end of activity: retirement, else the window's end
    tier: np.ndarray          # RISK_TIERS index
    vendor: np.ndarray        # VENDORS index of the serving vendor, -1 on premises
    platform: np.ndarray      # VENDORS index billing compute and storage, -1 on premises
    # Traffic: requests per hour at the peak hour, rhythm and growth.
    base_rph: np.ndarray
    peak_hour: np.ndarray
    diurnal: np.ndarray
    weekend: np.ndarray
    growth: np.ndarray
    # Latency and errors, and the SLOs set against them.
    latency_median: np.ndarray
    latency_sigma: np.ndarray
    slo_latency: np.ndarray
    slo_availability: np.ndarray
    error_rate: np.ndarray
    # Ownership: who, and the governance gaps.
    owner: np.ndarray
    has_owner: np.ndarray
    has_runbook: np.ndarray
    # Monitors: which features drift is measured on, which checks run, and when.
    n_features: np.ndarray
    feature_offset: np.ndarray
    n_checks: np.ndarray
    check_offset: np.ndarray
    dq_flakiness: np.ndarray
    drift_proneness: np.ndarray
    minute: np.ndarray        # minute past the hour a model's daily monitors run

    @property
    def n(self) -> int:
        return len(self.stem)


def model_table(rng: np.random.Generator, n: int, span: Span) -> Models:
    """`n` models: names, teams, lifecycle, vendors, and the character behind their data."""
    stem, region, names = _model_names(rng, n)
    team_index = {t[0]: i for i, t in enumerate(TEAMS)}
    team = np.array([team_index[u[1]] for u in USE_CASES])[stem]
    bu_index = {b[0]: i for i, b in enumerate(BUSINESS_UNITS)}
    business_unit = np.array([bu_index[t[2]] for t in TEAMS])[team]
    kind = np.array([u[2] for u in USE_CASES])[stem]
    stage, created, retired, deprecated = _lifecycle(rng, n, span)
    serving = np.isin(stage, (S_PROD, S_DEPRECATED, S_RETIRED))
    dev, stg = stage == S_DEV, stage == S_STAGING

    # Risk tier: risk & payments skew high (credit scoring is an EU AI Act high-risk use).
    tier_weights = np.array([
        [0.55, 0.38, 0.07],  # retail
        [0.25, 0.45, 0.30],  # payments
        [0.55, 0.40, 0.05],  # marketing
        [0.60, 0.35, 0.05],  # logistics
        [0.10, 0.30, 0.60],  # risk
        [0.35, 0.55, 0.10],  # care
    ])
    tier = _choose(rng, tier_weights[business_unit])

    # Vendors: LLM use cases call a model API; the rest run on a cloud, a hosting
    # vendor, or on premises (no vendor).
    vendor = _choose(rng, np.tile([0.45, 0.30, 0.08, 0.17], (n, 1)))
    vendor = np.array([V_NIMBUS, V_STRATUS, V_SERVEWELL, -1])[vendor]
    llm = kind == K_LLM
    vendor[llm] = np.where(rng.random(llm.sum()) < 0.6, V_CORTEX, V_LEXICA)
    # Where compute and storage are billed (model-API models still run glue on a cloud).
    platform = np.where(llm, np.where(rng.random(n) < 0.6, V_NIMBUS, -1), vendor)

    # Traffic: requests per hour span four orders of magnitude.
    level = np.clip(rng.normal(2.7, 0.9, n), 0.3, 5.2)
    level[stg] = rng.uniform(0.3, 1.3, stg.sum())  # test traffic only
    peak_hour = np.array([r[1] for r in REGIONS])[region] + rng.integers(-1, 2, n)
    diurnal = rng.uniform(0.25, 0.8, n)
    weekend = rng.uniform(0.45, 1.15, n)
    growth = rng.normal(0.25, 0.35, n)  # log growth per year

    # Latency: log-normal per model; LLM calls are an order of magnitude slower.
    lo_ms = np.array([6, 12, 8, 25, 120])[kind]
    hi_ms = np.array([40, 60, 50, 150, 400])[kind]
    latency_median = np.exp(rng.uniform(np.log(lo_ms), np.log(hi_ms)))
    latency_sigma = rng.uniform(0.35, np.where(kind == K_LLM, 0.45, 0.75))
    p95 = latency_median * np.exp(1.645 * latency_sigma)
    options = np.array([200.0, 300.0, 500.0, 1000.0])
    want = p95 * rng.uniform(1.0, 1.6, n)
    choice = np.minimum(np.searchsorted(options, want), len(options) - 1)
    tighter = rng.random(n) < 0.1  # a tenth of the SLOs are set too ambitiously
    choice = np.where(tighter, np.maximum(choice - 1, 0), choice)
    slo_weights = np.where(tier[:, None] == 2, [[0.1, 0.3, 0.6]], [[0.35, 0.35, 0.3]])
    slo_availability = np.array([0.99, 0.995, 0.999])[_choose(rng, slo_weights)]
    # Baseline error rate relative to the SLO: most comfortably inside it, some not.
    error_rate = (1 - slo_availability) * np.exp(rng.normal(np.log(0.25), 0.9, n))

    return Models(
        model_id=pl.Series([f"mdl-{i + 1:04d}" for i in range(n)]),
        model_name=names, stem=stem, region=region, team=team,
        business_unit=business_unit, kind=kind,
        stage=stage, serving=serving, created=created, retired=retired,
        deprecated=deprecated, live_to=np.where(retired >= 0, retired, span.end),
        tier=tier, vendor=vendor, platform=platform,
        base_rph=10 ** level, peak_hour=peak_hour, diurnal=diurnal, weekend=weekend,
        growth=growth,
        latency_median=latency_median, latency_sigma=latency_sigma,
        slo_latency=options[choice], slo_availability=slo_availability,
        error_rate=error_rate,
        owner=rng.integers(0, len(PEOPLE), n),
        has_owner=rng.random(n) > np.where(dev, 0.25, 0.07),
        has_runbook=rng.random(n) > np.where(dev | stg, 0.45, 0.12),
        n_features=rng.integers(3, 6, n),
        feature_offset=rng.integers(0, 100, n),
        n_checks=rng.integers(2, 5, n),
        check_offset=rng.integers(0, len(DQ_CHECKS), n),
        dq_flakiness=np.exp(rng.normal(0, 0.8, n)),
        drift_proneness=np.exp(rng.normal(0, 0.6, n)),
        minute=rng.integers(0, 50, n),
    )


def _model_names(rng: np.random.Generator, n: int
                 ) -> tuple[np.ndarray, np.ndarray, pl.Series]:
    """(use case, region, name) per model: stem-region first, then stem-segment-region,
    then the same names numbered, so a few hundred models read like a real catalogue."""
    n_stems, n_regions, n_segments = len(USE_CASES), len(REGIONS), len(SEGMENTS)
    simple = rng.permutation(n_stems * n_regions)
    stem = simple % n_stems
    region = simple // n_stems
    segment = np.full(len(simple), -1)
    if n > len(simple):
        combos = rng.permutation(n_stems * n_regions * n_segments)
        stem = np.concatenate([stem, combos % n_stems])
        region = np.concatenate([region, (combos // n_stems) % n_regions])
        segment = np.concatenate([segment, combos // (n_stems * n_regions)])
    copies = -(-n // len(stem))
    serial = np.repeat(np.arange(copies), len(stem))[:n]
    stem, region, segment = (np.tile(a, copies)[:n] for a in (stem, region, segment))
    stems = _pick([u[0] for u in USE_CASES], stem)
    regions = _pick([r[0] for r in REGIONS], region)
    segs = _pick(list(SEGMENTS) + [""], np.where(segment < 0, n_segments, segment))
    names = pl.DataFrame({"s": stems, "g": segs, "r": regions, "k": serial}).select(
        pl.concat_str([
            pl.col("s"),
            pl.when(pl.col("g") != "").then(pl.lit("-") + pl.col("g")).otherwise(pl.lit("")),
            pl.lit("-"), pl.col("r"),
            pl.when(pl.col("k") > 0).then(pl.lit("-") + (pl.col("k") + 1).cast(pl.Utf8))
            .otherwise(pl.lit("")),
        ])).to_series()
    return stem, region, names


def _lifecycle(rng: np.random.Generator, n: int, span: Span
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(stage, created, retired, deprecated) per model; -1 where a model has no such date.

    Mostly production, with at least one model in every other stage when there are
    enough models, so every page has something to show.
    """
    start, end = span.start, span.end
    shares = {S_DEV: 0.07, S_STAGING: 0.07, S_DEPRECATED: 0.05, S_RETIRED: 0.05}
    counts = {s: (max(1, round(f * n)) if n >= 8 else 0) for s, f in shares.items()}
    stage = np.full(n, S_PROD)
    order = rng.permutation(n)
    at = 0
    for s, c in counts.items():
        stage[order[at:at + c]] = s
        at += c
    serving = np.isin(stage, (S_PROD, S_DEPRECATED, S_RETIRED))

    # Created: most before the window (up to a year before it), a fifth during it.
    created = start - rng.uniform(0, 365, n) * DAY
    during = serving & (rng.random(n) < 0.2)
    created[during] = start + rng.uniform(0, 0.7, during.sum()) * (end - start)
    dev = stage == S_DEV
    created[dev] = end - rng.uniform(10, 150, dev.sum()) * DAY
    stg = stage == S_STAGING
    created[stg] = end - rng.uniform(20, 220, stg.sum()) * DAY
    created = np.minimum(created, end - 7 * DAY)  # every model is at least a week old
    created = created.astype(np.int64)

    # Retired models stop serving inside the window; deprecated ones stop changing and
    # lose traffic.
    live_from = np.maximum(created, start)
    retired = np.full(n, -1, dtype=np.int64)
    ret = stage == S_RETIRED
    retired[ret] = (live_from[ret] + rng.uniform(0.3, 0.9, ret.sum())
                    * (end - 2 * DAY - live_from[ret])).astype(np.int64)
    deprecated = np.full(n, -1, dtype=np.int64)
    dep = stage == S_DEPRECATED
    deprecated[dep] = (live_from[dep] + rng.uniform(0.2, 0.8, dep.sum())
                       * (end - live_from[dep])).astype(np.int64)
    return stage, created, retired, deprecated


def models_frame(models: Models) -> pl.DataFrame:
    ids = models.model_id
    runbook = ids.to_frame("m").select(
        pl.format("https://runbooks.example.com/models/{}", "m")).to_series()
    vendor_ids = [v[0] for v in VENDORS]
    return pl.DataFrame({
        "model_id": ids,
        "name": models.model_name,
        "team_id": _pick([t[0] for t in TEAMS], models.team),
        "owner": _where(_pick(PEOPLE, models.owner), models.has_owner),
        "use_case": _pick([u[3] for u in USE_CASES], models.stem),
        "risk_tier": _pick(RISK_TIERS, models.tier),
        "lifecycle_stage": _pick(LIFECYCLE_STAGES, models.stage),
        "vendor_id": _where(_pick(vendor_ids, np.maximum(models.vendor, 0)),
                            models.vendor >= 0),
        "slo_availability": models.slo_availability,
        "slo_latency_p95_ms": models.slo_latency,
        "runbook_url": _where(runbook, models.has_runbook),
        "created_at": _ts(models.created),
        "retired_at": _where(_ts(np.maximum(models.retired, 0)), models.retired >= 0),
    })


# --- the organisation's reference entities ------------------------------------------------

def business_units_frame() -> pl.DataFrame:
    return pl.DataFrame({"business_unit_id": [b[0] for b in BUSINESS_UNITS],
                         "name": [b[1] for b in BUSINESS_UNITS]})


def teams_frame(rng: np.random.Generator) -> pl.DataFrame:
    """The teams, each led by someone from PEOPLE; a few have no lead on record."""
    leads = rng.permutation(len(PEOPLE))[:len(TEAMS)]
    return pl.DataFrame({
        "team_id": [t[0] for t in TEAMS],
        "name": [t[1] for t in TEAMS],
        "business_unit_id": [t[2] for t in TEAMS],
        "lead": _where(_pick(PEOPLE, leads), np.arange(len(TEAMS)) % 9 != 4),
    })


def vendors_frame() -> pl.DataFrame:
    return pl.DataFrame({
        "vendor_id": [v[0] for v in VENDORS],
        "name": [v[1] for v in VENDORS],
        "kind": [v[2] for v in VENDORS],
        "sla_availability": [v[3] for v in VENDORS],
    }, schema_overrides={"sla_availability": pl.Float64})


# --- releases: versions, deployments, validations ---------------------------------------

@dataclass(frozen=True)
class Releases:
    """One row per release (a new model version); arrays aligned by release."""

    model: np.ndarray
    rank: np.ndarray          # 0 for a model's first release, then 1, 2, ...
    version: pl.Series
    committed: np.ndarray
    registered: np.ndarray
    deployed: np.ndarray      # production deploy time (or staging time for non-production)
    staged: np.ndarray        # staging deploy time, -1 when not staged
    shadowed: np.ndarray      # shadow deploy time, -1 when none
    prod: np.ndarray          # bool: deployed to production
    outcome: np.ndarray       # OUTCOMES index of the production deployment
    pre_run: np.ndarray       # pre-deployment validation time
    # Per model, not per release: when its first release went live (serving models) or
    # when it was created (others). Traffic starts here.
    serving_from: np.ndarray


@dataclass(frozen=True)
class Deployments:
    """One row per deployment, numbered in time order; arrays aligned by deployment."""

    release: np.ndarray       # Releases row
    env: np.ndarray           # ENVIRONMENTS index
    when: np.ndarray          # epoch seconds
    outcome: np.ndarray       # OUTCOMES index
    deployment_id: pl.Series
    ticket: np.ndarray        # bool: a change ticket is recorded
    ticket_no: np.ndarray
    approved: np.ndarray      # bool: an approver is recorded
    approver: np.ndarray      # PEOPLE index


def plan_releases(rng: np.random.Generator, models: Models, span: Span) -> Releases:
    """Every model's releases: when each was committed, registered, validated, staged and
    deployed, and how its production deployment went.

    Draws from the same stream as `plan_deployments`, which must be called right after.
    """
    n, start, end = models.n, span.start, span.end
    prod_capable = models.serving
    # A serving model's first release goes live hours after it is registered, and it
    # serves traffic from then on; other models iterate for days first. History before
    # the window is trimmed to its last 45 days (what the CD system still keeps).
    first = models.created + np.where(prod_capable, rng.uniform(1, 12, n) * HOUR,
                                      rng.uniform(1, 6, n) * DAY)
    trimmed = first < start - 45 * DAY
    first[trimmed] = start - rng.uniform(1, 45, trimmed.sum()) * DAY
    first = np.minimum(first, end - 2 * HOUR).astype(np.int64)
    stop = np.where(models.deprecated >= 0, models.deprecated, models.live_to - DAY)
    stop = np.maximum(stop, first)
    per_week = np.clip(np.exp(rng.normal(np.log(0.25), 0.6, n)), 0.05, 3)
    per_week[~prod_capable] *= 0.6
    count = 1 + rng.poisson(per_week * (stop - first) / (7 * DAY))

    model, rank = _segments(count)
    u = rng.random(len(model))
    u[rank == 0] = 0.0
    order = np.lexsort((u, model))
    u = u[order]
    deployed = (first[model] + u * (stop - first)[model]).astype(np.int64)

    # Lead time: each team has its habit (hours to days), each change varies around it.
    team_lead_h = np.exp(rng.uniform(np.log(3), np.log(72), len(TEAMS)))
    lead = team_lead_h[models.team[model]] * HOUR * np.exp(rng.normal(0, 0.7, len(model)))
    lead = np.clip(lead, 20 * 60, 20 * DAY)
    committed = np.maximum(deployed - lead, models.created[model]).astype(np.int64)
    lead = deployed - committed
    registered = committed + lead * rng.uniform(0.1, 0.35, len(model))
    pre_run = committed + lead * rng.uniform(0.4, 0.5, len(model))
    staging_time = committed + lead * rng.uniform(0.55, 0.9, len(model))
    # Versions are numbered in time order: each step of a release (commit, register,
    # validate, stage) happens no earlier than the same step of the model's previous one.
    committed, registered, pre_run, staging_time = (
        _running_max(model, t) for t in (committed, registered, pre_run, staging_time))

    prod = prod_capable[model]
    stage = models.stage[model]
    staged_p = np.where(prod, 0.8, np.where(stage == S_STAGING, 1.0, 0.3))
    staged = np.where(rng.random(len(model)) < staged_p, staging_time, -1)
    staged[~prod & (stage == S_STAGING)] = deployed[~prod & (stage == S_STAGING)]
    uses_shadow = rng.random(n) < 0.2
    shadowed = np.where(prod & uses_shadow[model] & (rng.random(len(model)) < 0.7),
                        staging_time + 60, -1)
    outcome = _choose(rng, np.tile([0.90, 0.04, 0.06], (len(model), 1)))
    outcome[rank == 0] = 0  # the first release went live
    major = rng.integers(1, 4, n)[model]
    patch = (rng.random(len(model)) < 0.15).astype(np.int64)
    version = pl.DataFrame({"a": major + rank // 10, "b": rank % 10, "c": patch}).select(
        pl.format("{}.{}.{}", "a", "b", "c")).to_series()
    return Releases(model=model, rank=rank, version=version, committed=committed,
                    registered=registered, deployed=deployed, staged=staged,
                    shadowed=shadowed, prod=prod, outcome=outcome, pre_run=pre_run,
                    serving_from=np.where(prod_capable, first, models.created))


def plan_deployments(rng: np.random.Generator, models: Models, releases: Releases
                     ) -> Deployments:
    """The production, staging and shadow deployment of each release, numbered in time
    order, with the change ticket and approver a CD system would record."""
    prod, staged, shadowed = releases.prod, releases.staged, releases.shadowed
    env_rows = [
        (np.flatnonzero(prod), 0, releases.deployed[prod]),
        (np.flatnonzero(staged >= 0), 1, staged[staged >= 0]),
        (np.flatnonzero(shadowed >= 0), 2, shadowed[shadowed >= 0]),
    ]
    release = np.concatenate([r[0] for r in env_rows])
    env = np.concatenate([np.full(len(r[0]), r[1]) for r in env_rows])
    when = np.concatenate([r[2] for r in env_rows]).astype(np.int64)
    order = np.lexsort((env, releases.model[release], when))
    release, env, when = release[order], env[order], when[order]
    m = len(release)
    # Staging and shadow deployments fail now and then, whatever production did.
    outcome = np.where(env == 0, releases.outcome[release],
                       np.where(rng.random(m) < 0.05, 1, 0))
    high = models.tier[releases.model[release]] == 2
    is_prod = env == 0
    ticket = np.where(is_prod, (rng.random(m) < 0.92) | high, rng.random(m) < 0.1)
    approved = np.where(is_prod, (rng.random(m) < 0.9) | high, rng.random(m) < 0.2)
    return Deployments(
        release=release, env=env, when=when, outcome=outcome,
        deployment_id=pl.Series([f"dep-{i + 1:06d}" for i in range(m)]),
        ticket=ticket, ticket_no=104_000 + rng.permutation(m),
        approved=approved, approver=rng.integers(0, len(PEOPLE), m),
    )


def model_versions_frame(rng: np.random.Generator, models: Models, releases: Releases
                         ) -> pl.DataFrame:
    """A registry row per release; a few leave their artifact, commit or data ref out."""
    r = releases
    k = len(r.model)
    ids = models.model_id.gather(r.model)
    platform = models.platform[r.model]
    scheme = np.where(platform == V_STRATUS, "gs", "s3")
    uri = pl.DataFrame({"s": scheme, "m": ids, "v": r.version}).select(
        pl.format("{}://ml-artifacts/{}/{}/model.tar.gz", "s", "m", "v")).to_series()
    snapshot = _dates((r.committed // DAY) - 1)
    data_ref = pl.DataFrame({"s": _pick([u[0] for u in USE_CASES], models.stem[r.model]),
                             "d": snapshot}).select(
        pl.format("lake://features/{}/snapshot={}", "s", "d")).to_series()
    documented = rng.random(k)
    return pl.DataFrame({
        "model_id": ids,
        "version": r.version,
        "registered_at": _ts(r.registered),
        "artifact_uri": _where(uri, documented > 0.01),
        "artifact_sha256": _where(_hex(rng, k, 64), documented > 0.03),
        "code_commit": _where(_hex(rng, k, 40), documented > 0.02),
        "training_data_ref": _where(data_ref, documented > 0.05),
    })


def deployments_frame(models: Models, releases: Releases, deployments: Deployments
                      ) -> pl.DataFrame:
    d, r = deployments, releases
    ticket = pl.Series([f"CHG-{t}" for t in d.ticket_no])
    return pl.DataFrame({
        "deployment_id": d.deployment_id,
        "model_id": models.model_id.gather(r.model[d.release]),
        "version": r.version.gather(d.release),
        "environment": _pick(ENVIRONMENTS, d.env),
        "committed_at": _ts(r.committed[d.release]),
        "deployed_at": _ts(d.when),
        "outcome": _pick(OUTCOMES, d.outcome),
        "change_ticket": _where(ticket, d.ticket),
        "approved_by": _where(_pick(PEOPLE, d.approver), d.approved),
    })


def validations_frame(rng: np.random.Generator, model_rng: np.random.Generator,
                      models: Models, span: Span, releases: Releases,
                      deployments: Deployments) -> pl.DataFrame:
    """Pre-deployment validations of every release, post-deployment ones after production.

    `model_rng` draws each model's typical metric value and threshold gap, apart from the
    per-run draws, so a model's bar stays put however many releases it has.
    """
    r, d = releases, deployments
    n = models.n
    # Pre-deployment: every release. Post-deployment: after each successful production
    # deployment, unless the team skips them (a tenth of models) or forgot this once.
    pre = np.arange(len(r.model))
    prod_ok = (d.env == 0) & (d.outcome == 0)
    skips = rng.random(n) < 0.1
    post_dep = np.flatnonzero(prod_ok)
    post_rel = d.release[post_dep]
    post_time = d.when[post_dep] + rng.uniform(0.5, 6, len(post_dep)) * HOUR
    keep = (~skips[r.model[post_rel]]) & (rng.random(len(post_dep)) > 0.04) \
        & (post_time < span.end)
    post_rel, post_time = post_rel[keep], post_time[keep]

    release = np.concatenate([pre, post_rel])
    stage = np.concatenate([np.zeros(len(pre), int), np.ones(len(post_rel), int)])
    run_at = np.concatenate([r.pre_run, post_time]).astype(np.int64)
    model = r.model[release]
    k = len(release)

    kind = models.kind[model]
    higher = np.array([VALIDATION_METRICS[i][1] for i in range(len(KINDS))])[kind]
    lo = np.array([VALIDATION_METRICS[i][2][0] for i in range(len(KINDS))])
    hi = np.array([VALIDATION_METRICS[i][2][1] for i in range(len(KINDS))])
    typical_m = model_rng.uniform(lo[models.kind], hi[models.kind])
    gap_m = model_rng.uniform(0.03, 0.08, n)
    typical = typical_m[model]
    # The threshold sits a few percent on the bad side of the model's typical value.
    direction = np.where(higher, 1.0, -1.0)
    threshold = typical * (1 - direction * gap_m[model])
    margin = np.abs(typical - threshold)
    failed_deploy = (stage == 0) & r.prod[release] & (r.outcome[release] == 1)
    p_fail = np.where(stage == 0, np.where(failed_deploy, 0.5, 0.02), 0.04)
    passed = rng.random(k) >= p_fail
    value = np.where(
        passed, threshold + direction * margin * rng.uniform(0.2, 1.8, k),
        threshold - direction * margin * rng.uniform(0.05, 0.9, k))
    return pl.DataFrame({
        "validation_id": [f"val-{i + 1:07d}" for i in range(k)],
        "model_id": models.model_id.gather(model),
        "version": r.version.gather(release),
        "stage": _pick(VALIDATION_STAGES, stage),
        "run_at": _ts(run_at),
        "metric": _pick([VALIDATION_METRICS[i][0] for i in range(len(KINDS))], kind),
        "value": np.round(value, 4),
        "threshold": _where(pl.Series(np.round(threshold, 4)), rng.random(k) > 0.03),
        "passed": passed,
    })


# --- incidents ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Incidents:
    """One row per incident, ordered by start; arrays aligned by incident.

    Besides the incident's own columns it carries what the other entities need: its
    impact on serving metrics, the drifting feature, and a few uniform draws (`dice`)
    that later steps turn into a title, a drift onset, a postmortem.
    """

    model: np.ndarray
    started: np.ndarray
    cause: np.ndarray         # ROOT_CAUSES index
    deployment: np.ndarray    # Deployments row that caused it, -1 for none
    slot: np.ndarray          # the drifting feature slot, -1 for none
    vendor: np.ndarray        # VENDORS index of the failing vendor, -1 for none
    severity: np.ndarray      # 1 (highest) to 4
    detected: np.ndarray      # epoch seconds; at or past the end: not yet
    acknowledged: np.ndarray
    resolved: np.ndarray
    forced_open: np.ndarray   # bool: one of the incidents kept open at the end
    error_add: np.ndarray     # error rate added while it lasts
    latency_log: np.ndarray   # log of the latency factor while it lasts
    dice: np.ndarray          # (incidents, 4) uniform draws


def plan_incidents(rng: np.random.Generator, models: Models, span: Span,
                   releases: Releases, deployments: Deployments) -> Incidents:
    """What broke, when, how badly and how fast it was handled.

    Causes are drawn where the story needs them: after bad deployments, where a model's
    features drift, when a vendor fails several models at once, and at random for
    infrastructure, data quality and the rest; a few are still open at the end.
    """
    start, end, n = span.start, span.end, models.n
    live_from = np.maximum(releases.serving_from, start)
    live_to = models.live_to
    eligible = models.serving & (live_to - live_from > DAY)
    parts = []  # (model, started, cause, deployment row, feature slot, vendor, severity)

    def add(model, started, cause, dep=None, slot=None, vendor=None, severity=None):
        k = len(model)
        parts.append((np.asarray(model, np.int64), np.asarray(started, np.int64),
                      np.full(k, cause),
                      np.full(k, -1) if dep is None else dep,
                      np.full(k, -1) if slot is None else slot,
                      np.full(k, -1) if vendor is None else vendor,
                      np.zeros(k, np.int64) if severity is None else severity))

    # Bad deployments: rollbacks often hurt, successful ones sometimes do.
    d = deployments
    model_of = releases.model[d.release]
    candidates = np.flatnonzero((d.env == 0) & (d.when >= start)
                                & (d.when < end - HOUR) & eligible[model_of])
    p = np.array([0.06, 0.25, 0.6])[d.outcome[candidates]]
    hit = candidates[rng.random(len(candidates)) < p]
    if len(hit) == 0 and len(candidates):
        rolled = candidates[d.outcome[candidates] == 2]
        hit = (rolled if len(rolled) else candidates)[:1]
    delay = np.minimum(rng.exponential(45 * 60, len(hit)), 6 * HOUR)
    started = np.minimum(d.when[hit] + delay, end - 30 * 60)
    add(model_of[hit], started, C_DEPLOY, dep=hit)

    # Data drift: a feature shifts for a day or three before quality visibly drops.
    lo = live_from + 4 * DAY
    hi = live_to - HOUR
    room = np.where(eligible & (hi > lo), hi - lo, 0)
    count = rng.poisson(room / DAY / 130 * models.drift_proneness)
    if count.sum() == 0 and room.max() > 0:
        count[np.argmax(room)] = 1
    model, _ = _segments(count)
    started = lo[model] + rng.random(len(model)) * room[model]
    slot = rng.integers(0, models.n_features[model])
    add(model, started, C_DRIFT, slot=slot)

    # Vendor outages hit several of a vendor's models at about the same time.
    events_per_day = np.array([1 / 25, 1 / 30, 1 / 20, 1 / 15, 1 / 14, 0])
    n_events = rng.poisson(events_per_day * span.days)
    ev_vendor = np.repeat(np.arange(len(VENDORS)), n_events)
    ev_time = start + rng.uniform(0, 1, len(ev_vendor)) * (end - start - 2 * HOUR)
    vendor = models.vendor
    ev_vendor_models = np.bincount(vendor[vendor >= 0], minlength=len(VENDORS))
    p_hit = np.minimum(0.9, 4 / np.maximum(ev_vendor_models[ev_vendor], 1))
    hits = ((vendor[None, :] == ev_vendor[:, None])
            & (live_from[None, :] <= ev_time[:, None]) & (live_to[None, :] > ev_time[:, None])
            & eligible[None, :]
            & (rng.random((len(ev_vendor), n)) < p_hit[:, None]))
    ev, model = np.nonzero(hits)
    started = ev_time[ev] + rng.uniform(0, 600, len(ev))
    # An outage is about equally bad for every model it hits.
    ev_severity = 1 + _choose(rng, np.tile(SEVERITY_WEIGHTS[C_VENDOR], (len(ev_time), 1)))
    severity = np.minimum(ev_severity[ev] + (rng.random(len(ev)) < 0.3), 4)
    add(model, started, C_VENDOR, vendor=ev_vendor[ev], severity=severity)

    # Infrastructure, data quality and other causes: independent per model.
    for cause, per_day in ((C_INFRA, 1 / 100), (C_DQ, 1 / 150), (C_OTHER, 1 / 200)):
        room = np.where(eligible, live_to - live_from - HOUR, 0)
        count = rng.poisson(room / DAY * per_day)
        model, _ = _segments(count)
        add(model, live_from[model] + rng.random(len(model)) * room[model], cause)

    # A few incidents still open at the end: started in the last days, not resolved.
    # Their cause is drawn now but filled in below (-1 marks them until then).
    active_at_end = eligible & (live_to == end) & (live_from < end - 3 * DAY)
    pool = np.flatnonzero(active_at_end)
    n_open = min(len(pool), max(1, round(0.015 * eligible.sum())))
    open_models = rng.choice(pool, n_open, replace=False) if n_open else pool[:0]
    open_start = end - rng.uniform(1.5, 60, n_open) * HOUR
    open_cause = np.where(rng.random(n_open) < 0.6, C_INFRA, C_OTHER)
    add(open_models, open_start, -1)

    model = np.concatenate([p[0] for p in parts])
    started = np.concatenate([p[1] for p in parts])
    cause = np.concatenate([p[2] for p in parts])
    dep = np.concatenate([p[3] for p in parts])
    slot = np.concatenate([p[4] for p in parts])
    vendor = np.concatenate([p[5] for p in parts])
    given_severity = np.concatenate([p[6] for p in parts])
    forced_open = cause == -1
    cause[forced_open] = open_cause
    started = (started // 1).astype(np.int64)
    k = len(model)

    # Severity, then time to detect, acknowledge and resolve by severity; drift is slow
    # to notice and to fix, a rollback quick to resolve.
    severity = np.where(given_severity > 0, given_severity,
                        1 + _choose(rng, SEVERITY_WEIGHTS[cause]))
    s = severity - 1
    ttd = np.exp(rng.normal(np.log(np.array([4, 6, 12, 25])[s] * 60), 0.8))
    ttd = np.where(cause == C_DRIFT, np.exp(rng.normal(np.log(6 * HOUR), 0.7, k)), ttd)
    tta = np.exp(rng.normal(np.log(np.array([3, 5, 15, 40])[s] * 60), 0.7))
    ttr = np.exp(rng.normal(np.log(np.array([90, 150, 300, 720])[s] * 60), 0.8))
    ttr = np.where(cause == C_DRIFT, np.exp(rng.normal(np.log(1.5 * DAY), 0.6, k)), ttr)
    rolled = (dep >= 0) & (d.outcome[np.maximum(dep, 0)] == 2)
    ttr = np.where(rolled, np.exp(rng.normal(np.log(45 * 60), 0.5, k)), ttr)
    detected = started + ttd.astype(np.int64)
    acknowledged = detected + tta.astype(np.int64)
    resolved = started + np.maximum(ttr, ttd + tta + 300).astype(np.int64)
    resolved = np.minimum(resolved, live_to[model] + DAY)  # resolved by retirement
    resolved = np.maximum(resolved, acknowledged)
    resolved[forced_open] = end + DAY
    acknowledged[forced_open & (rng.random(k) < 0.3)] = end + DAY

    # Impact on serving metrics while the incident lasts.
    error_add = np.array([(0.15, 0.5), (0.03, 0.15), (0.005, 0.03), (0.001, 0.005)])[s]
    error_add = rng.uniform(error_add[:, 0], error_add[:, 1])
    latency_x = np.array([(2.0, 6.0), (1.5, 3.0), (1.2, 2.0), (1.05, 1.3)])[s]
    latency_x = rng.uniform(latency_x[:, 0], latency_x[:, 1])
    error_add = np.where(cause == C_DRIFT, 0.0, np.where(cause == C_DQ, error_add * 0.3,
                                                         error_add))
    latency_x = np.where(np.isin(cause, (C_DRIFT, C_DQ)), 1.0, latency_x)

    order = np.lexsort((model, started))
    return Incidents(
        model=model[order], started=started[order], cause=cause[order],
        deployment=dep[order], slot=slot[order], vendor=vendor[order],
        severity=severity[order], detected=detected[order],
        acknowledged=acknowledged[order], resolved=resolved[order],
        forced_open=forced_open[order],
        error_add=error_add[order], latency_log=np.log(latency_x[order]),
        dice=rng.random((k, 4))[order],
    )


def incidents_frame(models: Models, span: Span, releases: Releases,
                    deployments: Deployments, incidents: Incidents) -> pl.DataFrame:
    """The incident log as a paging tool exports it: what is not yet known is empty."""
    i, end = incidents, span.end
    k = len(i.model)
    dice = i.dice
    # Titles: a template per cause, filled with the release, feature or vendor.
    template_index = np.zeros(k, dtype=np.int64)
    templates: list[str] = []
    for cause, options in INCIDENT_TITLES.items():
        rows = i.cause == cause
        template_index[rows] = len(templates) + (dice[rows, 0] * len(options)).astype(int)
        templates += options
    d = deployments
    version = releases.version.gather(d.release[np.maximum(i.deployment, 0)])
    feature = _feature_names(models, i.model, np.maximum(i.slot, 0))
    vendor = _pick([v[1] for v in VENDORS], np.maximum(i.vendor, 0))
    title = pl.DataFrame({"t": _pick(templates, template_index), "v": version,
                          "f": feature, "n": vendor}).select(
        pl.col("t").str.replace("{version}", pl.col("v"), literal=True)
        .str.replace("{feature}", pl.col("f"), literal=True)
        .str.replace("{vendor}", pl.col("n"), literal=True)).to_series()
    ids = pl.Series([f"INC-{j + 1:05d}" for j in range(k)])
    resolved = i.resolved < end
    # Root cause unknown for some "other" incidents and for open incidents under triage.
    cause_known = ~((i.cause == C_OTHER) & (dice[:, 1] < 0.4)) \
        & ~(i.forced_open & (dice[:, 1] < 0.5))
    postmortem = resolved & (((i.severity <= 2) & (dice[:, 2] < 0.9))
                             | ((i.severity == 3) & (dice[:, 2] < 0.1)))
    urls = ids.to_frame("id").select(
        pl.format("https://wiki.example.com/postmortems/{}", "id")).to_series()
    return pl.DataFrame({
        "incident_id": ids,
        "model_id": models.model_id.gather(i.model),
        "severity": i.severity.astype(np.int64),
        "title": title,
        "started_at": _ts(i.started),
        "detected_at": _where(_ts(i.detected), i.detected < end),
        "acknowledged_at": _where(_ts(i.acknowledged),
                                  (i.acknowledged < end) & (i.detected < end)),
        "resolved_at": _where(_ts(i.resolved), resolved),
        "root_cause": _where(_pick(ROOT_CAUSES, i.cause), cause_known),
        "deployment_id": _where(d.deployment_id.gather(np.maximum(i.deployment, 0)),
                                i.deployment >= 0),
        "postmortem_url": _where(urls, postmortem),
    })


def _feature_names(models: Models, model: np.ndarray, slot: np.ndarray) -> pl.Series:
    """The name of feature `slot` of each model (each model's features are distinct)."""
    names: list[str] = []
    offsets = np.zeros(len(KINDS), dtype=np.int64)
    sizes = np.zeros(len(KINDS), dtype=np.int64)
    for kind in range(len(KINDS)):
        offsets[kind], sizes[kind] = len(names), len(FEATURES[kind])
        names += FEATURES[kind]
    kind = models.kind[model]
    index = offsets[kind] + (models.feature_offset[model] + slot) % sizes[kind]
    return _pick(names, index)


# --- serving metrics ----------------------------------------------------------------------

@dataclass(frozen=True)
class DailyTraffic:
    """Requests and errors per (model, date), summed from the hourly metrics: what costs
    and business value grow with."""

    requests: np.ndarray
    errors: np.ndarray


def metrics_hourly_chunk(rng: np.random.Generator, models: Models, span: Span,
                         serving_from: np.ndarray, incidents: Incidents, lo: int, hi: int
                         ) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """Hourly metrics of models lo..hi-1, and their requests and errors per date.

    Works on the rows that exist (a model's hours from its first release to retirement),
    so a chunk of 200 models x 1 year is ~1.75 M rows and a few hundred MB at most.
    """
    H, m = span.hours, np.arange(lo, hi)
    nm = len(m)
    first_h = np.clip((serving_from[m] - span.start) // HOUR, 0, H)
    last_h = np.clip(-(-(models.live_to[m] - span.start) // HOUR), 0, H)
    n_rows = np.where(models.stage[m] != S_DEV, np.maximum(last_h - first_h, 0), 0)
    row, offset = _segments(n_rows)  # row -> model within the chunk
    h = first_h[row] + offset
    mm = m[row]
    hour_s = span.start + h * HOUR
    hour_of_day = (span.start_hour_of_day + h) % 24

    # Traffic: level x daily rhythm x weekly rhythm x growth x noise.
    rhythm_table = 1 + models.diurnal[m, None] * np.cos(
        2 * np.pi * (np.arange(24)[None, :] - models.peak_hour[m, None]) / 24)
    rhythm = rhythm_table[row, hour_of_day]
    weekend = ((hour_s // DAY) + 3) % 7 >= 5  # 1970-01-01 was a Thursday
    week = np.where(weekend, models.weekend[mm], 1.0)
    trend = np.exp(models.growth[mm] * (hour_s - span.end) / (365 * DAY))
    dep = models.deprecated[mm]
    fading = np.where((dep >= 0) & (hour_s > dep),
                      np.maximum(np.exp(-(hour_s - dep) / (30 * DAY)), 0.05), 1.0)
    lam = models.base_rph[mm] * rhythm * week * trend * fading \
        * np.exp(rng.normal(0, 0.08, len(row)))
    requests = rng.poisson(lam).astype(np.int64)

    # Incidents raise errors and latency for their duration.
    inc = incidents
    mine = (inc.model >= lo) & (inc.model < hi) & ((inc.error_add > 0) | (inc.latency_log > 0))
    h0 = (inc.started[mine] - span.start) // HOUR
    h1 = -(-(np.minimum(inc.resolved[mine], span.end) - span.start) // HOUR)
    at = inc.model[mine] - lo
    error_add = _spread(nm, H, at, h0, h1, inc.error_add[mine])[row, h]
    latency_log = _spread(nm, H, at, h0, h1, inc.latency_log[mine])[row, h]

    p = models.error_rate[mm] * np.exp(rng.normal(0, 0.5, len(row))) + error_add
    errors = rng.binomial(requests, np.clip(p, 0, 0.95)).astype(np.int64)

    # Latency: a log-normal per model whose median moves with load, a little per hour
    # (one of 8 jitter levels) and a lot during incidents. Bucket shares come from a
    # table per (model, hour of day, jitter); incident hours are computed exactly.
    # Cumulative counts round requests x share, so they never decrease and never
    # exceed requests.
    jitter = 0.05 * np.array([-1.53, -0.89, -0.49, -0.16, 0.16, 0.49, 0.89, 1.53])
    log_median = (np.log(models.latency_median[m])[:, None]
                  + np.log(1 + 0.15 * (rhythm_table - 1)))[:, :, None] + jitter
    log_bounds = np.log(np.array(LATENCY_BOUNDS_MS, dtype=float))
    sigma = models.latency_sigma[m]
    shares = _normal_cdf((log_bounds - log_median[..., None])
                         / sigma[:, None, None, None]).reshape(-1, len(log_bounds))
    key = (row * 24 + hour_of_day) * len(jitter) + rng.integers(0, len(jitter), len(row))
    hot = np.flatnonzero(latency_log)
    hot_shares = _normal_cdf(
        (log_bounds - (log_median.reshape(-1)[key[hot]] + latency_log[hot])[:, None])
        / sigma[row[hot], None])

    columns = {
        "model_id": models.model_id.gather(mm),
        "hour": _ts(hour_s),
        "requests": requests,
        "errors": errors,
    }
    for b, name in enumerate(LATENCY_BUCKETS):
        share = shares[:, b][key]
        share[hot] = hot_shares[:, b]
        columns[name] = np.floor(requests * share + 0.5).astype(np.int64)

    day = row * span.n_dates + (span.start_hour_of_day + h) // 24
    size = nm * span.n_dates
    requests_by_date = np.bincount(day, requests, size).reshape(nm, -1)
    errors_by_date = np.bincount(day, errors, size).reshape(nm, -1)
    return pl.DataFrame(columns), requests_by_date, errors_by_date


# --- cost and value -----------------------------------------------------------------------

def _active_hours(models: Models, span: Span) -> np.ndarray:
    """(models, dates): hours of each date within the window each model existed."""
    date_start = (span.first_date + np.arange(span.n_dates)) * DAY
    lo = np.maximum(np.maximum(date_start[None, :], span.start), models.created[:, None])
    hi = np.minimum(np.minimum(date_start[None, :] + DAY, span.end), models.live_to[:, None])
    return np.clip(hi - lo, 0, None) / HOUR


@dataclass(frozen=True)
class DailyCosts:
    """USD per (model, date) by cost category; zero where a model did not exist."""

    compute: np.ndarray
    storage: np.ndarray
    inference_api: np.ndarray
    labeling: np.ndarray
    exists: np.ndarray        # bool: the model existed for part of the date

    @property
    def total(self) -> np.ndarray:
        return self.compute + self.storage + self.inference_api + self.labeling


def daily_costs(price_rng: np.random.Generator, rng: np.random.Generator, models: Models,
                span: Span, traffic: DailyTraffic) -> DailyCosts:
    """What each model costs per day: instances, per-request compute, retraining, storage
    that grows, API calls of LLM use cases, and now and then a labelling batch.

    `price_rng` draws each model's prices, `rng` the day-to-day events.
    """
    n = models.n
    llm = models.kind == K_LLM
    dev = models.stage == S_DEV
    fixed = np.exp(price_rng.uniform(np.log(15), np.log(400), n))  # USD/day of instances
    fixed[dev] = price_rng.uniform(5, 60, dev.sum())
    per_request = np.exp(price_rng.uniform(np.log(2e-6), np.log(6e-5), n))
    api_per_request = np.where(
        llm, np.exp(price_rng.uniform(np.log(5e-4), np.log(6e-3), n)), 0.0)
    fixed[llm] *= 0.2  # the vendor does the heavy lifting
    storage_per_day = np.exp(price_rng.uniform(np.log(0.5), np.log(40), n))
    labels = price_rng.random(n) < 0.25
    training_cost = np.exp(price_rng.uniform(np.log(20), np.log(900), n))

    hours = _active_hours(models, span)
    exists = hours > 0
    requests = traffic.requests
    nd = span.n_dates
    training = (rng.random((n, nd)) < 1 / 7) * training_cost[:, None]
    compute = fixed[:, None] * hours / 24 + per_request[:, None] * requests \
        + training * (hours / 24)
    growth = 1 + 0.3 * np.arange(nd)[None, :] / max(nd, 1)
    storage = storage_per_day[:, None] * growth * hours / 24
    api = api_per_request[:, None] * requests
    labeling = np.where(labels[:, None] & (rng.random((n, nd)) < 1 / 30),
                        rng.uniform(400, 6000, (n, nd)), 0.0) * exists
    return DailyCosts(compute=compute, storage=storage, inference_api=api,
                      labeling=labeling, exists=exists)


def costs_daily_frame(models: Models, span: Span, costs: DailyCosts
                      ) -> Iterator[pl.DataFrame]:
    """A row per model, date, category and billing vendor, as cloud billing exports it: a
    frame per category (see LOAD_ROWS)."""
    n = models.n
    api_vendor = np.where(models.kind == K_LLM, models.vendor, -1)
    blocks = [  # category, amounts, vendor per model, which cells
        ("compute", costs.compute, models.platform, costs.exists),
        ("storage", costs.storage, models.platform, costs.exists),
        ("inference_api", costs.inference_api, api_vendor,
         costs.exists & (api_vendor[:, None] >= 0)),
        ("labeling", costs.labeling, np.full(n, V_LABELCRAFT), costs.labeling > 0),
    ]
    vendor_ids = [v[0] for v in VENDORS] + [""]
    for category, amount, vendor, cells in blocks:
        model, day = np.nonzero(cells)
        yield pl.DataFrame({
            "model_id": models.model_id.gather(model),
            "day": _dates(span.first_date + day),
            "category": pl.Series([category]).gather(np.zeros(len(model), np.int64)),
            "vendor_id": _pick(vendor_ids, np.where(vendor[model] >= 0, vendor[model], -1)
                               % len(vendor_ids)),
            "amount_usd": np.round(amount[model, day], 2),
        })


def business_value_daily_frame(rng: np.random.Generator, models: Models, span: Span,
                               traffic: DailyTraffic, costs: DailyCosts) -> pl.DataFrame:
    """The value a serving model earns per day: its cost per request times a
    value-to-cost factor, less on days with errors; a few models earn less than they
    cost, and now and then a bad day loses money."""
    n = models.n
    hours = _active_hours(models, span)
    cells = (hours > 0) & models.serving[:, None]
    requests_total = traffic.requests.sum(axis=1)
    unit_cost = costs.total.sum(axis=1) / np.maximum(requests_total, 1)
    roi = np.exp(rng.normal(np.log(3.0), 0.6, n))
    losing = rng.random(n) < 0.05
    if n >= 10 and not (losing & models.serving).any():
        losing[np.flatnonzero(models.serving)[0]] = True
    roi[losing] = rng.uniform(0.2, 0.85, losing.sum())
    requests = traffic.requests
    error_share = np.divide(traffic.errors, requests, out=np.zeros(requests.shape),
                            where=requests > 0)
    value = roi[:, None] * unit_cost[:, None] * requests \
        * np.clip(1 - 3 * error_share, 0, 1) \
        * np.exp(rng.normal(0, 0.2, requests.shape))
    mean_value = value.sum(axis=1) / np.maximum(cells.sum(axis=1), 1)
    bad = rng.random(requests.shape) < 0.003
    value = np.where(bad, -rng.uniform(0.3, 1.5, requests.shape) * mean_value[:, None], value)
    model, day = np.nonzero(cells)
    return pl.DataFrame({
        "model_id": models.model_id.gather(model),
        "day": _dates(span.first_date + day),
        "value_usd": np.round(value[model, day], 2),
    })


# --- model quality ------------------------------------------------------------------------

def _daily_runs(models: Models, span: Span, which: np.ndarray, slots: int,
                minute_offset: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(model, slot, date index, run time) of daily monitor runs of the models `which`
    while they exist: `slots` runs 5 minutes apart from `minute_offset` past midnight plus
    each model's own minute."""
    date_start = (span.first_date + np.arange(span.n_dates)) * DAY
    run = (date_start[None, None, :] + minute_offset * 60
           + models.minute[which, None, None] * 60
           + np.arange(slots)[None, :, None] * 5 * 60)
    ok = (run >= np.maximum(models.created[which], span.start)[:, None, None]) \
        & (run < models.live_to[which][:, None, None]) & (run < span.end)
    mi, si, di = np.nonzero(ok)
    return which[mi], si, di, run[mi, si, di]


def drift_frame(rng: np.random.Generator, floor_rng: np.random.Generator,
                episode_rng: np.random.Generator, models: Models, span: Span,
                incidents: Incidents) -> Iterator[pl.DataFrame]:
    """Daily drift scores per monitored feature: quiet under the threshold, and above it
    from a day or two before each data-drift incident, and in episodes that never became
    one. `floor_rng` draws each feature's noise floor, `episode_rng` the episodes. In
    parts of LOAD_ROWS rows."""
    monitored = np.flatnonzero(models.serving)
    model, slot, day, measured = _daily_runs(models, span, monitored, 5, 2 * 60)
    keep = slot < models.n_features[model]
    model, slot, day, measured = model[keep], slot[keep], day[keep], measured[keep]
    k = len(model)

    is_psi = (models.feature_offset[model] + slot) % 5 < 3
    threshold = np.where(is_psi, DRIFT_THRESHOLD["psi"], DRIFT_THRESHOLD["ks"])
    # Quiet days: well under the threshold, each feature with its own noise floor.
    floor = floor_rng.uniform(0.12, 0.35, (models.n, 5))[model, slot] * threshold
    score = floor * np.exp(rng.normal(0, 0.45, k))

    # Shifts: drift before each data-drift incident (from 30-66 h before it started
    # until a day after it was resolved), plus episodes that never became incidents.
    inc = incidents
    drift = inc.cause == C_DRIFT
    onset = inc.started[drift] - (30 + 36 * inc.dice[drift, 3]) * HOUR
    until = np.minimum(inc.resolved[drift], span.end) + DAY
    level = 1.3 + 2.0 * inc.dice[drift, 2]
    n_ep = episode_rng.poisson(span.days / 200 * models.drift_proneness[monitored])
    ep_model, _ = _segments(n_ep)
    ep_model = monitored[ep_model]
    ep_start = span.start + episode_rng.random(len(ep_model)) * (span.end - span.start)
    ep_slot = episode_rng.integers(0, models.n_features[ep_model])
    ep_len = episode_rng.uniform(1, 6, len(ep_model)) * DAY
    ep_level = episode_rng.uniform(0.7, 1.6, len(ep_model))

    ev_model = np.concatenate([inc.model[drift], ep_model])
    ev_slot = np.concatenate([inc.slot[drift], ep_slot])
    ev_from = np.concatenate([onset, ep_start])
    ev_to = np.concatenate([until, ep_start + ep_len])
    ev_level = np.concatenate([level, ep_level])
    # Runs are daily at a fixed minute per model: convert the windows to date indices.
    first_run = (span.first_date * DAY + 2 * HOUR + models.minute[ev_model] * 60
                 + ev_slot * 300)
    d0 = -(-(ev_from - first_run) // DAY)
    d1 = -(-(ev_to - first_run) // DAY)
    shift = _spread(models.n * 5, span.n_dates, ev_model * 5 + ev_slot, d0.astype(np.int64),
                    d1.astype(np.int64), ev_level)
    shifted = shift[model * 5 + slot, day]
    score = np.where(shifted > 0, threshold * shifted * np.exp(rng.normal(0, 0.1, k)), score)
    del shift, shifted, floor
    return _slices(k, lambda part: pl.DataFrame({
        "model_id": models.model_id.gather(model[part]),
        "feature": _feature_names(models, model[part], slot[part]),
        "measured_at": _ts(measured[part]),
        "method": pl.Series(["ks", "psi"]).gather(is_psi[part].astype(np.int64)),
        "score": np.round(score[part], 4),
        "threshold": threshold[part],
    }))


def data_quality_frame(rng: np.random.Generator, models: Models, span: Span,
                       incidents: Incidents) -> Iterator[pl.DataFrame]:
    """Daily checks on each model's feature pipeline: mostly passing, a flaky few, and
    failing around every data-quality incident. In parts of LOAD_ROWS rows."""
    checked = np.flatnonzero(models.stage != S_DEV)
    model, slot, day, run_at = _daily_runs(models, span, checked, 4, 3 * 60)
    keep = slot < models.n_checks[model]
    model, slot, day, run_at = model[keep], slot[keep], day[keep], run_at[keep]
    k = len(model)
    check = (models.check_offset[model] + slot) % len(DQ_CHECKS)

    # Data-quality incidents: the checks fail on the day the incident starts and the day
    # before it.
    inc = incidents
    dq = inc.cause == C_DQ
    d_inc = (inc.started[dq] // DAY) - span.first_date
    trouble = _spread(models.n, span.n_dates, inc.model[dq], d_inc - 1, d_inc + 1,
                      np.ones(dq.sum()))[model, day] > 0
    p_fail = np.where(trouble, 0.7, 0.012 * models.dq_flakiness[model])
    p_warn = np.where(trouble, 0.2, 0.03 * models.dq_flakiness[model])
    u = rng.random(k)
    status = np.where(u < p_fail, 2, np.where(u < p_fail + p_warn, 1, 0))

    table_rows = np.exp(rng.uniform(np.log(5e3), np.log(5e7), models.n))
    rows_checked = (table_rows[model] * rng.uniform(0.9, 1.1, k)).astype(np.int64)
    share = np.where(status == 2, rng.uniform(0.01, 0.2, k),
                     np.where(status == 1, rng.uniform(5e-4, 5e-3, k), 0.0))
    rows_failed = np.floor(rows_checked * share).astype(np.int64)
    counts_rows = ~np.isin(check, [DQ_CHECKS.index(c) for c in DQ_ROWLESS])
    del trouble, p_fail, p_warn, u, share

    def part(rows: slice) -> pl.DataFrame:
        ids = models.model_id.gather(model[rows])
        pipeline = _pick([u[0] for u in USE_CASES], models.stem[model[rows]]).to_frame(
            "s").select(pl.format("{}_features_daily", "s")).to_series()
        check_names = _pick(DQ_CHECKS, check[rows])
        run_dates = _dates(span.first_date + day[rows])
        run_id = pl.DataFrame({"d": run_dates.dt.strftime("%Y%m%d"), "m": ids,
                               "c": check_names}).select(
            pl.format("dq-{}-{}-{}", "d", "m", "c")).to_series()
        return pl.DataFrame({
            "check_run_id": run_id,
            "model_id": ids,
            "pipeline": pipeline,
            "check_name": check_names,
            "run_at": _ts(run_at[rows]),
            "status": _pick(DQ_STATUSES, status[rows]),
            "rows_checked": _where(pl.Series(rows_checked[rows]), counts_rows[rows]),
            "rows_failed": _where(pl.Series(rows_failed[rows]), counts_rows[rows]),
        })

    return _slices(k, part)


# --- governance ---------------------------------------------------------------------------

def risk_assessments_frame(rng: np.random.Generator, models: Models, span: Span
                           ) -> pl.DataFrame:
    """Reviews at each risk tier's rhythm: most models reviewed on time, a fifth overdue,
    and at least one model in use never assessed (a compliance gap to find)."""
    n, end = models.n, span.end
    tier = models.tier
    interval = np.array([REVIEW_INTERVAL_DAYS[t] for t in RISK_TIERS])[tier] * DAY
    assessed = rng.random(n) < np.where(models.stage == S_DEV, 0.3, 0.85)
    if n >= 5:
        never = np.flatnonzero(models.stage != S_DEV)[-1:]
        assessed[never] = False  # at least one model in use was never assessed
        if not assessed.any():
            assessed[0] = True
    overdue = rng.random(n) < 0.2
    last = np.where(overdue, end - interval - rng.uniform(3, 90, n) * DAY,
                    end - rng.uniform(0.05, 0.9, n) * interval)
    last = np.maximum(last, models.created - rng.uniform(0, 10, n) * DAY)
    last = np.minimum(last, end - HOUR)
    # Earlier reviews at the same rhythm while the model existed.
    k = np.arange(3)
    when = last[:, None] - k[None, :] * interval[:, None] * rng.uniform(0.9, 1.0, (n, 3))
    keep = assessed[:, None] & ((k[None, :] == 0)
                                | (when >= models.created[:, None] - 14 * DAY))
    model, k_i = np.nonzero(keep)
    at = when[model, k_i].astype(np.int64)
    latest = k_i == 0
    outcome_w = np.array([[0.95, 0.05, 0.0], [0.85, 0.13, 0.02], [0.6, 0.28, 0.12]])
    outcome = _choose(rng, outcome_w[tier[model]])
    outcome[~latest] = np.where(rng.random((~latest).sum()) < 0.8, 0, 1)
    due_s = at + interval[model]
    m = len(model)
    order = np.lexsort((model, at))
    notes = rng.integers(0, len(ASSESSMENT_NOTES), m)
    frame = pl.DataFrame({
        "model_id": models.model_id.gather(model),
        "assessed_at": _ts(at),
        "risk_tier": _pick(RISK_TIERS, tier[model]),
        "assessor": _pick(ASSESSORS, rng.integers(0, len(ASSESSORS), m)),
        "outcome": _pick(ASSESSMENT_OUTCOMES, outcome),
        "next_review_due": _dates(due_s // DAY),
        "notes": _where(_pick(ASSESSMENT_NOTES, notes), (rng.random(m) < 0.4)
                        | (outcome != 0)),
    })[order]
    return frame.with_columns(
        pl.Series("assessment_id", [f"ra-{j + 1:05d}" for j in range(m)])
    ).select("assessment_id", *frame.columns)


# --- the weekly operations review (issue 14) ---------------------------------------------
# Three stories, each drawn from its own random stream so the entities above keep their
# numbers: the team with the most incidents is paged at night (every page outside 08:00-18:00
# in its time zone escalates to two more people of a two-person rotation); the model with
# the most postmortem follow-ups never closes them, so they are overdue; and the last
# complete ISO week before the end is rework-heavy (every incident of that week gets a hotfix
# deployment, sev 1-2 ones two).

# Each business unit's teams work from one office.
TEAM_TIME_ZONES = {
    "retail": "Europe/London", "payments": "Europe/Berlin", "marketing": "America/New_York",
    "logistics": "America/Chicago", "risk": "Europe/Berlin", "care": "Asia/Kolkata",
}
FOLLOW_UP_TITLES = (
    "Add an alert on the signal that would have caught this earlier",
    "Write the runbook step for this failure",
    "Add a regression test for the failing input",
    "Gate the release on the canary's error rate",
    "Document the vendor escalation path",
)
DUE_DAYS = (7, 14, 28)   # by priority 1, 2, 3


@dataclass(frozen=True)
class ReviewStories:
    night_team: int           # TEAMS index of the team paged at night
    overdue_model: int        # model whose follow-ups are overdue, -1 when no model has any
    rework_week_start: int    # epoch seconds: Monday 00:00 of the rework-heavy week


def plan_review_stories(models: Models, span: Span, incidents: Incidents) -> ReviewStories:
    """Which team, model and week tell the review's stories (no random draws)."""
    seen = incidents.detected < span.end
    team_incidents = np.bincount(models.team[incidents.model[seen]], minlength=len(TEAMS))
    severe = _follow_up_incidents(span, incidents)
    per_model = np.bincount(incidents.model[severe], minlength=models.n)
    end_day = datetime.fromtimestamp(span.end, UTC).date()
    this_monday = end_day - timedelta(days=end_day.weekday())
    week_start = datetime.combine(this_monday - timedelta(days=7), datetime.min.time(),
                                  tzinfo=UTC)
    return ReviewStories(night_team=int(np.argmax(team_incidents)),
                         overdue_model=int(np.argmax(per_model)) if per_model.any() else -1,
                         rework_week_start=int(week_start.timestamp()))


def _follow_up_incidents(span: Span, incidents: Incidents) -> np.ndarray:
    """Sev 1-2 incidents resolved at least a day before the end get follow-ups."""
    return (incidents.severity <= 2) & (incidents.resolved + DAY < span.end)


def teams_time_zones() -> pl.Series:
    return pl.Series("time_zone", [TEAM_TIME_ZONES[t[2]] for t in TEAMS])


def runbook_reviews(rng: np.random.Generator, models: Models, span: Span) -> pl.Series:
    """When each runbook was last reviewed: within 400 days of the end (never before the
    model was created); one runbook in eight was never reviewed."""
    n = models.n
    ago = (rng.random(n) * 400 * DAY).astype(np.int64)
    reviewed = np.maximum(span.end - ago, models.created)
    never = rng.random(n) < 0.125
    return _where(_ts(np.minimum(reviewed, span.end - 1)), models.has_runbook & ~never)


def _on_call(team: np.ndarray, when: np.ndarray, night_team: int, shift: int = 0) -> np.ndarray:
    """PEOPLE index on call for a team in the ISO week of `when`: each team rotates weekly
    through four people (the night team through two)."""
    week = (when + 3 * DAY) // (7 * DAY)            # weeks since a Monday
    size = np.where(team == night_team, 2, 4)
    return (team * 5 + (week + shift) % size) % len(PEOPLE)


def oncall_pages_frame(models: Models, span: Span, incidents: Incidents,
                       stories: ReviewStories) -> pl.DataFrame:
    """One page per detected incident to the owning team's on-call at detection (its
    acknowledgement the incident's); sev 1-2 also page the secondary 10 minutes later; the
    night team's out-of-hours pages escalate to the secondary and again 20 minutes later."""
    i = incidents
    seen = np.flatnonzero(i.detected < span.end)
    team = models.team[i.model[seen]]
    zones = [TEAM_TIME_ZONES[t[2]] for t in TEAMS]
    offsets = np.array([_utc_offset(zones[t], int(s)) for t, s in zip(team, i.detected[seen],
                                                                        strict=True)],
                       dtype=np.int64)
    local_hour = ((i.detected[seen] + offsets) // 3600) % 24
    night = (team == stories.night_team) & ((local_hour < 8) | (local_hour >= 18))
    acked = i.acknowledged[seen]
    rows = []  # (incident row, team, responder, paged, acknowledged or -1)
    for k in (0, 1, 2):
        if k == 0:
            pick = np.ones(len(seen), bool)
        elif k == 1:
            pick = (i.severity[seen] <= 2) | night
        else:
            pick = night
        delay = (0, 10 * 60, 20 * 60)[k]
        paged = i.detected[seen] + delay
        pick &= paged < span.end
        who = _on_call(team, i.detected[seen], stories.night_team, shift=k)
        ack = np.where((acked < span.end) & (acked >= paged), acked, -1)
        ack = np.where((k > 0) & (acked < span.end), np.maximum(acked, paged + 120), ack)
        ack = np.where(ack >= span.end, -1, ack)
        rows.append((seen[pick], team[pick], who[pick], paged[pick], ack[pick], k))
    incident_ids = [f"INC-{j + 1:05d}" for j in range(len(i.model))]
    frames = []
    for inc, tm, who, paged, ack, k in rows:
        frames.append(pl.DataFrame({
            "page_id": [f"PG-{incident_ids[j][4:]}-{k + 1}" for j in inc],
            "incident_id": [incident_ids[j] for j in inc],
            "team_id": _pick([t[0] for t in TEAMS], tm),
            "responder": _pick(PEOPLE, who),
            "paged_at": _ts(paged),
            "acknowledged_at": _where(_ts(np.maximum(ack, 0)), ack >= 0),
        }))
    return pl.concat(frames).sort("paged_at", "page_id")


def _utc_offset(zone: str, at: int) -> int:
    from zoneinfo import ZoneInfo
    offset = datetime.fromtimestamp(at, ZoneInfo(zone)).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def action_items_frame(rng: np.random.Generator, models: Models, span: Span,
                       incidents: Incidents, stories: ReviewStories) -> pl.DataFrame:
    """One to three follow-ups per postmortem'd incident (sev 1-2, resolved), created a day
    after its resolution, due 7 / 14 / 28 days later by priority, mostly closed before
    the due date; the overdue model's are never closed."""
    i = incidents
    rows = np.flatnonzero(_follow_up_incidents(span, i))
    count = 1 + (rng.random(len(rows)) * 3).astype(np.int64)
    inc = np.repeat(rows, count)
    nth = np.concatenate([np.arange(c) for c in count]) if len(count) else np.zeros(0, int)
    k = len(inc)
    priority = 1 + (rng.random(k) * 3).astype(np.int64)
    created = i.resolved[inc] + DAY
    due = created + np.array(DUE_DAYS)[priority - 1] * DAY
    closed = created + (rng.uniform(0.1, 1.05, k) * (due - created)).astype(np.int64)
    still_open = (closed >= span.end) | (i.model[inc] == stories.overdue_model)
    team = models.team[i.model[inc]]
    ids = [f"INC-{j + 1:05d}" for j in inc]
    return pl.DataFrame({
        "action_item_id": [f"AI-{x[4:]}-{n + 1}" for x, n in zip(ids, nth, strict=True)],
        "incident_id": ids,
        "model_id": models.model_id.gather(i.model[inc]),
        "team_id": _pick([t[0] for t in TEAMS], team),
        "title": _pick(FOLLOW_UP_TITLES, (rng.random(k) * len(FOLLOW_UP_TITLES)).astype(int)),
        "owner": _pick(PEOPLE, _on_call(team, created, stories.night_team, shift=nth)),
        "priority": priority,
        "created_at": _ts(created),
        "due_at": _ts(due),
        "closed_at": _where(_ts(np.minimum(closed, span.end - 1)), ~still_open),
    })


def rework_deployments_frame(rng: np.random.Generator, models: Models, span: Span,
                             incidents: Incidents, stories: ReviewStories) -> pl.DataFrame:
    """Hotfix deployments that remediate an incident: an hour after its acknowledgement,
    for a quarter of the deployment-caused incidents, and for every incident of the
    rework-heavy week (two for sev 1-2)."""
    i = incidents
    fixed_at = i.acknowledged + HOUR
    week = (i.started >= stories.rework_week_start) \
        & (i.started < stories.rework_week_start + 7 * DAY)
    base = (i.deployment >= 0) & (rng.random(len(i.model)) < 0.25)
    first = np.flatnonzero((base | week) & (fixed_at < span.end))
    second = np.flatnonzero(week & (i.severity <= 2) & (fixed_at + 3 * HOUR < span.end))
    inc = np.concatenate([first, second])
    when = np.concatenate([fixed_at[first], fixed_at[second] + 3 * HOUR])
    nth = np.concatenate([np.ones(len(first), int), np.full(len(second), 2)])
    ids = [f"INC-{j + 1:05d}" for j in inc]
    return pl.DataFrame({
        "deployment_id": [f"dep-fix-{x[4:]}-{n}" for x, n in zip(ids, nth, strict=True)],
        "model_id": models.model_id.gather(i.model[inc]),
        "version": [f"hotfix-{x}-{n}" for x, n in zip(ids, nth, strict=True)],
        "environment": pl.Series(["production"] * len(inc), dtype=pl.String),
        "committed_at": _ts(when - 30 * 60),
        "deployed_at": _ts(when),
        "outcome": pl.Series(["succeeded"] * len(inc), dtype=pl.String),
        "change_ticket": pl.Series([None] * len(inc), dtype=pl.String),
        "approved_by": pl.Series([None] * len(inc), dtype=pl.String),
        "remediates_incident_id": pl.Series(ids, dtype=pl.String),
    }).sort("deployed_at", "deployment_id")

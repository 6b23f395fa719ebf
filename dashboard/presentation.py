"""How every KPI and column is presented, once: label, unit, direction, help, definition.

A page names a KPI or a column (`tiles.Tile("mttr_minutes")`, a frame's columns); its label,
number format, which way is good and its help text come from here, so the same KPI reads
the same on every page, in tiles and in tables. The KPI's SQL is in queries/<name>.sql, its
definition in docs/METRICS.md at `anchor`.

A column not named in MEASURES is presented by the suffix rule (`unit_for`): `_ms`
milliseconds, `_usd` dollars, `_at` a UTC date-time, `_minutes` a duration in hours,
`_rate`/`_share`/... a percentage, `_url` a link; else by its data type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from dashboard import formats
from modelops.reports import labels

Direction = Literal["higher", "lower"] | None

# One unit per quantity: durations of an incident or a change (MTTR, lead time, recovery,
# an incident's age) in hours with one decimal; the short steps before work starts (time
# to detect, to acknowledge) and downtime in minutes.
UNITS = ("count", "int", "pct", "usd", "ms", "hours", "minutes", "days", "ratio", "score",
         "datetime", "link", "text")


@dataclass(frozen=True)
class Measure:
    label: str
    unit: str = "count"
    direction: Direction = None  # which change is good; None: neither
    help: str = ""  # the definition in one line (a tile's help, a table header's tooltip)
    anchor: str = ""  # the heading id of its entry in docs/METRICS.md

    def show(self, value) -> str:
        """The value as a tile shows it."""
        return SHOW[self.unit](value)

    @property
    def as_points(self) -> bool:
        """A ratio's change is shown in percentage points, not percent of itself."""
        return self.unit == "pct"


SERVING = "serving"
INCIDENTS = "incidents-atlassian-and-pager-duty-incident-metric-definitions"
RELEASES = "releases-dora-four-keys-dora-dora-team-fourkeys"
COST = "cost-and-value-fin-ops-foundation-unit-economics"
QUALITY = "model-quality"
GOVERNANCE = "governance"
AGGREGATION = "aggregation-rule-applies-to-every-kpi"
WEEKLY_REPORT = "weekly-report-csv"
TEAM_LOAD = "team-load-pager-duty-operational-reviews-interruptions-off-hour-interruptions"
FOLLOW_UPS = "follow-ups-google-sre-book-postmortem-culture-atlassian-incident-handbook"
RUNBOOKS = "runbook-health-runbook-health-sql"
TRENDS = "trends-quarter-over-quarter-quarterly-trends-sql"
WEEK_IN_REVIEW = "week-in-review-kpi-week-in-review-modelops-report-review"

_M = Measure
MEASURES: dict[str, Measure] = {
    # --- serving
    "requests": _M("Requests", "count", None, "Requests served in the period.", SERVING),
    "errors": _M("Errors", "count", "lower", "Failed requests in the period.", SERVING),
    "availability": _M("Availability", "pct", "higher",
                       "1 - errors / requests, from the summed counts of the models.",
                       SERVING),
    "slo_availability": _M("Availability SLO", "pct", None,
                           "The model's availability target.", SERVING),
    "availability_slo_met": _M("Availability SLO met", "text", None,
                               "Availability >= the model's target.", SERVING),
    "error_budget_allowed": _M("Allowed errors", "count", None,
                               "(1 - SLO) × requests: the errors the SLO allows.", SERVING),
    "error_budget_consumed": _M("Error budget consumed", "pct", "lower",
                                "Errors / allowed errors, where allowed = sum((1 - SLO) × "
                                "requests) over the models; 100% = the budget exactly spent.",
                                SERVING),
    "error_budget_remaining": _M("Error budget remaining", "pct", "higher",
                                 "1 - error budget consumed.", SERVING),
    "downtime_minutes": _M("Downtime-equivalent", "minutes", "lower",
                           "(1 - availability) × minutes in the period.", SERVING),
    "latency_p50_ms": _M("Latency p50", "ms", "lower",
                         "From the merged latency histogram of the models.", SERVING),
    "latency_p95_ms": _M("Latency p95", "ms", "lower",
                         "From the merged latency histogram of the models.", SERVING),
    "latency_p99_ms": _M("Latency p99", "ms", "lower",
                         "From the merged latency histogram of the models.", SERVING),
    "slo_latency_p95_ms": _M("Latency p95 SLO", "ms", None,
                             "The model's p95 latency target.", SERVING),
    "latency_slo_met": _M("Latency SLO met", "text", None,
                          "p95 <= the model's target.", SERVING),
    "models_availability_slo_met": _M("Availability SLO met", "count", "higher",
                                      "Models whose availability met their own SLO, of the "
                                      "models with requests in the period.", SERVING),
    "models_latency_slo_met": _M("Latency SLO met", "count", "higher",
                                 "Models whose p95 was within their own target, of the "
                                 "models with requests in the period.", SERVING),
    **{f"burn_rate_{w}": _M(f"Burn rate {w}", "ratio", "lower",
                            f"(errors / requests) / (1 - SLO) over the {w} before the "
                            "moment; 1 spends the budget exactly over the SLO period.",
                            SERVING) for w in ("1h", "2h", "6h", "1d", "3d")},
    "fast_burn_alerts": _M("Fast-burn alerts", "count", "lower",
                           "Models whose 1 h burn rate is above 14.4.", SERVING),
    "slow_burn_alerts": _M("Slow-burn alerts", "count", "lower",
                           "Models whose 6 h and 1 h burn rates are above 6.", SERVING),
    "ticket_burn_alerts": _M("Ticket-burn alerts", "count", "lower",
                             "Models whose 1 d and 2 h burn rates are above 3, or 3 d and "
                             "6 h above 1 (a ticket, not a page).", SERVING),
    "models_checked": _M("Models checked", "count", None,
                         "Live models in scope with requests in the three days before "
                         "the moment.", SERVING),
    # --- incidents
    "incidents": _M("Incidents", "count", "lower", "Incidents started in the period.",
                    INCIDENTS),
    "sev1_sev2_incidents": _M("Sev 1–2", "count", "lower",
                              "Severity 1 and 2 incidents started in the period.", INCIDENTS),
    "mttd_minutes": _M("MTTD", "minutes", "lower",
                       "Mean time to detect: mean(detected - started) over the incidents "
                       "started in the period that have been detected.", INCIDENTS),
    "mtta_minutes": _M("MTTA", "minutes", "lower",
                       "Mean time to acknowledge: mean(acknowledged - detected).", INCIDENTS),
    "mttr_minutes": _M("MTTR", "hours", "lower",
                       "Mean time to resolve: mean(resolved - started) over the incidents "
                       "resolved in the period.", INCIDENTS),
    "open_at_end": _M("Open at end", "count", "lower",
                      "Started before the end of the period and not resolved before it.",
                      INCIDENTS),
    "time_to_detect_minutes": _M("Time to detect", "minutes", "lower",
                                 "detected - started.", INCIDENTS),
    "time_to_acknowledge_minutes": _M("Time to acknowledge", "minutes", "lower",
                                      "acknowledged - detected.", INCIDENTS),
    "time_to_resolve_minutes": _M("Time to resolve", "hours", "lower",
                                  "resolved - started.", INCIDENTS),
    "age_minutes": _M("Age", "hours", None, "Time since the incident started.", INCIDENTS),
    # --- releases
    "deployments": _M("Production deployments", "count", None,
                      "Every production attempt (succeeded, failed, rolled back) in the "
                      "period.", RELEASES),
    "deployments_per_week": _M("Deployments per week", "ratio", None,
                               "Deployment frequency: deployments / days in the period × 7.",
                               RELEASES),
    "lead_time_median_minutes": _M("Lead time for changes", "hours", "lower",
                                   "Median commit-to-production time of successful "
                                   "deployments that record a commit time.", RELEASES),
    "lead_time_minutes": _M("Lead time", "hours", "lower", "deployed - committed.",
                            RELEASES),
    "failed_changes": _M("Failed changes", "count", "lower",
                         "Production deployments that failed, were rolled back, or that an "
                         "incident names as its cause.", RELEASES),
    "change_failure_rate": _M("Change failure rate", "pct", "lower",
                              "Failed changes / production deployments.", RELEASES),
    "recovery_time_median_minutes": _M("Failed deployment recovery time", "hours", "lower",
                                       "Median start-to-resolution time of deployment-"
                                       "caused incidents resolved in the period.", RELEASES),
    "rework_deployments": _M("Rework deployments", "count", "lower",
                             "Production deployments made to fix an incident "
                             "(remediates_incident_id set).", RELEASES),
    "rework_rate": _M("Deployment rework rate", "pct", "lower",
                      "Rework deployments / production deployments: unplanned deployments "
                      "that fix an incident.", RELEASES),
    # --- cost and value
    "cost_usd": _M("Cost", "usd", "lower", "Sum of the models' daily costs.", COST),
    "business_value_usd": _M("Business value", "usd", "higher",
                             "Sum of the models' daily business value.", COST),
    "net_value_usd": _M("Net value", "usd", "higher", "Business value - cost.", COST),
    "roi": _M("ROI", "pct", "higher",
              "(value - cost) / cost, from the summed money; empty when cost is 0.", COST),
    "cost_per_1k_requests": _M("Cost per 1k requests", "usd", "lower",
                               "Cost / requests × 1000, from the sums; empty when there "
                               "were no requests.", COST),
    "share_of_cost": _M("Share of cost", "pct", None, "This group's part of the cost.", COST),
    # --- model quality
    "drift_alerts": _M("Drift alerts", "count", "lower",
                       "Drift results in the period with score > threshold.", QUALITY),
    "drift_results": _M("Drift results", "count", None,
                        "Drift measurements taken in the period (alerts are those above "
                        "threshold).", QUALITY),
    "dq_pass_rate": _M("Data-quality pass rate", "pct", "higher",
                       "Checks with status pass / all checks run in the period.", QUALITY),
    "failed": _M("Checks failed", "count", "lower", "Data-quality checks that failed.",
                 QUALITY),
    "warned": _M("Checks warned", "count", "lower", "Data-quality checks that warned.",
                 QUALITY),
    "validation_coverage": _M("Validation coverage", "pct", "higher",
                              "Production models whose version live at the period's end "
                              "has a passed post-deployment validation / production models.",
                              QUALITY),
    # --- governance
    "overdue": _M("Reviews overdue", "count", "lower",
                  "Models not retired whose risk review is past due, or never done.",
                  GOVERNANCE),
    "never_assessed": _M("Never assessed", "count", "lower",
                         "Models not retired with no risk assessment at all.", GOVERNANCE),
    "production_models": _M("Production models", "count", None,
                            "Models in the production stage.", GOVERNANCE),
    "with_gaps": _M("Production models with gaps", "count", "lower",
                    "At least one of: no owner, no runbook, no passed validation of the "
                    "deployed version, no risk assessment, high risk without approval.",
                    GOVERNANCE),
    "no_runbook": _M("No runbook", "count", "lower", "Production models without a runbook.",
                     GOVERNANCE),
    "high_risk_not_approved": _M("High risk, not approved", "count", "lower",
                                 "High-risk production models without an approved "
                                 "assessment.", GOVERNANCE),
    # --- team load and on-call fairness
    "pages": _M("Pages", "count", "lower",
                "On-call pages sent in the period for incidents on the filtered models.",
                TEAM_LOAD),
    "out_of_hours_pages": _M("Out-of-hours pages", "count", "lower",
                             "Pages before 08:00 or from 18:00 in the team's time zone.",
                             TEAM_LOAD),
    "out_of_hours_share": _M("Out-of-hours share", "pct", "lower",
                             "Out-of-hours pages / pages.", TEAM_LOAD),
    "sev1_sev2_pages": _M("Sev 1–2 pages", "count", "lower",
                          "Pages for incidents of severity 1 or 2.", TEAM_LOAD),
    "acknowledged_pages": _M("Pages acknowledged", "count", None,
                             "Pages with an acknowledgement.", TEAM_LOAD),
    "median_minutes_to_acknowledge": _M("Median time to acknowledge", "minutes", "lower",
                                        "Median of acknowledged - paged over the "
                                        "acknowledged pages.", TEAM_LOAD),
    "responders": _M("Responders", "count", None, "People paged in the period.", TEAM_LOAD),
    "oncall_weeks": _M("On-call weeks", "count", None,
                       "Distinct (responder, ISO week) pairs with at least one page.",
                       TEAM_LOAD),
    "pages_per_oncall_week": _M("Pages per on-call week", "ratio", "lower",
                                "Pages / on-call weeks (weeks in which the person was "
                                "paged).", TEAM_LOAD),
    "top3_model_incidents": _M("Incidents on top 3 models", "count", None,
                               "The team's incidents on its three models with the most "
                               "incidents.", TEAM_LOAD),
    "top3_model_share": _M("Top-3 model share", "pct", None,
                           "Incidents on the team's three busiest models / the team's "
                           "incidents: how concentrated the load is.", TEAM_LOAD),
    # --- follow-ups
    "action_items": _M("Follow-ups", "count", None,
                       "Action items created before the end of the period.", FOLLOW_UPS),
    "open_action_items": _M("Open follow-ups", "count", "lower",
                            "Created before the end of the period, not closed before it.",
                            FOLLOW_UPS),
    "overdue_action_items": _M("Overdue follow-ups", "count", "lower",
                               "Open at the end of the period with a due date before it.",
                               FOLLOW_UPS),
    "closed_action_items": _M("Closed follow-ups", "count", "higher",
                              "Follow-ups closed in the period.", FOLLOW_UPS),
    "median_days_to_close": _M("Median days to close", "days", "lower",
                               "Median of closed - created over the follow-ups closed in "
                               "the period.", FOLLOW_UPS),
    "postmortem_share": _M("Postmortem share", "pct", "higher",
                           "Sev 1–2 incidents started in the period with a postmortem / "
                           "sev 1–2 incidents.", FOLLOW_UPS),
    "days_overdue": _M("Days overdue", "days", "lower",
                       "End of the period - due date.", FOLLOW_UPS),
    # --- runbook health
    "runbook_stale": _M("Runbook not reviewed in 180 days", "count", "lower",
                        "Production models whose runbook was never reviewed or not in the "
                        "180 days before the end of the period.", RUNBOOKS),
    "days_since_last_review": _M("Days since runbook review", "days", "lower",
                                 "End of the period - the runbook's last review.", RUNBOOKS),
    # --- trends, quarter over quarter
    "quarter": _M("Quarter", "text", None,
                  "Calendar quarter (UTC); the one in progress is quarter to date.", TRENDS),
}
# The same KPI under another column name in another query.
MEASURES["pass_rate"] = MEASURES["dq_pass_rate"]
MEASURES["without_runbook"] = MEASURES["no_runbook"]

# --- the suffix rule --------------------------------------------------------------------

_SUFFIX_UNITS = (
    ("_ms", "ms"), ("_usd", "usd"), ("_at", "datetime"), ("_minutes", "hours"),
    ("_url", "link"), ("_rate", "pct"), ("_share", "pct"), ("_fraction", "pct"),
    ("_coverage", "pct"), ("_availability", "pct"),
)
_UNIT_SUFFIXES = ("_ms", "_usd", "_minutes")


def unit_for(column: str, dtype=None) -> str:
    """The unit of a column not in MEASURES: by its name's suffix, else by its type."""
    if column in MEASURES:
        return MEASURES[column].unit
    if column == "detail":
        return "link"
    for suffix, unit in _SUFFIX_UNITS:
        if column.endswith(suffix):
            return unit
    if dtype is not None:
        if dtype.is_integer():
            return "int"
        if dtype.is_float():
            return "score"
        if dtype.is_temporal() and not str(dtype).startswith("Date"):
            return "datetime"
    return "text"


def label_for(column: str) -> str:
    """A column's label: its measure's, else the report's header for it (modelops/reports/labels.py,
    shared with the spreadsheet), else its name without the unit suffix, in words."""
    if column in MEASURES:
        return MEASURES[column].label
    if column in labels.REPORT:
        return labels.REPORT[column][0]
    for suffix in _UNIT_SUFFIXES:
        if column.endswith(suffix):
            column = column.removesuffix(suffix)
            break
    return column.replace("_", " ")


def measure(column: str, dtype=None) -> Measure:
    """The presentation of any column: registered, or by the suffix rule."""
    if column in MEASURES:
        return MEASURES[column]
    return Measure(label_for(column), unit_for(column, dtype))


def show(column: str, value) -> str:
    """A value of `column` as a tile (or a text cell) shows it."""
    return measure(column).show(value)


def with_label(m: Measure, label: str) -> Measure:
    return replace(m, label=label)


# --- table cells: words, not codes ---------------------------------------------------

# Columns whose text is a code from the data contract (`rolled_back`, `data_quality`): shown
# as words ("rolled back", "data quality").
ENUMS = frozenset({
    "outcome", "root_cause", "lifecycle_stage", "status", "environment", "risk_tier",
    "last_outcome", "kind", "category", "latest_method", "stage",
})
# How a yes/no column reads in a table: (true, false). Default: "yes" / "no".
BOOL_WORDS: dict[str, tuple[str, str]] = {
    "availability_slo_met": ("✓ met", "✗ missed"),
    "latency_slo_met": ("✓ met", "✗ missed"),
    "sla_met": ("✓ met", "✗ missed"),
    "failed_change": ("✗ failed", "✓ no"),
    "open": ("open", "resolved"),
    "live_in_production": ("✓ live", "no"),
    "never_assessed": ("✗ never", "no"),
    # A gap column is headed by what a model should have (pages/governance.py, "owner",
    # "runbook"), so its cells answer yes or no, never a double negative ("no runbook ✓ ok").
    **{gap: ("✗ no", "✓ yes") for gap in (
        "no_owner", "no_runbook", "no_passed_validation", "no_risk_assessment",
        "high_risk_not_approved")},
    "live_without_digest": ("✗ no digest", "✓ has digest"),
}
# Columns a reader rarely needs (ids, hashes, commits, digests, storage paths): a table
# hides them until chosen in its column picker, and lists them last.
_DETAIL_NAMES = frozenset({
    "code_commit", "artifact_sha256", "artifact_uri", "training_data_ref", "change_ticket",
    "approved_by", "registered_at", "committed_at", "pipeline",
})
_DETAIL_SUFFIXES = ("_id", "_sha256", "_commit", "_uri")


def is_detail(column: str) -> bool:
    """A column a table hides by default: an id, a hash, a commit, a digest, a path."""
    return column in _DETAIL_NAMES or column.endswith(_DETAIL_SUFFIXES)


def words(code: str | None) -> str:
    """A contract code as words: `rolled_back` -> "rolled back"."""
    return "–" if code is None else code.replace("_", " ")


def severity(level: int | None) -> str:
    return "–" if level is None else f"Sev {level}"


# --- formats per unit --------------------------------------------------------------------

SHOW = {
    "count": formats.count,
    "int": formats.count,
    "pct": formats.pct,
    "usd": formats.usd,
    "ms": formats.ms,
    "hours": formats.hours,
    "minutes": formats.minutes,
    "days": lambda x: "–" if formats.missing(x) else f"{x:,.1f} d",
    "ratio": formats.ratio,
    "score": formats.ratio,
    "datetime": str,
    "link": str,
    "text": lambda v: "–" if formats.missing(v) else str(v),
}

# In a table: Streamlit's column formats (printf-style or a named preset), and the
# factor the raw value is multiplied by for display (minutes shown as hours).
TABLE_FORMATS = {
    "count": ("localized", 1), "int": ("localized", 1), "pct": ("percent", 1),
    "usd": ("dollar", 1), "ms": ("%.0f ms", 1), "hours": ("%.1f h", 1 / 60),
    "minutes": ("%.0f min", 1), "days": ("%.1f d", 1), "ratio": ("%.2f", 1), "score": ("%.3f", 1),
}


# --- the Definitions page ----------------------------------------------------------------

METRICS_MD = Path(__file__).resolve().parents[1] / "docs" / "METRICS.md"


# "(`team_load.sql`, `responder_load.sql`)": where a definition lives in the code, for
# engineers reading docs/METRICS.md; the Definitions page is read by managers.
_SQL_FILES = re.compile(r"\s*\((?:`[\w.]+\.sql`(?:,\s*)?)+\)")


def definitions_markdown() -> str:
    """What the Definitions page renders: docs/METRICS.md without its own `# ` title (the
    page has its title already; two would repeat it), and without the lists of SQL files
    behind a definition (headings keep their words: links point at their ids)."""
    text = METRICS_MD.read_text()
    if text.startswith("# "):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    out = []
    for chunk in re.split(r"(^#.*$)", text, flags=re.MULTILINE):
        out.append(chunk if chunk.startswith("#") else _SQL_FILES.sub("", chunk))
    return "".join(out).lstrip("\n").rstrip("\n") + "\n"


# --- METRICS.md anchors -------------------------------------------------------------------

_WORDS = re.compile(r"[A-Z]{2,}(?=[A-Z][a-z]|[^A-Za-z]|$)|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def heading_id(heading: str) -> str:
    """The id Streamlit gives a markdown heading (the Definitions page renders METRICS.md):
    its words in kebab case, camel case split ("PagerDuty" -> "pager-duty")."""
    return "-".join(w.lower() for w in _WORDS.findall(heading))


# --- the KPI definitions page: plain words first -------------------------------------------

# How each unit reads in words, on the Definitions page: one unit per quantity (a duration of
# an incident is in hours wherever it is shown, docs included).
UNIT_WORDS = {"count": "a count", "int": "a number", "pct": "a percentage",
              "usd": "US dollars", "ms": "milliseconds", "hours": "hours",
              "minutes": "minutes", "days": "days", "ratio": "a ratio", "score": "a score"}

_P = tuple[str, tuple[tuple[str, str], ...]]
# Per section of docs/METRICS.md (by heading id): what it is about in plain words, then its
# headline KPIs (a MEASURES key and what the number tells, without a formula). The page
# shows these first; the formula (the measure's help) and the section's full definition sit
# behind "How it is computed". Every section has an entry (tests/test_presentation.py).
PLAIN_WORDS: dict[str, _P] = {
    AGGREGATION: (("A group's number (a team, a business unit, everything) is worked out from "
                  "all its traffic, money and incidents together, never by averaging the "
                  "models' own numbers."), ()),
    SERVING: (("Whether each model answers, and answers fast enough, for the people calling "
              "it, measured against the model's own targets (SLOs)."), (
        ("availability", "Out of every request, the share answered without an error."),
        ("error_budget_consumed", ("How much of the errors the target allows has been used "
                                  "up: at 100% the budget is spent, above it the target is "
                                  "missed.")),
        ("latency_p95_ms", ("The wait that 95 requests in 100 stay under: the slow tail "
                           "users notice.")),
        ("burn_rate_1h", ("How fast errors are eating the budget: at 1 it lasts exactly the "
                         "target's period; far above 1, someone is paged.")),
        ("downtime_minutes", ("The errors expressed as minutes of a full outage, to compare "
                             "with 'nines'.")))),
    INCIDENTS: ("How quickly problems are noticed, picked up and fixed.", (
        ("incidents", "Problems that started in the period."),
        ("mttd_minutes", "On average, how long a problem went unnoticed."),
        ("mtta_minutes", "On average, how long until someone took it on once noticed."),
        ("mttr_minutes", "On average, how long from the start of a problem to its fix."))),
    RELEASES: ("How often and how safely changes reach production (DORA's keys).", (
        ("deployments_per_week", "How often a change goes live."),
        ("lead_time_median_minutes", ("The typical time from a code change to it running in "
                                     "production.")),
        ("change_failure_rate", ("Of the changes that went live, the share that failed, was "
                                "rolled back or caused an incident.")),
        ("recovery_time_median_minutes", ("The typical time to fix a problem a change "
                                         "caused.")),
        ("rework_rate", ("Of the changes that went live, the share made only to fix an "
                        "incident.")))),
    COST: ("What the models cost and what they bring in.", (
        ("cost_usd", "What running the models cost."),
        ("business_value_usd", "What the models brought in, as the business values it."),
        ("net_value_usd", "What they brought in, less what they cost."),
        ("roi", "What they brought in beyond their cost, for each dollar spent."),
        ("cost_per_1k_requests", "What a thousand answered requests cost."))),
    QUALITY: (("Whether the data feeding the models still looks like what they learnt from, "
              "and whether it passes its checks."), (
        ("drift_alerts", "Times a model's input moved further than its threshold allows."),
        ("dq_pass_rate", "Of the data checks run, the share that passed."),
        ("validation_coverage", ("Of the models in production, the share whose live version "
                                "passed its check after release.")))),
    GOVERNANCE: (("Whether each model's paperwork is in order: risk reviews on time, and an "
                 "owner, runbook, validation and approval where they are needed."), (
        ("overdue", "Models whose risk review is late or was never done."),
        ("with_gaps", "Models in production missing at least one thing they must have."))),
    TEAM_LOAD: (("How much on-call work falls on each team and person, and how much of it "
                "falls outside working hours."), (
        ("pages", "Times someone was called out for an incident."),
        ("out_of_hours_share", ("Of those call-outs, the share outside 08:00-18:00 local "
                               "time.")),
        ("pages_per_oncall_week", ("Call-outs per week in which the person was called at "
                                  "all.")),
        ("top3_model_share", ("How much of a team's incidents come from its three busiest "
                             "models.")))),
    FOLLOW_UPS: ("Whether what incidents taught is written down and acted on.", (
        ("open_action_items", "Follow-up tasks not yet done at the end of the period."),
        ("overdue_action_items", "Follow-up tasks not done and past their due date."),
        ("postmortem_share", ("Of the serious incidents, the share written up in a "
                             "postmortem.")))),
    RUNBOOKS: (("Whether each model in production has a how-to-fix guide, reviewed in the "
               "last six months."), (
        ("runbook_stale", ("Models whose guide was never reviewed, or not in six "
                          "months.")),)),
    "data-freshness-catalog-data-as-of-catalog-sync-status": (
        ("How recent the data behind a page is, and whether each automatic load keeps "
        "up."), ()),
    TRENDS: (("The main numbers quarter by quarter, with the change against the quarter "
             "before."), ()),
    WEEK_IN_REVIEW: (("The Monday review: for one week, what someone must act on, section "
                     "by section."), ()),
    "on-call-load-in-the-week": (("Who was called out too often in the week, at night or "
                                 "out of hours."), ()),
    "the-review-file": ("The same review as a file to send by e-mail.", ()),
    WEEKLY_REPORT: ("One line per model and week, for a spreadsheet.", ()),
}


@dataclass(frozen=True)
class DefinitionSection:
    heading: str  # the METRICS.md heading line ("## Serving"): its id is the link target
    plain: str
    kpis: tuple[tuple[Measure, str], ...]  # (the measure, what it tells in plain words)
    details: str  # the section's full definition (formulas, sources)


def definition_sections() -> list[DefinitionSection]:
    """definitions_markdown() cut at each heading, with the plain words of PLAIN_WORDS: what
    the Definitions page shows, plain words first and each formula behind an expander, so a
    reader who is not an engineer gets the meaning before the arithmetic."""
    parts = re.split(r"^(#{2,3} .*)$", definitions_markdown(), flags=re.MULTILINE)
    out = [DefinitionSection("", parts[0].strip("\n"), (), "")] if parts[0].strip() else []
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        plain, kpis = PLAIN_WORDS[heading_id(heading.lstrip("#").strip())]
        out.append(DefinitionSection(heading, plain,
                                     tuple((MEASURES[k], words) for k, words in kpis),
                                     body.strip("\n")))
    return out

"""The weekly report: one CSV per ISO week, for a scheduler (`modelops report weekly`) and
for the dashboard's download button.

METRICS.md, "Weekly report (CSV)", is the specification. The numbers come from one SQL
statement (queries/weekly_report.sql); this module only picks the columns that apply to the
grouping and writes the CSV. Both the CLI and the dashboard call `to_csv`, so the two give
byte-identical files for the same arguments.

CSV format (stable, so that a scheduled file can be diffed week to week):
- UTF-8 without BOM, `,` separated, `\\n` line ends, a header line, fields quoted only when
  they contain `,`, `;`, `"` or a line break, or are empty text (`""`, told apart from an
  undefined value). `;` is quoted because a spreadsheet in a locale whose list separator
  is `;` splits the line there, and `a;=1+2` would start a cell with a formula.
- Integers (counts) as plain digits.
- Floats (ratios as fractions, money, milliseconds, minutes) rounded to 12 significant
  digits and written in positional notation, shortest form: `0.99`, `1`, `0.000125`,
  `390.909090909`, `-12.5`; never an exponent, `%` or thousands separator. 12 digits keep
  every meaningful digit of the data while hiding binary floating-point noise (so
  `0.1 + 0.2` is written `0.3`), which makes the file deterministic and readable.
- Booleans as `true` / `false`; undefined values (see METRICS.md) as empty cells.
- A text cell starting with `=`, `+`, `-`, `@`, tab, carriage return or line feed (OWASP,
  "CSV Injection"), or with the full-width `＝`, `＋`, `－`, `＠` (which Japanese Excel
  evaluates as formulas too), gets a leading `'`, so a spreadsheet shows it as text
  instead of running it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from modelops.backends import open_backend, read_path
from modelops.backends.iceberg import is_iceberg
from modelops.reports import labels
from modelops.reports.files import FORMULA_START, write_file, write_stdout
from modelops.warehouse import UsageError, WarehouseError, reading, run

GROUP_BY = ("model", "team", "business_unit")

COLUMNS = (
    "week", "business_unit_id", "business_unit", "team_id", "team", "model_id", "model",
    "lifecycle_stage", "risk_tier", "requests", "errors", "availability", "slo_availability",
    "availability_slo_met", "error_budget_consumed", "latency_p50_ms", "latency_p95_ms",
    "latency_p99_ms", "slo_latency_p95_ms", "latency_slo_met", "incidents",
    "sev1_sev2_incidents", "mttr_minutes", "deployments", "failed_changes",
    "change_failure_rate", "cost_usd", "cost_per_1k_requests", "business_value_usd",
    "net_value_usd", "drift_alerts", "dq_pass_rate",
    # Issue 14, appended so that existing consumers keep their columns where they were.
    "rework_rate", "open_action_items", "overdue_action_items", "pages",
)

# Columns that describe one model (or its SLO targets) and so do not apply to a group.
_MODEL_ONLY = ("model_id", "model", "lifecycle_stage", "risk_tier", "slo_availability",
               "slo_latency_p95_ms")
_DROPPED = {
    "model": (),
    "team": _MODEL_ONLY,
    "business_unit": _MODEL_ONLY + ("team_id", "team"),
}

_WEEK = re.compile(r"(\d{4})-W(\d{2})", re.IGNORECASE)
# A field is quoted when it holds one of these, or is empty text.
_QUOTE_WHEN = '[,;"\r\n]'

SIGNIFICANT_DIGITS = 12


# What a row is about; for people, these follow the KPIs (ids last).
_DESCRIPTIVE = ("week", "business_unit_id", "business_unit", "team_id", "team", "model_id",
                "model", "lifecycle_stage", "risk_tier")


def people_order(group_by: str = "model") -> tuple[str, ...]:
    """The report's columns in the order a person reads them: the row's name (model, team
    or business unit), the KPIs, then what describes the row, the week, and the ids last.
    The CSV keeps `columns()` (METRICS.md); the spreadsheet and the page's preview use
    this."""
    cols = columns(group_by)
    name = {"model": "model", "team": "team", "business_unit": "business_unit"}[group_by]
    kpis = [c for c in cols if c not in _DESCRIPTIVE]
    described = [c for c in ("business_unit", "team", "lifecycle_stage", "risk_tier", "week")
                 if c in cols and c != name]
    ids = [c for c in cols if c.endswith("_id")]
    return (name, *kpis, *described, *ids)


def columns(group_by: str = "model") -> tuple[str, ...]:
    """The report's columns, in order, for a grouping."""
    _check_group_by(group_by)
    return tuple(c for c in COLUMNS if c not in _DROPPED[group_by])


# --- weeks ------------------------------------------------------------------------------

def parse_week(text: str) -> tuple[datetime, datetime]:
    """`2026-W47` -> (Monday 00:00, next Monday 00:00), naive UTC: the half-open week."""
    match = _WEEK.fullmatch(text.strip()) if isinstance(text, str) else None
    if not match:
        raise UsageError(f"not an ISO week like 2026-W47: {text!r}")
    year, week = int(match[1]), int(match[2])
    try:
        start = datetime.fromisocalendar(year, week, 1)
    except ValueError:
        raise UsageError(f"no ISO week {week} in {year}: {text!r}") from None
    return start, start + timedelta(days=7)


def week_label(text: str) -> str:
    """The canonical spelling of a valid week (`2026-w47` -> `2026-W47`)."""
    start, _ = parse_week(text)
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}"


def last_complete_week(now: datetime | None = None) -> str:
    """The latest ISO week that ended at or before `now` (naive datetimes are UTC)."""
    if now is None:
        now = datetime.now(UTC)
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    this_monday = now.date() - timedelta(days=now.weekday())
    year, week, _ = (this_monday - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


# --- the report -------------------------------------------------------------------------

def weekly_report(con, week: str, business_units: Iterable[str] = (),
                  teams: Iterable[str] = (), group_by: str = "model",
                  with_model_counts: bool = False) -> pl.DataFrame:
    """The report as typed values with exactly the report's columns, sorted by
    business_unit_id, team_id, model_id.

    `with_model_counts` adds `models` to a grouped report: the group's models with an SLO
    verdict (those that served requests), the base of its SLO-met counts, for the
    spreadsheet; the CSV never has it.

    Raises UsageError for a bad week, group_by or an unknown business unit / team id, and
    WarehouseError when the warehouse holds no models at all (an empty report would look
    like a quiet week).
    """
    _check_group_by(group_by)
    label = week_label(week)
    start, end = parse_week(label)
    business_units, teams = sorted(set(business_units)), sorted(set(teams))

    scope = _run(con, "weekly_report_scope", business_units=business_units, teams=teams)
    if scope["models"][0] == 0:
        raise WarehouseError("the warehouse holds no models (run `modelops ingest` first)")
    for kind, unknown in (("business unit", scope["unknown_business_units"][0]),
                          ("team", scope["unknown_teams"][0])):
        if len(unknown):
            ids = ", ".join(unknown)
            raise UsageError(f"unknown {kind} id{'s' if len(unknown) > 1 else ''}: {ids}")

    frame = _run(con, "weekly_report", week=label, start=start, end=end,
                business_units=business_units, teams=teams, group_by=group_by)
    if group_by != "model":
        # For a group, an SLO-met column counts the models that met their own SLO.
        frame = frame.with_columns(
            availability_slo_met=pl.col("models_availability_slo_met"),
            latency_slo_met=pl.col("models_latency_slo_met"),
        )
    if with_model_counts and group_by != "model":
        # How many of the group's models have an SLO verdict (served requests): the base of
        # its "SLO met" counts. From the per-model rows of the same query (the SQL's own
        # count of models is shadowed by a macro parameter of that name).
        keys = ["business_unit_id"] + (["team_id"] if group_by == "team" else [])
        per_model = _run(con, "weekly_report", week=label, start=start, end=end,
                        business_units=business_units, teams=teams, group_by="model")
        counts = per_model.group_by(keys).agg(
            pl.col("availability_slo_met").is_not_null().sum().alias("models"))
        frame = frame.join(counts, on=keys, how="left").with_columns(
            pl.col("models").fill_null(0))
        wanted = list(columns(group_by))
        wanted.insert(wanted.index("availability_slo_met") + 1, "models")
        return frame.select(wanted)
    return frame.select(columns(group_by))


def _run(con, name: str, **params) -> pl.DataFrame:
    """A named query on a DuckDB connection, or on an engine (modelops/engines/spark.py: Spark)
    that answers the same named SQL."""
    run_named = getattr(con, "run_named", None)
    return run_named(name, **params) if run_named else run(con, name, **params)


def weekly_csv(week: str, business_units: Iterable[str] = (), teams: Iterable[str] = (),
               group_by: str = "model", path: Path | None = None) -> bytes:
    """The CSV bytes for one report, read through a short connection (the dashboard's
    download button and the CLI both end in `to_csv(weekly_report(...))`)."""
    with reading(read_path(path)) as con:
        frame = weekly_report(con, week, business_units, teams, group_by)
    return to_csv(frame)


# --- the spreadsheet for people -------------------------------------------------------

def xlsx_file_name(week: str, group_by: str = "model", business_units: Iterable[str] = (),
                   teams: Iterable[str] = (), extension: str = "xlsx") -> str:
    """`modelops-weekly-2026-W47-team-retail.xlsx`: the week, the grouping and the scope
    (business unit and team ids, or `all`), each id made safe for a file name. The CSV
    download is named the same way (`extension="csv"`)."""
    scope = [*sorted(set(business_units)), *sorted(set(teams))] or ["all"]
    parts = [re.sub(r"[^A-Za-z0-9._-]", "_", p)[:40] for p in scope]
    name = "-".join(["modelops-weekly", week_label(week), group_by, *parts])[:200]
    return f"{name}.{extension}"


def _for_people(frame: pl.DataFrame, group_by: str) -> pl.DataFrame:
    """The report's frame in people's order (KPIs first, ids last; a grouped SLO-met count
    followed by its model count), MTTR in hours, a model's verdicts as words."""
    order = list(people_order(group_by))
    if "models" in frame.columns:
        at = order.index("availability_slo_met") + 1
        order[at:at] = ["models"]
        at = order.index("latency_slo_met") + 1
        order[at:at] = ["models_"]  # the same count again, beside the second SLO column
        frame = frame.with_columns(pl.col("models").alias("models_"))
    out = frame.select(order).with_columns(pl.col("mttr_minutes") / 60)
    for column in ("availability_slo_met", "latency_slo_met"):
        if out.schema[column] == pl.Boolean:
            out = out.with_columns(pl.when(pl.col(column)).then(pl.lit("met"))
                                   .when(~pl.col(column)).then(pl.lit("missed"))
                                   .alias(column))
    return out


def _sheet_name(name: str | None, used: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\, unique."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name or "(none)").strip("'")[:31] or "_"
    shown, n = base, 2
    while shown.lower() in used:
        suffix = f" ({n})"
        shown, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(shown.lower())
    return shown


def to_xlsx(frame: pl.DataFrame, group_by: str = "model",
            split_by_business_unit: bool = False) -> bytes:
    """The report as an .xlsx workbook for people: human headers (modelops/reports/labels.py),
    KPIs first and ids last, percentages, milliseconds and money as number formats (the
    cells stay numbers), a model count beside each grouped SLO-met count, and one sheet
    per business unit when split. Written by XlsxWriter through polars."""
    import io

    from xlsxwriter import Workbook

    if split_by_business_unit:
        parts = [(part["business_unit"][0] if part.height else bu, part) for (bu,), part in
                 frame.partition_by("business_unit_id", as_dict=True,
                                    maintain_order=True).items()] or [("Weekly report", frame)]
    else:
        parts = [("Weekly report", frame)]
    buffer = io.BytesIO()
    # Text from the data is written as text, never as a formula or a link.
    with Workbook(buffer, {"strings_to_formulas": False, "strings_to_urls": False,
                           "strings_to_numbers": False}) as book:
        used: set[str] = set()
        for name, part in parts:
            shown = _for_people(part, group_by)
            headers, formats = {}, {}
            for c in shown.columns:
                header, number_format = labels.REPORT.get(c.rstrip("_"), (c, ""))
                if c in ("availability_slo_met", "latency_slo_met") and group_by != "model":
                    header, number_format = f"{header} (models)", labels.COUNT
                if c in ("models", "models_"):  # the base of the SLO-met count before it
                    header = ("Models with traffic (availability)" if c == "models"
                              else "Models with traffic (latency)")
                headers[c] = header
                if number_format:
                    formats[header] = number_format
            shown.rename(headers).write_excel(
                book, worksheet=_sheet_name(name, used), column_formats=formats,
                autofit=True, freeze_panes=(1, 1), table_style="Table Style Light 1",
                float_precision=6, autofilter=True,
                # Bold in the cells too: not every spreadsheet draws Excel's table styles.
                header_format={"bold": True})
    return buffer.getvalue()


# --- CSV --------------------------------------------------------------------------------

def to_csv(frame: pl.DataFrame) -> bytes:
    """The report frame as CSV bytes, in the format in this module's docstring."""
    text = [c for c, t in frame.schema.items() if t == pl.String]
    floats = [c for c, t in frame.schema.items() if t.is_float()]
    out = frame.with_columns(
        *(_quoted(_guarded(pl.col(c))).alias(c) for c in text),
        *(_significant(pl.col(c)).alias(c) for c in floats),
    )
    # Text is quoted above (polars' "necessary" does not quote `;`); nothing else needs it.
    csv = out.write_csv(None, include_header=True, separator=",", line_terminator="\n",
                        quote_style="never", null_value="", float_scientific=False)
    return csv.encode("utf-8")


def _guarded(x: pl.Expr) -> pl.Expr:
    """A formula-like text gets a leading `'`."""
    return pl.when(x.str.contains(FORMULA_START)).then(pl.lit("'") + x).otherwise(x)


def _quoted(x: pl.Expr) -> pl.Expr:
    """In double quotes (inner ones doubled) when it holds `,`, `;`, `"` or a line break, or
    is empty; NULL stays NULL (an empty cell)."""
    needs = x.str.contains(_QUOTE_WHEN) | (x == "")
    return (pl.when(needs)
            .then(pl.lit('"') + x.str.replace_all('"', '""', literal=True) + pl.lit('"'))
            .otherwise(x))


def _significant(x: pl.Expr) -> pl.Expr:
    """Rounded to SIGNIFICANT_DIGITS; -0.0 (e.g. a rounded -1e-13) is written as 0."""
    rounded = x.round_sig_figs(SIGNIFICANT_DIGITS)
    return pl.when(rounded == 0).then(pl.lit(0.0)).otherwise(rounded)


def split_file_name(week: str, business_unit_id: str) -> str:
    """`weekly-2026-W47-<id>.csv`; an id with characters outside [A-Za-z0-9._-] has them
    replaced by `_` plus a short hash of the id, so distinct ids never share a file."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", business_unit_id)[:80]
    if safe != business_unit_id:
        safe += "-" + hashlib.sha256(business_unit_id.encode()).hexdigest()[:8]
    return f"weekly-{week}-{safe}.csv"


def write_split(frame: pl.DataFrame, out_dir: str | os.PathLike, week: str,
                warehouse: str | None = None) -> list[Path]:
    """One CSV per business unit present in `frame`, each holding only that unit's rows."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    label = week_label(week)
    written = []
    for (business_unit_id,), part in frame.partition_by(
            "business_unit_id", as_dict=True, maintain_order=True).items():
        path = out_dir / split_file_name(label, business_unit_id)
        write_file(path, to_csv(part), warehouse)
        written.append(path)
    return written


# --- CLI --------------------------------------------------------------------------------

def add_weekly_parser(kinds, add_warehouse) -> None:
    """`modelops report weekly`, added to the CLI's `report` kinds (modelops/cli.py)."""
    weekly = kinds.add_parser(
        "weekly", help="the weekly CSV (METRICS.md, 'Weekly report (CSV)')",
        description="Write the weekly report CSV: one row per model that existed during the "
                    "ISO week, or per team / business unit with --group-by.")
    when = weekly.add_mutually_exclusive_group()
    when.add_argument("--week", help="ISO week, e.g. 2026-W47")
    when.add_argument("--last-complete-week", action="store_true",
                      help="the last ISO week that has ended (UTC); the default")
    weekly.add_argument("--business-unit", action="append", default=[], dest="business_units",
                        metavar="ID", help="only this business unit (repeatable)")
    weekly.add_argument("--team", action="append", default=[], dest="teams", metavar="ID",
                        help="only this team (repeatable)")
    weekly.add_argument("--group-by", choices=GROUP_BY, default="model")
    weekly.add_argument("--format", choices=("csv", "xlsx"), default="csv",
                        help="csv (the default): the file METRICS.md defines, for machines; "
                             "xlsx: a spreadsheet for people (human headers, number formats, "
                             "KPIs first; one sheet per business unit with --split-by)")
    weekly.add_argument("--out", metavar="FILE",
                        help="write here; `-` (the default for csv) writes to stdout; an "
                             "xlsx goes to a file named after the week and scope by default")
    weekly.add_argument("--split-by", choices=("business_unit",),
                        help="one file per business unit, written into --out-dir")
    weekly.add_argument("--out-dir", metavar="DIR", help="directory for --split-by files")
    weekly.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                        help="run the report's SQL on DuckDB (default) or on a local Spark "
                             "session over the same tables (batch; needs Java and pyspark)")
    add_warehouse(weekly)
    weekly.set_defaults(func=cmd_weekly)


def cmd_weekly(args: argparse.Namespace) -> int:
    if args.split_by and not args.out_dir:
        raise UsageError("--split-by needs --out-dir")
    if args.out_dir and not args.split_by:
        raise UsageError("--out-dir only goes with --split-by")
    if args.split_by and args.out:
        raise UsageError("--out and --split-by exclude each other (use --out-dir)")
    week = week_label(args.week) if args.week else last_complete_week()

    xlsx = getattr(args, "format", "csv") == "xlsx"
    if getattr(args, "engine", "duckdb") == "spark":
        # Only this path needs the Spark engine (sqlglot; pyspark, an optional group).
        from modelops.engines.spark import EngineUnavailable, spark_engine

        try:
            backend = open_backend(args.warehouse)  # a catalog gives Spark its files
            source = backend if is_iceberg(backend.location) else backend.read_path()
            with spark_engine(source) as engine:
                frame = weekly_report(engine, week, args.business_units, args.teams,
                                      args.group_by, with_model_counts=xlsx)
        except EngineUnavailable as error:
            raise UsageError(str(error)) from None
    else:
        with reading(read_path(args.warehouse)) as con:
            frame = weekly_report(con, week, args.business_units, args.teams, args.group_by,
                                  with_model_counts=xlsx)

    try:
        if xlsx:
            name = xlsx_file_name(week, args.group_by, args.business_units, args.teams)
            if args.split_by:
                path = Path(args.out_dir) / name.replace(".xlsx", "-by-business-unit.xlsx")
                Path(args.out_dir).mkdir(parents=True, exist_ok=True)
            else:
                path = Path(name if args.out in (None, "-") else args.out)
            write_file(path, to_xlsx(frame, args.group_by, bool(args.split_by)), args.warehouse)
            print(path)
        elif args.split_by:
            for path in write_split(frame, args.out_dir, week, args.warehouse):
                print(path)
        elif args.out in (None, "-"):
            write_stdout(to_csv(frame))
        else:
            write_file(Path(args.out), to_csv(frame), args.warehouse)
    except OSError as error:
        where = error.filename or args.out or args.out_dir
        raise UsageError(f"{where}: {error.strerror or error}") from None
    return 0


def _check_group_by(group_by: str) -> None:
    if group_by not in GROUP_BY:
        raise UsageError(f"group_by must be one of {', '.join(GROUP_BY)}: {group_by!r}")

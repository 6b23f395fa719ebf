"""The `modelops` command line: demo, ingest, import, sync, quarantine, report, deliver,
maintain.

Exit status: 0 success; 1 some rows were quarantined (and nothing else means 1); 2 a file
was rejected or the command could not run for a reason the user can fix (bad arguments,
no warehouse, a catalog location without ?warehouse=): one line on stderr. 3 a bug: any
other exception, with its full traceback on stderr.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

from modelops.backends import iceberg, open_backend, read_path, warehouse_location
from modelops.backends.iceberg import is_iceberg
from modelops.backends.iceberg_maintain import MIN_AGE, RETAIN, maintain, parse_age
from modelops.importers.base import Options
from modelops.importers.http import DEFAULT_MAX_MB, DEFAULT_TIMEOUT_S, Client, FetchError
from modelops.importers.run import (
    SOURCES,
    exit_status,
    import_files,
    nothing_loaded,
    source_module,
)
from modelops.warehouse import UsageError, WarehouseError, reading
from modelops.warehouse.errors import UserError

EXIT_OK, EXIT_QUARANTINED, EXIT_FAILED, EXIT_BUG = 0, 1, 2, 3


def _add_warehouse(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse", help="warehouse file or Iceberg catalog (iceberg+URI?warehouse=DIR; "
        "default: $MODELOPS_WAREHOUSE or data/warehouse.duckdb)")


def cmd_ingest(args) -> int:
    status = EXIT_OK
    paths = [Path(p) for p in args.paths]
    # A file: one transaction per file; an Iceberg catalog: one commit per file.
    results = open_backend(args.warehouse).ingest(paths, entity=args.entity)
    for result in results:
        print(result.summary(), flush=True)
        for warning in result.warnings:
            print(f"  warning: {warning}")
        for reason in result.reasons:
            print(f"  quarantined {reason}")
        if result.quarantined > len(result.reasons):
            print(f"  ... see `modelops quarantine --entity {result.entity}`")
        if result.status == "rejected":
            status = EXIT_FAILED
        elif result.quarantined and status == EXIT_OK:
            status = EXIT_QUARANTINED
    return status


def cmd_import(args) -> int:
    """`modelops import SOURCE PATH...` or `--url BASE_URL`: see modelops/importers/run.py."""
    module = source_module(args.source)
    since, until = _parse_moment(args.since, "--since"), _parse_moment(args.until, "--until")
    extra = _parse_options(args.option)
    common = dict(map_path=Path(args.map) if args.map else None, model=args.model,
                  since=since, until=until, extra=extra)
    backend = open_backend(args.warehouse)

    def load(files: list[Path], **k):
        """The whole import as one write (into a catalog: one commit)."""
        return backend.write(lambda work: import_files(work, args.source, files, **common, **k),
                             what=f"import {args.source}")

    if args.url:
        if args.paths:
            raise UsageError("give PATH... or --url, not both")
        if not hasattr(module, "fetch"):
            raise UsageError(f"source {args.source!r} reads files only (no --url)")
        auth = None
        if args.token_env:
            token = _token(args.token_env)
            auth = getattr(module, "AUTH", "Bearer {token}").format(token=token)
        with tempfile.TemporaryDirectory(prefix=f"modelops-{args.source}-") as tmp:
            try:
                client = Client(args.url, Path(tmp), auth=auth, timeout_s=args.timeout,
                                max_mb=args.max_answer_mb)
                files = list(module.fetch(client, Options(
                    model=args.model, since=since, until=until, extra=extra)))
            except FetchError as error:
                raise UsageError(f"{error} (nothing loaded)") from None
            print(f"fetched {len(files)} page(s) in {client.requests} request(s) "
                  f"from {client.base_url}", flush=True)
            names = {f: f"{client.base_url}/{f.relative_to(tmp)}" if f.is_relative_to(tmp)
                     else str(f) for f in files}
            reports = load(files, names=names)
    else:
        if not args.paths:
            raise UsageError("give PATH... (files or directories) or --url BASE_URL")
        reports = load([Path(p) for p in args.paths])
    for report in reports:
        for line in report.lines():
            print(line, flush=True)
    note = nothing_loaded(reports)
    if note:
        print(note, flush=True)
    return exit_status(reports)


def _token(variable: str) -> str:
    """The API token from the environment, without the newline `echo`/`$(cat)` leave; a
    value an HTTP header cannot carry is refused without showing it."""
    token = os.environ.get(variable, "").strip(" \t\r\n")
    if not token:
        raise UsageError(f"--token-env {variable}: the variable is not set")
    if not re.fullmatch(r"[\x21-\x7e]+( [\x21-\x7e]+)*", token):
        raise UsageError(f"--token-env {variable}: the value holds a character an HTTP header "
                         "cannot carry (a control character, a newline inside, or non-ASCII); "
                         "the value is not shown")
    return token


def _parse_moment(text: str | None, flag: str):
    """An ISO date or timestamp as an aware UTC datetime (no offset = UTC), within
    1970..2100 (the APIs' windows; years 1 and 9999 overflow once a zone is applied)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
        moment = (moment.replace(tzinfo=UTC) if moment.tzinfo is None
                  else moment.astimezone(UTC))
    except (ValueError, OverflowError):
        raise UsageError(f"{flag}: not an ISO date or timestamp: {text!r}") from None
    if not 1970 <= moment.year <= 2100:
        raise UsageError(f"{flag}: {text!r} is outside the years 1970 to 2100")
    return moment


def _parse_options(pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--option {pair!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def cmd_quarantine(args) -> int:
    from queries.catalog import quarantined_rows  # only this command reads it: see _COMMANDS

    with reading(read_path(args.warehouse)) as con:
        rows = quarantined_rows(con, entity=args.entity, limit=None)
    if rows.height == 0:
        print("quarantine is empty")
    for entity, file, line, reason, row in rows.select(
            "entity", "file", "line", "reason", "row_as_read").iter_rows():
        print(f"{entity}\t{file}:{line}\t{reason}\t{row}")
    return EXIT_OK


def cmd_demo(args) -> int:
    from modelops.demo import build_demo  # only this command builds a demo: see _COMMANDS

    end = _parse_end(args.end) if args.end else None
    backend = open_backend(args.warehouse)
    # Into a catalog: built on a private copy, committed as one snapshot.
    backend.write(lambda work: build_demo(
        work, models=args.models, days=args.days, seed=args.seed, end=end,
        progress=lambda line: print(line, flush=True), force=args.force), what="demo")
    done = "committed to" if is_iceberg(backend.location) else "written to"
    print(f"demo warehouse {done} {backend.location}")
    return EXIT_OK


def cmd_export(args) -> int:
    """Move a warehouse between a DuckDB file and an Iceberg catalog."""
    source = warehouse_location(args.warehouse)
    if args.to == "iceberg":
        if not is_iceberg(args.target):
            raise UsageError("--to iceberg needs a catalog location: iceberg+<URI>?warehouse=DIR")
        if is_iceberg(source):
            raise UsageError("--warehouse is already an Iceberg catalog")
        if not Path(source).exists():
            raise WarehouseError(f"{source}: no warehouse here")
        seq = iceberg.export_file_to_catalog(Path(source), args.target)
        print(f"{source} committed to {args.target} (commit {seq})")
    else:
        if not is_iceberg(source):
            raise UsageError("--to file reads an Iceberg catalog: give --warehouse iceberg+...")
        target = iceberg.export_catalog_to_file(source, Path(args.target))
        print(f"{source} written to {target}")
    return EXIT_OK


def cmd_maintain(args) -> int:
    """Compact, expire and clean an Iceberg warehouse (modelops/backends/iceberg_maintain.py);
    a DuckDB file needs none of it."""
    location = warehouse_location(args.warehouse)
    retain = parse_age(args.retain, "--retain")
    min_age = parse_age(args.min_age, "--min-age")
    if not is_iceberg(location):
        print(f"{location}: a DuckDB file: nothing to maintain (DuckDB reuses the space of "
              "what it deletes; only an Iceberg catalog needs `modelops maintain`)")
        return EXIT_OK
    report = maintain(location, retain=retain, min_age=min_age, dry_run=args.dry_run)
    for line in report.lines():
        print(line, flush=True)
    return EXIT_OK


def _age(delta) -> str:
    return f"{delta.days}d" if delta.days else f"{delta.seconds // 3600}h"


def _parse_end(text: str) -> datetime:
    """`--end` as naive UTC: an offset is converted (10:00+02:00 is 08:00), none is UTC."""
    return _parse_moment(text, "--end").replace(tzinfo=None)


def _add_ingest(sub) -> None:
    ingest = sub.add_parser("ingest", help="load CSV, Parquet or JSON Lines files")
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    ingest.add_argument("--entity", help="entity of every file (default: from the file name)")
    _add_warehouse(ingest)
    ingest.set_defaults(func=cmd_ingest)


def _add_import(sub) -> None:
    imp = sub.add_parser(
        "import", help="load what a tool exports (PagerDuty, Prometheus, MLflow, ...)",
        description="Load files exactly as SOURCE's API or tool writes them, or fetch them "
        "with --url. See README, 'Import from the tools you have'.")
    imp.add_argument("source", metavar="SOURCE", choices=SOURCES,
                     help=f"one of {', '.join(SOURCES)}")
    imp.add_argument("paths", nargs="*", metavar="PATH",
                     help="exported files, or directories of them")
    imp.add_argument("--map", metavar="MAP.csv",
                     help="CSV source,key,model_id: which model a source key is about")
    imp.add_argument("--model", metavar="MODEL_ID",
                     help="the model every record is about (Evidently, Great Expectations)")
    imp.add_argument("--url", metavar="BASE_URL", help="fetch from the API instead of files")
    imp.add_argument("--since", metavar="T", help="--url: from this ISO time (default: "
                     "the source's own default window)")
    imp.add_argument("--until", metavar="T", help="--url: up to this ISO time")
    imp.add_argument("--token-env", metavar="VAR",
                     help="--url: the environment variable holding the API token")
    imp.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                     metavar="S", help="--url: seconds one request may take in all: "
                     f"connecting, headers and body (default {DEFAULT_TIMEOUT_S:g})")
    imp.add_argument("--max-answer-mb", type=float,
                     default=DEFAULT_MAX_MB, metavar="MB",
                     help=f"--url: largest answer (one page) read (default {DEFAULT_MAX_MB:g})")
    imp.add_argument("--option", action="append", metavar="KEY=VALUE",
                     help="a source-specific setting (see README); repeatable")
    _add_warehouse(imp)
    imp.set_defaults(func=cmd_import)


def _add_quarantine(sub) -> None:
    quarantine = sub.add_parser("quarantine", help="list quarantined rows with reasons")
    quarantine.add_argument("--entity")
    _add_warehouse(quarantine)
    quarantine.set_defaults(func=cmd_quarantine)


def _add_demo(sub) -> None:
    demo = sub.add_parser("demo", help="build a demo warehouse")
    demo.add_argument("--models", type=int, default=200)
    demo.add_argument("--days", type=int, default=365)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--end", help="end of the data (default: now); ISO date or timestamp")
    demo.add_argument("--force", action="store_true",
                      help="replace the warehouse even when it holds loads that are not a "
                      "demo build (never while a writer holds it)")
    _add_warehouse(demo)
    demo.set_defaults(func=cmd_demo)


def _add_export(sub) -> None:
    export = sub.add_parser(
        "export", help="move the warehouse into an Iceberg catalog, or back into a file")
    export.add_argument("--to", choices=("iceberg", "file"), required=True)
    export.add_argument("target", metavar="CATALOG_OR_PATH",
                        help="iceberg+<URI>?warehouse=DIR (--to iceberg) or a .duckdb path")
    _add_warehouse(export)
    export.set_defaults(func=cmd_export)


def _add_maintain(sub) -> None:
    maint = sub.add_parser(
        "maintain", help="Iceberg: compact small files, expire old snapshots, remove orphans",
        description="Keep an Iceberg warehouse small and fast (run it daily beside sync): "
        "rewrite each month of a table that holds many small files as one file, expire "
        "snapshots superseded longer ago than --retain (never the ones the newest commit "
        "names), and delete files nothing references that are older than --min-age. A "
        "DuckDB file needs none of it. See README, 'When one machine is not enough'.")
    maint.add_argument("--retain", default=_age(RETAIN), metavar="AGE",
                       help="keep snapshots superseded less than AGE ago: 7d, 12h, 30m, 0 "
                       f"(default {_age(RETAIN)}: 288 snapshots at syncs every 5 minutes)")
    maint.add_argument("--min-age", default=_age(MIN_AGE), metavar="AGE",
                       help="delete an unreferenced file only when it is older than AGE, so a "
                       f"commit in flight keeps its files (default {_age(MIN_AGE)})")
    maint.add_argument("--dry-run", action="store_true",
                       help="say what would be done, change nothing")
    _add_warehouse(maint)
    maint.set_defaults(func=cmd_maintain)


# The modules of `report`, `sync` and `deliver` are imported only when that command is the
# one run (see _COMMANDS).

def _add_report(sub) -> None:
    from modelops.reports.review import add_review_parser
    from modelops.reports.weekly import add_weekly_parser

    report = sub.add_parser("report", help="write reports")
    kinds = report.add_subparsers(dest="report", required=True)
    add_weekly_parser(kinds, _add_warehouse)
    add_review_parser(kinds, _add_warehouse)


def _add_sync(sub) -> None:
    from modelops.sync.command import add_sync_parser

    add_sync_parser(sub, _add_warehouse)


def _add_deliver(sub) -> None:
    from modelops.delivery.run import add_deliver_parser

    add_deliver_parser(sub, _add_warehouse)


# Each command's arguments, added only for the command on the line. Why: cron starts
# `modelops sync` as a new process every few minutes, and importing every command's modules
# (the demo generator, reports and their KPI queries, delivery's mail and webhooks) was
# start-up time spent on nothing (docs/PERFORMANCE.md, "Sync: a run that finds nothing
# new"). `modelops --help` and an unknown command still build them all.
_COMMANDS = {
    "ingest": _add_ingest, "import": _add_import, "quarantine": _add_quarantine,
    "demo": _add_demo, "export": _add_export, "report": _add_report, "sync": _add_sync,
    "deliver": _add_deliver, "maintain": _add_maintain,
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for `command` alone when it is one of ours, else for every command."""
    parser = argparse.ArgumentParser(prog="modelops", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, add in _COMMANDS.items():
        if command not in _COMMANDS or name == command:
            add(sub)
    return parser


def _command(argv: list[str]) -> str | None:
    """The command named on the line: the first word that is not an option (the top level
    has no option that takes a value)."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(_command(argv)).parse_args(argv)
    try:
        return args.func(args)
    except UserError as error:
        message = error.args[0] if error.args else str(error)
        print(f"modelops {args.command}: {message}", file=sys.stderr)
        return EXIT_FAILED
    except Exception:  # noqa: BLE001 -- a bug: the whole traceback, and a code no user error has
        traceback.print_exc()
        print(f"modelops {args.command}: internal error (a bug: the traceback is above)",
              file=sys.stderr)
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())

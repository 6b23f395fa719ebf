"""The `modelops` command line: demo, ingest, import, quarantine, report.

Exit status: 0 success; 1 some rows were quarantined (and nothing else means 1); 2 a file
was rejected or the command could not run for a reason the user can fix (bad arguments,
no warehouse, a catalog location without ?warehouse=): one line on stderr. 3 a bug: any
other exception, with its full traceback on stderr.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from datetime import datetime
from pathlib import Path

from queries.db.connect import warehouse_location
from queries.db.errors import UserError
from queries.iceberg import is_iceberg
from queries.report import add_report_parser
from queries.warehouse import UsageError, WarehouseError, warehouse_path

EXIT_OK, EXIT_QUARANTINED, EXIT_FAILED, EXIT_BUG = 0, 1, 2, 3


def _add_warehouse(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse", help="warehouse file or Iceberg catalog (iceberg+URI?warehouse=DIR; "
        "default: $MODELOPS_WAREHOUSE or data/warehouse.duckdb)")


def cmd_ingest(args) -> int:
    from queries.ingest import ingest_files

    status = EXIT_OK
    paths = [Path(p) for p in args.paths]
    location = warehouse_location(args.warehouse)
    if is_iceberg(location):  # one commit per file into the catalog
        from queries.iceberg import ingest_files as ingest_iceberg

        results = ingest_iceberg(location, paths, entity=args.entity)
    else:
        results = ingest_files(warehouse_path(args.warehouse), paths, entity=args.entity)
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
    """`modelops import SOURCE PATH...` or `--url BASE_URL`: see queries/importers/run.py."""
    import os
    import tempfile

    from queries.importers.http import Client, FetchError
    from queries.importers.run import exit_status, import_files, source_module

    module = source_module(args.source)
    since, until = _parse_moment(args.since, "--since"), _parse_moment(args.until, "--until")
    extra = _parse_options(args.option)
    common = dict(map_path=Path(args.map) if args.map else None, model=args.model,
                  since=since, until=until, extra=extra)
    location = warehouse_location(args.warehouse)
    if is_iceberg(location):  # the whole import is one commit into the catalog
        from queries.iceberg import write_through

        def import_files(_warehouse, *a, _run=import_files, **k):
            return write_through(location, lambda work: _run(work, *a, **k),
                                 what=f"import {args.source}")

        warehouse = None
    else:
        warehouse = warehouse_path(args.warehouse)
    if args.url:
        if args.paths:
            raise UsageError("give PATH... or --url, not both")
        if not hasattr(module, "fetch"):
            raise UsageError(f"source {args.source!r} reads files only (no --url)")
        auth = None
        if args.token_env:
            token = os.environ.get(args.token_env)
            if not token:
                raise UsageError(f"--token-env {args.token_env}: the variable is not set")
            auth = getattr(module, "AUTH", "Bearer {token}").format(token=token)
        with tempfile.TemporaryDirectory(prefix=f"modelops-{args.source}-") as tmp:
            from queries.importers.base import Options

            client = Client(args.url, Path(tmp), auth=auth, timeout_s=args.timeout)
            try:
                files = list(module.fetch(client, Options(
                    model=args.model, since=since, until=until, extra=extra)))
            except FetchError as error:
                raise UsageError(f"{error} (nothing loaded)") from None
            print(f"fetched {len(files)} page(s) in {client.requests} request(s) "
                  f"from {client.base_url}", flush=True)
            names = {f: f"{client.base_url}/{f.relative_to(tmp)}" if f.is_relative_to(tmp)
                     else str(f) for f in files}
            reports = import_files(warehouse, args.source, files, names=names, **common)
    else:
        if not args.paths:
            raise UsageError("give PATH... (files or directories) or --url BASE_URL")
        reports = import_files(warehouse, args.source, [Path(p) for p in args.paths],
                               **common)
    for report in reports:
        for line in report.lines():
            print(line, flush=True)
    return exit_status(reports)


def _parse_moment(text: str | None, flag: str):
    """An ISO date or timestamp as an aware UTC datetime (no offset = UTC)."""
    if not text:
        return None
    from datetime import UTC

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag}: not an ISO date or timestamp: {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_options(pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--option {pair!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def cmd_quarantine(args) -> int:
    from queries.catalog import quarantined_rows
    from queries.warehouse import reading

    with reading(warehouse_path(args.warehouse)) as con:
        rows = quarantined_rows(con, entity=args.entity, limit=None)
    if rows.height == 0:
        print("quarantine is empty")
    for entity, file, line, reason, row in rows.select(
            "entity", "file", "line", "reason", "row_as_read").iter_rows():
        print(f"{entity}\t{file}:{line}\t{reason}\t{row}")
    return EXIT_OK


def cmd_demo(args) -> int:
    from queries.demo import build_demo

    end = _parse_end(args.end) if args.end else None
    location = warehouse_location(args.warehouse)
    if is_iceberg(location):  # built on a private copy, committed as one snapshot
        from queries.iceberg import write_through

        write_through(location, lambda work: build_demo(
            work, models=args.models, days=args.days, seed=args.seed, end=end,
            progress=lambda line: print(line, flush=True), force=args.force), what="demo")
        print(f"demo warehouse committed to {location}")
        return EXIT_OK
    path = warehouse_path(args.warehouse)
    build_demo(path, models=args.models, days=args.days, seed=args.seed, end=end,
               progress=lambda line: print(line, flush=True), force=args.force)
    print(f"demo warehouse written to {path}")
    return EXIT_OK


def cmd_export(args) -> int:
    """Move a warehouse between a DuckDB file and an Iceberg catalog."""
    from queries import iceberg

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


def _parse_end(text: str) -> datetime:
    """`--end` as naive UTC: an offset is converted (10:00+02:00 is 08:00), none is UTC."""
    return _parse_moment(text, "--end").replace(tzinfo=None)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modelops", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="load CSV, Parquet or JSON Lines files")
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    ingest.add_argument("--entity", help="entity of every file (default: from the file name)")
    _add_warehouse(ingest)
    ingest.set_defaults(func=cmd_ingest)

    from queries.importers.run import SOURCES

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
    imp.add_argument("--timeout", type=float, default=30.0, metavar="S",
                     help="--url: seconds to wait for an answer (default 30)")
    imp.add_argument("--option", action="append", metavar="KEY=VALUE",
                     help="a source-specific setting (see README); repeatable")
    _add_warehouse(imp)
    imp.set_defaults(func=cmd_import)

    quarantine = sub.add_parser("quarantine", help="list quarantined rows with reasons")
    quarantine.add_argument("--entity")
    _add_warehouse(quarantine)
    quarantine.set_defaults(func=cmd_quarantine)

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

    export = sub.add_parser(
        "export", help="move the warehouse into an Iceberg catalog, or back into a file")
    export.add_argument("--to", choices=("iceberg", "file"), required=True)
    export.add_argument("target", metavar="CATALOG_OR_PATH",
                        help="iceberg+<URI>?warehouse=DIR (--to iceberg) or a .duckdb path")
    _add_warehouse(export)
    export.set_defaults(func=cmd_export)

    add_report_parser(sub, _add_warehouse)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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

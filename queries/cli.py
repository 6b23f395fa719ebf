"""The `modelops` command line: demo, ingest, quarantine, report.

Exit status: 0 success; 1 some rows were quarantined; 2 a file was rejected or the command
could not run (bad arguments, no warehouse). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from queries.report import add_report_parser
from queries.warehouse import UsageError, WarehouseError, warehouse_path

EXIT_OK, EXIT_QUARANTINED, EXIT_FAILED = 0, 1, 2


def _add_warehouse(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse", help="warehouse file (default: $MODELOPS_WAREHOUSE or "
        "data/warehouse.duckdb)")


def cmd_ingest(args) -> int:
    from queries.ingest import ingest_files

    status = EXIT_OK
    paths = [Path(p) for p in args.paths]
    for result in ingest_files(warehouse_path(args.warehouse), paths, entity=args.entity):
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
    path = warehouse_path(args.warehouse)
    build_demo(path, models=args.models, days=args.days, seed=args.seed, end=end,
               progress=lambda line: print(line, flush=True))
    print(f"demo warehouse written to {path}")
    return EXIT_OK


def _parse_end(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        raise UsageError(f"--end: not an ISO date or timestamp: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modelops", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="load CSV, Parquet or JSON Lines files")
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    ingest.add_argument("--entity", help="entity of every file (default: from the file name)")
    _add_warehouse(ingest)
    ingest.set_defaults(func=cmd_ingest)

    quarantine = sub.add_parser("quarantine", help="list quarantined rows with reasons")
    quarantine.add_argument("--entity")
    _add_warehouse(quarantine)
    quarantine.set_defaults(func=cmd_quarantine)

    demo = sub.add_parser("demo", help="build a demo warehouse")
    demo.add_argument("--models", type=int, default=200)
    demo.add_argument("--days", type=int, default=365)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--end", help="end of the data (default: now); ISO date or timestamp")
    _add_warehouse(demo)
    demo.set_defaults(func=cmd_demo)

    add_report_parser(sub, _add_warehouse)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, WarehouseError, KeyError) as error:
        message = error.args[0] if error.args else str(error)
        print(f"modelops {args.command}: {message}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())

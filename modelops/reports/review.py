"""The week in review as a file, for an e-mail or a wiki: `modelops report review` and the
Week in review page's download both call `review_file`, so they give the same bytes.

The content is `kpi.week_in_review` for one ISO week and a set of business units: six
sections, each a table of items (what, number, change against the week before, the page to
open), or its one line when it has nothing. Two formats:

- `md`: CommonMark / GitHub tables. Text cells escape `\\`, `|`, `*`, `_`, `` ` ``, `[`,
  `]`, `<`, `>` and `#` with a backslash and turn line breaks into spaces, so a name
  cannot break a table, make a link or inject HTML. Nor can it become an autolink in a
  GitHub-flavoured renderer: the `:` of `://` is escaped (`https\\://…` is no URL), so
  is the `.` of `www.`, and an `@` is escaped and followed by an invisible WORD JOINER (U+2060),
  because cmark-gfm links e-mail addresses after undoing escapes (tested with cmarkgfm).
- `html`: one self-contained document (inline CSS, no scripts, images, fonts or links to
  fetch); every text is HTML-escaped.

In both, a text cell that the weekly CSV would guard (starting with `=`, `+`, `-`, `@`,
tab, carriage return, line feed or their full-width forms) gets a leading `'` (OWASP,
"CSV Injection"): a table pasted into a spreadsheet must not run a formula. The bytes are UTF-8 with `\\n` line ends and carry no
time of generation, so the same data gives the same file.
"""

from __future__ import annotations

import argparse
import html
import os
import re
from collections.abc import Iterable
from pathlib import Path

from modelops.backends import read_path
from modelops.reports.files import defused, write_file, write_stdout
from modelops.reports.weekly import last_complete_week, parse_week, week_label
from modelops.warehouse import UsageError, WarehouseError, reading, run
from queries import kpi
from queries.filters import Filter

FORMATS = ("md", "html")
_MARKDOWN_SPECIAL = re.compile(r"([\\|*_`\[\]<>#])")
_WWW = re.compile(r"(?i)(?<![0-9a-z])(www)\.")
_SCHEME = re.compile(r":(?=//)")
WORD_JOINER = "\u2060"


def review_sections(con, week: str, business_units: Iterable[str] = (),
                    teams: Iterable[str] = ()
                    ) -> tuple[str, tuple[str, ...], list[kpi.ReviewSection]]:
    """(week label, business units, sections) for one ISO week, within business units and
    teams (as `report weekly`). UsageError for a bad week or an unknown business unit or team id,
    WarehouseError for a warehouse without models."""
    label = week_label(week)
    start, end = parse_week(label)
    units, team_ids = tuple(sorted(set(business_units))), tuple(sorted(set(teams)))
    scope = run(con, "weekly_report_scope", business_units=list(units), teams=list(team_ids))
    if scope["models"][0] == 0:
        raise WarehouseError("the warehouse holds no models (run `modelops ingest` first)")
    for kind, unknown in (("business unit", scope["unknown_business_units"][0]),
                          ("team", scope["unknown_teams"][0])):
        if len(unknown):
            raise UsageError(f"unknown {kind} id{'s' if len(unknown) > 1 else ''}: "
                             + ", ".join(unknown))
    sections = kpi.week_in_review(con, Filter(start, end, business_units=units,
                                              teams=team_ids))
    return label, units, sections


def review_file(source, week: str, business_units: Iterable[str] = (),
                fmt: str = "md", teams: Iterable[str] = ()) -> bytes:
    """The week in review as Markdown or HTML bytes. `source` is an open connection (a
    page's cursor) or a warehouse path (None: the default warehouse); `teams` narrows the
    scope as `--team` does."""
    if fmt not in FORMATS:
        raise UsageError(f"format must be one of {', '.join(FORMATS)}: {fmt!r}")
    if source is None or isinstance(source, str | os.PathLike):
        with reading(read_path(source)) as con:
            label, units, sections = review_sections(con, week, business_units, teams)
    else:
        label, units, sections = review_sections(source, week, business_units, teams)
    render = _markdown if fmt == "md" else _html
    return render(label, units, sections, tuple(sorted(set(teams)))).encode("utf-8")


# --- numbers ----------------------------------------------------------------------------

def _number(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "usd":
        return f"{'-' if value < 0 else ''}${abs(value):,.2f}"
    return f"{value:,.0f}"


def _change(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    sign = "+" if value > 0 else "-" if value < 0 else "±"
    if unit == "ratio":
        return f"{sign}{abs(value) * 100:.1f} pp"
    if unit == "usd":
        return f"{sign}${abs(value):,.2f}"
    return f"{sign}{abs(value):,.0f}"


def _scope_line(units: tuple[str, ...], teams: tuple[str, ...] = ()) -> str:
    """`Business units: all`, and `; teams: a, b` when the review is limited to teams."""
    line = "Business units: " + (", ".join(units) if units else "all")
    return line + ("; teams: " + ", ".join(teams) if teams else "")


# --- Markdown ---------------------------------------------------------------------------

def _md(text: str) -> str:
    text = defused(text)
    text = re.sub(r"[\r\n\t]+", " ", text)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _SCHEME.sub(r"\\:", text)  # no https:// autolink
    text = _WWW.sub(r"\1\\.", text)  # no www. autolink
    return text.replace("@", "\\@" + WORD_JOINER)  # no e-mail autolink


def _markdown(label: str, units: tuple[str, ...], sections, teams: tuple[str, ...] = ()
              ) -> str:
    out = [f"# Week in review {label}", "", _md(_scope_line(units, teams)), ""]
    for s in sections:
        out += [f"## {_md(s.title)}", ""]
        if not s.items:
            out += [_md(s.nothing), ""]
            continue
        out += ["| What | Number | Change vs previous week | Page |", "|---|---:|---:|---|"]
        for i in s.items:
            out.append(f"| {_md(i.text)} | {_number(i.number, i.unit)} | "
                       f"{_change(i.change, i.unit)} | {_md(i.page)} |")
        out.append("")
    return "\n".join(out)


# --- HTML -------------------------------------------------------------------------------

_STYLE = ("body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;color:#222}"
          "table{border-collapse:collapse;width:100%;margin-bottom:1.5em}"
          "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}"
          "td.n{text-align:right;white-space:nowrap}th{background:#f3f3f3}")


def _h(text: str) -> str:
    return html.escape(defused(text), quote=True)


def _html(label: str, units: tuple[str, ...], sections, teams: tuple[str, ...] = ()) -> str:
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>Week in review {_h(label)}</title>", f"<style>{_STYLE}</style>",
           "</head>", "<body>", f"<h1>Week in review {_h(label)}</h1>",
           f"<p>{_h(_scope_line(units, teams))}</p>"]
    for s in sections:
        out.append(f"<h2>{_h(s.title)}</h2>")
        if not s.items:
            out.append(f"<p>{_h(s.nothing)}</p>")
            continue
        out.append("<table><thead><tr><th>What</th><th>Number</th>"
                   "<th>Change vs previous week</th><th>Page</th></tr></thead><tbody>")
        for i in s.items:
            out.append(f"<tr><td>{_h(i.text)}</td><td class=\"n\">"
                       f"{_h(_number(i.number, i.unit))}</td><td class=\"n\">"
                       f"{_h(_change(i.change, i.unit))}</td><td>{_h(i.page)}</td></tr>")
        out.append("</tbody></table>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


# --- CLI --------------------------------------------------------------------------------

def add_review_parser(kinds, add_warehouse) -> None:
    review = kinds.add_parser(
        "review", help="the week in review as Markdown or HTML",
        description="Write the week in review (SLOs, incidents and follow-ups, failed changes "
                    "and rework, cost and value moves, what falls due, overdue follow-ups) "
                    "for an e-mail or a wiki.")
    review.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: the last complete)")
    review.add_argument("--business-unit", action="append", default=[], dest="business_units",
                        metavar="ID", help="only this business unit (repeatable)")
    review.add_argument("--team", action="append", default=[], dest="teams", metavar="ID",
                        help="only this team (repeatable)")
    review.add_argument("--format", choices=FORMATS, default="md", dest="fmt")
    review.add_argument("--out", metavar="FILE",
                        help="write here; `-` (the default) writes to stdout")
    add_warehouse(review)
    review.set_defaults(func=cmd_review)


def cmd_review(args: argparse.Namespace) -> int:
    week = week_label(args.week) if args.week else last_complete_week()
    data = review_file(read_path(args.warehouse), week, args.business_units, args.fmt,
                       teams=args.teams)
    try:
        if args.out in (None, "-"):
            write_stdout(data)
        else:
            write_file(Path(args.out), data, args.warehouse)
    except OSError as error:
        raise UsageError(f"{error.filename or args.out}: {error.strerror or error}") from None
    return 0

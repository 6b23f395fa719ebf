"""The week in review as a file, for an e-mail or a wiki: `modelops report review` and the
Week in review page's download both call `review_file`, so they give the same bytes.

The content is `kpi.week_in_review` for one ISO week and a set of business units and teams:
a title with the week's dates, the scope in names, a summary (one counter per section,
linking to it), then each section as a table with its own columns and units, or its one
line when it has nothing to act on. Two formats:

- `md`: CommonMark / GitHub tables. Text cells escape `\\`, `|`, `*`, `_`, `` ` ``, `[`,
  `]`, `<`, `>` and `#` with a backslash and turn line breaks into spaces, so a name
  cannot break a table, make a link or inject HTML. Nor can it become an autolink in a
  GitHub-flavoured renderer: the `:` of `://` is escaped (`https\\://…` is no URL), so
  is the `.` of `www.`, and an `@` is escaped and followed by an invisible WORD JOINER
  (U+2060), because cmark-gfm links e-mail addresses after undoing escapes.
- `html`: one self-contained document (inline CSS, no scripts, images, fonts or links to
  fetch); every text is HTML-escaped.

Each row links to the page that shows its item (the model, the incidents of its model,
the team), with the reviewed week and the scope in the link. The links are absolute when
the deployment's address is set (`MODELOPS_BASE_URL`, e.g. `https://modelops.example.com`),
since a relative link in an e-mail leads nowhere; without it the row shows the path as
text. Text is written as the data has it: no spreadsheet formula guard (that is for CSV).
The bytes are UTF-8 with `\\n` line ends and carry no time of generation, so the same data
and setting give the same file.
"""

from __future__ import annotations

import argparse
import html
import math
import os
import re
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from modelops.backends import read_path
from modelops.reports.files import write_file, write_stdout
from modelops.reports.labels import digits_apart
from modelops.reports.weekly import last_complete_week, parse_week, week_label
from modelops.warehouse import UsageError, WarehouseError, reading, run
from queries import kpi
from queries.filters import Filter

FORMATS = ("md", "html")
BASE_URL_ENV = "MODELOPS_BASE_URL"
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


def week_title(week: str) -> str:
    """`Week in review 2026-W20 · Mon 11 May – Sun 17 May 2026`: the file's title, the
    dates spelled out."""
    return f"Week in review {week_label(week)} · {week_dates(week)}"


def week_dates(week: str) -> str:
    """`Mon 11 May – Sun 17 May 2026`: the days of an ISO week (UTC)."""
    start, end = parse_week(week)
    return f"{start:%a %d %b} – {end - timedelta(days=1):%a %d %b %Y}"


def file_name(week: str, business_units: Iterable[str] = (), teams: Iterable[str] = (),
              fmt: str = "md") -> str:
    """`modelops-review-2026-W20-retail-search.md`: the week and the scope (business unit
    and team ids, or `all`), as the weekly XLSX names its file."""
    scope = [*sorted(set(business_units)), *sorted(set(teams))] or ["all"]
    parts = [re.sub(r"[^A-Za-z0-9._-]", "_", p)[:40] for p in scope]
    return "-".join(["modelops-review", week_label(week), *parts])[:200] + f".{fmt}"


def base_url(value: str | None = None) -> str:
    """The deployment's address for absolute links (`value`, else MODELOPS_BASE_URL), without
    a trailing slash; "" when unset. UsageError for anything but an http(s) address."""
    value = (os.environ.get(BASE_URL_ENV, "") if value is None else value).strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
            or parts.fragment or re.search(r"[\s<>\"'`]", value):
        raise UsageError(f"{BASE_URL_ENV} must be an http(s) address such as "
                         f"https://modelops.example.com (got {value!r})")
    return value.rstrip("/")


def item_url(link: str, week: str, business_units: Iterable[str] = (),
             teams: Iterable[str] = (), base: str = "") -> str:
    """An item's link with the reviewed week as the page's period and the review's scope,
    in the query string the filter bar reads (`period=custom&start=...&end=...&bu=...`)."""
    start, end = parse_week(week)
    path, _, query = link.partition("?")
    params = [(k, v) for k, v in (p.split("=", 1) for p in query.split("&") if p)]
    params += [("period", "custom"), ("start", start.date().isoformat()),
               ("end", (end - timedelta(days=1)).date().isoformat())]
    params += [("bu", b) for b in sorted(set(business_units))]
    params += [("team", t) for t in sorted(set(teams)) if ("team", t) not in params]
    return f"{base}{path}?{urlencode(params)}"


# --- numbers ----------------------------------------------------------------------------

def cell(value, unit: str, digits: int | None = None) -> str:
    """A value as the review file writes it; "–" when undefined. `digits` overrides the
    decimals of a share or milliseconds (see `digits_apart`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "text":
        return str(value)
    if unit == "share":
        return f"{value * 100:.{2 if digits is None else digits}f}%"
    if unit == "pp":
        return f"{_sign(value)}{abs(value) * 100:.1f} pp"
    if unit == "change":
        return f"{_sign(value)}{abs(value) * 100:.0f}%"
    if unit == "usd":
        return f"{'-' if value < 0 else ''}${abs(value):,.2f}"
    if unit == "ms":
        return f"{value:,.{0 if digits is None else digits}f} ms"
    if unit == "count_change":
        return f"{_sign(value)}{abs(value):,.0f}"
    if unit == "date":
        return f"{value:%Y-%m-%d}"
    if unit == "datetime":
        return f"{value:%Y-%m-%d %H:%M}"
    return f"{value:,.0f}"


def _sign(value: float) -> str:
    return "+" if value > 0 else "-" if value < 0 else "±"


def figure_text(f: kpi.ReviewFigure) -> str:
    """`Change failure rate 8.64% (-4.8 pp vs week before)`."""
    change = ""
    if f.change is not None:
        unit = {"share": "pp", "count": "count_change"}.get(f.unit, f.unit)
        change = f" ({cell(f.change, unit)} vs week before)"
    return f"{f.label} {cell(f.value, f.unit)}{change}"


def row_cells(section: kpi.ReviewSection, item: kpi.ReviewItem) -> list[str]:
    """An item's cells as text; near a target, as many decimals as tell them apart."""
    values = dict(zip((c.name for c in section.columns), item.values, strict=True))
    out = []
    for c in section.columns:
        digits = None
        if c.name == "availability":
            digits = digits_apart(values[c.name], values.get("slo_availability"), 2, 100)
        elif c.name == "latency_p95_ms":
            digits = digits_apart(values[c.name], values.get("slo_latency_p95_ms"), 0)
        out.append(cell(values[c.name], c.unit, digits))
    return out


def item_in_words(section: kpi.ReviewSection, item: kpi.ReviewItem) -> tuple[str, str]:
    """An item as a line of text, for a section whose text is long (an incident's title):
    its first cell, then "Label: cell" for the others, in the section's order. A grid cuts
    such text at its column's width (all of it at 390 px); a line of text wraps."""
    cells = row_cells(section, item)
    rest = " · ".join(f"{c.label}: {v}" for c, v in zip(section.columns[1:], cells[1:],
                                                         strict=True))
    return cells[0], rest


def scope_names(con, business_units: tuple[str, ...], teams: tuple[str, ...]
                ) -> tuple[list[str], list[str]]:
    names = run(con, "review_scope_names", business_units=list(business_units),
                teams=list(teams)).row(0)
    return list(names[0]), list(names[1])


def scope_line(units: list[str], teams: list[str]) -> str:
    """`Business units: North, South · Teams: all`, in names."""
    return (f"Business units: {', '.join(units) if units else 'all'} · "
            f"Teams: {', '.join(teams) if teams else 'all'}")


def anchor(section: kpi.ReviewSection) -> str:
    """The section's anchor, as GitHub and the HTML file both spell it."""
    return re.sub(r"[^a-z0-9 -]", "", section.title.lower()).replace(" ", "-")


def review_file(source, week: str, business_units: Iterable[str] = (),
                fmt: str = "md", teams: Iterable[str] = (), base: str | None = None) -> bytes:
    """The week in review as Markdown or HTML bytes. `source` is an open connection (a
    page's cursor) or a warehouse path (None: the default warehouse); `teams` narrows the
    scope as `--team` does; `base` is the address for absolute links (default: the
    MODELOPS_BASE_URL setting)."""
    if fmt not in FORMATS:
        raise UsageError(f"format must be one of {', '.join(FORMATS)}: {fmt!r}")
    base = base_url(base)
    team_ids = tuple(sorted(set(teams)))
    if source is None or isinstance(source, str | os.PathLike):
        with reading(read_path(source)) as con:
            label, units, sections = review_sections(con, week, business_units, team_ids)
            names = scope_names(con, units, team_ids)
    else:
        label, units, sections = review_sections(source, week, business_units, team_ids)
        names = scope_names(source, units, team_ids)

    def url(link: str) -> str:
        return item_url(link, label, units, team_ids, base)

    render = render_markdown if fmt == "md" else render_html
    return render(label, scope_line(*names), sections, url if base else None).encode("utf-8")


# --- Markdown ---------------------------------------------------------------------------

def md_escape(text: str) -> str:
    """Text from the data as inert Markdown (see the module docstring)."""
    text = re.sub(r"[\r\n\t]+", " ", text)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _SCHEME.sub(r"\\:", text)  # no https:// autolink
    text = _WWW.sub(r"\1\\.", text)  # no www. autolink
    return text.replace("@", "\\@" + WORD_JOINER)  # no e-mail autolink


def render_markdown(label: str, scope: str, sections, url) -> str:
    """The review as Markdown; `url(link)` makes a row's absolute link (None: the path as
    text)."""
    out = [f"# {md_escape(week_title(label))}", "", md_escape(scope), "", "## Summary", ""]
    for s in sections:
        out.append(f"- [{md_escape(s.title)}](#{anchor(s)}): {s.count} {md_escape(s.counted)}")
    out.append("")
    for s in sections:
        out += [f"## {md_escape(s.title)}", ""]
        if s.figures:
            out += [md_escape(" · ".join(figure_text(f) for f in s.figures)), ""]
        if not s.items:
            out += [md_escape(s.nothing), ""]
            continue
        heads = [c.label for c in s.columns] + ["Link" if url else "Page"]
        right = [c.unit not in ("text", "date", "datetime") for c in s.columns] + [False]
        out.append("| " + " | ".join(md_escape(h) for h in heads) + " |")
        out.append("|" + "|".join("---:" if r else "---" for r in right) + "|")
        for i in s.items:
            link = f"[open]({url(i.link)})" if url else md_escape(i.link.partition("?")[0])
            out.append("| " + " | ".join(md_escape(c) for c in row_cells(s, i)) + f" | {link} |")
        out.append("")
    if not url:
        out += [f"Set {BASE_URL_ENV} to the dashboard's address to make the pages links.", ""]
    return "\n".join(out)


# --- HTML -------------------------------------------------------------------------------

_STYLE = ("body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;color:#222}"
          "table{border-collapse:collapse;width:100%;margin-bottom:1.5em}"
          "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}"
          "td.n,th.n{text-align:right;white-space:nowrap}th{background:#f3f3f3}"
          "a{color:#1d4ed8}")


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def render_html(label: str, scope: str, sections, url) -> str:
    """The review as one self-contained HTML document; `url` as for `render_markdown`."""
    title = _h(week_title(label))
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{title}</title>", f"<style>{_STYLE}</style>",
           "</head>", "<body>", f"<h1>{title}</h1>", f"<p>{_h(scope)}</p>",
           "<h2>Summary</h2>", "<ul>"]
    for s in sections:
        out.append(f'<li><a href="#{anchor(s)}">{_h(s.title)}</a>: {s.count} '
                   f"{_h(s.counted)}</li>")
    out.append("</ul>")
    for s in sections:
        out.append(f'<h2 id="{anchor(s)}">{_h(s.title)}</h2>')
        if s.figures:
            out.append(f"<p>{_h(' · '.join(figure_text(f) for f in s.figures))}</p>")
        if not s.items:
            out.append(f"<p>{_h(s.nothing)}</p>")
            continue
        numeric = [c.unit not in ("text", "date", "datetime") for c in s.columns]
        heads = "".join(f'<th{" class=n" if n else ""}>{_h(c.label)}</th>'
                        for c, n in zip(s.columns, numeric, strict=True))
        out.append(f"<table><thead><tr>{heads}<th>{'Link' if url else 'Page'}</th></tr>"
                   "</thead><tbody>")
        for i in s.items:
            cells = "".join(f'<td{" class=n" if n else ""}>{_h(c)}</td>'
                            for c, n in zip(row_cells(s, i), numeric, strict=True))
            link = (f'<a href="{_h(url(i.link))}">open</a>' if url
                    else _h(i.link.partition("?")[0]))
            out.append(f"<tr>{cells}<td>{link}</td></tr>")
        out.append("</tbody></table>")
    if not url:
        out.append(f"<p>Set {BASE_URL_ENV} to the dashboard's address to make the pages "
                   "links.</p>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


# --- CLI --------------------------------------------------------------------------------

def add_review_parser(kinds, add_warehouse) -> None:
    review = kinds.add_parser(
        "review", help="the week in review as Markdown or HTML",
        description="Write the week in review (SLOs missed, new sev 1-2 incidents, failed "
                    "changes, cost and value moves, on-call load, reviews overdue or due, "
                    "overdue follow-ups) for an e-mail or a wiki. Rows link to the "
                    f"dashboard when {BASE_URL_ENV} gives its address.")
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

"""What one recipient gets for one week and scope: the review (HTML with a plain-text
part for mail, Markdown for chat), the summary first, and the weekly report attached.

The review's own renderers (modelops/reports/review.py) draw the body, so a name from the
data is escaped exactly as in `modelops report review` (HTML-escaped; Markdown with every
special character backslash-escaped). The summary counts the items of each section of
`review_sections`, the same sections the landing page shows. Chat text is additionally
entity-escaped for Slack (`&`, `<`, `>`), whose `<url|text>` links ignore backslashes.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from modelops.delivery.subscriptions import Subscription
from modelops.reports import review
from modelops.reports.weekly import to_csv, to_xlsx, weekly_report, xlsx_file_name

MIME = {"csv": "text/csv", "xlsx":
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class Content:
    """Everything sent for one (subscription, week, scope); shared by the recipients with
    the same scope."""

    subject: str
    html: str
    text: str
    markdown: str
    attachment: tuple[str, bytes, str] | None     # file name, bytes, MIME type
    summary: tuple[tuple[str, int], ...]          # (section title, items)


def scope_text(units: tuple[str, ...]) -> str:
    return ", ".join(units) if units else "all business units"


def build_content(con, sub: Subscription, week: str, units: tuple[str, ...]) -> Content:
    """The message for business units `units` (empty: all). UsageError for an unknown
    business unit or team (the caller reports it for the recipients of that scope)."""
    label, units, sections = review.review_sections(con, week, units, sub.teams)
    teams = tuple(sorted(set(sub.teams)))
    scope = review.scope_line(*review.scope_names(con, units, teams))
    # The subscription's dashboard address, else the deployment's (MODELOPS_BASE_URL).
    base = review.base_url(sub.dashboard_url)

    def url(link: str) -> str:
        return review.item_url(link, label, units, teams, base)

    link = url if base else None
    summary = tuple((s.title, s.count) for s in sections)
    subject = f"{sub.subject} {label} ({scope_text(units)})"
    subject = re.sub(r"[\r\n\t]+", " ", subject)[:250]
    attachment = None
    kind = next((k for k in sub.send if k in ("csv", "xlsx")), None)
    if kind:
        frame = weekly_report(con, label, units, teams, sub.group_by)
        data = to_csv(frame) if kind == "csv" else to_xlsx(frame, sub.group_by)
        name = xlsx_file_name(label, sub.group_by, units, teams)[:-len(".xlsx")] + "." + kind
        attachment = (name, data, MIME[kind])
    with_review = "review" in sub.send
    return Content(
        subject=subject,
        html=_html(label, scope, sections, link, base, with_review),
        text=_text(label, scope, sections, link, base, with_review),
        markdown=_markdown(label, scope, sections, link, base, with_review),
        attachment=attachment, summary=summary)


def _html(label, scope, sections, url, base, with_review) -> str:
    """The review's HTML (its summary of counters first); without the review, the summary
    alone. A link to the dashboard under the scope line when its address is set."""
    page = review.render_html(label, scope, sections, url)
    if not with_review:  # the report alone: the summary and the scope, no tables
        cut = page.find("<h2 id=")
        page = page[:cut] + "</body>\n</html>\n" if cut >= 0 else page
    if base:
        scope_html = f"<p>{html.escape(scope, quote=True)}</p>\n"
        page = page.replace(scope_html, scope_html + f'<p><a href="{html.escape(base, quote=True)}'
                            '">Open the dashboard</a></p>\n', 1)
    return page


def _text(label, scope, sections, url, base, with_review) -> str:
    """The plain-text part: what a client without HTML shows. Names are written as they
    are (plain text runs nothing)."""
    out = [review.week_title(label), scope, "", "Summary"]
    out += [f"- {s.title}: {s.count} {s.counted}" for s in sections]
    if base:
        out += ["", f"Dashboard: {base}"]
    if with_review:
        for s in sections:
            out += ["", s.title, "-" * len(s.title)]
            if s.figures:
                out.append(" · ".join(review.figure_text(f) for f in s.figures))
            if not s.items:
                out.append(s.nothing)
            for i in s.items:
                cells = " · ".join(f"{c.label}: {v}" for c, v in
                                   zip(s.columns, review.row_cells(s, i), strict=True))
                where = url(i.link) if url else i.link.partition("?")[0]
                out.append(re.sub(r"[\r\n\t]+", " ", f"* {cells} — {where}"))
    return "\n".join(out) + "\n"


def _markdown(label, scope, sections, url, base, with_review) -> str:
    """The review's Markdown for chat; without the review, down to its summary."""
    body = review.render_markdown(label, scope, sections, url)
    lines = body.split("\n")
    if not with_review:
        end = next((n for n, line in enumerate(lines) if n and line.startswith("## ")
                    and line != "## Summary"), len(lines))
        lines = lines[:end]
    if base:
        lines[3:3] = [f"[Open the dashboard]({base})", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def slack_text(markdown: str) -> str:
    """Slack reads `&`, `<` and `>` as its own markup (links, mentions): escape them as the
    Slack docs ask; the Markdown's backslashes already keep `*`, `_`, `` ` `` inert."""
    return markdown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mail(content: Content, sender: str, to: str, domain: str = "modelops.local"
         ) -> EmailMessage:
    """A multipart/mixed message: multipart/alternative (plain text, then HTML) and the
    attachment under its scoped file name."""
    msg = EmailMessage()
    msg["Subject"] = content.subject
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=domain)
    msg.set_content(content.text)
    msg.add_alternative(content.html, subtype="html")
    if content.attachment:
        name, data, mime = content.attachment
        major, minor = mime.split("/")
        msg.add_attachment(data, maintype=major, subtype=minor, filename=name)
    return msg

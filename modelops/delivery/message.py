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
    summary = tuple((s.title, len(s.items)) for s in sections)
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
        html=_html(label, units, teams, sections, summary, sub.dashboard_url, with_review),
        text=_text(label, units, teams, sections, summary, sub.dashboard_url, with_review),
        markdown=_markdown(label, units, teams, sections, summary, sub.dashboard_url,
                           with_review),
        attachment=attachment, summary=summary)


def _summary_line(summary) -> str:
    return " · ".join(f"{title}: {count}" for title, count in summary)


def _html(label, units, teams, sections, summary, url, with_review) -> str:
    page = review._html(label, units, sections, teams)
    head = ['<p class="summary"><strong>Summary:</strong></p><ul>']
    head += [f"<li>{html.escape(t)}: {n}</li>" for t, n in summary]
    head.append("</ul>")
    if url:
        head.append(f'<p><a href="{html.escape(url, quote=True)}">Open the dashboard</a>'
                    "</p>")
    if not with_review:  # the report alone: the summary and the scope, no tables
        page = page[:page.index("<h2>")] + "</body>\n</html>\n" if "<h2>" in page else page
    return page.replace("</h1>\n", "</h1>\n" + "\n".join(head) + "\n", 1)


def _text(label, units, teams, sections, summary, url, with_review) -> str:
    """The plain-text part: what a client without HTML shows. Names are written as they
    are (plain text runs nothing), after the review's formula guard."""
    out = [f"Week in review {label}", review._scope_line(units, teams), ""]
    out += [f"- {t}: {n}" for t, n in summary]
    if url:
        out += ["", f"Dashboard: {url}"]
    if with_review:
        for s in sections:
            out += ["", s.title, "-" * len(s.title)]
            if not s.items:
                out.append(s.nothing)
            for i in s.items:
                number = review._number(i.number, i.unit)
                change = review._change(i.change, i.unit)
                text = re.sub(r"[\r\n\t]+", " ", review.defused(i.text))
                link = f"{url.rstrip('/')}{i.page}" if url else i.page
                out.append(f"* {text}: {number}" + (f" ({change})" if change else "")
                           + f" — {link}")
    return "\n".join(out) + "\n"


def _markdown(label, units, teams, sections, summary, url, with_review) -> str:
    body = review._markdown(label, units, sections, teams)
    lines = body.split("\n")
    head = ["**Summary:** " + review._md(_summary_line(summary))]
    if url:
        head.append(f"[Open the dashboard]({url})")
    if not with_review:
        lines = lines[:3]
    return "\n".join(lines[:3] + head + [""] + lines[3:]).rstrip("\n") + "\n"


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

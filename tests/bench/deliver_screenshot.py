"""docs/deliver-mail.png: a received message (an .eml, e.g. from tests/bench/deliver.py
--save-first) with its HTML part rendered by headless Chromium, every request blocked.

    uv run python tests/bench/deliver_screenshot.py first.eml docs/deliver-mail.png
"""

from __future__ import annotations

import email
import html
import sys
from email import policy
from pathlib import Path

from playwright.sync_api import sync_playwright


def main(eml: str, png: str) -> None:
    msg = email.message_from_bytes(Path(eml).read_bytes(), policy=policy.default)
    body = msg.get_body(("html",)).get_content()
    names = ", ".join(p.get_filename() or "" for p in msg.iter_attachments())
    head = ("<div style='font:13px system-ui;background:#eef;padding:.6em 1em;"
            "border-bottom:1px solid #99a'>"
            f"<b>From:</b> {html.escape(msg['From'])} &nbsp; <b>To:</b> "
            f"{html.escape(msg['To'])}<br><b>Subject:</b> {html.escape(msg['Subject'])}<br>"
            f"<b>Attachment:</b> {html.escape(names)}</div>")
    body = body.replace("<body>", "<body>" + head, 1)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        page.route("**/*", lambda route: route.abort())   # nothing remote may load
        page.set_content(body)
        page.screenshot(path=png)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""The identity header against a real `streamlit run` (issue 18.1).

A browser cannot send one header twice (Playwright's extra headers are a dict), so the
websocket Streamlit's frontend opens is opened here by hand, with raw header lines: the
server sees exactly what a proxy that appends its own header would forward.
"""

from __future__ import annotations

import asyncio
import re
import shutil

import pytest
from browser import streamlit_server

from dashboard.text import WORD_JOINER

pytest.importorskip("websockets")


async def _first_run(url: str, header_lines: list[tuple[str, str]]) -> dict:
    """Open a session as the frontend does, run the app once; return what it drew."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    drawn = {"headings": [], "alerts": [], "metrics": 0, "exceptions": []}
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(ws_url, subprotocols=["streamlit"],
                                  additional_headers=header_lines, max_size=None) as ws:
        back = BackMsg()
        back.rerun_script.query_string = ""
        back.rerun_script.page_script_hash = ""
        await ws.send(back.SerializeToString())
        async with asyncio.timeout(60):
            while True:
                msg = ForwardMsg()
                msg.ParseFromString(await ws.recv())
                kind = msg.WhichOneof("type")
                if kind == "script_finished":
                    return drawn
                if kind != "delta" or msg.delta.WhichOneof("type") != "new_element":
                    continue
                element = msg.delta.new_element
                which = element.WhichOneof("type")
                if which == "heading":
                    drawn["headings"].append(element.heading.body)
                elif which == "alert":
                    drawn["alerts"].append(element.alert.body)
                elif which == "metric":
                    drawn["metrics"] += 1
                elif which == "exception":
                    drawn["exceptions"].append(element.exception.message)


def first_run(url, *header_lines):
    return asyncio.run(_first_run(url, list(header_lines)))


def test_a_repeated_identity_header_is_refused_by_the_served_app(demo_warehouse, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('header = "X-Forwarded-Email"\nadmins = ["ops-lead@example.com"]\n'
                      '[grants]\n"alice@example.com" = []\n')
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    env = {"MODELOPS_ACCESS_POLICY": str(policy)}
    with streamlit_server(warehouse, env=env) as url:
        # The harness works: the admin, named once, gets the landing page, Week in review.
        admin = first_run(url, ("X-Forwarded-Email", "ops-lead@example.com"))
        assert any(h.startswith("Week in review · ") for h in admin["headings"]), admin
        assert not admin["exceptions"], admin
        # The browser's forged header first, the proxy's appended after it.
        forged = first_run(url, ("X-Forwarded-Email", "ops-lead@example.com"),
                           ("X-Forwarded-Email", "alice@example.com"))
        # A proxy that merges repeated headers into one comma-joined value.
        joined = first_run(url, ("X-Forwarded-Email", "ops-lead@example.com, alice@example.com"))
    for drawn in (forged, joined):
        assert drawn["headings"] == ["No access"] and not drawn["metrics"], drawn
        assert not drawn["exceptions"]
        # the message is Markdown-escaped text (dashboard/text.plain): compare what it shows
        shown = re.sub(r"\\(.)", r"\1", drawn["alerts"][0]).replace(WORD_JOINER, "")
        assert shown.startswith("Access refused: this request names its user")
    log = "\n".join(p.read_text() for p in tmp_path.glob("streamlit-*.log"))
    assert log.count("refused a request whose identity header X-Forwarded-Email") == 2, log

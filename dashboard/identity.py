"""Who is looking: the user and their access scope under MODELOPS_ACCESS_POLICY.

The scope is worked out at the top of every full run (app.py) and kept in
`st.session_state["access"]`. Two things run without that top: a fragment's own rerun
(`st.fragment`: a lazy tab, the Incidents "Per" control) and a download's builder (called
on click, on a worker thread, after the run that drew the button). Both check the policy
again first, so a revoked grant reaches them too (issue 24): a fragment whose scope changed
asks for a full rerun, where app.py shows "No access"; a builder refuses to build.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any

import streamlit as st

from modelops import access


class AccessChanged(PermissionError):
    """A download was asked for after the user's access changed; nothing is built."""


class _RefusedDownloads(logging.Filter):
    """Streamlit logs a download builder's exception with its traceback (and tells the
    browser "Failed to generate file"). A refusal is the policy working, not a fault: it
    becomes one warning line naming why, and any other error keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        while error is not None and not isinstance(error, AccessChanged):
            error = error.__cause__  # Streamlit wraps it in a MediaFileStorageError
        if error is not None:
            record.msg, record.args = "download refused: %s", (error,)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


# The logger of Streamlit's deferred downloads (streamlit/runtime/backend_operation_handler).
_DOWNLOADS_LOG = logging.getLogger("streamlit.runtime.backend_operation_handler")
if not any(isinstance(f, _RefusedDownloads) for f in _DOWNLOADS_LOG.filters):
    _DOWNLOADS_LOG.addFilter(_RefusedDownloads())


def access_scope() -> access.Scope:
    """The current user's scope under MODELOPS_ACCESS_POLICY: modelops/access.current_scope
    (the policy is read on every run, a repeated identity header is refused)."""
    return _scope_of(st.context.headers, st.user.to_dict(),
                     st.get_option("server.trustedUserHeaders"))


def _scope_of(headers, user: dict, trusted) -> access.Scope:
    return access.current_scope(headers, user, os.environ, trusted)


def _still(drawn: access.Scope | None, now: access.Scope) -> bool:
    """The page was drawn for `drawn`; may it go on drawing (or building) for `now`?"""
    return drawn is None or (now.has_access and now == drawn)


def fragment(func: Callable[..., Any]) -> Callable[..., Any]:
    """`st.fragment` that checks access at the start of each of its runs: when the scope the
    page was drawn with no longer holds, it draws nothing and reruns the whole app, whose
    access gate then shows what the user may see now."""
    @st.fragment
    @functools.wraps(func)
    def run(*args, **kwargs):
        if not _still(st.session_state.get("access"), access_scope()):
            st.rerun()  # scope="app": app.py decides again
        return func(*args, **kwargs)

    return run


def guarded(build: Callable[[], Any]) -> Callable[[], Any]:
    """A download's builder that first checks the policy again for this session's user (the
    identity taken now, from the run that draws the button; the policy read at the click)."""
    headers, user = st.context.headers, st.user.to_dict()
    trusted = st.get_option("server.trustedUserHeaders")
    drawn = st.session_state.get("access")

    def run():
        if not _still(drawn, _scope_of(headers, user, trusted)):
            raise AccessChanged("access changed since the page was drawn; nothing built")
        return build()

    return run

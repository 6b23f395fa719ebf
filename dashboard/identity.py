"""Who is looking: the user and their access scope under MODELOPS_ACCESS_POLICY."""

from __future__ import annotations

import os

import streamlit as st

from modelops import access


def access_scope() -> access.Scope:
    """The current user's scope under MODELOPS_ACCESS_POLICY: modelops/access.current_scope
    (the policy is read on every run, a repeated identity header is refused)."""
    return access.current_scope(st.context.headers, st.user.to_dict(), os.environ,
                                st.get_option("server.trustedUserHeaders"))

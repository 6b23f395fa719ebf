"""Who is looking: the user and their access scope under MODELOPS_ACCESS_POLICY."""

from __future__ import annotations

import os

import streamlit as st

from queries import access


def access_scope() -> access.Scope:
    """The current user's scope under MODELOPS_ACCESS_POLICY (open when there is none).

    The user is the trusted proxy header the policy names (oauth2-proxy's deployment), else
    st.user's email (st.login, or --server.trustedUserHeaders).
    """
    policy = _policy(os.environ.get("MODELOPS_ACCESS_POLICY", ""))
    if policy is None:
        return access.OPEN
    if policy.header:
        user = st.context.headers.get(policy.header)
    else:
        user = st.user.to_dict().get("email")
    return access.scope_for(policy, user)


@st.cache_resource(ttl=60)
def _policy(path: str) -> access.Policy | None:
    return access.load_policy(path) if path else None


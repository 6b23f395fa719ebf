"""Who may see which business units: the optional access policy.

With no policy file (MODELOPS_ACCESS_POLICY unset) the dashboard is open, as for local use.
With one, every user must be named in it: admins see everything, a grant lists the business
units a user may see, anyone else sees a "no access" page. The scope is applied where every
query binds its parameters (`Filter.params`), so no page, download or cache entry can reach
past it. Policy file (TOML):

    # Optional: take the user from this trusted reverse-proxy header (oauth2-proxy sends
    # X-Forwarded-Email / X-Forwarded-User). Without it the user is st.user's email
    # (st.login, or --server.trustedUserHeaders).
    header = "X-Forwarded-Email"
    admins = ["ops-lead@example.com"]

    [grants]
    "alice@example.com" = ["retail", "payments"]
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path


class PolicyError(Exception):
    """The policy file cannot be used; the app refuses to start open instead."""


@dataclass(frozen=True)
class Policy:
    admins: frozenset[str]
    grants: dict
    header: str | None = None


@dataclass(frozen=True)
class Scope:
    """What one user may see. `business_units` None means all of them."""

    user: str | None
    business_units: tuple[str, ...] | None
    admin: bool = False

    @property
    def has_access(self) -> bool:
        return self.business_units is None or bool(self.business_units)


OPEN = Scope(user=None, business_units=None, admin=True)


def load_policy(path: str | os.PathLike) -> Policy:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as error:
        raise PolicyError(f"{path}: cannot read the access policy: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{path}: not valid TOML: {error}") from error
    admins, grants = data.get("admins", []), data.get("grants", {})
    header = data.get("header")
    if not isinstance(admins, list) or not all(isinstance(a, str) for a in admins):
        raise PolicyError(f"{path}: `admins` must be a list of user names")
    if not isinstance(grants, dict) or not all(
            isinstance(v, list) and all(isinstance(b, str) for b in v) for v in grants.values()):
        raise PolicyError(f"{path}: `grants` must map each user to a list of business unit ids")
    if header is not None and not isinstance(header, str):
        raise PolicyError(f"{path}: `header` must be a header name")
    return Policy(
        admins=frozenset(a.strip().lower() for a in admins),
        grants={u.strip().lower(): tuple(sorted(set(v))) for u, v in grants.items()},
        header=header,
    )


def policy_from_env() -> Policy | None:
    path = os.environ.get("MODELOPS_ACCESS_POLICY")
    return load_policy(path) if path else None


def scope_for(policy: Policy | None, user: str | None) -> Scope:
    if policy is None:
        return OPEN
    name = (user or "").strip().lower()
    if not name:
        return Scope(user=None, business_units=())
    if name in policy.admins:
        return Scope(user=name, business_units=None, admin=True)
    return Scope(user=name, business_units=policy.grants.get(name, ()))

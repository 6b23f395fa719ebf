"""Who may see which business units: the optional access policy.

With no policy file (MODELOPS_ACCESS_POLICY unset) the dashboard is open, as for local use.
With one, every user must be named in it: admins see everything, a grant lists the business
units a user may see, anyone else sees a "no access" page. The scope is applied where every
query binds its parameters (`Filter.params`), so no page, download or cache entry can reach
past it. Policy file (TOML, UTF-8; a leading byte order mark is accepted):

    # Optional: take the user from this trusted reverse-proxy header (oauth2-proxy sends
    # X-Forwarded-Email / X-Forwarded-User). Without it the user is st.user's email
    # (st.login, or --server.trustedUserHeaders).
    header = "X-Forwarded-Email"
    admins = ["ops-lead@example.com"]

    [grants]
    "alice@example.com" = ["retail", "payments"]

User names are compared after one exact normalisation (`identity`): spaces and tabs at
either end are removed and ASCII letters are lower-cased, nothing else. A name holding any
character outside ASCII letters, digits and `. _ % + - ' @` is refused: in the policy (the
file fails closed) and from a request (that user gets "Access refused"), so no Unicode
case-folding or space-stripping can make one name match another (the Kelvin sign U+212A is
not a `k`, and a trailing no-break space is not nothing). Two policy lines naming the same
user in different case are refused, naming both lines.

The file is read on every run of the page and parsed again when its bytes changed, so a
revoked grant applies on the user's next interaction. Anything that keeps the policy from
being used (set but empty, missing, unreadable, not TOML, wrong types) fails closed: every
user gets a "no access" page that gives a reason without paths or file contents, and the
full detail goes to the server log (logger `modelops.access`).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV = "MODELOPS_ACCESS_POLICY"
log = logging.getLogger("modelops.access")
# What a user name in the policy and from a request may hold (an e-mail address or a login).
NAME = re.compile(r"[A-Za-z0-9._%+'@-]{1,254}")
ALLOWED = "ASCII letters, digits and . _ % + - ' @"


def identity(name: str) -> str | None:
    """The name as compared: spaces/tabs at the ends removed, ASCII letters lower-cased;
    None when it holds anything else (no Unicode folding: U+212A KELVIN SIGN would lower to
    `k`, and str.strip() would drop a no-break space)."""
    name = name.strip(" \t")
    if not NAME.fullmatch(name):
        return None
    return name.lower()  # only ASCII is left, so this is ASCII case-folding


class PolicyError(Exception):
    """The policy file cannot be used; the app refuses everyone instead of starting open.

    `reason` is safe to show in the browser (no path, no file contents); `str()` is the full
    detail for the server log.
    """

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class Policy:
    admins: frozenset[str]
    grants: dict
    header: str | None = None


@dataclass(frozen=True)
class Scope:
    """What one user may see. `business_units` None means all of them.

    `refused` is why nobody (or this request) is let in, safe to show in the browser.
    """

    user: str | None
    business_units: tuple[str, ...] | None
    admin: bool = False
    refused: str | None = None

    @property
    def has_access(self) -> bool:
        return self.refused is None and (
            self.business_units is None or bool(self.business_units))

    @property
    def refusal(self) -> tuple[str, str]:
        """Title and message of the page shown instead of the dashboard without access."""
        return "No access", self.refused or (
            f"{self.user or 'You'} may not see any business unit in modelops. Ask an "
            "administrator to add a grant for you to the access policy.")


OPEN = Scope(user=None, business_units=None, admin=True)


def refused(reason: str) -> Scope:
    return Scope(user=None, business_units=(), refused=reason)


def unreadable(reason: str) -> Scope:
    """Nobody gets in: the policy cannot be used. `reason` names no path and no contents."""
    return refused(f"The access policy cannot be read: {reason}. Nobody is let in until an "
                   "administrator fixes it; the details are in the server log.")


# --- reading the policy -----------------------------------------------------------------

def load_policy(path: str | os.PathLike) -> Policy:
    """The policy in the file at `path`; PolicyError when it cannot be used."""
    return parse_policy(_read(path), path)


def _read(path: str | os.PathLike) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        if isinstance(error, FileNotFoundError):
            reason = "the file does not exist"
        elif isinstance(error, IsADirectoryError):
            reason = "the path is a directory, not a file"
        elif isinstance(error, PermissionError):
            reason = "the file may not be read (permission denied)"
        else:
            reason = "the file cannot be read"
        raise PolicyError(reason, f"{path}: cannot read the access policy: {error}") from error


def parse_policy(raw: bytes, path: str | os.PathLike = "<policy>") -> Policy:
    """The policy in a file's bytes. A UTF-8 byte order mark (Windows editors) is accepted."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PolicyError("the file is not UTF-8 text",
                          f"{path}: the access policy is not UTF-8: {error}") from error
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError("the file is not valid TOML",
                          f"{path}: not valid TOML: {error}") from error
    admins, grants = data.get("admins", []), data.get("grants", {})
    header = data.get("header")

    def bad(reason: str) -> PolicyError:
        return PolicyError(reason, f"{path}: {reason}")

    if not isinstance(admins, list) or not all(isinstance(a, str) for a in admins):
        raise bad("`admins` must be a list of user names")
    if not isinstance(grants, dict) or not all(
            isinstance(v, list) and all(isinstance(b, str) for b in v) for v in grants.values()):
        raise bad("`grants` must map each user to a list of business unit ids")
    if header is not None and (not isinstance(header, str) or not header.strip()):
        raise bad("`header` must be a header name")
    admin_names = set()
    for name in admins:
        folded = identity(name)
        if folded is None:
            raise bad(f"the admin {name!r} ({_line_of(text, name)}) holds a character outside "
                      f"{ALLOWED}")
        admin_names.add(folded)
    granted: dict[str, tuple[str, ...]] = {}
    first: dict[str, str] = {}
    for name, units in grants.items():
        folded = identity(name)
        if folded is None:
            raise bad(f"the grant for {name!r} ({_line_of(text, name)}) holds a character "
                      f"outside {ALLOWED}")
        if folded in first:  # TOML refuses exact duplicates; this is the same user anyway
            raise bad(f"{first[folded]!r} ({_line_of(text, first[folded])}) and {name!r} "
                      f"({_line_of(text, name)}) are the same user; keep one grant")
        first[folded] = name
        granted[folded] = tuple(sorted(set(units)))
    return Policy(admins=frozenset(admin_names), grants=granted,
                  header=header.strip() if header else None)


def _line_of(text: str, key: str) -> str:
    """'line N' of the first line that names `key` quoted (or bare), for the message."""
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        quoted = f'"{key}"' in line or f"'{key}'" in line
        if quoted or stripped.startswith((f"{key} ", f"{key}=")):
            return f"line {n}"
    return "line ?"


# The last bytes read and what they gave, per path. Reading a small file on every run costs
# microseconds; comparing the bytes (not mtime/size/inode) also sees an in-place rewrite of
# the same size within one clock tick.
_seen: dict[str, tuple[bytes | None, Policy | PolicyError]] = {}
_seen_lock = threading.Lock()


def policy_at(path: str) -> Policy | PolicyError:
    """The policy at `path` as of now (read every call, parsed only when it changed).

    Returns, not raises, the PolicyError, so one error object can be handed out again.
    Logs each change of outcome: an error once when the policy breaks, info when it loads.
    """
    try:
        raw = _read(path)
    except PolicyError as error:
        raw, outcome = None, error
    with _seen_lock:
        before = _seen.get(path)
        if raw is not None:
            if before is not None and before[0] == raw:
                outcome = before[1]
            else:
                try:
                    outcome = parse_policy(raw, path)
                except PolicyError as error:
                    outcome = error
        _seen[path] = (raw, outcome)
    changed = before is None or _describe(before[1]) != _describe(outcome)
    if changed and isinstance(outcome, PolicyError):
        log.error("access policy cannot be read, every user is refused: %s", outcome)
    elif changed:
        log.info("access policy %s loaded: %d admins, %d grants",
                 path, len(outcome.admins), len(outcome.grants))
    return outcome


def _describe(outcome: Policy | PolicyError) -> object:
    return str(outcome) if isinstance(outcome, PolicyError) else outcome


# --- who is asking ----------------------------------------------------------------------

def scope_for(policy: Policy | None, user: str | None) -> Scope:
    if policy is None:
        return OPEN
    if not (user or "").strip(" \t"):
        return Scope(user=None, business_units=())
    name = identity(user)
    if name is None:
        log.warning("refused a user name with characters outside %s: %r", ALLOWED, user)
        return refused("Access refused: your user name holds characters the access policy "
                       "does not allow; the details are in the server log.")
    if name in policy.admins:
        return Scope(user=name, business_units=None, admin=True)
    return Scope(user=name, business_units=policy.grants.get(name, ()))


def current_scope(headers, user: Mapping | None, env: Mapping[str, str],
                  trusted_user_headers: Mapping[str, str] | None = None) -> Scope:
    """The scope of the request in front of us.

    `headers` is shaped like `st.context.headers` (case-insensitive, `get_all(name)` gives
    every value of a repeated header), `user` is `st.user.to_dict()`, `env` the environment,
    `trusted_user_headers` Streamlit's `server.trustedUserHeaders` (header -> st.user key).

    The user is the header the policy names, else st.user's email. An identity header sent
    more than once, or with a comma-joined value, is refused whichever value comes first: a
    proxy that appends its header after the browser's would otherwise serve the browser's.
    """
    path = env.get(ENV)
    if path is None:
        return OPEN
    if not path.strip():
        log.error("%s is set but empty: every user is refused (unset it for an open "
                  "dashboard)", ENV)
        return unreadable(f"{ENV} is set but empty")
    policy = policy_at(path)
    if isinstance(policy, PolicyError):
        return unreadable(policy.reason)
    if policy.header:
        identity = [policy.header]
    else:
        trusted = trusted_user_headers if isinstance(trusted_user_headers, Mapping) else {}
        identity = [h for h, key in trusted.items() if key == "email"]
    for name in identity:
        values = headers.get_all(name)
        if len(values) > 1 or any("," in v for v in values):
            log.warning("refused a request whose identity header %s is ambiguous: %r",
                        name, values)
            return refused("Access refused: this request names its user more than once. Open "
                           "modelops again through the sign-in proxy; the details are in "
                           "the server log.")
    if policy.header:
        values = headers.get_all(policy.header)
        return scope_for(policy, values[0] if values else None)
    return scope_for(policy, (user or {}).get("email"))

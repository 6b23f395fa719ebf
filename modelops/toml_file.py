"""Reading the deployment file (`modelops.toml`) and naming the line of a key in it.

Both readers of the file, modelops/config.py (warehouse, sources) and
modelops/delivery/subscriptions.py (subscriptions), read it through `read_toml` and report a
mistake as one line naming the file, the line and the key (`modelops.toml:7:
sources.pd.token_env: ...`). tomllib gives no line numbers for values it accepted, so
`line_of` finds a key's line in the text itself.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from modelops.warehouse import UsageError

MAX_CONFIG_BYTES = 1_000_000

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*((?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)"
                  r"(?:\s*\.\s*(?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=")


def read_toml(path: Path) -> tuple[str, dict]:
    """The file's text and parsed document, or a one-line UsageError (unreadable, too large,
    not UTF-8, not TOML with its line)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise UsageError(f"{path}: cannot read the configuration "
                         f"({error.strerror or error})") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise UsageError(f"{path}: larger than {MAX_CONFIG_BYTES:,} bytes; not a "
                         "configuration file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        line = match.group(1) if match else "1"
        reason = re.sub(r"\s*\(at line.*\)", "", message) or "syntax error"
        raise UsageError(f"{path}:{line}: not valid TOML: {reason}") from None


def failer(path: Path, text: str):
    """A `fail(keys, reason)` that raises the one-line UsageError for a key of this file."""
    def fail(keys: tuple, reason: str):
        keys = tuple(str(k) for k in keys)
        raise UsageError(f"{path}:{line_of(text, keys)}: {'.'.join(keys)}: {reason}")
    return fail


def line_of(text: str, keys: tuple[str, ...]) -> int:
    """The 1-based line where `keys` (a.b.c) is written: as a table header, as a key in
    its table, or as a dotted key; else the line of its nearest written parent; else 1."""
    best: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("#"):
            table = _dotted(header.group(1))
            best.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            full = table + _dotted(key.group(1))
            for n in range(1, len(full) + 1):
                best.setdefault(full[:n], number)
    for n in range(len(keys), 0, -1):
        if keys[:n] in best:
            return best[keys[:n]]
    return 1


def _dotted(text: str) -> tuple[str, ...]:
    parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+)", text)
    return tuple(next(p for p in part if p) if any(part) else "" for part in parts)

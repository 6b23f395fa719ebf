"""modelops.toml, the deployment file: the warehouse and the sources `modelops sync` pulls.

    config = load_config(Path("modelops.toml"))   # or find_config(args.config)
    config.warehouse        # str | None: a path or an iceberg+... location, as written
    config.sources["pd"]    # Source(name="pd", kind="pagerduty", url=..., every_s=300, ...)

The whole file is checked before anything is fetched, and every mistake is one line naming
the file, the line and the key (`modelops.toml:7: sources.pd.token_env: the variable
PD_TOKEN is not set`), raised as UsageError (exit 2). tomllib gives no line numbers for
values it accepted, so modelops/toml_file.py finds a key's line in the text itself. The
`[subscriptions.*]` tables are checked here too (modelops/delivery/subscriptions.py), so
a mistake anywhere in the file is found by whichever command reads it first.

Secrets never go in the file: a source names the environment variable that holds its
token (`token_env`), and the variable must be set when the file is read. Relative paths
(`warehouse`, `path`, `map`) are read from the file's own directory, so the same file works
from cron, systemd and a container whatever their working directory.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from modelops.delivery.subscriptions import parse_subscriptions
from modelops.importers.run import SOURCES, read_map, source_module
from modelops.toml_file import failer, read_toml
from modelops.warehouse import UsageError

CONFIG_ENV = "MODELOPS_CONFIG"
DEFAULT_CONFIG = Path("modelops.toml")

TOP_KEYS = ("warehouse", "sources", "subscriptions")
SOURCE_KEYS = ("kind", "url", "path", "token_env", "map", "model", "every", "overlap",
               "backfill", "timeout", "options")
# Smallest interval: a source polled more often than this hammers its API for nothing.
MIN_EVERY_S = 10
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# How far back each sync reads again (late changes: an incident resolved after the last
# run, a late hour of metrics, a re-billed cost day), when the file does not say.
DEFAULT_OVERLAP = {"pagerduty": "1d", "opsgenie": "1d", "prometheus": "2h",
                   "opencost": "1d"}
DEFAULT_BACKFILL = "7d"  # the first sync of a url source, without a cursor yet


@dataclass(frozen=True)
class Source:
    """One `[sources.NAME]` table, checked. Exactly one of `url` and `path` is set."""

    name: str
    kind: str
    every_s: int
    url: str | None = None
    path: str | None = None          # a glob, absolute (resolved against the file's folder)
    token_env: str | None = None
    map_path: Path | None = None
    model: str | None = None
    overlap_s: int = 0
    backfill_s: int = 7 * 86400
    timeout_s: float = 30.0
    options: dict[str, str] = field(default_factory=dict)

    def token(self) -> str | None:
        """The token, read from the environment at the moment it is needed."""
        return os.environ.get(self.token_env) if self.token_env else None


@dataclass(frozen=True)
class Config:
    file: Path
    warehouse: str | None
    sources: dict[str, Source]


def find_config(explicit: str | os.PathLike | None = None) -> Path:
    """`--config`, else MODELOPS_CONFIG, else ./modelops.toml."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def file_warehouse(path: Path) -> str | None:
    """The file's own `warehouse` (a relative path read from the file's folder), for a
    command that needs nothing else of it (`deliver`: its sources' tokens need not be set)."""
    text, doc = read_toml(Path(path))
    warehouse = doc.get("warehouse")
    if warehouse is None:
        return None
    if not isinstance(warehouse, str) or not warehouse.strip():
        failer(Path(path), text)(("warehouse",), "must be a path or an iceberg+... location")
    return warehouse if warehouse.startswith("iceberg+") else str(_beside(Path(path), warehouse))


def parse_duration(text: str) -> int:
    """"90s", "5m", "1h30m", "2d" as seconds; ValueError for anything else."""
    text = text.strip().lower()
    parts = re.findall(r"(\d+)\s*([smhd])", text)
    if not parts or re.sub(r"\d+\s*[smhd]", "", text).strip():
        raise ValueError(f"{text!r} is not a duration like 30s, 5m, 1h or 1d")
    return sum(int(n) * UNITS[u] for n, u in parts)


def load_config(path: Path) -> Config:
    """The checked deployment file, or a one-line UsageError naming file, line and key."""
    path = Path(path)
    text, doc = read_toml(path)
    return _check(path, text, doc)


def _check(path: Path, text: str, doc: dict) -> Config:
    fail = failer(path, text)

    for key in doc:
        if key not in TOP_KEYS:
            fail((key,), f"unknown key (known: {', '.join(TOP_KEYS)})")
    warehouse = doc.get("warehouse")
    if warehouse is not None:
        if not isinstance(warehouse, str) or not warehouse.strip():
            fail(("warehouse",), "must be a path or an iceberg+... location")
        if not warehouse.startswith("iceberg+"):
            warehouse = str(_beside(path, warehouse))
    sources_doc = doc.get("sources", {})
    if not isinstance(sources_doc, dict):
        fail(("sources",), "must be a table of [sources.NAME] tables")
    sources = {}
    for name, table in sources_doc.items():
        sources[name] = _source(path, name, table, fail)
    parse_subscriptions(path, text, doc)  # checked with the rest; `deliver` reads them
    return Config(file=path, warehouse=warehouse, sources=sources)


def _source(path: Path, name: str, table, fail) -> Source:
    at = ("sources", name)
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        fail(at, "a source name is letters, digits, '-' and '_' (at most 64)")
    if not isinstance(table, dict):
        fail(at, "must be a table ([sources.NAME])")
    for key in table:
        if key not in SOURCE_KEYS:
            fail((*at, key), f"unknown key (known: {', '.join(SOURCE_KEYS)})")

    def text(key: str, required: bool = False) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                fail(at, f"the key {key!r} is missing")
            return None
        if not isinstance(value, str) or not value.strip():
            fail((*at, key), "must be a non-empty string")
        return value.strip()

    def duration(key: str, default: str | None) -> int:
        value = table.get(key, default)
        if value is None:
            return 0
        if not isinstance(value, str):
            fail((*at, key), 'must be a duration in quotes, like "5m"')
        try:
            return parse_duration(value)
        except ValueError as error:
            fail((*at, key), str(error))

    kind = text("kind", required=True)
    if kind not in SOURCES:
        fail((*at, "kind"), f"unknown importer {kind!r} (known: {', '.join(SOURCES)})")
    url, glob_text = text("url"), text("path")
    if (url is None) == (glob_text is None):
        fail(at, "give exactly one of 'url' (fetch from the API) and 'path' (a glob of files)")
    module = source_module(kind)
    if url is not None:
        if not hasattr(module, "fetch"):
            fail((*at, "url"), f"{kind} reads files only: use 'path'")
        if not re.match(r"https?://[^/\s]+", url):
            fail((*at, "url"), f"{url!r} is not an http(s) URL")
    token_env = text("token_env")
    if token_env is not None:
        if url is None:
            fail((*at, "token_env"), "only a 'url' source sends a token")
        if not os.environ.get(token_env):
            fail((*at, "token_env"), f"the variable {token_env} is not set")
    map_path = None
    if text("map") is not None:
        map_path = _beside(path, text("map"))
        try:
            read_map(map_path, kind)
        except UsageError as error:
            fail((*at, "map"), str(error).removeprefix("--map "))
    every = duration("every", None)
    if "every" not in table:
        fail(at, "the key 'every' is missing (how often to sync, like \"5m\")")
    if every < MIN_EVERY_S:
        fail((*at, "every"), f"at least {MIN_EVERY_S}s")
    options = table.get("options", {})
    if not isinstance(options, dict):
        fail((*at, "options"), "must be a table of KEY = \"VALUE\"")
    for key, value in options.items():
        if not isinstance(value, str | int | float | bool) or isinstance(value, dict):
            fail((*at, "options", key), "must be a string, number or boolean")
    timeout = duration("timeout", "30s")
    return Source(
        name=name, kind=kind, every_s=every, url=url,
        path=str(_beside(path, glob_text)) if glob_text else None,
        token_env=token_env, map_path=map_path, model=text("model"),
        overlap_s=duration("overlap", DEFAULT_OVERLAP.get(kind, "0s")),
        backfill_s=duration("backfill", DEFAULT_BACKFILL),
        timeout_s=float(timeout or 30),
        options={k: _option_text(v) for k, v in options.items()})


def _option_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _beside(config: Path, value: str) -> Path:
    """A path from the file, read from the file's own folder when relative."""
    given = Path(os.path.expanduser(value))
    return given if given.is_absolute() else config.resolve().parent / given


def expand_glob(pattern: str) -> list[Path]:
    """The files a `path` source's glob names now, sorted (`**` reaches subfolders)."""
    return sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())

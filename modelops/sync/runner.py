"""One run of one source: what is new since the last run, loaded like `modelops import`.

url sources read the window [cursor - overlap, now), the cursor being the end of the last
window loaded whole; the overlap reads the end of the previous window again, so a change
that came late (an incident resolved after the last run, a late hour of metrics) is picked
up, and the upsert makes the re-read rows `unchanged`, never duplicates. Windows are cut on
the source's grain (whole hours for Prometheus, whole UTC days for OpenCost, which refuses
part days). The first run, without a cursor, reads `backfill` back. The cursor moves only
when every page of the window loaded (quarantined rows count as loaded; a rejected page or
a stop does not), so no interval is ever skipped.

path sources load the files of their glob whose content (sha256) this importer has not
loaded yet, one file at a time (see READ_TOGETHER); a file rewritten with new content is
loaded again, one unchanged is not even parsed. A file that is rejected is tried again at
the next run (and its error shown) until it is fixed or removed.

Either way the files go through modelops.importers.run.import_files, one transaction per
file: a kill -9 leaves the warehouse as it was before the file in hand.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from modelops.config import Source, expand_glob
from modelops.importers.base import Options
from modelops.importers.http import Client, FetchError
from modelops.importers.run import FileReport, exit_status, import_files, source_module
from modelops.sync.backoff import next_delay
from modelops.sync.state import SourceState, read_state, write_state
from modelops.warehouse import UsageError, writing
from modelops.warehouse.ingest import file_sha256, one_line

# Windows are cut on these boundaries (seconds), so no partial hour or day is read.
GRAIN_S = {"prometheus": 3600, "opencost": 86400}
MAX_FILES = 10_000  # a path source's glob, per run
# Tools whose one export spans several files read together (PagerDuty incidents and their
# log entries, GitHub deployments and statuses, MLflow's two searches, Prometheus's two
# range queries): a path source of these imports its new files in one go. Every other
# tool's file is a whole export (FOCUS, Evidently, GX, OpenSLO, Sloth, OTLP), imported one
# at a time, so a stop or a kill costs at most the file in hand.
READ_TOGETHER = {"pagerduty", "github", "mlflow", "prometheus", "opsgenie", "opencost"}


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Outcome:
    """What one run did: its exit status (as `modelops import`'s), the lines to print."""

    source: str
    status: int = 0
    rows: int = 0                 # rows inserted or updated
    error: str | None = None      # why the run failed (fetch, rejected file); None if not
    stopped: bool = False         # asked to stop before the run was complete
    next_run: datetime | None = None
    failures: int = 0
    lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.stopped


class Stopped(FetchError):
    """The sync was asked to stop while fetching: nothing of this run loads."""


class _StoppableClient(Client):
    """The import client, which gives up between requests once the sync must stop."""

    def __init__(self, *args, stop: Callable[[], bool], **kwargs):
        super().__init__(*args, **kwargs)
        self._stop = stop

    def request(self, *args, **kwargs):
        if self._stop():
            raise Stopped("stopped before the fetch finished (nothing loaded)")
        return super().request(*args, **kwargs)


def _floor(moment: datetime, grain_s: int) -> datetime:
    if not grain_s:
        return moment
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % grain_s, UTC)


def window(source: Source, cursor: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """[since, until) to fetch: from the cursor less the overlap (or `backfill` before now
    on the first run) to now, both cut on the source's grain."""
    grain = GRAIN_S.get(source.kind, 0)
    start = (cursor - timedelta(seconds=source.overlap_s) if cursor is not None
             else now - timedelta(seconds=source.backfill_s))
    return _floor(start, grain), _floor(now, grain)


def default_delay(every_s: int, failures: int) -> float:
    """After a single run (cron): the interval, or the backoff, without jitter."""
    return next_delay(every_s, failures, jitter=0.0)


def sync_source(warehouse: Path, source: Source, *, now: Callable[[], datetime] = utcnow,
                stop: Callable[[], bool] = lambda: False,
                write_lock: AbstractContextManager | None = None,
                delay: Callable[[int, int], float] = default_delay) -> Outcome:
    """Run `source` once against the warehouse file and record the run in sync_sources.

    `write_lock` serialises this process's writers (the loop runs sources on threads and
    fetches side by side, but writes one at a time). `delay(every_s, failures)` gives the
    seconds to the next run, recorded as next_run."""
    guard = write_lock if write_lock is not None else nullcontext()
    attempt = now()
    with guard, writing(warehouse) as con:
        state = read_state(con, source.name) or SourceState(
            name=source.name, kind=source.kind, every_s=source.every_s)
    out = Outcome(source=source.name)
    cursor = state.cursor
    reports: list[FileReport] = []
    try:
        if source.url is not None:
            reports, cursor = _sync_url(warehouse, source, state.cursor, attempt, stop, guard,
                                        out)
        else:
            reports = _sync_path(warehouse, source, stop, guard, out)
    except Stopped:
        out.stopped, out.status = True, 0
    except (FetchError, UsageError) as error:
        out.error, out.status = one_line(str(error)), 2
    for report in reports:
        out.lines += [f"  {line}" for line in report.lines()]
    out.status = max(out.status, exit_status(reports))
    out.rows = sum(load.inserted + load.updated for r in reports for load in r.loads)
    if out.error is None and out.status == 2:
        out.error = one_line(next(
            (line for r in reports for line in r.lines() if "REJECTED" in line),
            "a file was rejected"))
    if stop() and not out.stopped and (reports or source.path is not None):
        out.stopped = True  # the loads may have stopped between files: keep the cursor
    if out.stopped:
        out.lines.append(f"{source.name}: stopped; the next run resumes from the cursor")
    if out.ok:
        state.cursor, state.last_success, state.last_rows = cursor, attempt, out.rows
        state.failures, state.last_error = 0, None
    elif out.error is not None:
        state.failures, state.last_error = state.failures + 1, out.error
        out.lines.append(f"{source.name}: FAILED: {out.error}")
    out.failures = state.failures
    state.kind, state.every_s, state.last_attempt = source.kind, source.every_s, attempt
    state.next_run = attempt + timedelta(seconds=delay(source.every_s, state.failures))
    out.next_run = state.next_run
    if out.ok:
        shown = f"; cursor {state.cursor:%Y-%m-%d %H:%M} UTC" if state.cursor else ""
        out.lines.append(f"{source.name}: ok, {out.rows} rows new or changed{shown}")
    with guard, writing(warehouse) as con:
        write_state(con, state)
    return out


def _sync_url(warehouse, source: Source, cursor, attempt, stop, guard, out):
    since, until = window(source, cursor, attempt)
    if since >= until:
        out.lines.append(f"{source.name}: nothing to fetch before {until:%Y-%m-%d %H:%M} UTC")
        return [], cursor
    module = source_module(source.kind)
    auth = None
    if source.token_env:
        token = source.token()
        if not token:
            raise UsageError(f"{source.name}: the variable {source.token_env} is not set")
        auth = getattr(module, "AUTH", "Bearer {token}").format(token=token)
    with tempfile.TemporaryDirectory(prefix=f"modelops-sync-{source.name}-") as tmp:
        client = _StoppableClient(source.url, Path(tmp), auth=auth, timeout_s=source.timeout_s,
                                  stop=stop)
        files = list(module.fetch(client, Options(model=source.model, since=since,
                                                  until=until, extra=dict(source.options))))
        out.lines.append(
            f"{source.name}: fetched {len(files)} page(s) in {client.requests} request(s) "
            f"from {client.base_url}, {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC")
        names = {f: f"{client.base_url}/{f.relative_to(tmp)}" for f in files
                 if f.is_relative_to(tmp)}
        with guard:
            reports = import_files(warehouse, source.kind, files, map_path=source.map_path,
                                   model=source.model, since=since, until=until,
                                   extra=dict(source.options), names=names, stop=stop)
    return reports, until


def loaded_hashes(con, kind: str) -> set[str]:
    """Content hashes of the files `kind` has loaded (whole or with quarantined rows)."""
    return {sha for (sha,) in con.execute(
        "SELECT DISTINCT sha256 FROM load_log WHERE source = ? AND sha256 IS NOT NULL"
        " AND status <> 'rejected'", [kind]).fetchall()}


def _sync_path(warehouse, source: Source, stop, guard, out) -> list[FileReport]:
    files = expand_glob(source.path)
    if len(files) > MAX_FILES:
        raise UsageError(f"{source.name}: {source.path} names {len(files)} files; at most "
                         f"{MAX_FILES} a run (move loaded files away)")
    with guard, writing(warehouse) as con:
        done = loaded_hashes(con, source.kind)
    new = [f for f in files if file_sha256(f) not in done]
    out.lines.append(f"{source.name}: {len(new)} new file(s) of {len(files)} in {source.path}")
    batches = [new] if source.kind in READ_TOGETHER else [[f] for f in new]
    reports: list[FileReport] = []
    for batch in batches:
        if stop():
            break
        with guard:
            reports += import_files(warehouse, source.kind, batch, map_path=source.map_path,
                                    model=source.model, extra=dict(source.options), stop=stop)
    return reports

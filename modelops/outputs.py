"""Writing an output file so that nobody sharing its folder can redirect the write.

A fixed temporary name beside the target (`.<name>.partial`, `<target>.tmp`) can be planted
beforehand as a symlink by anyone who may write to that folder, and the write then lands on
the link's target. So the temporary file gets an unpredictable name, is created exclusively
(O_CREAT|O_EXCL, never following a link) in the target's own folder, is written through the
descriptor that created it, and is then renamed over the target (a rename replaces a link at
the target itself rather than following it). A reader, or a run that fails half-way, never
sees half a file.

An output path may also not be the warehouse or its write-ahead log: `report weekly --out
data/warehouse.duckdb` would otherwise replace the database with a CSV.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from modelops.warehouse.errors import UsageError


def warehouse_files(location: str) -> tuple[Path, ...]:
    """The files an output must not replace: the DuckDB warehouse at `location` (as
    `modelops.backends.warehouse_location` gives it) and its WAL; none for an Iceberg
    catalog, whose files are the catalog's own."""
    if location.startswith("iceberg+"):
        return ()
    return Path(location), Path(f"{location}.wal")


def refuse_protected(path: str | os.PathLike, protected: Iterable[Path]) -> None:
    """UsageError when `path` is (or links to) one of `protected`."""
    target = os.path.realpath(path)
    for keep in protected:
        same = target == os.path.realpath(keep)
        if not same and os.path.exists(path) and os.path.exists(keep):
            same = os.path.samefile(path, keep)
        if same:
            what = "its write-ahead log" if str(keep).endswith(".wal") else "the warehouse"
            raise UsageError(f"{path}: this is {what}; choose another output file")


def write_file(path: str | os.PathLike, data: bytes | Callable[[BinaryIO], None], *,
               protected: Iterable[Path] = (),
               finish: Callable[[Path], None] | None = None) -> Path:
    """Write `data` (bytes, or a function writing to the open file) to `path` through an
    exclusive, unpredictably named temporary file in the same folder, then rename it.
    `finish(temporary path)` runs on the closed file before the rename."""
    path = Path(path)
    refuse_protected(path, protected)
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=folder)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # what open() would have given, not mkstemp's 0600
        with os.fdopen(fd, "wb") as out:
            if isinstance(data, bytes | bytearray):
                out.write(data)
            else:
                data(out)
        if finish is not None:
            finish(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def copy_file(source: str | os.PathLike, path: str | os.PathLike, *,
              protected: Iterable[Path] = (),
              finish: Callable[[Path], None] | None = None) -> Path:
    """`source` copied to `path` as `write_file` writes."""
    def copy(out: BinaryIO) -> None:
        with open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1024 * 1024)

    return write_file(path, copy, protected=protected, finish=finish)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask

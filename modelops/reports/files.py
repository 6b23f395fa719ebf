"""What every report file shares: the one guarded writer (modelops/outputs.py's exclusive
write-then-rename that never replaces the warehouse, or stdout) and
the guard against a text cell that a spreadsheet would run as a formula (OWASP, "CSV
Injection"). The weekly CSV/XLSX (weekly.py) and the week in review (review.py) both use
these, so a file never appears half-written and a name from the data is never a formula.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from modelops import outputs
from modelops.backends import warehouse_location

# OWASP's list (line feed added in its current page) and the full-width forms.
FORMULA_START = "^[=+\\-@\t\r\n\uff1d\uff0b\uff0d\uff20]"
_FORMULA = re.compile(FORMULA_START)


def defused(text: str) -> str:
    """A text that starts like a formula, with a leading `'` (a spreadsheet shows it)."""
    return "'" + text if _FORMULA.match(text) else text


def write_file(path: Path, data: bytes, warehouse: str | os.PathLike | None = None) -> None:
    """Write-then-rename through an exclusive temporary file, so a reader (or a failed run)
    never sees half a file, a planted link is not followed, and the warehouse (`--warehouse`,
    else the configured one) and its WAL are never replaced."""
    outputs.write_file(path, data,
                       protected=outputs.warehouse_files(warehouse_location(warehouse)))


def write_stdout(data: bytes) -> None:
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (some embedders)
        sys.stdout.write(data.decode("utf-8"))
    else:
        buffer.write(data)
        buffer.flush()

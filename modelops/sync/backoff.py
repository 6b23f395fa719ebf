"""When a source runs again: its interval with jitter, or an exponential backoff after
failures. One rule for the loop's schedule and for the next_run a single sync records."""

from __future__ import annotations

import random

JITTER = 0.1
BACKOFF_START_S = 60
BACKOFF_CAP_S = 3600


def next_delay(every_s: int, failures: int, jitter: float = JITTER,
               rng: random.Random | None = None) -> float:
    """Seconds until a source runs again: `every_s` after a success; after `failures`
    failures in a row, min(every, 60 s) doubled per failure, at most max(every, 1 h); both
    stretched by up to ±`jitter` so sources started together spread out."""
    spread = 1.0 + ((rng or random).uniform(-jitter, jitter) if jitter else 0.0)
    if failures <= 0:
        return every_s * spread
    base = min(every_s, BACKOFF_START_S) * 2 ** (failures - 1)
    return min(base, max(every_s, BACKOFF_CAP_S)) * spread

"""Finding a model among thousands: the pickers list at most `LISTED` models.

A picker that lists every model costs every page switch at scale: at 10,000 models the
sidebar's Models filter alone made each switch about 170 ms slower in Chromium (the
browser redraws a 10,000-option list on every run), and Model detail's picker sent
415 kB. So when more than `LISTED` models are in scope, a picker gets a search box above
it and lists only the models chosen plus the first `LISTED` matches by name; below that,
it lists them all, as before, with no search box.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

LISTED = 200


@dataclass(frozen=True)
class Listing:
    """What a picker lists: the models kept (chosen already) first, then the matches."""

    options: list[str]
    matches: int  # models whose name or id holds every word searched (all, when none)
    listed: int  # of those, how many are listed

    def note(self, noun: str = "models") -> str | None:
        """The line under a picker that does not list every match, else None."""
        if self.matches == 0:
            return f"No {noun[:-1]} has every word searched in its name or id."
        if self.listed < self.matches:
            return (f"{self.matches:,} {noun} match: the first {self.listed:,} by name are "
                    "listed. Type more of a name or id to narrow.")
        return None


def listing(names: dict[str, str], search: str = "", keep: Iterable[str] = (),
            limit: int = LISTED) -> Listing:
    """The ids to list for `search` (words, any case, each in the model's name or id),
    sorted by name then id, at most `limit` besides the ids in `keep` (those in `names`)."""
    words = search.casefold().split()
    kept = [m for m in dict.fromkeys(keep) if m in names]
    matching = [m for m in names
                if all(w in f"{names[m]}\n{m}".casefold() for w in words)] if words else names
    ordered = sorted(matching, key=lambda m: (names[m], m))
    held = set(kept)
    rest = [m for m in ordered if m not in held][:limit]
    return Listing(kept + rest, len(matching), len(rest))


def search_box(container, names: dict[str, str], key: str, keep: Iterable[str] = (),
               label: str = "Find models", noun: str = "models") -> list[str]:
    """The options of the picker drawn next: every model when there are at most `LISTED`,
    else a search box (drawn in `container`, its text kept under `key`) and its listing,
    with a line saying what is not listed."""
    if len(names) <= LISTED:
        return listing(names, keep=keep, limit=len(names)).options
    search = container.text_input(
        label, key=key, max_chars=100,
        placeholder=f"Name or id, of {len(names):,} {noun}; then Enter")
    found = listing(names, search, keep)
    if note := found.note(noun):
        container.caption(note)
    return found.options

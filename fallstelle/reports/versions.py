"""Versions of base cells: which snapshot of an office quarter a shown number read (issue 10).

Pure functions on quarter strings; no database, no other ``reports`` module.

A base cell is ``(office, quarter, unit, fact)``. The current snapshot of a frozen quarter
keeps the plain quarter ("2026-Q1"); a number that read an **older revision** names it in
the quarter: ``"2026-Q1@0"`` (revision 0 of 2026-Q1). A running count ("laufend") at the end
of a quarter sums every earlier quarter, so when one of those was read at an older revision
the running count is a different unknown too: its tag lists those quarters,
``"2026-Q3@2026-Q1.0"`` (running at the end of Q3 with Q1 at revision 0, the rest current).
A register entry whose numbers contradict the frozen counts it claims to have read (made
before its quarters were frozen, see :mod:`.register`) gets base cells of its own,
``"2026-Q1@L<id>"``, for every quarter it touches: the identities hold within them, their
true values are unknown.
"""

from __future__ import annotations

from collections.abc import Mapping

LEGACY = "L"


def split(quarter: str) -> tuple[str, str | None]:
    """The plain quarter and the version label (None: the current snapshot)."""
    plain, _, label = quarter.partition("@")
    return plain, (label or None)


def plain(quarter: str) -> str:
    return quarter.partition("@")[0]


def tag(quarter: str, label: str | None) -> str:
    return quarter if label is None else f"{quarter}@{label}"


def state_label(read: Mapping[str, int]) -> str | None:
    """The label of a running count whose quarters ``read`` (quarter → revision) are old."""
    if not read:
        return None
    return ",".join(f"{q}.{r}" for q, r in sorted(read.items()))


def state(label: str | None) -> dict[str, int]:
    """The old revisions a running count's label names (empty: none, or not a state)."""
    if not label or label.startswith(LEGACY) or "." not in label:
        return {}
    out = {}
    for part in label.split(","):
        q, _, r = part.rpartition(".")
        out[q] = int(r)
    return out


def is_legacy(label: str | None) -> bool:
    return bool(label) and label.startswith(LEGACY)  # type: ignore[union-attr]


def base_tag(quarter: str, running_label: str | None) -> str:
    """The tag of the base cells (opened, closed) of ``quarter`` inside a running count's chain."""
    if running_label is None:
        return quarter
    if is_legacy(running_label):
        return tag(quarter, running_label)
    read = state(running_label)
    return tag(quarter, str(read[quarter])) if quarter in read else quarter


def step_down(running_label: str | None, quarter: str) -> str | None:
    """The label of the running count of an earlier ``quarter`` in the same chain."""
    if running_label is None or is_legacy(running_label):
        return running_label
    return state_label({q: r for q, r in state(running_label).items() if q <= quarter})


def revision(label: str | None) -> int | None:
    """The revision an old base cell's label names (None: current, a state or legacy)."""
    return int(label) if label is not None and label.isdigit() else None

"""The verifier: recompute the chain over a stream of rows and name the first damage.

Imports only the standard library and ``cryptography`` (via ``chain``), like ``chain``, so
``tools/verify_audit_export.py`` carries an exact copy of both (``tests/audit`` proves it).
What it checks, in order, per event: its place (seq), its entry hash, its link to the one
before, its MAC (with the chain key; legacy events before the ``audit.chain_keyed`` anchor
have none), the saved and stored checkpoints at its seq, and the checkpoint required at every
multiple of ``every``; after the last event: checkpoints, saved notes, the witness and the
head that claim a longer log, and the head's MAC. Kinds of damage: ``chain.EDITED`` …
``chain.CHECKPOINT_MISSING``.
"""

from __future__ import annotations

import hmac
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fallstelle.audit.chain import (
    ANCHOR_ACTION,
    CHECKPOINT_EVERY,
    CHECKPOINT_MISSING,
    DELETED,
    EDITED,
    FORGED,
    GENESIS,
    INSERTED,
    REORDERED,
    TRUNCATED,
    WINDOW,
    Checkpoint,
    Head,
    Row,
    entry_hash,
    entry_mac,
    head_mac,
)


@dataclass(frozen=True)
class Verification:
    """What the verifier found: intact, or the first bad seq and the kind of damage."""

    events: int
    first_seq: int | None
    last_seq: int
    checkpoints: int
    bad_seq: int | None = None
    kind: str | None = None
    detail: str = ""
    warnings: tuple[str, ...] = ()
    legacy: int = 0
    saved: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.kind is None

    def message(self) -> str:
        """Return the one line to print."""
        if not self.ok:
            return f"audit log DAMAGED: first bad seq {self.bad_seq}: {self.kind} ({self.detail})"
        span = f" (seq {self.first_seq}-{self.last_seq})" if self.events else ""
        parts = [f"audit log intact: {self.events} events{span}"]
        if self.legacy:
            parts.append(f"the first {self.legacy} from before the keyed chain")
        if self.checkpoints:
            parts.append(f"{self.checkpoints} signed checkpoints match")
        elif self.events:
            parts.append("no signed checkpoint due yet")
        parts += [f"{label} matches" for label in self.saved]
        return "; ".join(parts)


class _Lookahead:
    """An iterator that can peek a few rows ahead (to tell a reorder from a gap)."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self._rows = iter(rows)
        self._buffer: deque[Row] = deque()

    def __iter__(self) -> Iterator[Row]:
        return self

    def __next__(self) -> Row:
        return self._buffer.popleft() if self._buffer else next(self._rows)

    def peek(self, n: int) -> list[Row]:
        while len(self._buffer) < n:
            row = next(self._rows, None)
            if row is None:
                break
            self._buffer.append(row)
        return list(self._buffer)[:n]


def _moved_from(row: Row, position: int) -> int | None:
    """Return the seq whose intact entry sits at ``position``, if one nearby fits."""
    for seq in range(max(1, position - WINDOW), position + WINDOW + 1):
        if seq != row.seq and entry_hash(row.prev_hash, row._replace(seq=seq)) == row.entry_hash:
            return seq
    return None


def _fits(row: Row, position: int, prev: bytes) -> bool:
    """Return whether ``row`` is the untouched event that belongs at ``position`` after ``prev``."""
    return row.prev_hash == prev and entry_hash(prev, row._replace(seq=position)) == row.entry_hash


def _classify(
    problem: str, row: Row, position: int, prev: bytes, ahead: list[Row]
) -> tuple[str, str]:
    """Name the damage at ``position`` (where ``row`` stands) as kind and detail."""
    moved = _moved_from(row, position) if problem == "hash" else None
    if ahead and _fits(ahead[0], position, prev):
        if moved is not None:
            return REORDERED, f"holds the entry of seq {moved}"
        return (
            INSERTED,
            f"seq {position} is not part of the chain; the event that was there follows it",
        )
    if problem == "mac":
        return FORGED, (
            "its MAC does not match: written without the chain key "
            "(edited, inserted, deleted or reordered, with the chain recomputed)"
        )
    if problem == "anchor":
        return FORGED, "the keyed chain begins without its audit.chain_keyed anchor event"
    if moved is not None:
        if (
            moved > position
            and row.prev_hash != prev
            and not any(_fits(r, position, prev) for r in ahead)
        ):
            return DELETED, f"the event of seq {position} is gone; later events were renumbered"
        return REORDERED, f"holds the entry of seq {moved}"
    return EDITED, "contents do not match the entry hash"


def verify_stream(
    rows: Iterable[Row],
    checkpoints: Iterable[Checkpoint],
    public_key: Ed25519PublicKey,
    external: Sequence[tuple[str, Checkpoint]] = (),
    *,
    claimed_last_seq: int = 0,
    chain_key: bytes | None = None,
    head: Head | None = None,
    every: int = CHECKPOINT_EVERY,
) -> Verification:
    """Recompute the chain over ``rows`` (in stored order) and check every checkpoint.

    ``external`` are checkpoints kept outside the database (the witness file, notes an
    auditor saved), labelled; ``claimed_last_seq`` is where the head says the log ends. With
    ``chain_key`` every event's MAC and the ``head``'s MAC are checked too, and the keyed part
    must have a signed checkpoint at every multiple of ``every``. Holds one row, a few rows of
    look-ahead and the checkpoints in memory, never the log.
    """
    cps = {cp.seq: cp for cp in checkpoints}
    valid = {seq: cp.signature_valid(public_key) for seq, cp in cps.items()}
    saved: dict[int, list[tuple[str, Checkpoint]]] = {}
    for label, theirs in external:
        saved.setdefault(theirs.seq, []).append((label, theirs))
    warnings: list[str] = []
    matched = 0
    matched_saved: list[str] = []
    legacy = 0
    keyed_from: int | None = None
    stream = _Lookahead(rows)
    first = stream.peek(1)
    start, prev = 1, GENESIS
    if first and first[0].seq > 1:
        anchor = cps.get(first[0].seq - 1)
        if (
            anchor is not None
            and valid[anchor.seq]
            and anchor.epoch < first[0].epoch
            and anchor.entry_hash == first[0].prev_hash
        ):
            # Earlier epochs were purged; the first kept event continues their final checkpoint.
            start, prev = first[0].seq, anchor.entry_hash

    def damaged(seq: int, kind: str, detail: str) -> Verification:
        return Verification(
            seq - start, start, seq - 1, matched, seq, kind, detail, tuple(warnings), legacy
        )

    for label, theirs in external:
        if not theirs.signature_valid(public_key):
            return damaged(start, FORGED, f"{label} has an invalid signature")
    for seq in sorted(s for s in cps if s < start):
        if not valid[seq]:
            return damaged(seq, FORGED, f"checkpoint {seq} has an invalid signature")
    expected, epoch, last_time = start, 0, ""
    last_good = last_saved = start - 1
    for row in stream:
        if row.seq != expected:
            ahead = stream.peek(WINDOW)
            if row.seq < expected or any(r.seq == expected for r in ahead):
                detail = f"seq {row.seq} stands where {expected} belongs"
                return damaged(expected, REORDERED, detail)
            return damaged(expected, DELETED, f"seq {expected}-{row.seq - 1} absent")
        problem = ""
        if entry_hash(row.prev_hash, row) != row.entry_hash:
            problem = "hash"
        elif row.prev_hash != prev:
            if expected == 1:
                return damaged(1, FORGED, "the chain does not start at the genesis hash")
            return damaged(
                expected - 1, EDITED, f"entry hash rewritten; seq {expected} does not link to it"
            )
        elif row.mac is not None or keyed_from is not None:
            if keyed_from is None and legacy and row.action != ANCHOR_ACTION:
                problem = "anchor"
            elif row.mac is None or (
                chain_key is not None
                and not hmac.compare_digest(bytes(row.mac), entry_mac(chain_key, row.entry_hash))
            ):
                problem = "mac"
            elif keyed_from is None:
                keyed_from = expected
        else:
            legacy += 1
        if problem:
            kind, detail = _classify(problem, row, expected, prev, stream.peek(WINDOW))
            return damaged(expected, kind, detail)
        if row.epoch < epoch:
            return damaged(expected, EDITED, "epoch goes backwards")
        for label, mine in saved.get(expected, ()):
            # Checked before the stored ones: those may be re-signed with a stolen key.
            if mine.entry_hash != row.entry_hash:
                return damaged(
                    expected,
                    FORGED,
                    f"disagrees with {label}; rewritten after {last_saved}",
                )
            matched_saved.append(label)
            last_saved = expected
        cp = cps.get(expected)
        if cp is not None:
            if not valid[expected]:
                return damaged(expected, FORGED, f"checkpoint {expected} signature invalid")
            if cp.entry_hash != row.entry_hash or cp.epoch != row.epoch:
                return damaged(
                    expected,
                    FORGED,
                    f"disagrees with signed checkpoint {expected}; rewritten after {last_good}",
                )
            matched += 1
            last_good = expected
        elif keyed_from is not None and expected % every == 0:
            return damaged(
                expected,
                CHECKPOINT_MISSING,
                f"no signed checkpoint at seq {expected} (one is required every {every} events)",
            )
        if row.time < last_time and len(warnings) < 10:
            warnings.append(f"time goes backwards at seq {expected} (clock skew?)")
        prev, epoch, last_time = row.entry_hash, row.epoch, row.time
        expected += 1
    last = expected - 1
    for seq in sorted(s for s in cps if s > last):
        if not valid[seq]:
            return damaged(last + 1, FORGED, f"checkpoint {seq} signature invalid")
    claims = [(seq, f"signed checkpoint {seq}") for seq in cps if seq > last]
    claims += [(seq, lbl) for seq, v in saved.items() for lbl, _ in v]
    claims += [(claimed_last_seq, f"the head (seq {claimed_last_seq})")]
    beyond = [(seq, what) for seq, what in claims if seq > last]
    if beyond:
        seq = max(seq for seq, _ in beyond)
        what = next(what for s, what in beyond if s == seq)  # a signature outranks the head
        return damaged(last + 1, TRUNCATED, f"log ends at seq {last} but {what} exists")
    if chain_key is not None and last >= start and keyed_from is None:
        return damaged(start, FORGED, "no event carries a MAC: the keyed chain's anchor is gone")
    if chain_key is not None and head is not None and (head.seq or head.mac is not None):
        fits = head.mac is not None and hmac.compare_digest(
            bytes(head.mac), head_mac(chain_key, head.seq, head.epoch, head.entry_hash)
        )
        if fits and head.seq < last:
            return damaged(head.seq + 1, INSERTED, f"events after the head (seq {head.seq})")
        if not fits or head.seq != last or bytes(head.entry_hash) != prev:
            return damaged(
                last + 1,
                TRUNCATED,
                f"the head (seq {head.seq}) has no valid MAC: the log after seq {last} "
                "may have been cut",
            )
    for seq, items in saved.items():
        if seq < start:
            warnings += [f"{label} predates the kept log" for label, _ in items]
    return Verification(
        last - start + 1,
        start,
        last,
        matched,
        warnings=tuple(warnings),
        legacy=legacy,
        saved=tuple(dict.fromkeys(matched_saved)),
    )

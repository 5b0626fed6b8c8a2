"""The chain's arithmetic: canonical form, entry hash, signed checkpoint notes, verification.

Imports only the standard library and ``cryptography`` (no database, no application state),
so ``tools/verify_audit_export.py`` can carry an exact copy of these rules and an auditor can
check an export without trusting the application; ``tests/audit`` proves the two agree.

Entry hash (security.md section 3, "Concrete format proposal")::

    entry_hash = SHA-256(0x00 ‖ "fallstelle-audit-v1" ‖ 0x00 ‖ prev_hash ‖ canonical JSON)

The canonical JSON holds every column but the two hashes, keys sorted, no spaces, ASCII only
(the Event validation allows printable ASCII only, so this equals RFC 8785 JCS). The 0x00
leaf prefix is RFC 6962's, so a Merkle tree can be added later without a new leaf format.
The first event's ``prev_hash`` is :data:`GENESIS`. A checkpoint is a signed note in the
format of ``transparency-dev/formats`` (see :func:`note_body`), Ed25519-signed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

DOMAIN = b"\x00fallstelle-audit-v1\x00"
GENESIS = hashlib.sha256(b"fallstelle-audit-v1 genesis").digest()
ORIGIN = "fallstelle/audit"
SIGNER = "fallstelle-audit"
#: How far the verifier looks around a bad row to tell "reordered" from "changed"/"missing".
WINDOW = 8

CHANGED = "changed"
MISSING = "missing"
REORDERED = "reordered"
TRUNCATED = "truncated"
RECHAINED = "re-chained"
BAD_SIGNATURE = "bad-signature"


class Row(NamedTuple):
    """One event as stored: the hashed columns in canonical order, then the two hashes."""

    seq: int
    epoch: int
    time: str
    actor_id: str | None
    actor_role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    reason: str | None
    request_id: str | None
    client: str | None
    prev_hash: bytes
    entry_hash: bytes


HASHED = Row._fields[:-2]


def format_time(moment: dt.datetime) -> str:
    """Return ``moment`` as the stored RFC 3339 UTC text with microseconds."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(row: Row) -> bytes:
    """Return the canonical JSON of the hashed columns of ``row``."""
    values = dict(zip(HASHED, row, strict=False))
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def entry_hash(prev_hash: bytes, row: Row) -> bytes:
    """Return the entry hash of ``row`` after ``prev_hash`` (``row``'s own hashes are ignored)."""
    return hashlib.sha256(DOMAIN + bytes(prev_hash) + canonical(row)).digest()


def row_to_json(row: Row) -> str:
    """Return one export line (JSON, hashes in hex) for ``row``."""
    values: dict[str, object] = dict(zip(HASHED, row, strict=False))
    values["prev_hash"] = bytes(row.prev_hash).hex()
    values["entry_hash"] = bytes(row.entry_hash).hex()
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def key_hint(public_key: Ed25519PublicKey) -> bytes:
    """Return the signed-note key hint: the first 4 bytes of SHA-256 of the raw public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:4]


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the chain had ``entry_hash`` at ``seq`` in ``epoch``."""

    seq: int
    epoch: int
    entry_hash: bytes
    signed_at: str
    key_hint: bytes
    signature: bytes

    def body(self) -> bytes:
        return note_body(self.seq, self.epoch, self.entry_hash, self.signed_at)

    def note(self) -> str:
        """Return the signed note: the body, a blank line, the signature line."""
        sig = base64.b64encode(self.key_hint + self.signature).decode()
        return f"{self.body().decode()}\n— {SIGNER} {sig}\n"

    def signature_valid(self, public_key: Ed25519PublicKey) -> bool:
        if self.key_hint != key_hint(public_key):
            return False
        try:
            public_key.verify(self.signature, self.body())
        except InvalidSignature:
            return False
        return True


def note_body(seq: int, epoch: int, hash_: bytes, signed_at: str) -> bytes:
    """Return the signed message: origin, size (seq), base64 hash, then epoch and time lines."""
    b64 = base64.b64encode(hash_).decode()
    return f"{ORIGIN}\n{seq}\n{b64}\nepoch {epoch}\ntime {signed_at}\n".encode()


def sign(key: Ed25519PrivateKey, seq: int, epoch: int, hash_: bytes, signed_at: str) -> Checkpoint:
    """Sign a checkpoint at ``seq`` with ``key``."""
    signature = key.sign(note_body(seq, epoch, hash_, signed_at))
    return Checkpoint(seq, epoch, bytes(hash_), signed_at, key_hint(key.public_key()), signature)


def parse_note(text: str) -> Checkpoint:
    """Parse a signed checkpoint note as written by :meth:`Checkpoint.note`.

    Raises:
        ValueError: the text is not such a note.
    """
    try:
        body, _, sig_line = text.partition("\n\n")
        lines = body.split("\n")
        if len(lines) != 5 or lines[0] != ORIGIN:
            raise ValueError("not a fallstelle audit checkpoint")
        prefix = f"— {SIGNER} "
        if not sig_line.startswith(prefix):
            raise ValueError("checkpoint has no fallstelle-audit signature line")
        blob = base64.b64decode(sig_line[len(prefix) :].strip(), validate=True)
        seq = int(lines[1])
        hash_ = base64.b64decode(lines[2], validate=True)
        if not lines[3].startswith("epoch ") or not lines[4].startswith("time "):
            raise ValueError("checkpoint lacks its epoch or time line")
        epoch = int(lines[3][6:])
        if len(hash_) != 32 or len(blob) != 68 or seq < 1:
            raise ValueError("checkpoint hash or signature has the wrong length")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"unreadable checkpoint: {exc}") from None
    return Checkpoint(seq, epoch, hash_, lines[4][5:], blob[:4], blob[4:])


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

    @property
    def ok(self) -> bool:
        return self.kind is None

    def message(self) -> str:
        """Return the one line to print."""
        if self.ok:
            span = f" (seq {self.first_seq}-{self.last_seq})" if self.events else ""
            return (
                f"audit log intact: {self.events} events{span}, "
                f"{self.checkpoints} checkpoints match"
            )
        return f"audit log DAMAGED: first bad seq {self.bad_seq}: {self.kind} ({self.detail})"


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


def verify_stream(
    rows: Iterable[Row],
    checkpoints: Iterable[Checkpoint],
    public_key: Ed25519PublicKey,
    external: Sequence[tuple[str, Checkpoint]] = (),
    *,
    claimed_last_seq: int = 0,
) -> Verification:
    """Recompute the chain over ``rows`` (in stored order) and check every checkpoint.

    ``external`` are checkpoints an auditor saved earlier, labelled (e.g. by file name);
    ``claimed_last_seq`` is where the database's head says the log ends. Holds one row, a
    few rows of look-ahead and the checkpoints in memory, never the log.
    """
    cps = {cp.seq: cp for cp in checkpoints}
    valid = {seq: cp.signature_valid(public_key) for seq, cp in cps.items()}
    saved: dict[int, list[tuple[str, Checkpoint]]] = {}
    for label, theirs in external:
        saved.setdefault(theirs.seq, []).append((label, theirs))
    warnings: list[str] = []
    matched = 0
    stream = _Lookahead(rows)
    head = stream.peek(1)
    start, prev = 1, GENESIS
    if head and head[0].seq > 1:
        anchor = cps.get(head[0].seq - 1)
        if (
            anchor is not None
            and valid[anchor.seq]
            and anchor.epoch < head[0].epoch
            and anchor.entry_hash == head[0].prev_hash
        ):
            # Earlier epochs were purged; the first kept event continues their final checkpoint.
            start, prev = head[0].seq, anchor.entry_hash

    def damaged(seq: int, kind: str, detail: str) -> Verification:
        return Verification(
            seq - start, start, seq - 1, matched, seq, kind, detail, tuple(warnings)
        )

    for seq in sorted(s for s in cps if s < start):
        if not valid[seq]:
            return damaged(seq, BAD_SIGNATURE, f"checkpoint {seq} has an invalid signature")
    expected, epoch, last_time = start, 0, ""
    last_good = last_saved = start - 1
    for row in stream:
        if row.seq != expected:
            ahead = stream.peek(WINDOW)
            if row.seq < expected or any(r.seq == expected for r in ahead):
                detail = f"seq {row.seq} stands where {expected} belongs"
                return damaged(expected, REORDERED, detail)
            return damaged(expected, MISSING, f"seq {expected}-{row.seq - 1} absent")
        if entry_hash(row.prev_hash, row) != row.entry_hash:
            moved = _moved_from(row, expected)
            if moved is not None:
                return damaged(expected, REORDERED, f"holds the entry of seq {moved}")
            return damaged(expected, CHANGED, "contents do not match the entry hash")
        if row.prev_hash != prev:
            if expected == 1:
                return damaged(1, RECHAINED, "the chain does not start at the genesis hash")
            return damaged(
                expected - 1, CHANGED, f"entry hash rewritten; seq {expected} does not link to it"
            )
        if row.epoch < epoch:
            return damaged(expected, CHANGED, "epoch goes backwards")
        for label, mine in saved.get(expected, ()):
            # Checked before the stored ones: those may be re-signed with a stolen key.
            if mine.entry_hash != row.entry_hash:
                return damaged(
                    expected,
                    RECHAINED,
                    f"disagrees with saved checkpoint {label}; rewritten after {last_saved}",
                )
            matched += 1
            last_saved = expected
        cp = cps.get(expected)
        if cp is not None:
            if not valid[expected]:
                return damaged(expected, BAD_SIGNATURE, f"checkpoint {expected} signature invalid")
            if cp.entry_hash != row.entry_hash or cp.epoch != row.epoch:
                return damaged(
                    expected,
                    RECHAINED,
                    f"disagrees with signed checkpoint {expected}; rewritten after {last_good}",
                )
            matched += 1
            last_good = expected
        if row.time < last_time and len(warnings) < 10:
            warnings.append(f"time goes backwards at seq {expected} (clock skew?)")
        prev, epoch, last_time = row.entry_hash, row.epoch, row.time
        expected += 1
    last = expected - 1
    for seq in sorted(s for s in cps if s > last):
        if not valid[seq]:
            return damaged(last + 1, BAD_SIGNATURE, f"checkpoint {seq} signature invalid")
    claims = [(seq, f"signed checkpoint {seq}") for seq in cps if seq > last]
    claims += [(seq, f"saved checkpoint {lbl}") for seq, v in saved.items() for lbl, _ in v]
    claims += [(claimed_last_seq, f"the head (seq {claimed_last_seq})")]
    beyond = [(seq, what) for seq, what in claims if seq > last]
    if beyond:
        seq = max(seq for seq, _ in beyond)
        what = next(what for s, what in beyond if s == seq)  # a signature outranks the head
        return damaged(last + 1, TRUNCATED, f"log ends at seq {last} but {what} exists")
    for seq, items in saved.items():
        if seq < start:
            warnings += [f"saved checkpoint {label} predates the kept log" for label, _ in items]
    return Verification(last - start + 1, start, last, matched, warnings=tuple(warnings))

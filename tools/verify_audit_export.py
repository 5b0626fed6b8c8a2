#!/usr/bin/env python3
"""Check a fallstelle audit export without the application: stdlib + ``cryptography`` only.

Usage::

    python verify_audit_export.py EXPORT_DIR [--public-key FILE] [--checkpoint FILE ...]

EXPORT_DIR is what ``flask --app fallstelle audit export --out DIR`` wrote: events.jsonl,
checkpoints.jsonl, audit-signing.pub, head.json. Give ``--public-key`` the public key you
received on paper or out of band at installation; without it the key in the export is used
and its fingerprint printed, so you can compare. Give ``--checkpoint`` every checkpoint note
you saved on earlier visits: a log that was rewritten since then (even by someone holding
the signing key) no longer agrees with them (security.md LOG-7).

Exit status: 0 intact, 1 damaged (one line naming the first bad seq and the kind of damage:
edited, deleted, inserted, reordered, truncated, forged, checkpoint-missing), 2 unusable input.

Without the secret chain key this script cannot check the events' MACs: what it proves rests
on the signed checkpoints. Every event up to the newest signed checkpoint in the export (an
export and an archive end with one) is proved unchanged and complete; the checkpoints the
keyed part must have every 1000 events are required here too.

The chain rules below are an exact copy of ``fallstelle/audit/chain.py`` (this script must
not import the application, so that an auditor need not trust it); the application's tests
run both on the same exports and require the same verdicts.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

DOMAIN = b"\x00fallstelle-audit-v1\x00"
GENESIS = hashlib.sha256(b"fallstelle-audit-v1 genesis").digest()
ORIGIN = "fallstelle/audit"
SIGNER = "fallstelle-audit"
MAC_DOMAIN = b"fallstelle-audit-mac-v1\x00"
HEAD_DOMAIN = b"fallstelle-audit-head-v1\x00"
#: The action of the event that starts the keyed chain after legacy (unkeyed) events.
ANCHOR_ACTION = "audit.chain_keyed"
#: A signed checkpoint must exist at every multiple of this seq in the keyed part.
CHECKPOINT_EVERY = 1000
#: How far the verifier looks around a bad row to tell "reordered" from "edited"/"deleted".
WINDOW = 8

EDITED = "edited"
DELETED = "deleted"
INSERTED = "inserted"
REORDERED = "reordered"
TRUNCATED = "truncated"
FORGED = "forged"
CHECKPOINT_MISSING = "checkpoint-missing"


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
    mac: bytes | None = None


HASHED = Row._fields[:-3]


def canonical(row: Row) -> bytes:
    """Return the canonical JSON of the hashed columns of ``row``."""
    values = dict(zip(HASHED, row, strict=False))
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def entry_hash(prev_hash: bytes, row: Row) -> bytes:
    """Return the entry hash of ``row`` after ``prev_hash`` (``row``'s own hashes are ignored)."""
    return hashlib.sha256(DOMAIN + bytes(prev_hash) + canonical(row)).digest()


def entry_mac(chain_key: bytes, entry_hash_: bytes) -> bytes:
    """Return the MAC of an event with entry hash ``entry_hash_`` under the chain key."""
    return hmac.new(chain_key, MAC_DOMAIN + bytes(entry_hash_), hashlib.sha256).digest()


def head_mac(chain_key: bytes, seq: int, epoch: int, entry_hash_: bytes) -> bytes:
    """Return the MAC of the chain head at ``seq`` in ``epoch`` with ``entry_hash_``."""
    message = HEAD_DOMAIN + seq.to_bytes(8, "big") + epoch.to_bytes(8, "big") + bytes(entry_hash_)
    return hmac.new(chain_key, message, hashlib.sha256).digest()


class Head(NamedTuple):
    """What the database's head row claims: where the log ends, and that claim's MAC."""

    seq: int
    epoch: int
    entry_hash: bytes
    mac: bytes | None


def row_to_json(row: Row) -> str:
    """Return one export line (JSON, hashes and MAC in hex) for ``row``."""
    values: dict[str, object] = dict(zip(HASHED, row, strict=False))
    values["prev_hash"] = bytes(row.prev_hash).hex()
    values["entry_hash"] = bytes(row.entry_hash).hex()
    values["mac"] = None if row.mac is None else bytes(row.mac).hex()
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


# --- reading an export ---------------------------------------------------------------------

EXPORT_FORMAT = "fallstelle-audit-export-v1"


class Unusable(Exception):
    """The input cannot be checked at all (missing file, wrong format, bad key file)."""


def _row(line: str, fallback_seq: int) -> Row:
    """Parse one events.jsonl line; a line that does not parse becomes a row that cannot pass."""
    try:
        data = json.loads(line)
        values = [data[name] for name in HASHED]
        if not isinstance(values[0], int) or not isinstance(values[1], int):
            raise ValueError("seq and epoch must be integers")
        mac = data.get("mac")  # absent in exports from before the keyed chain
        return Row._make(
            (
                *values,
                bytes.fromhex(data["prev_hash"]),
                bytes.fromhex(data["entry_hash"]),
                None if mac is None else bytes.fromhex(mac),
            )
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return Row(
            fallback_seq,
            0,
            "",
            None,
            None,
            "unreadable",
            None,
            None,
            "",
            None,
            None,
            None,
            b"",
            b"",
            None,
        )


def read_events(path: Path) -> Iterator[Row]:
    """Stream the events of ``path`` one line at a time."""
    last = 0
    with path.open(encoding="ascii", errors="replace") as lines:
        for line in lines:
            if line.strip():
                row = _row(line, last + 1)
                last = row.seq if isinstance(row.seq, int) else last + 1
                yield row


def read_checkpoints(path: Path) -> list[Checkpoint]:
    out = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                out.append(parse_note(json.loads(line)["note"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise Unusable(f"{path.name} line {number}: {exc}") from None
    return out


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise Unusable(f"public key {path}: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise Unusable(f"public key {path} is not an Ed25519 key")
    return key


def verify_export(
    directory: Path, public_key: Ed25519PublicKey, saved: Sequence[tuple[str, Checkpoint]] = ()
) -> Verification:
    """Verify the export in ``directory`` against ``public_key`` and the saved checkpoints."""
    try:
        head = json.loads((directory / "head.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Unusable(f"head.json: {exc}") from None
    if not isinstance(head, dict) or head.get("format") != EXPORT_FORMAT:
        raise Unusable(f"head.json does not say format {EXPORT_FORMAT}")
    checkpoints = read_checkpoints(directory / "checkpoints.jsonl")
    events = directory / "events.jsonl"
    if not events.is_file():
        raise Unusable("events.jsonl missing")
    return verify_stream(
        read_events(events),
        checkpoints,
        public_key,
        saved,
        claimed_last_seq=int(head.get("head_seq", 0)),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a fallstelle audit export.")
    parser.add_argument("export", type=Path, help="the export directory")
    parser.add_argument("--public-key", type=Path, help="the audit public key you hold (PEM)")
    parser.add_argument(
        "--checkpoint", type=Path, action="append", default=[], help="a saved checkpoint note"
    )
    args = parser.parse_args(argv)
    try:
        key_file = args.public_key or args.export / "audit-signing.pub"
        public_key = load_public_key(key_file)
        if args.public_key is None:
            fingerprint = base64.b64encode(key_hint(public_key)).decode()
            print(
                f"note: using the key in the export (key hint {fingerprint}); "
                "compare it with the key you hold",
                file=sys.stderr,
            )
        saved = []
        for path in args.checkpoint:
            try:
                saved.append(
                    (f"saved checkpoint {path.name}", parse_note(path.read_text(encoding="utf-8")))
                )
            except (OSError, ValueError) as exc:
                raise Unusable(f"checkpoint file {path}: {exc}") from None
        result = verify_export(args.export, public_key, saved)
    except Unusable as exc:
        print(f"cannot verify: {exc}", file=sys.stderr)
        return 2
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(result.message())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())

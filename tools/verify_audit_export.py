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
changed, missing, reordered, truncated, re-chained, bad-signature), 2 unusable input.

The chain rules below are an exact copy of ``fallstelle/audit/chain.py`` (this script must
not import the application, so that an auditor need not trust it); the application's tests
run both on the same exports and require the same verdicts.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
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
        return Row._make(
            (*values, bytes.fromhex(data["prev_hash"]), bytes.fromhex(data["entry_hash"]))
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
                saved.append((path.name, parse_note(path.read_text(encoding="utf-8"))))
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

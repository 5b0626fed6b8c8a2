"""The chain's arithmetic: canonical form, entry hash, signed checkpoint notes, verification.

Imports only the standard library and ``cryptography`` (no database, no application state),
so ``tools/verify_audit_export.py`` can carry an exact copy of these rules and an auditor can
check an export without trusting the application; ``tests/audit`` proves the two agree.

Entry hash (security.md section 3, "Concrete format proposal")::

    entry_hash = SHA-256(0x00 ‖ "fallstelle-audit-v1" ‖ 0x00 ‖ prev_hash ‖ canonical JSON)

The canonical JSON holds every column but the two hashes and the MAC, keys sorted, no
spaces, ASCII only (the Event validation allows printable ASCII only, so this equals RFC 8785
JCS). The 0x00 leaf prefix is RFC 6962's, so a Merkle tree can be added later without a new
leaf format. The first event's ``prev_hash`` is :data:`GENESIS`. A checkpoint is a signed note
in the format of ``transparency-dev/formats`` (see :func:`note_body`), Ed25519-signed.

Keyed chain (issue 11): the SHA-256 chain is public arithmetic, so anyone who can write the
database can recompute it. Every event therefore also carries ``mac = HMAC-SHA256(chain key,
"fallstelle-audit-mac-v1" ‖ entry_hash)`` with the secret ``keys/audit-chain.key``; since the
entry hash covers ``seq`` and ``prev_hash``, the MACs authenticate content, position and
order. The head row carries ``head_mac`` over (seq, epoch, entry hash), so a cut tail with a
rewritten head is seen too. Events written before the chain was keyed (installations older
than migration 0012) have no MAC: they are accepted as *legacy* only as an unbroken prefix
that ends right before an ``audit.chain_keyed`` anchor event, whose MAC seals their last hash.
Checkpoints are required at every multiple of :data:`CHECKPOINT_EVERY` in the keyed part.
Without the chain key (the outside verifier) the MACs are not checked; signed checkpoints
then carry the proof.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

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

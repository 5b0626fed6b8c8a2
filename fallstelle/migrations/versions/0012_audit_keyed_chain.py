"""Audit log keyed with HMAC: a MAC per event and on the head; legacy events sealed by an anchor.

Revision ID: 0012
Revises: 0018
Create Date: 2026-12-03

Issue 11: the SHA-256 chain alone can be recomputed by anyone who can write the database.
From this revision on every event carries ``mac = HMAC(keys/audit-chain.key, entry hash)``
and the head row ``mac = chain.head_mac(…)``. Events already in the log have no MAC (they
are *legacy*); this migration appends one ``audit.chain_keyed`` anchor event after them whose
MAC seals their last hash, so the verifier accepts the unkeyed prefix up to the anchor and
nothing unkeyed after it (SECURITY.md "Audit log"). It needs the chain key for that, which
``fallstelle.store`` passes in (``init`` creates the key first); an empty log needs none.

The MAC rules are frozen here (not imported from ``fallstelle.audit.chain``) so that this
revision keeps doing what it did when the chain code changes later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import sqlalchemy as sa
from alembic import context, op

revision = "0012"
down_revision = "0018"
branch_labels = None
depends_on = None

DOMAIN = b"\x00fallstelle-audit-v1\x00"
MAC_DOMAIN = b"fallstelle-audit-mac-v1\x00"
HEAD_DOMAIN = b"fallstelle-audit-head-v1\x00"
HASHED = (
    "seq", "epoch", "time", "actor_id", "actor_role", "action", "object_type", "object_id",
    "outcome", "reason", "request_id", "client",
)  # fmt: skip


def _entry_hash(prev: bytes, values: dict[str, object]) -> bytes:
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(DOMAIN + prev + canonical.encode()).digest()


def _mac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _head_mac(key: bytes, seq: int, epoch: int, entry_hash: bytes) -> bytes:
    return _mac(key, HEAD_DOMAIN + seq.to_bytes(8, "big") + epoch.to_bytes(8, "big") + entry_hash)


def upgrade() -> None:
    # Plain ALTER TABLE ADD/DROP COLUMN, never a batch re-creation: that would drop the
    # append-only triggers of 0002 on SQLite.
    op.add_column("audit_events", sa.Column("mac", sa.LargeBinary(length=32), nullable=True))
    op.add_column("audit_head", sa.Column("mac", sa.LargeBinary(length=32), nullable=True))
    bind = op.get_bind()
    head = bind.execute(sa.text("SELECT seq, entry_hash, epoch FROM audit_head WHERE id = 1")).one()
    key = context.config.attributes.get("audit_chain_key")
    if head.seq == 0:
        if key is not None:
            mac = _head_mac(key, 0, head.epoch, bytes(head.entry_hash))
            bind.execute(sa.text("UPDATE audit_head SET mac = :m WHERE id = 1"), {"m": mac})
        return
    if key is None:
        raise RuntimeError(
            "migration 0012 seals the existing audit log with keys/audit-chain.key: "
            "run it through `flask --app fallstelle init`"
        )
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    values: dict[str, object] = dict.fromkeys(HASHED)
    values.update(
        seq=head.seq + 1, epoch=head.epoch, time=now, action="audit.chain_keyed",
        actor_role="operator", object_type="audit_log", object_id="0012", outcome="ok",
    )  # fmt: skip
    prev = bytes(head.entry_hash)
    entry = _entry_hash(prev, values)
    mac = _mac(key, MAC_DOMAIN + entry)
    bind.execute(
        sa.text(
            "INSERT INTO audit_events (seq, epoch, time, actor_id, actor_role, action, "
            "object_type, object_id, outcome, reason, request_id, client, prev_hash, "
            "entry_hash, mac) VALUES (:seq, :epoch, :time, :actor_id, :actor_role, :action, "
            ":object_type, :object_id, :outcome, :reason, :request_id, :client, :prev, "
            ":entry, :mac)"
        ),
        {**values, "prev": prev, "entry": entry, "mac": mac},
    )
    bind.execute(
        sa.text(
            "UPDATE audit_head SET seq = :s, entry_hash = :e, last_time = :t, mac = :m WHERE id = 1"
        ),
        {
            "s": head.seq + 1,
            "e": entry,
            "t": now,
            "m": _head_mac(key, head.seq + 1, head.epoch, entry),
        },
    )


def downgrade() -> None:
    # The anchor event stays (events are append-only); it simply loses its MAC column.
    op.drop_column("audit_head", "mac")
    op.drop_column("audit_events", "mac")

"""An append's rows, computed before anything is written (the chained hashes and MACs, the
checkpoints due, the new head).

Imports ``cryptography`` (via ``chain``) and this room's ``chain`` and ``events``; used by
``service`` (inside its transaction) and ``pg_append`` (before its one message).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fallstelle.audit import chain
from fallstelle.audit.events import Event
from fallstelle.db import utcnow
from fallstelle.keyfiles import KeyMaterial


def chained(
    keys: KeyMaterial,
    signer: tuple[Ed25519PrivateKey, int] | None,
    head: Any,
    events: Sequence[Event],
) -> tuple[list[chain.Row], list[chain.Checkpoint], chain.Head]:
    """The rows of ``events`` chained after ``head`` (seq, epoch, entry_hash), the signed
    checkpoints due among them (``signer``: another key and cadence than the installation's
    signing key every :data:`chain.CHECKPOINT_EVERY`) and the new head with its MAC; nothing
    is written.

    Raises:
        TypeError: an event is not an :class:`Event`.
    """
    if not all(isinstance(ev, Event) for ev in events):
        raise TypeError("append_on() takes fallstelle.audit.Event objects")
    when = chain.format_time(utcnow())
    rows: list[chain.Row] = []
    prev = bytes(head.entry_hash)
    for offset, ev in enumerate(events, start=1):
        draft = chain.Row._make(
            (head.seq + offset, head.epoch, when, *_columns(ev), prev, b"", None)
        )
        prev = chain.entry_hash(prev, draft)
        rows.append(
            draft._replace(entry_hash=prev, mac=chain.entry_mac(keys.audit_chain_key, prev))
        )
    key, every = signer or (keys.audit_signing_key, chain.CHECKPOINT_EVERY)
    due = [r for r in rows if r.seq % every == 0]
    checkpoints = [chain.sign(key, r.seq, r.epoch, r.entry_hash, when) for r in due]
    seq = rows[-1].seq
    mac = chain.head_mac(keys.audit_chain_key, seq, head.epoch, prev)
    return rows, checkpoints, chain.Head(seq, head.epoch, prev, mac)


def _columns(e: Event) -> tuple[Any, ...]:
    # Row order (chain.Row): actor_id, actor_role, action, object_type, object_id, outcome,
    # reason, request_id, client.
    # Attributes, not ``dataclasses.astuple``: that copies every value deeply (issue 15).
    return (e.actor_id, e.actor_role, e.action, e.object_type, e.object_id, e.outcome, e.reason,
            e.request_id, e.client)  # fmt: skip

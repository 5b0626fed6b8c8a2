"""Prefix blind indexes on surname and phone number in place of the exact ones.

Revision ID: 0020
Revises: 0016
Create Date: 2026-12-03

Issue 14. Four columns on ``case_identities`` (``surname_p3_bidx``, ``surname_p5_bidx``,
``phone_p4_bidx``, ``phone_p6_bidx``), each indexed, each the truncated HMAC of a folded
prefix with a key of its own per office, field and length (``cases.sealing.PrefixIndexer``);
the exact ``surname_bidx`` and ``phone_bidx`` go, so that a field's indexes together hold
no more bits than the one exact index did (SECURITY.md, "Prefix search"). The upgrade
decrypts every person's identifying data once and fills the new columns, so existing cases
are found by prefix right after it; the downgrade computes the exact indexes again.

Like 0013 this needs the keys (``alembic_config(conn, keys)``; ``init`` and
``open_store(migrate=True)`` hand them over); a database without identifying data needs
none, and one with identifying data but no keys is refused before anything is written.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from fallstelle import crypto
from fallstelle.cases import sealing
from fallstelle.cases.sections import Identity

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TABLE = "case_identities"
# The columns as this revision knows them (sealing.prefix_columns() may change later).
PREFIX = ("surname_p3_bidx", "surname_p5_bidx", "phone_p4_bidx", "phone_p6_bidx")
EXACT = ("surname_bidx", "phone_bidx")

_cases = sa.table(
    "cases",
    sa.column("id", sa.Uuid()),
    sa.column("office_id", sa.Integer()),
    sa.column("lead_counsellor_id", sa.String()),
    sa.column("dek_wrapped", sa.LargeBinary()),
    sa.column("dek_version", sa.Integer()),
)
_co = sa.table(
    "case_counsellors", sa.column("case_id", sa.Uuid()), sa.column("user_id", sa.String())
)
_ids = sa.table(
    TABLE,
    sa.column("person_id", sa.Uuid()),
    sa.column("case_id", sa.Uuid()),
    sa.column("payload", sa.LargeBinary()),
    *(sa.column(name, sa.Integer()) for name in PREFIX + EXACT),
)
Values = Callable[[bytes, int, int, Identity], dict[str, Any]]


def _keys_if_needed() -> Any:
    """Return the keys; refuse (before any write) a database with persons and no keys."""
    conn = op.get_bind()
    anyone = conn.execute(sa.select(_ids.c.person_id).limit(1)).first() is not None
    keys = context.config.attributes.get("keys")
    if anyone and keys is None:
        raise RuntimeError(
            "migration 0020 rebuilds the search index from the identifying data and needs "
            "the keys: run it through `flask --app fallstelle init` (which loads and checks "
            "keys/), not bare alembic"
        )
    return keys if anyone else None


def _add(names: tuple[str, ...]) -> None:
    for name in names:
        op.add_column(TABLE, sa.Column(name, sa.Integer(), nullable=True))
        op.create_index(op.f(f"ix_{TABLE}_{name}"), TABLE, [name], unique=False)


def _drop(names: tuple[str, ...]) -> None:
    # Plain ALTER TABLE (SQLite >= 3.35): a batch copy would recreate the table (see 0015).
    for name in names:
        op.drop_index(op.f(f"ix_{TABLE}_{name}"), table_name=TABLE)
        op.drop_column(TABLE, name)


def upgrade() -> None:
    keys = _keys_if_needed()
    _add(PREFIX)
    if keys is not None:
        _fill(keys, _prefixes)
    _drop(EXACT)


def downgrade() -> None:
    keys = _keys_if_needed()
    _add(EXACT)
    if keys is not None:
        _fill(keys, _exact)
    _drop(PREFIX)


def _prefixes(root: bytes, office: int, bits: int, ident: Identity) -> dict[str, Any]:
    indexer = sealing.PrefixIndexer(root, office)
    values: dict[str, Any] = {}
    for field in ("surname", "phone"):
        values.update(indexer.columns(field, getattr(ident, field), bits))
    return {name: values[name] for name in PREFIX}


def _exact(root: bytes, office: int, bits: int, ident: Identity) -> dict[str, Any]:
    indexer = sealing.BlindIndexer(root, office)
    return {f"{f}_bidx": indexer.index(f, getattr(ident, f), bits) for f in ("surname", "phone")}


def _fill(keys: Any, values: Values) -> None:
    """Decrypt every person's identifying data once and write ``values`` of it."""
    conn = op.get_bind()
    cases = {c.id: c for c in conn.execute(sa.select(_cases))}
    co: dict[uuid.UUID, set[str]] = {}
    for case_id, user_id in conn.execute(sa.select(_co.c.case_id, _co.c.user_id)):
        co.setdefault(case_id, set()).add(user_id)
    sizes = Counter(c.office_id for c in cases.values())
    ciphers: dict[uuid.UUID, sealing.CaseCipher] = {}
    rows = conn.execute(sa.select(_ids.c.person_id, _ids.c.case_id, _ids.c.payload)).all()
    for row in rows:
        c = cases[row.case_id]
        if c.id not in ciphers:
            bound = sealing.binding(
                c.id, c.dek_version, c.office_id, c.lead_counsellor_id, co.get(c.id, set())
            )
            dek = keys.keyring.unwrap_bound_dek(bytes(c.dek_wrapped), bound)
            ciphers[c.id] = sealing.CaseCipher(c.id, dek, c.dek_version)
        ident = ciphers[c.id].open(
            Identity, sealing.IDENTITIES, str(row.person_id), bytes(row.payload)
        )
        bits = crypto.blind_index_bits(sizes[c.office_id])
        conn.execute(
            sa.update(_ids)
            .where(_ids.c.person_id == row.person_id)
            .values(**values(keys.blind_index_root, c.office_id, bits, ident))
        )

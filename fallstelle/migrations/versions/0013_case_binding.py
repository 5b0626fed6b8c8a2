"""Bind every case key to its office and counsellors; key the blind index per office.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

Issue 11. Every wrapped data key of format 1 (bound to the case id only) is re-wrapped in
format 2, bound to the case's office, lead counsellor and co-counsellors
(``cases.sealing.binding_of``); every blind index is recomputed with the office's own key and
the length the office's size calls for (``cases.sealing.BlindIndexer``). No schema change.

This needs the keys. ``fallstelle.store`` hands them over in memory with the connection
(``alembic_config(conn, keys)``: ``init`` and ``open_store(migrate=True)`` do), after the
start-up checks proved they are this database's keys. A database with cases and no keys
handed over is refused with a clear message, before anything is written; an empty database
(a new installation, the test template) needs none. The rows are re-sealed from what the
application wrote, so run it on a database you trust (restore a backup first if in doubt):
a case moved by a database write before the upgrade would be bound where it was moved to.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from fallstelle import crypto
from fallstelle.cases import sealing
from fallstelle.cases.sections import Identity

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_cases = sa.table(
    "cases",
    sa.column("id", sa.Uuid()),
    sa.column("office_id", sa.Integer()),
    sa.column("lead_counsellor_id", sa.String()),
    sa.column("dek_wrapped", sa.LargeBinary()),
    sa.column("dek_kid", sa.String()),
    sa.column("dek_version", sa.Integer()),
)
_co = sa.table(
    "case_counsellors", sa.column("case_id", sa.Uuid()), sa.column("user_id", sa.String())
)
_ids = sa.table(
    "case_identities",
    sa.column("person_id", sa.Uuid()),
    sa.column("case_id", sa.Uuid()),
    sa.column("payload", sa.LargeBinary()),
    *(sa.column(f"{field}_bidx", sa.Integer()) for field in sealing.INDEXED),
)


def _keys() -> Any:
    keys = context.config.attributes.get("keys")
    if keys is None:
        raise RuntimeError(
            "migration 0013 re-wraps the case keys and needs the keys: run it through "
            "`flask --app fallstelle init` (which loads and checks keys/), not bare alembic"
        )
    return keys


def _reseal(*, upgrade: bool) -> None:
    conn = op.get_bind()
    cases = conn.execute(sa.select(_cases)).all()
    if not cases:
        return
    keys = _keys()
    ring: crypto.Keyring = keys.keyring
    co: dict[uuid.UUID, set[str]] = defaultdict(set)
    for case_id, user_id in conn.execute(sa.select(_co.c.case_id, _co.c.user_id)):
        co[case_id].add(user_id)
    sizes = Counter(c.office_id for c in cases)
    ciphers: dict[uuid.UUID, tuple[int, sealing.CaseCipher]] = {}
    for c in cases:
        bound = sealing.binding(c.id, c.dek_version, c.office_id, c.lead_counsellor_id, co[c.id])
        wrapped = bytes(c.dek_wrapped)
        if upgrade:
            if crypto.wrap_format(wrapped) == crypto.FORMAT_V2:
                dek = ring.unwrap_bound_dek(wrapped, bound)
                new = wrapped
            else:
                dek, new = sealing.upgrade_legacy_key(ring, wrapped, c.id, c.dek_version, bound)
        else:
            dek = ring.unwrap_bound_dek(wrapped, bound)
            new = ring.wrap_dek(dek, case_id=c.id, dek_version=c.dek_version)
        kid = crypto.Keyring.kid_of(new).hex()
        conn.execute(
            sa.update(_cases).where(_cases.c.id == c.id).values(dek_wrapped=new, dek_kid=kid)
        )
        ciphers[c.id] = (c.office_id, sealing.CaseCipher(c.id, dek, c.dek_version))
    for row in conn.execute(sa.select(_ids)).all():
        office, cipher = ciphers[row.case_id]
        ident = cipher.open(Identity, sealing.IDENTITIES, str(row.person_id), bytes(row.payload))
        values = {
            f"{field}_bidx": _index(keys.blind_index_root, office, sizes[office], field,
                                    getattr(ident, field), upgrade=upgrade)
            for field in sealing.INDEXED
        }  # fmt: skip
        conn.execute(sa.update(_ids).where(_ids.c.person_id == row.person_id).values(**values))


def _index(root: bytes, office: int, size: int, field: str, value: str, *, upgrade: bool) -> Any:
    if upgrade:
        return sealing.BlindIndexer(root, office).index(
            field, value, crypto.blind_index_bits(size)
        )
    normal = sealing.normalise_for_index(field, value)  # format of revision 0004
    key = crypto.blind_index_key(root, sealing.IDENTITIES, field)
    return crypto.blind_index(key, normal) if normal else None


def upgrade() -> None:
    _reseal(upgrade=True)


def downgrade() -> None:
    _reseal(upgrade=False)

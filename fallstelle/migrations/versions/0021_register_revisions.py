"""Revisions of frozen quarters: old snapshots kept, the revisions each register entry read.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03

Issue 10. ``frozen_count_revisions`` keeps the base counts a frozen office quarter had before
each revision (a new Berichtsstand); ``release_register.revisions`` records, per entry, the
revision of every frozen office quarter it read (JSON, revisions other than 0 only). Entries
made before this migration read the revisions current now (0 everywhere, unless
``frozen.revise`` was called from code), so the upgrade fills them with those.
``register_legacy`` marks the entries a check read as legacy versions (made before their
quarters were frozen), for the reports page and the auditor.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "frozen_count_revisions",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("fact", sa.String(length=255), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "office_id", "quarter", "revision", "unit", "fact",
            name=op.f("pk_frozen_count_revisions"),
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "register_legacy",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unreadable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_register_legacy")),
    )
    with op.batch_alter_table("release_register") as batch:
        batch.add_column(sa.Column("revisions", sa.Text(), nullable=False, server_default="{}"))
    conn = op.get_bind()
    current: dict[str, dict[str, int]] = {}
    for office, quarter, rev in conn.execute(
        sa.text("SELECT office_id, quarter, revision FROM frozen_quarters WHERE revision <> 0")
    ):
        current.setdefault(str(office), {})[quarter] = int(rev)
    if not current:
        return
    rows = conn.execute(sa.text("SELECT id, office_ids FROM release_register")).all()
    for entry, offices in rows:
        read = {o: current[o] for o in offices.split(",") if o in current}
        if read:
            conn.execute(
                sa.text("UPDATE release_register SET revisions = :r WHERE id = :i"),
                {"r": json.dumps(read, sort_keys=True), "i": entry},
            )


def downgrade() -> None:
    with op.batch_alter_table("release_register") as batch:
        batch.drop_column("revisions")
    op.drop_table("register_legacy")
    op.drop_table("frozen_count_revisions")

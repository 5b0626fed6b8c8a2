"""Erasures: the deletion record of every erased case, for the auditor.

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-03

No foreign key to ``cases`` (the case is gone); ``register_seq`` ties the row to the
erasure register in ``keys/`` (``fallstelle.cases.erasure``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("case_number", sa.String(length=16), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=64), nullable=False),
        sa.Column("register_seq", sa.Integer(), nullable=False),
        sa.Column("reapplied", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_erasures_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_erasures")),
    )
    op.create_index(op.f("ix_erasures_office_id"), "erasures", ["office_id"])
    op.create_index(op.f("ix_erasures_register_seq"), "erasures", ["register_seq"])


def downgrade() -> None:
    op.drop_index(op.f("ix_erasures_register_seq"), table_name="erasures")
    op.drop_index(op.f("ix_erasures_office_id"), table_name="erasures")
    op.drop_table("erasures")

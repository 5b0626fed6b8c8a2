"""Release register and frozen base counts (Berichtsstand) — issue 10.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "release_register",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("actor_role", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("release_id", sa.Uuid(), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("office_ids", sa.String(length=400), nullable=False),
        sa.Column("template", sa.String(length=16), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("n_cells", sa.Integer(), nullable=False),
        sa.Column("n_hidden", sa.Integer(), nullable=False),
        sa.Column("cells", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_register")),
    )
    op.create_index(
        op.f("ix_release_register_created_at"), "release_register", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_release_register_digest"), "release_register", ["digest"], unique=False
    )
    op.create_table(
        "frozen_quarters",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("office_id", "quarter", name=op.f("pk_frozen_quarters")),
    )
    op.create_table(
        "frozen_counts",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("fact", sa.String(length=255), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "office_id", "quarter", "unit", "fact", name=op.f("pk_frozen_counts")
        ),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("frozen_counts")
    op.drop_table("frozen_quarters")
    op.drop_index(op.f("ix_release_register_digest"), table_name="release_register")
    op.drop_index(op.f("ix_release_register_created_at"), table_name="release_register")
    op.drop_table("release_register")

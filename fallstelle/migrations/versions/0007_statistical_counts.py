"""Statistical counts: the records' facts pre-counted per office, quarter and counting unit.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

The counts are derived from the statistical records; this revision fills them from the
records already stored (``fallstelle.cases.stat_counts.rebuild``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from fallstelle.cases import stat_counts  # the one definition of what is counted

    op.create_table(
        "statistical_counts",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("fact", sa.String(length=255), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_statistical_counts_office_id_offices")
        ),
        sa.PrimaryKeyConstraint(
            "office_id", "quarter", "unit", "fact", name=op.f("pk_statistical_counts")
        ),
        sqlite_with_rowid=False,
    )
    stat_counts.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("statistical_counts")

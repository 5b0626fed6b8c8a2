"""Case lifecycle: the change history, retention policies, legal hold and identifying-data
removal in clear on the case row (issue 13).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

Existing cases get ``legal_hold`` false: a hold recorded before this revision is in the
encrypted details only, and the retention run decrypts every case it is about to delete and
checks the hold there again, so such a case is kept all the same (``cases.retention``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("section", sa.String(length=24), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_changes_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_changes")),
    )  # fmt: skip
    op.create_index("ix_case_changes_case_id_at", "case_changes", ["case_id", "at"])
    op.create_table(
        "retention_policies",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("identifying_months", sa.Integer(), nullable=False),
        sa.Column("case_years", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_retention_policies_office_id_offices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("office_id", name=op.f("pk_retention_policies")),
    )  # fmt: skip
    # Plain ALTER TABLE (SQLite >= 3.35 drops columns too): a batch copy would drop and
    # recreate "cases", and with foreign_keys on that cascades to every entry of every case.
    op.add_column(
        "cases", sa.Column("legal_hold", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("cases", sa.Column("identifying_removed_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("cases", "identifying_removed_on")
    op.drop_column("cases", "legal_hold")
    op.drop_table("retention_policies")
    op.drop_index("ix_case_changes_case_id_at", table_name="case_changes")
    op.drop_table("case_changes")

"""Office privacy settings: the data-protection law, the report logo, versioned texts.

Revision ID: 0018
Revises: 0011
Create Date: 2026-12-03

Church providers apply the KDG or the DSG-EKD instead of the GDPR; the privacy notice and the
consent texts cite the office's law and are published as versions that consents refer to.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "office_privacy",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("law", sa.String(length=16), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_type", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["offices.id"],
            name=op.f("fk_office_privacy_office_id_offices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("office_id", name=op.f("pk_office_privacy")),
    )
    op.create_table(
        "privacy_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("law", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("published_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["offices.id"],
            name=op.f("fk_privacy_texts_office_id_offices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_texts")),
    )
    op.create_index(
        "ix_privacy_texts_office_kind_label",
        "privacy_texts",
        ["office_id", "kind", "label"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_privacy_texts_office_kind_label", table_name="privacy_texts")
    op.drop_table("privacy_texts")
    op.drop_table("office_privacy")

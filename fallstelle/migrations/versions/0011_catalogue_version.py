"""Catalogue version: one number that every change of vocabularies and rules increases.

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-02

Each app process keeps the catalogue it has read (``fallstelle.catalogue.cache``) and
compares this number once per request, instead of reading every vocabulary term again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "catalogue_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_version")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade() -> None:
    op.drop_table("catalogue_version")

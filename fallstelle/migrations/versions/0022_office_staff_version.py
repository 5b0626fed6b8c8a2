"""Offices' staff versions: each process keeps an office's staff list until it changes.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04

Issue 15. ``offices.staff_version`` moves with every change of an office's staff (an
account's name, roles or offices); the actor's statement reads it, so a case page uses the
process's copy of the staff list instead of reading it again (``fallstelle.auth.staff``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite too): a batch re-creation of ``offices`` is not needed.
    op.add_column(
        "offices", sa.Column("staff_version", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("offices", "staff_version")

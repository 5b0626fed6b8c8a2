"""Office activities: the non-case work of an office, and the vocabulary ``aktivitaet``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

The vocabulary rows are the frozen seed of this revision (one level, no office terms).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KINDS = (
    ("workshop", "Workshop/Fortbildung", "Workshop/training"),
    ("vortrag", "Vortrag/Infostand", "Talk/information stand"),
    ("kampagne", "Kampagne/Öffentlichkeitsarbeit", "Campaign/public relations"),
    ("netzwerktreffen", "Netzwerktreffen/Gremienarbeit", "Network meeting/committee work"),
    ("institutionenberatung", "Beratung von Institutionen (ohne Fall)",
     "Consultation of an institution (no case)"),
    ("sonstiges", "sonstige Aktivität", "other activity"),
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "office_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_office_activities_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_activities")),
    )
    op.create_index(
        "ix_office_activities_office_id_held_on",
        "office_activities",
        ["office_id", "held_on"],
        unique=False,
    )
    terms = sa.table(
        "vocab_terms",
        sa.column("vocabulary", sa.String),
        sa.column("code", sa.String),
        sa.column("level", sa.Integer),
        sa.column("parent_code", sa.String),
        sa.column("label_de", sa.String),
        sa.column("label_en", sa.String),
        sa.column("office_id", sa.Integer),
        sa.column("position", sa.Integer),
        sa.column("own_line", sa.Boolean),
        sa.column("active", sa.Boolean),
    )
    op.bulk_insert(
        terms,
        [
            {"vocabulary": "aktivitaet", "code": code, "level": 1, "parent_code": None,
             "label_de": de, "label_en": en, "office_id": None, "position": position,
             "own_line": False, "active": True}
            for position, (code, de, en) in enumerate(KINDS)
        ],
    )  # fmt: skip


def downgrade() -> None:
    op.execute("DELETE FROM vocab_terms WHERE vocabulary = 'aktivitaet'")
    op.drop_index("ix_office_activities_office_id_held_on", table_name="office_activities")
    op.drop_table("office_activities")

"""Cases: vocabularies, deadline rules, cases and their encrypted entries, statistical records.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Seeds the vocabularies (``fallstelle.catalogue.vocab_seed``) and the deadline rules
(``fallstelle.catalogue.deadlines.RULES``); both are the frozen seed of this revision — a later
change of a term or a rule is a new migration, never an edit of those modules.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fallstelle.catalogue import deadlines, vocab_seed

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deadline_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_de", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("legal_reference", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("start_event", sa.String(length=40), nullable=False),
        sa.Column("from_year_end", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_rules")),
    )
    op.create_index(
        "ix_deadline_rules_code_valid_from", "deadline_rules", ["code", "valid_from"], unique=True
    )
    op.create_table(
        "case_number_counters",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["offices.id"],
            name=op.f("fk_case_number_counters_office_id_offices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("office_id", "year", name=op.f("pk_case_number_counters")),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=16), nullable=False),
        sa.Column("lead_counsellor_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("next_deadline_on", sa.Date(), nullable=True),
        sa.Column("next_follow_up_on", sa.Date(), nullable=True),
        sa.Column("last_contact_on", sa.Date(), nullable=True),
        sa.Column("dek_wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("dek_kid", sa.String(length=8), nullable=False),
        sa.Column("dek_version", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_counsellor_id"], ["users.id"], name=op.f("fk_cases_lead_counsellor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_cases_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("office_id", "case_number", name="uq_cases_office_id_case_number"),
    )
    op.create_index(op.f("ix_cases_dek_kid"), "cases", ["dek_kid"], unique=False)
    op.create_index(
        op.f("ix_cases_lead_counsellor_id"), "cases", ["lead_counsellor_id"], unique=False
    )
    op.create_index(
        "ix_cases_office_id_next_deadline_on",
        "cases",
        ["office_id", "next_deadline_on"],
        unique=False,
    )
    op.create_index("ix_cases_office_id_status", "cases", ["office_id", "status"], unique=False)
    op.create_table(
        "statistical_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("opened_quarter", sa.String(length=7), nullable=False),
        sa.Column("closed_quarter", sa.String(length=7), nullable=True),
        sa.Column("request_type", sa.String(length=40), nullable=True),
        sa.Column("access_route", sa.String(length=40), nullable=True),
        sa.Column("age_band", sa.String(length=16), nullable=True),
        sa.Column("gender", sa.String(length=24), nullable=True),
        sa.Column("kreis", sa.String(length=16), nullable=True),
        sa.Column("agg_relevance", sa.String(length=24), nullable=True),
        sa.Column("closure_reason", sa.String(length=40), nullable=True),
        sa.Column("counterpart_response", sa.String(length=40), nullable=True),
        sa.Column("contact_count", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_statistical_records_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statistical_records")),
    )
    op.create_index(
        op.f("ix_statistical_records_office_id"), "statistical_records", ["office_id"], unique=False
    )
    op.create_table(
        "vocab_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vocabulary", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("parent_code", sa.String(length=40), nullable=True),
        sa.Column("label_de", sa.String(length=200), nullable=False),
        sa.Column("label_en", sa.String(length=200), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("own_line", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["offices.id"],
            name=op.f("fk_vocab_terms_office_id_offices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vocab_terms")),
    )
    op.create_index(op.f("ix_vocab_terms_office_id"), "vocab_terms", ["office_id"], unique=False)
    op.create_index(
        "ix_vocab_terms_vocabulary_code", "vocab_terms", ["vocabulary", "code"], unique=False
    )
    op.create_table(
        "case_counsellors",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("share", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_counsellors_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_case_counsellors_user_id_users")
        ),
        sa.PrimaryKeyConstraint("case_id", "user_id", name=op.f("pk_case_counsellors")),
    )
    op.create_index(
        op.f("ix_case_counsellors_user_id"), "case_counsellors", ["user_id"], unique=False
    )
    op.create_table(
        "case_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_entries_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_entries")),
    )
    op.create_index(
        "ix_case_entries_case_id_kind", "case_entries", ["case_id", "kind"], unique=False
    )
    op.create_table(
        "statistical_codes",
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("dimension", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["statistical_records.id"],
            name=op.f("fk_statistical_codes_record_id_statistical_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "record_id", "dimension", "code", name=op.f("pk_statistical_codes")
        ),
    )
    op.create_table(
        "case_identities",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("surname_bidx", sa.Integer(), nullable=True),
        sa.Column("phone_bidx", sa.Integer(), nullable=True),
        sa.Column("email_bidx", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_identities_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["case_entries.id"],
            name=op.f("fk_case_identities_person_id_case_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_case_identities")),
    )
    op.create_index(
        op.f("ix_case_identities_case_id"), "case_identities", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_case_identities_email_bidx"), "case_identities", ["email_bidx"], unique=False
    )
    op.create_index(
        op.f("ix_case_identities_phone_bidx"), "case_identities", ["phone_bidx"], unique=False
    )
    op.create_index(
        op.f("ix_case_identities_surname_bidx"), "case_identities", ["surname_bidx"], unique=False
    )
    _seed()


def _seed() -> None:
    vocab = sa.table(
        "vocab_terms",
        *(
            sa.column(name)
            for name in (
                "vocabulary", "code", "level", "parent_code", "label_de", "label_en",
                "office_id", "position", "own_line", "active",
            )
        ),
    )  # fmt: skip
    op.bulk_insert(vocab, vocab_seed.rows())
    rules = sa.table(
        "deadline_rules",
        sa.column("code"),
        sa.column("name_de"),
        sa.column("name_en"),
        sa.column("legal_reference"),
        sa.column("amount"),
        sa.column("unit"),
        sa.column("start_event"),
        sa.column("from_year_end"),
        sa.column("valid_from", sa.Date()),
        sa.column("valid_to", sa.Date()),
    )
    op.bulk_insert(
        rules,
        [
            {
                "code": r.code,
                "name_de": r.name_de,
                "name_en": r.name_en,
                "legal_reference": r.legal_reference,
                "amount": r.amount,
                "unit": r.unit,
                "start_event": r.start_event,
                "from_year_end": r.from_year_end,
                "valid_from": r.valid_from,
                "valid_to": r.valid_to,
            }
            for r in deadlines.RULES
        ],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_case_identities_surname_bidx"), table_name="case_identities")
    op.drop_index(op.f("ix_case_identities_phone_bidx"), table_name="case_identities")
    op.drop_index(op.f("ix_case_identities_email_bidx"), table_name="case_identities")
    op.drop_index(op.f("ix_case_identities_case_id"), table_name="case_identities")
    op.drop_table("case_identities")
    op.drop_table("statistical_codes")
    op.drop_index("ix_case_entries_case_id_kind", table_name="case_entries")
    op.drop_table("case_entries")
    op.drop_index(op.f("ix_case_counsellors_user_id"), table_name="case_counsellors")
    op.drop_table("case_counsellors")
    op.drop_index("ix_vocab_terms_vocabulary_code", table_name="vocab_terms")
    op.drop_index(op.f("ix_vocab_terms_office_id"), table_name="vocab_terms")
    op.drop_table("vocab_terms")
    op.drop_index(op.f("ix_statistical_records_office_id"), table_name="statistical_records")
    op.drop_table("statistical_records")
    op.drop_index("ix_cases_office_id_status", table_name="cases")
    op.drop_index("ix_cases_office_id_next_deadline_on", table_name="cases")
    op.drop_index(op.f("ix_cases_lead_counsellor_id"), table_name="cases")
    op.drop_index(op.f("ix_cases_dek_kid"), table_name="cases")
    op.drop_table("cases")
    op.drop_table("case_number_counters")
    op.drop_index("ix_deadline_rules_code_valid_from", table_name="deadline_rules")
    op.drop_table("deadline_rules")

"""Indexes for the case list and the dashboard at 100,000 cases (issue 15).

The list's default order (newest first, then case number, then id), the order by last
contact and the status filter
read an index in order instead of sorting every visible case; the dashboard reads a
counsellor's newest cases, soonest deadlines and follow-ups from indexes on the lead and the
date; the retention warning counts a range of (office, status, closed_on, …) in the index.
``(office_id, status)`` is a prefix of the new ``(office_id, status, opened_on, …)`` and goes.

``ANALYZE`` gives the planner the statistics it needs to choose between them: without any,
SQLite takes "office = ?" for selective (an office holds nearly every case) and walks all
of an office's cases for a counsellor's few.

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0016"
branch_labels = None
depends_on = None

OPENED = ["opened_on", "case_number", "id"]
LEAD = ["opened_on", "next_deadline_on", "next_follow_up_on"]
# Covering: the warning's count reads only the index (56,000 due cases in the 100k demo).
CLOSED = ["status", "closed_on", "legal_hold", "identifying_removed_on", "lead_counsellor_id", "id"]


def upgrade() -> None:
    op.create_index("ix_cases_office_id_opened_on", "cases", ["office_id", *OPENED])
    op.create_index(
        "ix_cases_office_id_status_opened_on", "cases", ["office_id", "status", *OPENED]
    )
    op.drop_index("ix_cases_office_id_status", table_name="cases")
    for column in LEAD:
        op.create_index(
            f"ix_cases_lead_counsellor_id_{column}", "cases", ["lead_counsellor_id", column]
        )
    op.create_index("ix_cases_office_id_status_closed_on", "cases", ["office_id", *CLOSED])
    op.create_index("ix_cases_office_id_last_contact_on", "cases", ["office_id", "last_contact_on"])
    op.execute("ANALYZE")


def downgrade() -> None:
    op.drop_index("ix_cases_office_id_last_contact_on", table_name="cases")
    op.drop_index("ix_cases_office_id_status_closed_on", table_name="cases")
    for column in LEAD:
        op.drop_index(f"ix_cases_lead_counsellor_id_{column}", table_name="cases")
    op.create_index("ix_cases_office_id_status", "cases", ["office_id", "status"])
    op.drop_index("ix_cases_office_id_status_opened_on", table_name="cases")
    op.drop_index("ix_cases_office_id_opened_on", table_name="cases")

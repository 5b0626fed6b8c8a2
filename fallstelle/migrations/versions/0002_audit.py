"""Audit log: events, checkpoints, head (lock row), purged epochs; append-only triggers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Append-only is enforced in the database (LOG-5), on SQLite by ``BEFORE UPDATE/DELETE``
triggers that ``RAISE(ABORT)``, on PostgreSQL by trigger functions that raise on UPDATE,
DELETE and TRUNCATE. The one exception is retention: a DELETE of an event passes only when
its epoch is listed in ``audit_purges`` (itself append-only) and is older than the head's
current epoch, so the purge leaves a permanent record and the current epoch cannot go.
``audit_head`` may be updated (it is the chain's lock row) but never deleted.

A later SQLite migration that batch-alters one of these tables re-creates the table and
loses its triggers: such a migration must create them again (see ``_sqlite_triggers``).
On PostgreSQL, deployments should additionally grant the app role only INSERT and SELECT
on these tables (SECURITY.md); the triggers hold even for the table owner.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: chain.GENESIS, frozen here as this revision created it.
GENESIS = hashlib.sha256(b"fallstelle-audit-v1 genesis").digest()
APPEND_ONLY = ("audit_events", "audit_checkpoints", "audit_purges")


EVENTS_DELETE_SQLITE = """
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN NOT EXISTS (SELECT 1 FROM audit_purges WHERE epoch = OLD.epoch)
  OR OLD.epoch >= (SELECT epoch FROM audit_head WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
"""


def _sqlite_triggers() -> list[str]:
    abort = "BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
    out = [
        f"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} " + abort.format(table=t)
        for t in APPEND_ONLY
    ]
    out += [
        f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} " + abort.format(table=t)
        for t in ("audit_checkpoints", "audit_purges", "audit_head")
    ]
    out.append(EVENTS_DELETE_SQLITE)
    return out


POSTGRES_FUNCTIONS = [
    """
    CREATE FUNCTION audit_forbid() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    """
    CREATE FUNCTION audit_events_guard_delete() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM audit_purges WHERE epoch = OLD.epoch)
           AND OLD.epoch < (SELECT epoch FROM audit_head WHERE id = 1) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only (DELETE refused)'
            USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
]


def _postgres_triggers() -> list[str]:
    out = [
        f"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} "
        "FOR EACH ROW EXECUTE FUNCTION audit_forbid()"
        for t in APPEND_ONLY
    ]
    out += [
        f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} "
        "FOR EACH ROW EXECUTE FUNCTION audit_forbid()"
        for t in ("audit_checkpoints", "audit_purges", "audit_head")
    ]
    out += [
        f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_forbid()"
        for t in (*APPEND_ONLY, "audit_head")
    ]
    out.append(
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_guard_delete()"
    )
    return out


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("time", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=128), nullable=True),
        sa.Column("actor_role", sa.String(length=128), nullable=True),
        sa.Column("action", sa.String(length=128), nullable=False),
        sa.Column("object_type", sa.String(length=128), nullable=True),
        sa.Column("object_id", sa.String(length=128), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("client", sa.String(length=128), nullable=True),
        sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
    )
    for column in ("epoch", "time", "actor_id", "object_id"):
        op.create_index(f"ix_audit_events_{column}", "audit_events", [column])
    op.create_table(
        "audit_checkpoints",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signed_at", sa.String(length=32), nullable=False),
        sa.Column("key_hint", sa.LargeBinary(length=4), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_checkpoints")),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("epoch_started", sa.String(length=32), nullable=False),
        sa.Column("epoch_base_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_time", sa.String(length=32), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_purges",
        sa.Column("epoch", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("purged_at", sa.String(length=32), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("epoch", name=op.f("pk_audit_purges")),
    )
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    op.bulk_insert(
        head,
        [
            {
                "id": 1,
                "seq": 0,
                "entry_hash": GENESIS,
                "epoch": 1,
                "epoch_started": now,
                "epoch_base_seq": 0,
                "last_time": None,
            }
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        statements = POSTGRES_FUNCTIONS + _postgres_triggers()
    else:
        statements = _sqlite_triggers()
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    # Dropping a table drops its triggers; the PostgreSQL functions go afterwards.
    op.drop_table("audit_purges")
    op.drop_table("audit_head")
    op.drop_table("audit_checkpoints")
    for column in ("object_id", "actor_id", "time", "epoch"):
        op.drop_index(f"ix_audit_events_{column}", table_name="audit_events")
    op.drop_table("audit_events")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_events_guard_delete()")
        op.execute("DROP FUNCTION audit_forbid()")

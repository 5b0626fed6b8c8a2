"""Migrations and models agree, and the schema goes down and up again cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import fallstelle.models  # noqa: F401 - complete metadata
from fallstelle.config import Settings
from fallstelle.db import Base, make_engine
from fallstelle.store import Store, alembic_config, head_revision


def test_models_match_the_migrations(store: Store) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], "write a migration for these model changes"


def test_downgrade_to_base_and_upgrade_again(initialised: Settings) -> None:
    engine = make_engine(initialised)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
    engine.dispose()

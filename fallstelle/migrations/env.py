"""Alembic environment: migrations always run on a connection handed in by ``store``.

There is no alembic.ini: ``fallstelle.store.alembic_config`` builds the configuration, so
the migrations run inside the caller's transaction (schema and key checks commit together).
To write a new revision, copy the newest file in ``versions/`` and compare with the models;
``tests/test_migrations.py`` fails while models and migrations differ.
"""

from __future__ import annotations

from alembic import context

import fallstelle.models  # noqa: F401 - registers every table on db.Base.metadata
from fallstelle.db import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through fallstelle.store, which passes a connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

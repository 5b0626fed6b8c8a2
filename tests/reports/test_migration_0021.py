"""Migration 0021 (issue 10): register entries made before it read the revisions current then."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa
from alembic import command

from fallstelle.config import Settings
from fallstelle.db import make_engine
from fallstelle.store import alembic_config

ENTRY = ("INSERT INTO release_register (id, created_at, actor_role, kind, period, office_ids, "
         "template, k, digest, n_cells, n_hidden, cells) VALUES (:id, :at, 'management', "
         "'preview', '2026', :offices, 'funding', 5, 'x', 0, 0, :cells)")  # fmt: skip


def test_entries_made_before_it_read_the_current_revisions(initialised: Settings) -> None:
    engine = make_engine(initialised)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0020")
    at = "2026-06-01 10:00:00+00:00"
    ids = {"1": uuid.uuid4().hex, "2": uuid.uuid4().hex}
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO frozen_quarters (office_id, quarter, revision, "
                             "frozen_at) VALUES (1, '2026-Q1', 2, :at), (1, '2026-Q2', 0, :at)"),
                     {"at": at})  # fmt: skip
        for offices, entry in ids.items():
            conn.execute(sa.text(ENTRY), {"id": entry, "at": at, "offices": offices,
                                          "cells": b"x"})  # fmt: skip
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        query = sa.text("SELECT office_ids, revisions FROM release_register")
        rows = dict(conn.execute(query).tuples().all())
    engine.dispose()
    assert json.loads(rows["1"]) == {"1": {"2026-Q1": 2}}
    assert json.loads(rows["2"]) == {}

"""``flask --app fallstelle retention run [--dry-run]``: what is due goes; a run killed
(SIGKILL) in the middle is finished by the next one (issue 13)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from fallstelle import clock
from fallstelle.cases import service
from fallstelle.cases.models import Case, CaseIdentity, ErasureRecord
from fallstelle.cases.sections import Closure
from fallstelle.config import Settings
from fallstelle.runtime import get_runtime
from fallstelle.store import Store
from tests.cases.factories import World, create, make_world, short_form, version_of

ROOT = Path(__file__).resolve().parents[2]


def _closed(store: Store, world: World, on: dt.date) -> None:
    with clock.frozen(on):
        new = short_form(world.office_a)
        new.opened_on = on
        new.incident = None
        case_id, version = create(store, world.alice, new)
        with store.sessions() as s, s.begin():
            service.change_status(
                s, world.alice, store.keys, case_id, version, "abgeschlossen", on,
                Closure(reason="verwiesen", outcomes=["dokumentiert"]),
            )
        assert version_of(store, case_id) > version


def _store(app: Flask) -> Store:
    return get_runtime(app).open(app)


def test_dry_run_lists_and_changes_nothing_then_the_run_deletes(app: Flask) -> None:
    store = _store(app)
    world = make_world(store)
    _closed(store, world, dt.date(2020, 5, 4))  # case file due since 1 Jan 2024
    _closed(store, world, dt.date(2026, 1, 5))  # identifying data due since 5 Jul 2026
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "2020-0001: case file would be deleted" in dry.output
    assert "2026-0001: identifying data would be removed" in dry.output
    with store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 2
    done = runner.invoke(args=["retention", "run"])
    assert done.exit_code == 0, done.output
    assert "1 identifying data, 1 case files, 0 on hold" in done.output
    again = runner.invoke(args=["retention", "run"])
    assert "0 identifying data, 0 case files" in again.output
    with store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1
        assert s.scalars(select(CaseIdentity)).all() == []


def test_a_run_killed_midway_is_finished_by_the_next(app: Flask, initialised: Settings) -> None:
    store = _store(app)
    world = make_world(store)
    for day in range(1, 9):
        _closed(store, world, dt.date(2021, 3, day))
    env = {**os.environ, "FALLSTELLE_DATA_DIR": str(initialised.data_dir),
           "FALLSTELLE_KEYS_DIR": str(initialised.keys_dir),
           "FALLSTELLE_DATABASE_URL": initialised.database_url}  # fmt: skip
    command = [sys.executable, "-m", "flask", "--app", "fallstelle", "retention", "run"]
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline()  # one case is committed; kill it while it works on more
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert "case file deleted" in first
    with store.sessions() as s:
        left = s.scalar(select(func.count()).select_from(Case))
    assert left is not None and left < 8
    rerun = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                           timeout=120, check=False)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    with store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0
        assert s.scalar(select(func.count()).select_from(ErasureRecord)) == 8


def test_the_nightly_run_refreshes_sqlites_planner_statistics(app: Flask) -> None:
    """Without statistics SQLite walks an office's whole index for "only my cases"."""
    store = _store(app)
    if store.engine.dialect.name != "sqlite":
        return  # PostgreSQL's autovacuum analyses on its own
    world = make_world(store)
    create(store, world.alice, short_form(world.office_a))
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sqlite_stat1")
    assert app.test_cli_runner().invoke(args=["retention", "run"]).exit_code == 0
    with store.engine.connect() as conn:
        tables = {r[0] for r in conn.exec_driver_sql("SELECT tbl FROM sqlite_stat1")}
    assert "cases" in tables

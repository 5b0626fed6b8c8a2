"""The pre-counted statistics follow every change of a record, and drift is found and mended."""

from __future__ import annotations

import datetime as dt
import random
import threading
import uuid
from collections import Counter

from alembic import command
from flask import Flask
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from fallstelle.audit import service as audit_service
from fallstelle.audit.models import AuditEvent
from fallstelle.auth import service as accounts
from fallstelle.auth.actor import Actor
from fallstelle.cases import entries, service, stat_counts
from fallstelle.cases.models import StatisticalCode, StatisticalCount, StatisticalRecord
from fallstelle.cases.sections import Closure, Consent, Contact
from fallstelle.config import Settings
from fallstelle.db import make_engine
from fallstelle.intake.demo_run import create_demo
from fallstelle.store import Store, alembic_config
from tests.cases.factories import World, create, version_of


def _counts(store: Store) -> dict[tuple[str, str, str], int]:
    """The stored counts (without zeros) keyed by quarter, unit and fact."""
    with store.sessions() as session:
        assert stat_counts.differences(session) == {}, "counts drifted from the records"
        return {(q, u, f): n for (_o, q, u, f), n in stat_counts.stored(session).items()}


def test_counts_follow_a_case_from_opening_to_withdrawal(store: Store, world: World) -> None:
    case_id, version = create(store, world.alice)
    counts = _counts(store)
    new = {(f, n) for (q, u, f), n in counts.items() if (q, u) == ("2026-Q1", "neu")}
    assert {
        ("n", 1),
        ("col:gender=weiblich", 1),
        ("code:merkmal=rassismus_herkunft.antimuslimisch", 1),
        ("pair:merkmal*lebensbereich=rassismus_herkunft*arbeit", 1),
        ("pair:merkmal*lebensbereich=religion_weltanschauung*arbeit", 1),
        ("anzahl:merkmal=2", 1),
        ("kontakte=0", 1),
    } <= new
    assert {u for _q, u, _f in counts} == {"neu"}, "an open case is not counted as closed"

    with store.sessions() as session, session.begin():
        entries.add_contact(
            session, world.alice, store.keys, case_id, version,
            Contact(on=dt.date(2026, 2, 2), minutes=40, prep_minutes=20, channel="telefon"),
        )  # fmt: skip
    counts = _counts(store)
    assert counts[("2026-Q1", "neu", "kontakte=1")] == 1
    assert ("2026-Q1", "neu", "kontakte=0") not in counts  # moved, not added

    with store.sessions() as session, session.begin():
        service.change_status(
            session, world.alice, store.keys, case_id, version_of(store, case_id),
            "abgeschlossen", dt.date(2026, 4, 2),
            Closure(reason="vergleich", outcomes=["entschaedigung"]),
        )  # fmt: skip
    counts = _counts(store)
    assert counts[("2026-Q2", "abgeschlossen", "n")] == 1
    assert counts[("2026-Q2", "abgeschlossen", "dauer=1")] == 1
    assert counts[("2026-Q2", "abgeschlossen", "col:closure_reason=vergleich")] == 1
    assert counts[("2026-Q1", "neu", "n")] == 1

    with store.sessions() as session, session.begin():
        service.change_status(
            session, world.alice, store.keys, case_id, version_of(store, case_id),
            "wiederaufgenommen", dt.date(2026, 4, 3),
        )  # fmt: skip
    counts = _counts(store)
    assert not any(u == "abgeschlossen" for _q, u, _f in counts), "reopened: no longer closed"

    with store.sessions() as session:
        details = service.get_case(session, world.alice, store.keys, case_id).details
    details.consents = [
        Consent(kind="statistik", given_on=dt.date(2026, 1, 15), withdrawn_on=dt.date(2026, 2, 1))
    ]
    with store.sessions() as session, session.begin():
        service.update_details(
            session, world.alice, store.keys, case_id, version_of(store, case_id), details
        )
    assert _counts(store) == {}, "a withdrawn case leaves no count behind"


CODES = [("merkmal", "geschlecht"), ("merkmal", "geschlecht.frau"), ("merkmal", "keine_angabe"),
         ("merkmal", "lebensalter"), ("lebensbereich", "arbeit"), ("form", "belaestigung"),
         ("intervention", "gerichtlich"), ("wirkung", "entschuldigung")]  # fmt: skip


def _draw(rng: random.Random, record: StatisticalRecord, offices: list[int]) -> None:
    record.office_id = rng.choice(offices)
    opened = rng.randrange(8)
    record.opened_quarter = f"{2025 + opened // 4}-Q{opened % 4 + 1}"
    closed = opened + rng.randrange(4) if rng.random() < 0.5 else None
    record.closed_quarter = None if closed is None else f"{2025 + closed // 4}-Q{closed % 4 + 1}"
    record.gender = rng.choice([None, "weiblich", "maennlich"])
    record.closure_reason = rng.choice([None, "vergleich"])
    record.contact_count = rng.randrange(3)
    record.minutes = rng.choice([0, 30, 90])
    chosen = {c for c in CODES if rng.random() < 0.4}
    keep = [c for c in record.codes if (c.dimension, c.code) in chosen]
    have = {(c.dimension, c.code) for c in keep}
    record.codes = keep + [
        StatisticalCode(record_id=record.id, dimension=d, code=c) for d, c in sorted(chosen - have)
    ]


def test_random_rewrites_keep_the_counts_equal_to_a_recount(store: Store, world: World) -> None:
    rng = random.Random(20261126)  # noqa: S311 - a reproducible test sequence
    offices = [world.office_a, world.office_b]
    ids: list[str] = []
    for _step in range(120):
        with store.sessions() as session, session.begin():
            choice = rng.random()
            if not ids or choice < 0.35:
                record = StatisticalRecord(id=str(uuid.uuid4()))
                _draw(rng, record, offices)
                session.add(record)
                stat_counts.change(session, None, stat_counts.snapshot(record))
                ids.append(record.id)
                continue
            rid = rng.choice(ids)
            record = session.get(StatisticalRecord, rid)
            assert record is not None
            before = stat_counts.snapshot(record)
            if choice < 0.5:
                session.delete(record)
                stat_counts.change(session, before, None)
                ids.remove(rid)
            else:
                _draw(rng, record, offices)
                stat_counts.change(session, before, stat_counts.snapshot(record))
    with store.sessions() as session:
        assert stat_counts.differences(session) == {}
        total_new = sum(
            n for (_o, _q, u, f), n in stat_counts.stored(session).items() if (u, f) == ("neu", "n")
        )
        assert total_new == len(ids)


def test_drift_is_reported_and_a_rebuild_mends_it(store: Store, world: World) -> None:
    create(store, world.alice)
    with store.sessions() as session, session.begin():
        session.execute(update(StatisticalCount).where(StatisticalCount.fact == "n").values(n=7))
    with store.sessions() as session:
        assert stat_counts.differences(session) == {(world.office_a, "2026-Q1", "neu", "n"): (7, 1)}
    with store.sessions() as session, session.begin():
        written = stat_counts.rebuild(session)
    with store.sessions() as session:
        assert written > 10 and stat_counts.differences(session) == {}


def test_the_migration_counts_the_records_already_stored(initialised: Settings) -> None:
    engine = make_engine(initialised)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0006")
    with Session(engine) as session, session.begin():
        office = accounts.create_office(session, Actor.operator(), "MIG", "Stelle").id
        # At revision 0006 the audit log has no MAC column yet: leave it empty.
        audit_service.take_pending(session)
        session.execute(insert(StatisticalRecord), [
            {"id": "r1", "office_id": office, "opened_quarter": "2026-Q1", "contact_count": 0,
             "minutes": 0},
        ])  # fmt: skip
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        rows = conn.execute(
            select(StatisticalCount.quarter, StatisticalCount.unit, StatisticalCount.n).where(
                StatisticalCount.fact == "n"
            )
        ).all()
    engine.dispose()
    assert rows == [("2026-Q1", "neu", 1)]


def test_recount_command_checks_mends_and_is_audited(
    app: Flask, store: Store, world: World
) -> None:
    create(store, world.alice)
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["report", "recount", "--check"])
    assert clean.exit_code == 0 and "0 counts differed" in clean.stdout
    with store.sessions() as session, session.begin():
        session.execute(update(StatisticalCount).where(StatisticalCount.fact == "n").values(n=3))
    found = runner.invoke(args=["report", "recount", "--check"])
    assert found.exit_code == 1 and "1 counts differed" in found.stdout
    assert "2026-Q1 neu n: stored 3, records 1" in found.stdout
    mended = runner.invoke(args=["report", "recount"])
    assert mended.exit_code == 0 and "1 counts differed" in mended.stdout
    with store.sessions() as session:
        assert stat_counts.differences(session) == {}
        reasons = session.scalars(
            select(AuditEvent.reason).where(AuditEvent.action == "statistics.recount")
        ).all()
    assert sorted(reasons) == ["checked", "checked", "rebuilt"]


def test_bulk_loading_defers_the_counts_and_gets_them_right(store: Store) -> None:
    create_demo(store, 40, seed=11, office_code="DEMO-COUNT")
    with store.sessions() as session:
        assert stat_counts.differences(session) == {}
        new = sum(n for (_o, _q, u, f), n in stat_counts.stored(session).items()
                  if (u, f) == ("neu", "n"))  # fmt: skip
    assert new == 40


def test_a_failing_deferred_block_writes_nothing(store: Store, world: World) -> None:
    with store.sessions() as session:
        record = StatisticalRecord(id="x", office_id=world.office_a, opened_quarter="2026-Q1")
        try:
            with stat_counts.deferred(session):
                stat_counts.change(session, None, stat_counts.snapshot(record))
                raise RuntimeError("stop")
        except RuntimeError:
            pass
        assert stat_counts.stored(session) == Counter()
        assert "fallstelle.stat_counts.pending" not in session.info


def test_concurrent_changes_of_different_cases_keep_the_counts_right(
    store: Store, world: World
) -> None:
    # Different cases, same office and quarter: the only rows they share are the counters.
    cases = [create(store, world.alice) for _ in range(6)]
    errors: list[BaseException] = []

    def work(case_id: uuid.UUID, version: int) -> None:
        try:
            with store.sessions() as session, session.begin():
                entries.add_contact(
                    session, world.alice, store.keys, case_id, version,
                    Contact(on=dt.date(2026, 2, 2), minutes=30, channel="telefon"),
                )  # fmt: skip
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=case) for case in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = _counts(store)  # asserts no drift
    assert counts[("2026-Q1", "neu", "kontakte=1")] == 6
    assert ("2026-Q1", "neu", "kontakte=0") not in counts

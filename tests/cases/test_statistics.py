"""The statistical record: coarse, written with every change, unlinkable, deleted on withdrawal."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect, select

from fallstelle.cases import entries, service
from fallstelle.cases.models import Case, StatisticalCode, StatisticalRecord
from fallstelle.cases.sections import Closure, Consent, Contact, Intervention
from fallstelle.store import Store
from tests.cases.factories import World, create, version_of


def _record(store: Store) -> tuple[StatisticalRecord | None, set[tuple[str, str]]]:
    with store.sessions() as session:
        record = session.scalars(select(StatisticalRecord)).one_or_none()
        codes = {(c.dimension, c.code) for c in session.scalars(select(StatisticalCode))}
        return record, codes


def test_the_record_has_no_foreign_key_to_the_case(store: Store) -> None:
    with store.engine.connect() as conn:
        for table in ("statistical_records", "statistical_codes"):
            targets = {fk["referred_table"] for fk in inspect(conn).get_foreign_keys(table)}
            assert targets <= {"offices", "statistical_records"}
            columns = {c["name"] for c in inspect(conn).get_columns(table)}
            assert not columns & {"case_id", "case_number", "created_at", "updated_at"}


def test_record_written_at_creation_and_rewritten_with_every_change(
    store: Store, world: World
) -> None:
    case_id, version = create(store, world.alice)
    record, codes = _record(store)
    assert record is not None
    assert (record.opened_quarter, record.closed_quarter) == ("2026-Q1", None)
    assert (record.age_band, record.gender, record.kreis) == ("27_44", "weiblich", "05116")
    assert record.request_type == "beratungsfall" and record.office_id == world.office_a
    assert {
        ("merkmal", "rassismus_herkunft"),
        ("merkmal", "rassismus_herkunft.antimuslimisch"),
        ("merkmal", "religion_weltanschauung"),
        ("merkmal", "religion_weltanschauung.islam"),
        ("lebensbereich", "arbeit"),
        ("lebensbereich", "arbeit.zugang"),
        ("form", "zugang_verwehrt"),
        ("akteur", "arbeitgeber"),
    } == codes
    with store.sessions() as session, session.begin():
        entries.add_contact(
            session, world.alice, store.keys, case_id, version,
            Contact(on=dt.date(2026, 2, 2), minutes=40, prep_minutes=20, channel="telefon"),
        )  # fmt: skip
    with store.sessions() as session, session.begin():
        entries.add_intervention(
            session, world.alice, store.keys, case_id, version_of(store, case_id),
            Intervention(code="gerichtlich.klage_arbeitsgericht", started_on=dt.date(2026, 3, 1)),
        )  # fmt: skip
    with store.sessions() as session, session.begin():
        service.change_status(
            session, world.alice, store.keys, case_id, version_of(store, case_id),
            "abgeschlossen", dt.date(2026, 4, 2),
            Closure(reason="vergleich", outcomes=["entschaedigung"]),
        )  # fmt: skip
    record, codes = _record(store)
    assert record is not None
    assert (record.contact_count, record.minutes) == (1, 60)
    assert (record.closed_quarter, record.closure_reason) == ("2026-Q2", "vergleich")
    assert {
        ("kontakt_kanal", "telefon"),
        ("intervention", "gerichtlich"),
        ("intervention", "gerichtlich.klage_arbeitsgericht"),
        ("wirkung", "entschaedigung"),
    } <= codes


def test_withdrawn_consent_deletes_the_record(store: Store, world: World) -> None:
    case_id, version = create(store, world.alice)
    with store.sessions() as session:
        details = service.get_case(session, world.alice, store.keys, case_id).details
    details.consents = [
        Consent(kind="statistik", given_on=dt.date(2026, 1, 15), withdrawn_on=dt.date(2026, 2, 1))
    ]
    with store.sessions() as session, session.begin():
        service.update_details(session, world.alice, store.keys, case_id, version, details)
    assert _record(store) == (None, set())


def test_the_record_stays_when_the_case_is_deleted(store: Store, world: World) -> None:
    case_id, _ = create(store, world.alice)
    with store.sessions() as session, session.begin():
        case = session.get(Case, case_id)
        session.delete(case)
    record, codes = _record(store)
    assert record is not None and codes

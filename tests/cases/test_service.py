"""Service tests of the case room: round trips, conflicts, workflow, bad input."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from fallstelle.audit.models import AuditEvent
from fallstelle.cases import corrections, entries, service
from fallstelle.cases.errors import CaseConflict, Invalid
from fallstelle.cases.models import Case, CaseEntry
from fallstelle.cases.sections import Closure, Contact, Incident, Intervention
from fallstelle.store import Store
from tests.cases.factories import OPENED, World, create, short_form, version_of


def test_create_and_read_round_trip(store: Store, world: World) -> None:
    case_id, _ = create(store, world.alice)
    with store.sessions() as session, session.begin():
        view = service.get_case(session, world.alice, store.keys, case_id)
        assert view.case.case_number == "2026-0001"
        assert view.case.status == "in_beratung"
        assert view.case.lead_counsellor_id == world.alice.user_id
        assert view.details.narrative == "Erstgespräch"
        assert view.details.stat_record_id
        (person,) = view.of_kind("person")
        assert view.identities[person.id].surname == "Yilmaz"
        (incident,) = view.of_kind("incident")
        assert isinstance(incident.data, Incident)
        assert incident.data.grounds == [
            "rassismus_herkunft.antimuslimisch",
            "religion_weltanschauung.islam",
        ]
        assert incident.data.actor_institution == "Spedition Beispiel GmbH"
    with store.sessions() as session:
        reads = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.read")).all()
        assert [(e.object_id, e.actor_id, e.outcome) for e in reads] == [
            (str(case_id), world.alice.user_id, "ok")
        ]


def test_numbers_count_per_office_and_year(store: Store, world: World) -> None:
    create(store, world.alice)
    create(store, world.alice)
    other, _ = create(store, world.bert)
    next_year = short_form(world.office_a)
    next_year.opened_on = dt.date(2025, 12, 31)
    old, _ = create(store, world.alice, next_year)
    with store.sessions() as session:
        numbers = {c.id: c.case_number for c in session.scalars(select(Case))}
    assert sorted(numbers.values()) == ["2025-0001", "2026-0001", "2026-0001", "2026-0002"]
    assert numbers[other] == "2026-0001" and numbers[old] == "2025-0001"


def test_stale_version_is_a_conflict_naming_who_and_when(store: Store, world: World) -> None:
    case_id, version = create(store, world.alice)
    with store.sessions() as session, session.begin():
        entries.add_contact(
            session, world.anton, store.keys, case_id, version,
            Contact(on=OPENED, minutes=30, channel="telefon"),
        )  # fmt: skip
    with store.sessions() as session, session.begin():
        view = service.get_case(session, world.alice, store.keys, case_id)
        details = view.details
    details.narrative = "überschrieben?"
    with store.sessions() as session, session.begin(), pytest.raises(CaseConflict) as caught:
        service.update_details(session, world.alice, store.keys, case_id, version, details)
    assert caught.value.changed_by_id == world.anton.user_id
    assert caught.value.changed_by_name == "Anton"
    assert caught.value.changed_at.tzinfo is not None
    with store.sessions() as session:
        view = service.get_case(session, world.alice, store.keys, case_id)
        assert view.details.narrative == "Erstgespräch"


def test_contacts_interventions_and_derived_columns(store: Store, world: World) -> None:
    case_id, version = create(store, world.alice)
    with store.sessions() as session, session.begin():
        entries.add_contact(
            session, world.alice, store.keys, case_id, version,
            Contact(on=dt.date(2026, 1, 20), minutes=45, channel="persoenlich", note="Gespräch"),
        )  # fmt: skip
    version = version_of(store, case_id)
    with store.sessions() as session, session.begin():
        entries.add_intervention(
            session, world.alice, store.keys, case_id, version,
            Intervention(code="nicht_rechtlich.beschwerdebrief", started_on=dt.date(2026, 1, 21)),
        )  # fmt: skip
    with store.sessions() as session:
        view = service.get_case(session, world.alice, store.keys, case_id)
        (contact,) = view.of_kind("contact")
        assert isinstance(contact.data, Contact)
        assert contact.data.counsellor_id == world.alice.user_id
        assert view.case.last_contact_on == dt.date(2026, 1, 20)
        assert len(view.of_kind("intervention")) == 1
        assert view.case.version == version + 1


def test_close_needs_reason_and_outcome_and_reopening_keeps_history(
    store: Store, world: World
) -> None:
    case_id, version = create(store, world.alice)
    on = dt.date(2026, 2, 1)
    for closure, field in (
        (None, "closure.reason"),
        (Closure(outcomes=["empowerment"]), "closure.reason"),
        (Closure(reason="ziel_erreicht"), "closure.outcomes"),
    ):
        with store.sessions() as session, session.begin(), pytest.raises(Invalid) as caught:
            service.change_status(
                session, world.alice, store.keys, case_id, version, "abgeschlossen", on, closure
            )
        assert (caught.value.field, caught.value.code) == (field, "required")
    done = Closure(
        reason="ziel_erreicht", outcomes=["entschuldigung"], counterpart_response="eingeraeumt"
    )
    with store.sessions() as session, session.begin():
        case = service.change_status(
            session, world.alice, store.keys, case_id, version, "abgeschlossen", on, done
        )
        assert case.closed_on == on
        version = case.version
    with store.sessions() as session, session.begin():
        case = service.change_status(
            session, world.alice, store.keys, case_id, version, "wiederaufgenommen",
            dt.date(2026, 3, 1),
        )  # fmt: skip
        assert case.closed_on is None
    with store.sessions() as session:
        view = service.get_case(session, world.alice, store.keys, case_id)
        assert view.case.status == "wiederaufgenommen"
        assert view.details.closure is None
        steps = [(h.status, h.closure) for h in view.details.history]
        assert steps == [
            ("in_beratung", None),
            ("abgeschlossen", done),
            ("wiederaufgenommen", None),
        ]


def test_an_impossible_transition_is_refused(store: Store, world: World) -> None:
    case_id, version = create(store, world.alice)
    with store.sessions() as session, session.begin(), pytest.raises(Invalid) as caught:
        service.change_status(
            session, world.alice, store.keys, case_id, version, "wiederaufgenommen", OPENED
        )
    assert caught.value.code == "transition"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"grounds": ["rassismus_herkunft.erfunden"]}, "incident.grounds", "unknown_code"),
        ({"grounds": ["rassismus_herkunft"] * 2}, "incident.grounds", "duplicate"),
        ({"date_from": dt.date(1899, 12, 31)}, "incident.date_from", "date_range"),
        ({"date_from": dt.date.today() + dt.timedelta(days=2)}, "incident.date_from", "date_range"),
        (
            {"date_from": dt.date(2026, 1, 5), "date_to": dt.date(2026, 1, 4)},
            "incident.date_to",
            "before_start",
        ),
        ({"actor_institution": "x" * 201}, "incident.actor_institution", "too_long"),
        ({"client_account": "a\x1b[31m"}, "incident.client_account", "control_chars"),
    ],
)
def test_bad_incident_input_saves_nothing(
    store: Store, world: World, change: dict[str, object], field: str, code: str
) -> None:
    case_id, version = create(store, world.alice)
    incident = Incident(**change)  # type: ignore[arg-type]
    with store.sessions() as session, session.begin(), pytest.raises(Invalid) as caught:
        entries.add_incident(session, world.alice, store.keys, case_id, version, incident)
    assert (caught.value.field, caught.value.code) == (field, code)
    with store.sessions() as session:
        kinds = session.scalars(select(CaseEntry.kind).where(CaseEntry.case_id == case_id))
        assert sorted(kinds) == ["incident", "person"]
    assert version_of(store, case_id) == version


def test_unknown_request_type_spends_no_case_number(store: Store, world: World) -> None:
    bad = short_form(world.office_a)
    bad.details.request_type = "gibt_es_nicht"
    with store.sessions() as session, pytest.raises(Invalid):
        service.create_case(session, world.alice, store.keys, bad)
    create(store, world.alice)
    with store.sessions() as session:
        assert session.scalars(select(Case.case_number)).all() == ["2026-0001"]


def test_unknown_entry_of_the_case_is_invalid(store: Store, world: World) -> None:
    case_id, version = create(store, world.alice)
    with store.sessions() as session, pytest.raises(Invalid):
        corrections.remove(
            session, world.alice, store.keys, case_id, version, "contact", uuid.uuid4(), "x"
        )


def test_a_case_opened_for_reading_reads_the_same_and_cannot_be_saved(
    store: Store, world: World
) -> None:
    """The case page opens a case with ``reading=True`` (plain rows, no history copy): it must
    show exactly what a case opened for a change shows, and must never be saved (its save
    would write no change history)."""
    from fallstelle.cases.work import CaseWork

    case_id, _ = create(store, world.alice)
    with store.sessions() as session, session.begin():
        case = session.get(Case, case_id)
        assert case is not None
        changing = CaseWork.open(session, case, store.keys)
        reading = CaseWork.open(session, case, store.keys, reading=True)
        assert reading.details == changing.details
        assert reading.entries == changing.entries
        assert reading.identities == changing.identities
        assert reading.before is None and changing.before is not None
        with pytest.raises(RuntimeError, match="opened for reading"):
            reading.save(world.alice)


def test_only_a_new_cases_first_save_may_leave_the_flush_to_the_caller(
    store: Store, world: World
) -> None:
    """``save(flush=False)`` (the demo's batches) skips the version check a flush does: an
    opened case, or a new one saved before, must still flush (and write its history)."""
    from fallstelle.cases.models import StatisticalRecord
    from fallstelle.cases.work import CaseWork

    case_id, _ = create(store, world.alice)
    with store.sessions() as session, session.begin():
        case = session.get(Case, case_id)
        assert case is not None
        with pytest.raises(RuntimeError, match="first save"):
            CaseWork.open(session, case, store.keys).save(world.alice, flush=False)
    with store.sessions() as session, session.begin():
        work = service.start_case(session, world.alice, store.keys, short_form(world.office_a))
        work.save(world.alice, flush=False)
        assert session.scalar(select(Case.id).where(Case.id == work.case.id)) is not None
        with pytest.raises(RuntimeError, match="first save"):
            work.save(world.alice, flush=False)
        work.save(world.alice)  # a second save finds the record written by the first
        records = session.scalars(select(StatisticalRecord)).all()
        assert len(records) == 2

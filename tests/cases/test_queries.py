"""Case list, search (case number, blind index with false positives) and the dashboard."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from fallstelle.cases import entries, queries, sealing, service
from fallstelle.cases.errors import Invalid
from fallstelle.cases.sections import Closure, FollowUp, Identity
from fallstelle.store import Store
from tests.cases.factories import World, create, short_form, version_of


def _with_surname(world: World, surname: str, phone: str = "") -> service.NewCase:
    new = short_form(world.office_a)
    new.identity = Identity(surname=surname, phone=phone)
    return new


def _collision(store: Store, surname: str) -> str:
    """Return another surname with the same (deliberately truncated) blind index."""
    indexer = sealing.BlindIndexer(store.keys.blind_index_root)
    wanted = indexer.index("surname", surname)
    for n in itertools.count():
        other = f"Kowalski{n}"
        if indexer.index("surname", other) == wanted:
            return other
    raise AssertionError  # pragma: no cover


def test_search_by_name_filters_false_positives_of_the_blind_index(
    store: Store, world: World
) -> None:
    twin = _collision(store, "Müller")
    mueller, _ = create(store, world.alice, _with_surname(world, "Müller", "+49 171 2345678"))
    create(store, world.alice, _with_surname(world, twin))
    with store.sessions() as session:
        found = queries.search_person(session, world.alice, store.keys, "surname", " MÜLLER ")
        assert [c.id for c in found] == [mueller]
        by_phone = queries.search_person(session, world.alice, store.keys, "phone", "0171/2345678")
        assert [c.id for c in by_phone] == [mueller]
        assert queries.search_person(session, world.alice, store.keys, "surname", "Meier") == []
        with pytest.raises(Invalid):
            queries.search_person(session, world.alice, store.keys, "merkmal", "x")
        with pytest.raises(Invalid):
            queries.search_person(session, world.alice, store.keys, "email", "  ")


def test_find_by_number_and_the_filtered_list(store: Store, world: World) -> None:
    first, version = create(store, world.alice)
    by_anton = short_form(world.office_a)
    by_anton.lead_counsellor_id = world.anton.user_id
    create(store, world.alice, by_anton)
    with store.sessions() as session, session.begin():
        service.change_status(
            session, world.alice, store.keys, first, version, "abgeschlossen",
            dt.date(2026, 2, 1), Closure(reason="verwiesen", outcomes=["dokumentiert"]),
        )  # fmt: skip
    with store.sessions() as session:
        (hit,) = queries.find_by_number(session, world.alice, " 2026-0001 ")
        assert hit.id == first and hit.status == "abgeschlossen"
        assert queries.list_cases(session, world.alice).total == 2
        assert queries.list_cases(session, world.alice, status="abgeschlossen").total == 1
        by = queries.list_cases(session, world.alice, counsellor_id=world.anton.user_id)
        assert [c.case_number for c in by.items] == ["2026-0002"]
        assert queries.list_cases(session, world.alice, year=2025).total == 0
        page = queries.list_cases(session, world.alice, per_page=1, page=2)
        assert (len(page.items), page.pages) == (1, 2)
        with pytest.raises(Invalid):
            queries.list_cases(session, world.alice, status="erfunden")


def test_dashboard_shows_open_cases_deadlines_and_follow_ups(store: Store, world: World) -> None:
    case_id, version = create(store, world.alice)
    quiet, _ = create(store, world.alice)
    create(store, world.anton)
    with store.sessions() as session, session.begin():
        entries.add_deadline(session, world.alice, store.keys, case_id, version, "agg_15_4")
    with store.sessions() as session, session.begin():
        entries.save_entry(
            session, world.alice, store.keys, case_id, version_of(store, case_id),
            FollowUp(due_on=dt.date(2026, 3, 1), note="Rückruf"),
        )  # fmt: skip
    with store.sessions() as session:
        early = queries.dashboard(session, world.alice, dt.date(2026, 2, 1))
        assert {c.id for c in early.my_open} == {case_id, quiet}
        assert early.deadlines == [] and early.follow_ups == []
        soon = queries.dashboard(session, world.alice, dt.date(2026, 3, 1))
        assert [c.id for c in soon.deadlines] == [case_id]  # due 10 March: within 14 days
        assert not soon.overdue(soon.deadlines[0], dt.date(2026, 3, 1))
        assert [c.id for c in soon.follow_ups] == [case_id]
        late = queries.dashboard(session, world.alice, dt.date(2026, 4, 1))
        assert late.overdue(late.deadlines[0], dt.date(2026, 4, 1))
        assert queries.dashboard(session, world.bert).my_open == []

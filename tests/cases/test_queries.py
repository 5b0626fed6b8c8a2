"""Case list, search (case number, blind index with false positives) and the dashboard."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from fallstelle import crypto
from fallstelle.audit.models import AuditEvent
from fallstelle.cases import entries, listing, queries, sealing, search, service
from fallstelle.cases.errors import Invalid
from fallstelle.cases.models import CaseIdentity
from fallstelle.cases.sections import Closure, FollowUp, Identity
from fallstelle.store import Store
from tests.cases.factories import World, create, short_form, version_of


def _with_surname(world: World, surname: str, phone: str = "") -> service.NewCase:
    new = short_form(world.office_a)
    new.identity = Identity(surname=surname, phone=phone)
    return new


#: The index length of an office with a few cases (crypto.blind_index_bits).
BITS = crypto.BLIND_INDEX_MIN_BITS


def _collision(store: Store, office: int, surname: str) -> str:
    """Return another surname with the same (deliberately truncated) blind index."""
    indexer = sealing.BlindIndexer(store.keys.blind_index_root, office)
    wanted = indexer.index("surname", surname, BITS)
    for n in itertools.count():
        other = f"Kowalski{n}"
        if indexer.index("surname", other, BITS) == wanted:
            return other
    raise AssertionError  # pragma: no cover


def test_search_by_name_filters_false_positives_of_the_blind_index(
    store: Store, world: World
) -> None:
    twin = _collision(store, world.office_a, "Müller")
    mueller, _ = create(store, world.alice, _with_surname(world, "Müller", "+49 171 2345678"))
    create(store, world.alice, _with_surname(world, twin))
    with store.sessions() as session:
        found = search.search_person(session, world.alice, store.keys, "surname", " MÜLLER ")
        assert [c.id for c in found] == [mueller]
        by_phone = search.search_person(session, world.alice, store.keys, "phone", "0171/2345678")
        assert [c.id for c in by_phone] == [mueller]
        assert search.search_person(session, world.alice, store.keys, "surname", "Meier") == []
        with pytest.raises(Invalid):
            search.search_person(session, world.alice, store.keys, "merkmal", "x")
        with pytest.raises(Invalid):
            search.search_person(session, world.alice, store.keys, "email", "  ")


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
        assert listing.list_cases(session, world.alice).total == 2
        assert (
            listing.list_cases(
                session, world.alice, filters=listing.Filters(status="abgeschlossen")
            ).total
            == 1
        )
        by = listing.list_cases(
            session, world.alice, filters=listing.Filters(counsellor_id=world.anton.user_id)
        )
        assert [c.case_number for c in by.items] == ["2026-0002"]
        assert (
            listing.list_cases(session, world.alice, filters=listing.Filters(year=2025)).total == 0
        )
        first = listing.list_cases(session, world.alice, per_page=1)
        page = listing.list_cases(session, world.alice, per_page=1, after=first.after)
        assert (len(page.items), page.after, page.before is not None) == (1, None, True)
        with pytest.raises(Invalid):
            listing.list_cases(session, world.alice, filters=listing.Filters(status="erfunden"))


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


def test_blind_index_is_keyed_per_office(store: Store, world: World) -> None:
    """Equal names in two offices give unrelated index values: the index links no one."""
    in_a, _ = create(store, world.alice, _with_surname(world, "Nowak", "0171 999"))
    new_b = short_form(world.office_b)
    new_b.identity = Identity(surname="Nowak", phone="0171 999")
    in_b, _ = create(store, world.bert, new_b)
    with store.sessions() as session:
        rows = {
            ident.case_id: ident
            for ident in session.scalars(select(CaseIdentity))
            if ident.case_id in (in_a, in_b)
        }
        assert set(rows) == {in_a, in_b}
    # the stored values are short (4 bits here) and may coincide by chance; the keys may not
    a = sealing.BlindIndexer(store.keys.blind_index_root, world.office_a)
    b = sealing.BlindIndexer(store.keys.blind_index_root, world.office_b)
    names = [f"Nowak{i}" for i in range(50)]
    same = [n for n in names if a.index("surname", n, 16) == b.index("surname", n, 16)]
    assert len(same) <= 1
    with store.sessions() as session:
        (hit,) = search.search_person(session, world.bert, store.keys, "surname", "nowak")
        assert hit.id == in_b


def test_a_search_records_the_case_ids_it_disclosed_never_the_term(
    store: Store, world: World
) -> None:
    found, _ = create(store, world.alice, _with_surname(world, "Quappendorf"))
    create(store, world.alice, _with_surname(world, "Anders"))
    with store.sessions() as session, session.begin():
        search.search_person(session, world.alice, store.keys, "surname", "quappendorf")
    with store.sessions() as session:
        events = session.execute(
            select(AuditEvent.action, AuditEvent.object_id, AuditEvent.reason).where(
                AuditEvent.action.startswith("case.search")
            )
        ).all()
    assert sorted(events, key=str) == [
        ("case.search", None, "by_surname"),
        ("case.search_hit", str(found), "by_surname"),
    ]
    assert "quappendorf" not in repr(events).casefold()

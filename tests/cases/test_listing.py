"""The case list (issues 14, 15): keyset pages, the bounded count, indexes, the Kreis filter."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest
from sqlalchemy import delete, event, select, text

from fallstelle.audit.models import AuditEvent
from fallstelle.cases import access, listing, queries
from fallstelle.cases.models import Case
from fallstelle.store import Store
from tests.cases.factories import World, create, short_form

COLOGNE, BONN = "05315", "05314"


def _make(store: World | Store, world: World, n: int, **changes: object) -> list[uuid.UUID]:
    """``n`` cases of office A by Alice, opened on two days (ties on the first sort key)."""
    assert isinstance(store, Store)
    made = []
    for i in range(n):
        form = short_form(world.office_a)
        form.opened_on = dt.date(2026, 1, 10 + i % 2)
        if "kreis" in changes:
            kreis = changes["kreis"] if i % 3 == 0 else BONN
            assert form.person is not None and form.incident is not None
            form.person = dataclasses.replace(form.person, kreis=kreis)
            form.incident = dataclasses.replace(form.incident, kreis=kreis)
        made.append(create(store, world.alice, form)[0])
    return made


def _walk(store: Store, world: World, order: str, per_page: int) -> list[uuid.UUID]:
    seen: list[uuid.UUID] = []
    after = None
    with store.sessions() as session:
        for _ in range(20):  # a cursor that does not move on would loop: fail instead
            page = listing.list_cases(session, world.alice, order=order, per_page=per_page,
                                      after=after)  # fmt: skip
            seen += [c.id for c in page.items]
            if page.after is None:
                return seen
            after = page.after
    raise AssertionError(f"more than 20 pages: {len(seen)} rows")


@pytest.mark.parametrize("order", sorted(listing.ORDERS))
def test_keyset_pages_neither_repeat_nor_skip_when_cases_change_between_pages(
    store: Store, world: World, order: str
) -> None:
    made = _make(store, world, 7)
    everything = _walk(store, world, order, 7)
    assert sorted(everything, key=str) == sorted(made, key=str)
    assert _walk(store, world, order, 3) == everything  # the same order, page by page
    with store.sessions() as session:
        first = listing.list_cases(session, world.alice, order=order, per_page=3)
    assert first.before is None and first.after is not None
    # Between two pages a new case arrives and one already shown is deleted.
    new, _ = create(store, world.alice)
    with store.sessions() as session, session.begin():
        session.execute(delete(Case).where(Case.id == first.items[0].id))
    rest: list[uuid.UUID] = []
    after: str | None = first.after
    with store.sessions() as session:
        while after is not None:
            page = listing.list_cases(session, world.alice, order=order, per_page=3, after=after)
            rest += [c.id for c in page.items]
            after = page.after
        shown = [c.id for c in first.items] + rest
        assert len(shown) == len(set(shown))  # no case twice
        assert set(everything) <= set(shown)  # none skipped
        # Back from the second page: the first page again (refilled: one of it was deleted).
        second = listing.list_cases(session, world.alice, order=order, per_page=3,
                                    after=first.after)  # fmt: skip
        back = listing.list_cases(session, world.alice, order=order, per_page=3,
                                  before=second.before)  # fmt: skip
        known = {c.id for c in [*first.items, *second.items]} | {new}
        assert back.before is None and len(back.items) == 3 and {c.id for c in back.items} <= known
        with pytest.raises(listing.Invalid):
            listing.list_cases(session, world.alice, order=order, after="2026-13-01~x")


def test_the_count_stops_at_its_cap(store: Store, world: World, monkeypatch) -> None:
    _make(store, world, 4)
    monkeypatch.setattr(listing, "COUNT_CAP", 3)
    with store.sessions() as session:
        page = listing.list_cases(session, world.alice)
    assert (page.total, page.capped, len(page.items)) == (3, True, 4)


def _statements(store: Store, call) -> list[tuple[str, object]]:  # type: ignore[no-untyped-def]
    made: list[tuple[str, object]] = []

    def seen(conn, cursor, sql, params, context, many) -> None:  # type: ignore[no-untyped-def]
        made.append((sql, params))

    engine = store.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with store.sessions() as session:
            call(session)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return made


def test_list_and_dashboard_run_a_fixed_number_of_statements(store: Store, world: World) -> None:
    def both(session) -> None:  # type: ignore[no-untyped-def]
        listing.list_cases(session, world.alice, per_page=3)
        queries.dashboard(session, world.alice, dt.date(2026, 12, 1))

    _make(store, world, 2)
    few = len(_statements(store, both))
    _make(store, world, 8)
    assert len(_statements(store, both)) == few <= 10  # 2 for the list, 6 for the dashboard, …


def test_the_first_list_page_reads_an_index_in_order(store: Store, world: World) -> None:
    """No sort of every visible case: the index on (office, opened, number, id) gives the order."""
    if store.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    _make(store, world, 3)
    made = _statements(store, lambda s: listing.list_cases(s, world.alice, per_page=2))
    ((sql, params),) = [(q, p) for q, p in made if "ORDER BY" in q and "count" not in q]
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        plan = " | ".join(str(r[-1]) for r in raw.execute("EXPLAIN QUERY PLAN " + sql, params))
    assert "ix_cases_office_id_opened_on" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_kreis_filter_opens_only_candidates_and_records_each_read(
    store: Store, world: World
) -> None:
    made = _make(store, world, 9, kreis=COLOGNE)
    cologne = {m for i, m in enumerate(made) if i % 3 == 0}
    elsewhere, _ = create(store, world.bert)  # office B: Köln too, never opened by Alice
    with store.sessions() as session, session.begin():
        page = listing.list_cases(session, world.alice, store.keys,
                                  listing.Filters(kreis=COLOGNE), per_page=2)  # fmt: skip
        rest = listing.list_cases(session, world.alice, store.keys,
                                  listing.Filters(kreis=COLOGNE), after=page.after)  # fmt: skip
    assert page.total is None and len(page.items) == 2 and rest.after is None
    assert {c.id for c in [*page.items, *rest.items]} == cologne
    with store.sessions() as session:
        reads = session.scalars(
            select(AuditEvent.object_id).where(AuditEvent.reason == "list_filter")
        ).all()
    assert set(reads) <= {str(m) for m in made} and str(elsewhere) not in reads
    # The first page stops opening once it is full: not every candidate was read for it.
    assert len(reads) < 2 * len(made)


def test_kreis_filter_asks_to_narrow_beyond_its_cap(
    store: Store, world: World, monkeypatch
) -> None:
    _make(store, world, 3)
    monkeypatch.setattr(listing, "KREIS_CAP", 2)
    with store.sessions() as session, session.begin():
        page = listing.list_cases(session, world.alice, store.keys, listing.Filters(kreis=COLOGNE))
        assert page.too_many and page.items == []
        narrowed = listing.Filters(kreis="05116", year=2025)  # nothing in 2025: no candidates
        assert listing.list_cases(session, world.alice, store.keys, narrowed).items == []
    with store.sessions() as session:
        opened = session.scalar(
            select(text("count(*)"))
            .select_from(AuditEvent)
            .where(AuditEvent.reason == "list_filter")
        )
    assert opened == 0  # refused before anything was opened


def test_dashboard_takes_the_soonest_deadlines_only(store: Store, world: World) -> None:
    made = _make(store, world, 30)
    with store.sessions() as session, session.begin():
        for i, case_id in enumerate(made):
            case = session.get(Case, case_id)
            assert case is not None
            case.next_deadline_on = dt.date(2026, 2, 1) + dt.timedelta(days=i % 10)
            case.next_follow_up_on = dt.date(2026, 1, 1)
    with store.sessions() as session:
        board = queries.dashboard(session, world.alice, dt.date(2026, 2, 1))
    assert len(board.deadlines) == len(board.follow_ups) == queries.DUE_CASES
    days = [c.next_deadline_on for c in board.deadlines]
    assert days == sorted(days) and days[-1] == dt.date(2026, 2, 9)  # the soonest 25 of 30


def test_the_dashboard_reads_the_lead_index_not_the_office(store: Store, world: World) -> None:
    """Also without planner statistics: the ids come from (lead, date), the rows by id."""
    if store.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    _make(store, world, 3)
    made = _statements(store, lambda s: queries.dashboard(s, world.alice, dt.date(2026, 2, 1)))
    rows = "SELECT cases.id, cases.case_number"
    selects = [(q, p) for q, p in made if q.lstrip().startswith(rows)]
    assert len(selects) == 6
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        for sql, params in selects:
            plan = " | ".join(str(r[-1]) for r in raw.execute("EXPLAIN QUERY PLAN " + sql, params))
            assert "ix_cases_office_id" not in plan, plan
        sql, params = selects[0]
        first = " | ".join(str(r[-1]) for r in raw.execute("EXPLAIN QUERY PLAN " + sql, params))
    assert "ix_cases_lead_counsellor_id_opened_on" in first, first


def test_the_dashboard_builds_its_statements_once(
    store: Store, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built per request, its six statements with the visibility clause and their cache
    keys cost more Python time than the queries (issue 15): the second builds none."""
    _make(store, world, 3)
    with store.sessions() as session:
        first = queries.dashboard(session, world.alice, dt.date(2026, 2, 1))

    def no_new_statement(*_args: object) -> None:
        raise AssertionError("a dashboard statement built per request")

    monkeypatch.setattr(access, "visible_clause", no_new_statement)
    monkeypatch.setattr(access, "visible_clause_bound", no_new_statement, raising=False)
    with store.sessions() as session:
        assert queries.dashboard(session, world.alice, dt.date(2026, 2, 1)) == first
        assert queries.dashboard(session, world.bert, dt.date(2026, 2, 1)).my_open == []
    assert len(first.my_open) == 3

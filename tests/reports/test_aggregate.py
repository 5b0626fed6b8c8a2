"""Aggregation from statistical records against hand-computed counts (DOMAIN.md's report list)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from fallstelle.cases import service as cases
from fallstelle.cases.sections import Consent
from fallstelle.reports import aggregate_layout, periods, sample
from fallstelle.reports.aggregate import Aggregate, aggregate
from fallstelle.reports.disclosure import suppress_release
from fallstelle.reports.tables import Table
from fallstelle.store import Store
from tests.auth.factories import make_office
from tests.cases.factories import World, create
from tests.reports.stat_factories import add_record, fixed_dataset


def _tables(result: Aggregate) -> dict[str, Table]:
    return {t.key: t for t in result.tables}


def count(table: Table, row: str, column: str | None = None) -> int:
    """The count of one cell; row/column "" is the total."""
    codes = [c.code for c in table.rows.categories]
    r = codes.index(row) if row else len(codes)
    c = 0
    if table.columns is not None:
        cols = [x.code for x in table.columns.categories]
        c = cols.index(column) if column else len(cols)
    return table.cell((r, c)).value


def _fixed(store: Store) -> tuple[int, int]:
    with store.sessions() as session, session.begin():
        a, b = make_office(session, "GOLD").id, make_office(session, "OTHER").id
        fixed_dataset(session, a, b)
    return a, b


def _aggregate(store: Store, period: str, offices: list[int]) -> Aggregate:
    with store.sessions() as session:
        return aggregate(session, periods.parse(period), offices)


def test_case_numbers_per_office_and_pooled(store: Store) -> None:
    a, b = _fixed(store)
    t = _tables(_aggregate(store, "2026", [a, b]))["fallzahlen"]
    assert [c.code for c in t.rows.categories] == ["GOLD", "OTHER"]
    assert t.counts == ((30, 20, 11), (3, 0, 3))
    assert t.column_totals == (33, 20, 14)
    half = _tables(_aggregate(store, "2026-H1", [a]))["fallzahlen"]
    # H1: opened 20; closed 14 in their own quarter of H1; running at 30 June: 2025-Q4 + 6
    # opened in H1 and closed in Q4 (i < 6) = 7.
    assert half.counts == ((20, 14, 7),)


def test_grounds_areas_and_intersectional_share(store: Store) -> None:
    a, _ = _fixed(store)
    t = _tables(_aggregate(store, "2026", [a]))
    merkmal = t["merkmal"]
    assert merkmal.multi_answer and count(merkmal, "") == 30
    assert count(merkmal, "rassismus_herkunft") == 24
    assert count(merkmal, "rassismus_herkunft.antisemitismus") == 6  # its own line
    assert count(merkmal, "geschlecht") == 10 and count(merkmal, "lebensalter") == 2
    assert count(merkmal, "religion_weltanschauung") == 0  # every level-1 term is listed
    assert count(t["merkmal_l2"], "rassismus_herkunft.antimuslimisch") == 18
    assert count(t["merkmal_l2"], "geschlecht.mann") == 0  # listed although no case has it
    assert count(t["merkmal_mehrfach"], "mehrere") == 6
    assert count(t["merkmal_mehrfach"], "eines") == 24
    assert count(t["lebensbereich"], "arbeit") == 18 and count(t["lebensbereich"], "bildung") == 12
    assert count(t["agg"], "agg_relevant") == 30
    cross = t["merkmal_x_lebensbereich"]
    assert count(cross, "rassismus_herkunft", "arbeit") == 18
    assert count(cross, "rassismus_herkunft", "bildung") == 6
    assert count(cross, "geschlecht", "arbeit") == 6
    assert count(cross, "geschlecht", "") == 10 and count(cross, "", "") == 30
    assert count(t["quartal"], "2026-Q1") == 12 and count(t["quartal"], "2026-Q4") == 4


def test_closed_case_tables(store: Store) -> None:
    a, _ = _fixed(store)
    t = _tables(_aggregate(store, "2026", [a]))
    assert count(t["ergebnis"], "ziel_erreicht") == 14
    assert count(t["ergebnis"], "nicht_erreicht") == 6 and count(t["ergebnis"], "") == 20
    assert count(t["intervention"], "gerichtlich") == 2  # court share: 2 of 20 closed
    assert count(t["intervention"], "nicht_rechtlich") == 18
    assert count(t["lebensbereich_x_intervention"], "arbeit", "gerichtlich") == 2
    # closed cases i < 20: contacts i % 5 → 0:4, 1:4, 2–3:8, 4:4
    assert t["kontakte"].column_totals == (20,)
    assert [r[0] for r in t["kontakte"].counts] == [4, 4, 8, 4, 0, 0]
    # 6 closed three quarters after opening (Q1 → Q4), 14 in their quarter
    assert [r[0] for r in t["dauer"].counts] == [14, 0, 6, 0]
    assert count(t["kanal"], "telefon") == 20


def test_coarse_gender_and_every_kreis(store: Store) -> None:
    a, _ = _fixed(store)
    t = _tables(_aggregate(store, "2026", [a]))
    assert count(t["geschlecht"], "weiblich") == 20 and count(t["geschlecht"], "weitere") == 10
    codes = [c.code for c in t["kreis"].rows.categories]
    assert {"05111", "05315", "05116"} <= set(codes) and codes[-1] == "ohne_angabe"
    assert count(t["kreis"], "05315") == 25 and count(t["kreis"], "05116") == 0


def test_fixed_shape_every_vocabulary_row_in_every_period(store: Store) -> None:
    """Issue 10: the rows of a table are the vocabulary's, never the codes that occur.

    A level-2 row absent from one period's table would tell a reader that none of its cases
    fell in that period; so every level-1 and level-2 term and every Kreis is a row, in a
    quarter without cases as in the year, and a level-2 row names its parent.
    """
    a, _ = _fixed(store)
    with store.sessions() as session:
        vocab = {
            (v, lvl): [c for (c,) in session.execute(text(
                "SELECT code FROM vocab_terms WHERE vocabulary = :v AND level = :l "
                "AND office_id IS NULL"), {"v": v, "l": lvl})]
            for v, lvl in (("merkmal", 2), ("lebensbereich", 2), ("kreis", 1),
                           ("merkmal", 1), ("lebensbereich", 1))
        }  # fmt: skip
    shapes = []
    for period in ("2026", "2026-Q1", "2026-Q4", "2024-Q2"):
        t = _tables(_aggregate(store, period, [a]))
        for key, vocabulary, level in (("merkmal_l2", "merkmal", 2),
                                       ("lebensbereich_l2", "lebensbereich", 2),
                                       ("kreis", "kreis", 1), ("merkmal", "merkmal", 1),
                                       ("lebensbereich", "lebensbereich", 1)):  # fmt: skip
            codes = {c.code for c in t[key].rows.categories}
            assert set(vocab[(vocabulary, level)]) <= codes, (period, key)
        shapes.append({k: [c.code for c in v.rows.categories] for k, v in t.items()
                       if k != "quartal"})  # fmt: skip
    for shape in shapes[1:]:  # the same rows in every period (quarters are the period's)
        assert shape == shapes[0], [k for k in shape if shape[k] != shapes[0].get(k)]
    l2 = {c.code: c.label for c in t["merkmal_l2"].rows.categories}
    islam = l2["religion_weltanschauung.islam"]
    assert islam.de == "Religion/Weltanschauung: Islam"
    assert islam.en.endswith(": Islam") and islam.en != "Islam"


def test_every_table_the_layout_names_exists_once(store: Store) -> None:
    a, _ = _fixed(store)
    keys = [t.key for t in _aggregate(store, "2026", [a]).tables]
    placed = [k for s in aggregate_layout.SECTIONS for k in s.table_keys]
    assert sorted(placed) == sorted(keys) and len(set(keys)) == len(keys)
    assert aggregate_layout.sections_for(keys) == aggregate_layout.SECTIONS
    assert {k for s in sample.SECTIONS for k in s.table_keys} <= set(keys)


def test_the_release_passes_disclosure_control(store: Store) -> None:
    a, b = _fixed(store)
    result = _aggregate(store, "2026", [a, b])
    release = suppress_release(result.tables)
    shared = {p.table.key: p for p in release}
    # the total of "opened" tables and the new-cases column total of fallzahlen: one cell
    merkmal, fall = shared["merkmal"], shared["fallzahlen"]
    n = len(merkmal.table.rows.categories)
    assert merkmal.table.cell((n, 0)).cell_id == fall.table.cell((2, 0)).cell_id


def test_records_of_other_offices_and_periods_are_not_counted(store: Store) -> None:
    with store.sessions() as session, session.begin():
        a, b = make_office(session, "AAA").id, make_office(session, "BBB").id
        add_record(session, a, "2026-Q1", merkmal=["geschlecht.mann"])
        add_record(session, b, "2026-Q1", merkmal=["geschlecht.mann"])
        add_record(session, a, "2025-Q4", merkmal=["geschlecht.mann"])
    result = _aggregate(store, "2026-Q1", [a])
    assert (result.new_cases, result.closed_cases, result.running_cases) == (1, 0, 2)
    assert _aggregate(store, "2026-Q2", [b]).empty


def test_cases_made_through_the_services_and_withdrawn_consent(store: Store, world: World) -> None:
    ids = [create(store, world.alice)[0] for _ in range(3)]
    result = _aggregate(store, "2026", [world.office_a])
    t = _tables(result)
    assert result.new_cases == 3
    assert count(t["merkmal"], "rassismus_herkunft") == 3
    assert count(t["merkmal_mehrfach"], "mehrere") == 3  # antimuslimisch + islam
    assert count(t["merkmal_x_form"], "religion_weltanschauung", "zugang_verwehrt") == 3
    assert count(t["kreis"], "05116") == 3
    with store.sessions() as session:
        view = cases.get_case(session, world.alice, store.keys, ids[0])
        details, version = view.details, view.case.version
    details.consents = [
        Consent(kind="statistik", given_on=dt.date(2026, 1, 15), withdrawn_on=dt.date(2026, 2, 1))
    ]
    with store.sessions() as session, session.begin():
        cases.update_details(session, world.alice, store.keys, ids[0], version, details)
    after = _aggregate(store, "2026", [world.office_a])
    assert after.new_cases == 2
    assert count(_tables(after)["merkmal"], "rassismus_herkunft") == 2


def test_a_session_is_only_read(store: Store) -> None:
    a, _ = _fixed(store)
    with store.sessions() as session:
        aggregate(session, periods.parse("2026"), [a])
        assert isinstance(session, Session) and not session.new and not session.dirty

"""Deadline arithmetic (§§ 187–193, 199 BGB) and deadlines through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fallstelle.cases import entries, service
from fallstelle.cases.errors import Invalid
from fallstelle.cases.sections import Deadline, Intervention
from fallstelle.catalogue import deadlines
from fallstelle.catalogue.deadlines import RULES, due_date, last_day, rule_in_force
from fallstelle.store import Store
from tests.cases.factories import World, create, version_of

D = dt.date


@pytest.mark.parametrize(
    ("event", "amount", "unit", "due"),
    [
        (D(2026, 3, 10), 2, "months", D(2026, 5, 10)),  # § 188 (2): same day number
        (D(2026, 1, 31), 1, "months", D(2026, 2, 28)),  # § 188 (3): no 31 February
        (D(2024, 1, 31), 1, "months", D(2024, 2, 29)),  # leap year
        (D(2025, 12, 31), 2, "months", D(2026, 2, 28)),  # over the year end
        (D(2027, 12, 31), 2, "months", D(2028, 2, 29)),
        (D(2026, 8, 31), 2, "months", D(2026, 10, 31)),
        (D(2026, 10, 31), 2, "months", D(2026, 12, 31)),
        (D(2026, 4, 30), 2, "months", D(2026, 6, 30)),  # not the last day rule: 30 stays 30
        (D(2026, 2, 28), 3, "months", D(2026, 5, 28)),  # nor the other way round
        (D(2026, 11, 30), 3, "months", D(2027, 2, 28)),
        (D(2026, 3, 4), 3, "weeks", D(2026, 3, 25)),  # § 188 (2): same weekday
        (D(2026, 12, 20), 3, "weeks", D(2027, 1, 10)),
        (D(2024, 2, 29), 1, "years", D(2025, 2, 28)),
        (D(2026, 5, 1), 10, "days", D(2026, 5, 11)),
    ],
)
def test_due_date(event: dt.date, amount: int, unit: str, due: dt.date) -> None:
    assert due_date(event, amount, unit) == due


@pytest.mark.parametrize(
    ("event", "due"),
    [
        (D(2026, 1, 1), D(2029, 12, 31)),
        (D(2026, 12, 31), D(2029, 12, 31)),
        (D(2024, 2, 29), D(2027, 12, 31)),
    ],
)
def test_regular_limitation_runs_from_the_end_of_the_year(event: dt.date, due: dt.date) -> None:
    (rule,) = [r for r in RULES if r.code == "bgb_195"]
    assert due_date(event, rule.amount, rule.unit, from_year_end=rule.from_year_end) == due


def test_bad_units_and_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="unit"):
        due_date(D(2026, 1, 1), 1, "fortnights")
    with pytest.raises(ValueError, match="negative"):
        due_date(D(2026, 1, 1), -1, "days")


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2000, D(2000, 4, 23)), (2019, D(2019, 4, 21)), (2024, D(2024, 3, 31)),
     (2025, D(2025, 4, 20)), (2026, D(2026, 4, 5)), (2038, D(2038, 4, 25))],
)  # fmt: skip
def test_easter(year: int, easter: dt.date) -> None:
    assert deadlines.easter_sunday(year) == easter


@pytest.mark.parametrize(
    ("due", "last"),
    [
        (D(2026, 5, 11), D(2026, 5, 11)),  # a Monday
        (D(2026, 5, 9), D(2026, 5, 11)),  # Saturday → Monday
        (D(2026, 4, 3), D(2026, 4, 7)),  # Karfreitag → over Easter → Tuesday
        (D(2026, 6, 4), D(2026, 6, 5)),  # Fronleichnam (NRW)
        (D(2026, 12, 25), D(2026, 12, 28)),  # Christmas, weekend
        (D(2028, 12, 31), D(2029, 1, 2)),  # Sunday, then Neujahr
    ],
)
def test_last_day_moves_past_weekends_and_nrw_holidays(due: dt.date, last: dt.date) -> None:
    assert last_day(due) == last


@given(st.dates(D(1900, 1, 1), D(2200, 12, 31)), st.integers(0, 240))
def test_month_periods_end_on_the_same_day_or_the_month_end(event: dt.date, months: int) -> None:
    due = due_date(event, months, "months")
    assert (due.year * 12 + due.month) - (event.year * 12 + event.month) == months
    assert due.day == event.day or (due.day < event.day and (due + dt.timedelta(1)).day == 1)


def test_the_rule_in_force_depends_on_the_start_date() -> None:
    reformed = deadlines.Rule(
        "agg_15_4", "neu", "new", "§ 15 Abs. 4 AGG n. F.", 6, "months", "knowledge",
        D(2026, 6, 1),
    )  # fmt: skip
    old = next(r for r in RULES if r.code == "agg_15_4")
    old = deadlines.Rule(**{**old.__dict__, "valid_to": D(2026, 6, 1)})
    rules = [old, reformed]
    assert rule_in_force(rules, "agg_15_4", D(2026, 5, 31)) == old
    assert rule_in_force(rules, "agg_15_4", D(2026, 6, 1)) == reformed
    assert rule_in_force(rules, "agg_15_4", D(2005, 1, 1)) is None
    assert rule_in_force(rules, "gibt_es_nicht", D(2026, 1, 1)) is None


def test_start_event_of_agg_15_4_is_rejection_but_not_before_knowledge() -> None:
    start = deadlines.start_from_dates
    event = "rejection_or_knowledge"
    assert start(event, knowledge=D(2026, 1, 5), rejection_received=D(2026, 1, 10)) == D(
        2026, 1, 10
    )
    assert start(event, knowledge=D(2026, 2, 1), rejection_received=D(2026, 1, 10)) == D(2026, 2, 1)
    assert start(event, knowledge=D(2026, 1, 5)) == D(2026, 1, 5)
    assert start("written_claim", knowledge=D(2026, 1, 5)) is None


def test_deadline_from_the_incident_overridden_and_met(store: Store, world: World) -> None:
    case_id, version = create(store, world.alice)
    with store.sessions() as session, session.begin():
        deadline_id = entries.add_deadline(
            session, world.alice, store.keys, case_id, version, "agg_15_4"
        )
    with store.sessions() as session:
        view = service.get_case(session, world.alice, store.keys, case_id)
        (entry,) = view.of_kind("deadline")
        assert isinstance(entry.data, Deadline)
        # the short form's rejection arrived on 10 January 2026: two months later
        assert (entry.data.starts_on, entry.data.due_on) == (D(2026, 1, 10), D(2026, 3, 10))
        assert view.case.next_deadline_on == D(2026, 3, 10)
    version = version_of(store, case_id)
    with store.sessions() as session, pytest.raises(Invalid) as caught:
        entries.override_deadline(
            session, world.alice, store.keys, case_id, version, deadline_id, D(2026, 3, 1), " "
        )
    assert caught.value.field == "deadline.override_reason"
    with store.sessions() as session, session.begin():
        case = entries.override_deadline(
            session, world.alice, store.keys, case_id, version, deadline_id, D(2026, 3, 1),
            "Ablehnung kam laut Poststempel früher",
        )  # fmt: skip
        assert case.next_deadline_on == D(2026, 3, 1)
    with store.sessions() as session, session.begin():
        entries.add_intervention(
            session, world.alice, store.keys, case_id, version_of(store, case_id),
            Intervention(code="rechtlich_aussergerichtlich.geltendmachung_agg",
                         started_on=D(2026, 2, 20)),
            meets_deadline_id=deadline_id,
        )  # fmt: skip
    with store.sessions() as session:
        view = service.get_case(session, world.alice, store.keys, case_id)
        (entry,) = view.of_kind("deadline")
        assert isinstance(entry.data, Deadline)
        assert entry.data.met_on == D(2026, 2, 20) and not entry.data.open
        assert view.case.next_deadline_on is None


def test_a_deadline_without_a_start_date_or_rule_is_refused(store: Store, world: World) -> None:
    case_id, version = create(store, world.alice)
    with store.sessions() as session, pytest.raises(Invalid) as caught:
        entries.add_deadline(session, world.alice, store.keys, case_id, version, "kschg_4")
    assert (caught.value.field, caught.value.code) == ("starts_on", "required")
    with store.sessions() as session, pytest.raises(Invalid) as caught:
        entries.add_deadline(
            session, world.alice, store.keys, case_id, version, "agg_15_4", D(2006, 1, 1)
        )
    assert (caught.value.field, caught.value.code) == ("rule_code", "no_rule")

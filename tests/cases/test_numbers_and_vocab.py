"""Case numbers under concurrency; vocabularies as data with per-office level 2."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from fallstelle.cases.errors import Invalid, NotAllowed
from fallstelle.cases.models import Case
from fallstelle.cases.sections import Incident
from fallstelle.catalogue import vocab
from fallstelle.catalogue.models import DeadlineRule, VocabTerm
from fallstelle.store import Store
from tests.cases.factories import World, create, short_form


def test_concurrent_creation_gives_distinct_numbers(store: Store, world: World) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(3):
                create(store, world.alice)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.sessions() as session:
        numbers = session.scalars(select(Case.case_number)).all()
    assert sorted(numbers) == [f"2026-{n:04d}" for n in range(1, 19)]


def test_the_seed_holds_every_vocabulary_and_rule(store: Store) -> None:
    with store.sessions() as session:
        counts = dict(
            session.execute(
                select(VocabTerm.vocabulary, func.count()).group_by(VocabTerm.vocabulary)
            ).all()
        )
        assert counts["kreis"] == 55  # 22 kreisfreie Städte + 31 Kreise + 2
        assert counts["merkmal"] == 51 and counts["lebensbereich"] == 66
        own_line = session.scalars(select(VocabTerm.code).where(VocabTerm.own_line)).all()
        assert own_line == ["rassismus_herkunft.antisemitismus"]
        rules = set(session.scalars(select(DeadlineRule.code)))
        assert rules == {"agg_15_4", "agg_21_5", "arbgg_61b", "kschg_4", "bgb_195"}
        term = session.scalars(
            select(VocabTerm).where(VocabTerm.code == "gueter_dienstleistungen.oepnv_fernverkehr")
        ).one()
        assert (term.label_de, term.level, term.parent_code) == (
            "ÖPNV und Fernverkehr", 2, "gueter_dienstleistungen",
        )  # fmt: skip


def test_an_office_extends_level_two_only(store: Store, world: World) -> None:
    with store.sessions() as session, session.begin():
        term = vocab.add_term(
            session, world.admin, world.office_a, "merkmal", "rassismus_herkunft",
            "antikurdisch", "Antikurdischer Rassismus", "Anti-Kurdish racism",
        )  # fmt: skip
        assert term.code == "rassismus_herkunft.antikurdisch"
        for args, field in (
            (("form", "anderes", "neu"), "vocabulary"),  # one level: fixed
            (("merkmal", "rassismus_herkunft.antimuslimisch", "x"), "parent_code"),
            (("merkmal", "gibt_es_nicht", "neu"), "parent_code"),
            (("merkmal", "rassismus_herkunft", "Groß"), "slug"),
            (("merkmal", "rassismus_herkunft", "antikurdisch"), "slug"),  # taken
            (("merkmal", "rassismus_herkunft", "antisemitismus"), "slug"),  # shared term
        ):
            with pytest.raises(Invalid) as caught:
                vocab.add_term(session, world.admin, world.office_a, *args, "Neu", "New")
            assert caught.value.field == field
        with pytest.raises(NotAllowed):
            vocab.add_term(
                session, world.alice, world.office_a, "merkmal", "geschlecht", "x1", "X", "X"
            )
    with store.sessions() as session:
        assert vocab.load(session, world.office_a).known("merkmal", term.code)
        assert not vocab.load(session, world.office_b).known("merkmal", term.code)
        assert [t.code for t in vocab.terms(session, "merkmal", world.office_a)][-1] == term.code


def test_an_offices_own_term_is_usable_there_only(store: Store, world: World) -> None:
    with store.sessions() as session, session.begin():
        vocab.add_term(
            session, world.admin, world.office_a, "lebensbereich", "wohnen", "wohnheim",
            "Wohnheim", "Dormitory",
        )  # fmt: skip
    mine = short_form(world.office_a)
    mine.incident = Incident(life_domains=["wohnen.wohnheim"])
    create(store, world.alice, mine)
    other = short_form(world.office_b)
    other.incident = Incident(life_domains=["wohnen.wohnheim"])
    with pytest.raises(Invalid):
        create(store, world.bert, other)


def test_a_reserved_block_gives_the_numbers_one_by_one_allocation_would(
    store: Store, world: World
) -> None:
    from fallstelle.cases import numbers

    with store.sessions() as session, session.begin():
        assert numbers.allocate(session, world.office_a, 2026) == "2026-0001"
        with numbers.reserved(session, world.office_a, {2026: 3, 2025: 1, 2024: 0}):
            taken = [numbers.allocate(session, world.office_a, y) for y in (2026, 2025, 2026)]
            taken.append(numbers.allocate(session, world.office_a, 2026))
        assert taken == ["2026-0002", "2025-0001", "2026-0003", "2026-0004"]
        assert numbers.allocate(session, world.office_a, 2026) == "2026-0005"
        assert numbers.allocate(session, world.office_b, 2026) == "2026-0001"
    with (
        pytest.raises(RuntimeError, match="not used"),  # a left-over number: a gap
        store.sessions() as session,
        session.begin(),
        numbers.reserved(session, world.office_a, {2026: 2}),
    ):
        numbers.allocate(session, world.office_a, 2026)
    with (
        pytest.raises(Invalid),  # an error inside: the rollback gives the block back
        store.sessions() as session,
        session.begin(),
        numbers.reserved(session, world.office_a, {2026: 2}),
    ):
        raise Invalid("status", "choice")
    with store.sessions() as session, session.begin():
        assert numbers.allocate(session, world.office_a, 2026) == "2026-0006"

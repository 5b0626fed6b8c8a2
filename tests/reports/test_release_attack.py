"""Issue 10: a reader of *every* release this installation has shown recovers no small count.

Management of two offices (a big one and a small one) previews every report of a year —
year, both halves, four quarters; each office and both pooled; the campaign and the funding
template — and builds one stored release. The attacker (``tests/reports/attacker.py``)
then takes the whole register and tries every subtraction the issue lists — periods,
offices, rows, additivity when "two or more grounds" is 0, parent minus siblings — by exact
elimination and by LP. Before the register (each release suppressed on its own) the
elimination pins dozens of hidden counts of 1 … 4 (see /work/wt/notes/issue-10.md); now
nothing below the protection interval is left.
"""

from __future__ import annotations

import os
import random

import pytest
from sqlalchemy import select

from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Role
from fallstelle.reports import frozen, register, service
from fallstelle.reports.disclosure import Policy
from fallstelle.reports.models import RegisterEntry
from fallstelle.reports.protect import ReleaseRefused, truth
from fallstelle.store import Store
from tests.auth.factories import make_office
from tests.reports import attacker
from tests.reports.stat_factories import add_record

# Minutes, not seconds: 635 s for the quick mode on the loaded 2-core machine (issue 10's
# closing note). It runs when asked for, not in every suite run.
pytestmark = pytest.mark.skipif(
    not os.environ.get("FALLSTELLE_ATTACK"),
    reason="the release attack takes many minutes: set FALLSTELLE_ATTACK=1 to run it",
)

PERIODS = ("2026", "2026-H1", "2026-H2", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
if os.environ.get("FALLSTELLE_ATTACK_QUICK"):  # year and halves only, for a quick look
    PERIODS = PERIODS[:3]
K = 5

GROUNDS = ["rassismus_herkunft.antimuslimisch", "rassismus_herkunft.antisemitismus",
           "geschlecht.frau_sexismus", "geschlecht.mann", "lebensalter.hohes_alter",
           "behinderung"]  # fmt: skip
AREAS = ["arbeit.zugang", "bildung.schule", "wohnen"]
QUARTERS = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]


def _later(quarter: str, rng: random.Random) -> str | None:
    i = QUARTERS.index(quarter) + rng.choice([0, 0, 1, 2, 9])
    return QUARTERS[i] if i < len(QUARTERS) else None


def generate(store: Store, seed: int = 10) -> tuple[int, int]:
    """A big office (about 60 cases a year) and a small one (about 8), with attributes."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    with store.sessions() as session, session.begin():
        big, small = make_office(session, "BIG").id, make_office(session, "SMALL").id
        for office, n in ((big, 60), (small, 8)):
            for _ in range(n):
                opened = rng.choice(QUARTERS)
                closed = _later(opened, rng)
                grounds = [rng.choice(GROUNDS)] if rng.random() < 0.9 else []
                add_record(
                    session, office, opened, closed,
                    merkmal=grounds,
                    lebensbereich=[rng.choice(AREAS)],
                    form=["ungleichbehandlung"],
                    intervention=([rng.choice(["gerichtlich.klage_arbeitsgericht",
                                               "nicht_rechtlich.beschwerdebrief"])]
                                  if closed else []),
                    closure_reason=(rng.choice(["ziel_erreicht", "nicht_erreicht"])
                                    if closed else None),
                    gender=rng.choice(["weiblich", "maennlich", "trans"]),
                    age_band=rng.choice(["18_26", "27_44", "45_64"]),
                    contact_count=rng.randint(0, 4), minutes=30 * rng.randint(0, 6),
                )  # fmt: skip
            add_record(session, office, "2025-Q3", None, merkmal=["geschlecht.mann"])
    return big, small


def show_everything(store: Store, big: int, small: int, policy: Policy | None = None) -> int:
    """Preview every release; return how many were refused (they show nothing)."""
    manager = Actor.for_user("m-1", frozenset({Role.MANAGEMENT}), frozenset({big, small}))
    refused = 0
    with store.sessions() as session:  # every release reads the same counts, on or off
        frozen.freeze(session, None, [big, small], ["2026-Q4"])
        session.commit()
    for offices in ([big], [small], [big, small]):
        for period, template in [*((p, "campaign") for p in PERIODS), ("2026", "funding")]:
            with store.sessions() as session:
                try:
                    service.preview(session, manager, period=period, office_ids=offices,
                                    template=template, policy=policy)  # fmt: skip
                except ReleaseRefused:
                    refused += 1
                except service.NoCases:
                    pass
                session.commit()
    return refused


def test_a_reader_of_every_release_recovers_no_small_count(store: Store) -> None:
    big, small = generate(store)
    refused = show_everything(store, big, small)
    with store.sessions() as session:
        shown = register.load(session)
        base = truth(session, shown)
        entries = session.scalars(select(RegisterEntry)).all()
    shown_releases = len({(e.period, e.office_ids, e.template) for e in entries})
    print("releases shown", shown_releases, "refused", refused)
    assert shown_releases >= 8  # previews are recorded (the rest were refused, showing nothing)
    assert any(s.value is None for s in shown)
    pinned = [r for r in attacker.pinned(shown, base, K) if r.truth < K]
    narrowed = attacker.narrowed(shown, base, K)
    print("with the check: pinned", len(pinned), "narrowed", len(narrowed))
    assert pinned == []
    assert narrowed == []


def test_without_the_register_the_attacker_recovers_small_counts(store: Store) -> None:
    # The same releases suppressed one by one, as before issue 10: the attacker works.
    big, small = generate(store)
    show_everything(store, big, small, Policy(union_check=False))
    with store.sessions() as session:
        shown = register.load(session)
        base = truth(session, shown)
    recovered = [r for r in attacker.pinned(shown, base, K) if r.truth < K]
    for r in recovered:
        print("pinned", r.truth, r.what)
    print("without the check: pinned", len(recovered),
          "narrowed", len(attacker.narrowed(shown, base, K)))  # fmt: skip
    assert len(recovered) >= 5

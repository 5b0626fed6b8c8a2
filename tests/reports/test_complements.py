"""Complements chosen by LP (issue 10): where the greedy chooser (one cell per failing target
and round) refuses a release, the deviation LP of :mod:`fallstelle.reports.complements`
finds a set of cells of the new release whose hiding protects it, and the independent LP
attacker of ``tests/reports/attacker.py`` finds nothing in the result; when the LP says no
choice can work, hiding every cell of the new release indeed does not.

The registers are synthetic (``benchmarks.release_bench``: offices × quarters × one
single-valued column, so ``n = Σ values``); ``benchmarks.complements_bench.repair`` is
``protect.protect``'s repair loop without the per-table suppression. The service-level run
(both databases) is the last test.
"""

from __future__ import annotations

from benchmarks.complements_bench import greedy, hide, lp, repair
from benchmarks.release_bench import release, world
from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Role
from fallstelle.reports import complements, frozen, register, service
from fallstelle.reports.protect import truth
from fallstelle.reports.register import Shown, Var
from fallstelle.reports.union_check import check, failing
from fallstelle.store import Store
from tests.auth.factories import make_office
from tests.reports import attacker
from tests.reports.stat_factories import add_record

K = 5
FACTS = 3


def _safe(shown: list[Shown], base: dict[Var, int]) -> bool:
    pinned = [r for r in attacker.pinned(shown, base, K) if r.truth < K]
    return not pinned and not attacker.narrowed(shown, base, K)


def test_the_pooled_year_after_each_office_passes_where_the_greedy_choice_refused() -> None:
    # Office 2's year hid its counts of 3 and 3; the pooled year minus office 1's would give
    # them back. Hiding one pooled cell per failure and round runs out of cells; the LP hides
    # the pooled cells that move together.
    base = world(2, FACTS, 3)
    known: list[Shown] = []
    for office in (1, 2):
        shown = repair(known, release(base, (office,), "Y", FACTS), base, lp)
        assert shown is not None
        known += shown
    pooled = release(base, (1, 2), "Y", FACTS)
    assert repair(known, pooled, base, greedy) is None
    protected = repair(known, pooled, base, lp)
    assert protected is not None
    assert any(s.value is not None for s in protected)  # not simply everything hidden
    assert _safe([*known, *protected], base)


def test_the_cells_chosen_for_a_target_give_it_its_width_back() -> None:
    base = world(2, FACTS, 1)
    known = repair([], release(base, (2,), "Y", FACTS), base, lp)
    assert known is not None
    new = release(base, (1, 2), "Y", FACTS)
    failures = check([*known, *new], base, K)
    assert failures
    for failure in failures:
        choice = complements.choose([failure], known, new, base)
        assert choice.cells and not choice.impossible
        after = failing([*known, *hide(new, choice.cells)], base, K, [failure.target])
        assert after == []


def test_a_refusal_the_lp_proves_holds_even_with_every_cell_of_the_release_hidden() -> None:
    # Year and first half of a small office published; the second half cannot be protected
    # by any choice: its small counts are the year minus the first half.
    base = world(2, 4, 2)
    known: list[Shown] = []
    for period in ("Y", "H1"):
        shown = repair(known, release(base, (1,), period, 4), base, lp)
        assert shown is not None
        known += shown
    new = release(base, (1,), "H2", 4)
    old = {f.target.name for f in check(known, base, K)}
    failures = [f for f in check([*known, *new], base, K) if f.target.name not in old]
    choice = complements.choose(failures, known, new, base)
    assert choice.impossible
    published = {s.cell_id for s in known if s.value is not None}
    everything = hide(new, {s.cell_id for s in new if s.value and s.cell_id not in published})
    still = {f.target.name for f in check([*known, *everything], base, K)} - old
    assert {t.name for t in choice.impossible} <= still


def _generate(store: Store) -> tuple[int, int]:
    """A big office (24 cases) and a small one (6), spread over the year's quarters."""
    grounds = ["geschlecht.frau_sexismus", "lebensalter.hohes_alter", "behinderung"]
    with store.sessions() as session, session.begin():
        big, small = make_office(session, "BIG").id, make_office(session, "SMALL").id
        for office, n in ((big, 24), (small, 6)):
            for i in range(n):
                quarter = f"2026-Q{i % 4 + 1}"
                add_record(session, office, quarter, quarter if i % 3 else None,
                           merkmal=[grounds[i % 3]], lebensbereich=["arbeit.zugang"],
                           form=["ungleichbehandlung"], gender="weiblich",
                           age_band="27_44")  # fmt: skip
    return big, small


def test_previews_of_each_office_then_both_pooled_pass_the_check(store: Store) -> None:
    # Through the service, on both databases: every preview goes through protect() and the
    # LP chooser (none is refused), and the register it leaves passes the check.
    big, small = _generate(store)
    manager = Actor.for_user("m-1", frozenset({Role.MANAGEMENT}), frozenset({big, small}))
    with store.sessions() as session:
        frozen.freeze(session, None, [big, small], ["2026-Q4"])
        session.commit()
    for offices in ([small], [big], [big, small]):
        with store.sessions() as session:
            service.preview(session, manager, period="2026", office_ids=offices,
                            template="campaign")  # fmt: skip
            session.commit()
    with store.sessions() as session:
        shown = register.load(session)
        base = truth(session, shown)
    # The checker's own verdict over the whole register (the independent attacker's SVD and
    # LPs over these 1,700 numbers take minutes; the synthetic tests above run it).
    assert check(shown, base, K) == []


def test_a_cell_hidden_by_the_choice_may_be_zero_in_the_other_fillings() -> None:
    # A release that hides anything hides its zeros, so a reader knows a hidden number only
    # to be ≥ 0. An older entry hid x0 = 1 (recorded ≥ 1) and published n = 6 = x0 + x1; the
    # new release shows x1 = 5, which pins x0. Hiding x1 protects x0 only if x1 may be 0 in
    # the other filling (x0 in 1 … 6); with "hidden means ≥ 1" the LP called it impossible.
    quarter = ("2026-Q1",)
    base: dict[Var, int] = {(1, quarter[0], "neu", "n"): 6, (1, quarter[0], "neu", "col:x=0"): 1,
                            (1, quarter[0], "neu", "col:x=1"): 5}  # fmt: skip

    def shown(fact: str, value: int | None, lower: int = 0) -> Shown:
        cid = (("fact", fact), ("zeitraum", "test"))
        return Shown(cid, (((1,), quarter, "neu", (fact,), 1),), value, lower, value is None)

    known = [shown("n", 6), shown("col:x=0", None, lower=1)]
    new = [shown("col:x=1", 5)]
    failures = check([*known, *new], base, K)
    assert failures
    choice = complements.choose(failures, known, new, base)
    assert not choice.impossible
    assert choice.cells == {new[0].cell_id}
    after = [*known, shown("col:x=1", None)]
    assert check(after, base, K) == []
    assert _safe(after, base)

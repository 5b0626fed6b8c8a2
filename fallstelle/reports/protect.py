"""Suppression of a new release against the register: complements chosen in the new release.

Owns the loop of issue 10: suppress the new release's tables (:mod:`.disclosure`), express
what it would show in base cells (:mod:`.register`), check the union with the register
(:mod:`.union_check`), and where a small count of any release (new or old) or a base cell
could be narrowed, hide one more published cell of the *new* release that touches it, and
repeat. What was published stays published; a cell id an earlier release hid starts hidden.
When no published cell of the new release is left to hide, the release is refused
(:class:`ReleaseRefused`, a German message for management). Imports SQLAlchemy and the
``reports`` modules named; never the case rows, never ``crypto``.

Failures that the stored register alone already has (an installation upgraded from before
the register, or a revision) are reported by :func:`audit_register`, not blamed on the new
release: no new release can change what was published. What an earlier part of the same
build shows (the funding report's year, before its comparison year) is not published yet:
it is part of the union, and a failure it causes is this build's own.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from fallstelle.reports import complements, frozen, identities, register
from fallstelle.reports.certify import Memory, Programs
from fallstelle.reports.disclosure import (
    DisclosureError,
    Policy,
    Suppressed,
    check_release,
    suppress_release,
)
from fallstelle.reports.periods import Period
from fallstelle.reports.register import RUNNING, Shown, Var
from fallstelle.reports.tables import CellId, Table
from fallstelle.reports.union_check import (
    Failure,
    Target,
    check,
    components,
    failing,
    targets,
)

_DEBUG = bool(os.environ.get("FALLSTELLE_DEBUG_PROTECT"))
#: Rounds of complementary suppression before a release is refused.
MAX_ROUNDS = 60


class ReleaseRefused(DisclosureError):
    """Together with what was shown before, the release would give away a small count."""


@dataclass(frozen=True)
class Protected:
    release: list[Suppressed]
    shown: list[Shown]
    rounds: int
    forced: frozenset[CellId]


def truth(session: Session, shown: Sequence[Shown]) -> dict[Var, int]:
    """The frozen base counts of every office these numbers touch, and their running counts;
    older snapshots where a number read one (:func:`.frozen.truth`). Every base cell the
    identities reach is read (:func:`.identities.closure`): a chain's boundary cell, the
    running count before a report's first quarter, is a target like any other."""
    return frozen.truth(session, identities.closure(v for s in shown for v in s.expand()))


def _within(shown: Sequence[Shown], offices: set[int]) -> list[Shown]:
    """The numbers of ``shown`` over ``offices`` only."""
    return [s for s in shown if all(o in offices for t in s.terms for o in t[0])]


def _family(fact: str) -> set[str]:
    if fact.startswith("pair:"):
        return set(fact[5:].split("=", 1)[0].split("*"))
    for prefix in ("code:", "anzahl:"):
        if fact.startswith(prefix):
            return {fact[len(prefix) :].split("=", 1)[0]}
    return {fact.split("=", 1)[0]}


def _candidates(failures: Sequence[Failure], new: Sequence[Shown]) -> set[CellId]:
    """One published cell of the new release per failure: one sharing base cells, else one
    of the same office, quarter, unit and dimension; the smallest count first."""
    forms = [(s, s.expand()) for s in new if s.value]
    out: set[CellId] = set()
    for failure in failures:
        bound = [(s.value or 0, repr(s.cell_id), s.cell_id) for s, _ in forms
                 if s.cell_id in failure.binding and s.cell_id not in out]  # fmt: skip
        if bound:  # a published number of this release bounds the range: hide the smallest
            out.add(min(bound)[2])
            continue
        own = {x for x, _ in failure.target.form}
        groups = {(o, q, u, fam) for (o, q, u, f) in own for fam in _family(f)}
        near = {(o, q, u) for (o, q, u, _f) in own}
        chain = {(o, RUNNING) for (o, _q, _u, _f) in own}
        best: tuple[int, int, str, CellId] | None = None
        for s, form in forms:
            if s.cell_id in out:
                continue
            if own & form.keys():
                rank = 0
            elif any((o, q, u, fam) in groups for (o, q, u, f) in form for fam in _family(f)):
                rank = 1
            elif any(u == RUNNING and (o, u) in chain for (o, _q, u, _f) in form):
                rank = 2  # a running count, when the target sits in its chain
            elif near & {(o, q, u) for (o, q, u, _f) in form}:
                rank = 3
            else:
                continue
            key = (rank, s.value or 0, repr(s.cell_id), s.cell_id)
            if best is None or key[:3] < best[:3]:
                best = key
        if best is not None:
            out.add(best[3])
    return out


def protect(
    session: Session,
    tables: Sequence[Table],
    policy: Policy,
    offices: Sequence[int],
    period: Period,
    known: Sequence[Shown],
    earlier: Sequence[Shown] = (),
) -> Protected:
    """Suppress ``tables`` so that, with everything ``known`` (the stored register) and
    ``earlier`` (what this build's earlier parts show), nothing small can be narrowed below
    the protection interval. Only failures of ``known`` alone are exempt.

    Raises:
        ReleaseRefused: no choice of further hidden cells in this release protects it.
        DisclosureError: the release on its own cannot be protected.
    """
    if not policy.union_check:
        release = suppress_release(tables, policy)
        return Protected(release, register.shown_numbers(session, release, offices, period),
                         0, frozenset())  # fmt: skip
    ids_here = {c.cell_id for t in tables for c in t.cells()}
    forced = set(register.hidden_ids([*known, *earlier])) & ids_here
    release = suppress_release(tables, policy, forced)
    new = register.shown_numbers(session, release, offices, period)
    # only the offices the new release is linked to (by any shown number, over the whole
    # register) take part: every identity stays within one office, so the rest of the
    # register is a separate LP that no choice here can change. The same every round (a
    # release shows the same cell ids, hidden or not).
    live = set().union(*(g for g in components([*known, *earlier, *new]) if g & set(offices)))
    known, earlier = _within(known, live), _within(earlier, live)
    base = truth(session, [*known, *earlier, *new])
    k = policy.required_width
    old: set[str] = set()
    started = time.perf_counter()
    memory = Memory()  # the fillings found so far: most stay feasible as the release hides more
    # the register alone is the same LP for the whole loop: built once per group of offices
    # (``Programs``), every filling of it stays one, and a target's verdict there stays too
    alone, register_lp = Memory(), Programs(known, base)
    excused: dict[tuple[tuple[tuple[Var, int], ...], int], bool] = {}
    alone_seconds = 0.0
    for rounds in range(1, MAX_ROUNDS + 1):
        if rounds > 1:  # round 1 checks the suppression the truth was read for
            release = suppress_release(tables, policy, forced)
            new = register.shown_numbers(session, release, offices, period)
        check_release(release)  # the release on its own first (cheap, remembered)
        union = [*known, *earlier, *new]
        wanted = [t for t in targets(union, base, k) if t.name not in old and t.form]
        failures = failing(union, base, k, wanted, limit=20, memory=memory)
        if failures:  # failures the register has without this release are not its fault
            blame = [f.target for f in failures if (f.target.form, f.target.width) not in excused]
            alone_started = time.perf_counter()
            narrow = {(f.target.form, f.target.width) for f in failing(
                register_lp.shown, register_lp.truth, k, blame, memory=alone,
                programs=register_lp)} if known and blame else set()  # fmt: skip
            alone_seconds += time.perf_counter() - alone_started
            excused |= {(t.form, t.width): (t.form, t.width) in narrow for t in blame}
            old |= {f.target.name for f in failures if excused[f.target.form, f.target.width]}
            failures = [f for f in failures if f.target.name not in old]
            if not failures:
                continue
        if _DEBUG:
            print("protect", period.code, offices, "round", rounds, "known", len(known),
                  "failures", [(f.target.name, f.target.truth, f.lo, f.hi) for f in failures[:3]],
                  f"{time.perf_counter() - started:.1f}s", "LPs", memory.solves,
                  "fillings reused", memory.reused, "register alone: LPs built",
                  register_lp.built, "verdicts", len(excused), f"{alone_seconds:.2f}s",
                  file=sys.stderr)  # fmt: skip
        if not failures:
            return Protected(release, new, rounds, frozenset(forced))
        chosen = complements.choose(failures, [*known, *earlier], new, base)
        if chosen.impossible:  # a proof: no choice of cells in this release protects it
            break
        more = chosen.cells - forced
        if not more:  # the LP found nothing (a solver failure): the old greedy choice
            more = _candidates(failures, new) - forced
        if not more:
            break
        # every round hides at least what the last one hid: the per-release suppression,
        # started from a larger set, may choose other complements and publish again a cell it
        # hid before, and then the fillings kept in ``memory`` stop being fillings
        forced |= more | register.hidden_ids(new)  # ``new`` holds this release's cells only
    raise ReleaseRefused(
        "Dieser Bericht kann nicht veröffentlicht werden: Zusammen mit den bereits gezeigten "
        f"Berichten ließen sich kleine Fallzahlen (unter {policy.k}) zurückrechnen, und es gibt "
        "keine "
        "weitere Zelle, die in diesem Bericht noch ausgeblendet werden könnte. Wählen Sie "
        "einen längeren Zeitraum oder mehrere Beratungsstellen zusammen."
    )


def audit_register(session: Session, k: int) -> list[Failure]:
    """Check the whole register on its own: narrowed small counts it already contains."""
    known = register.load(session)
    if not known:
        return []
    return check(known, truth(session, known), k)


__all__ = ["Protected", "ReleaseRefused", "Target", "audit_register", "frozen", "protect"]

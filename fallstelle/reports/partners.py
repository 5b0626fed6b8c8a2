"""Certifying the targets of a pooled release office by office, with partner offices for room.

Owns :func:`restricted`: the targets of a big union LP (many offices linked by pooled
releases) that small restrictions of it certify, without the whole LP. Imports helpers of
:mod:`.certify` only; no database, no solver of its own.

**Why it is sound**: a *restriction* of the attacker's LP holds every office outside a small
set ``S`` at its truth (``Program(..., fixed=...)``). A filling of the restriction, with the
truth outside ``S``, satisfies every equation and identity of the whole LP (identities stay
within one office; a pooled number's held part is its true part). So two fillings of the
restriction that differ by a target's width are two fillings of the whole LP: the target is
certified. A restriction can only fail to certify; what no restriction certifies goes to the
whole LP, which alone reports failures — the failures are exactly the whole LP's.

**Which restrictions** (issue 10, the pooled year of many offices): each office alone
certifies ~94 % of its targets (:func:`.certify.grouped` with groups of one). What is left
is mostly a count the office's own release hid (1 … 4) while the pooled release published the
total: with every other office at its truth, the pooled total pins it. It gets room only from
offices whose same cell is hidden too (their own releases hid it): a *partner*. For each such
target the partners are the offices with the most of that cell (base cells of the same
quarter, unit and fact that a hidden number of one office covers), until their true counts
together reach twice the width, at most :data:`PARTNERS` of them. Targets of one office are
batched while their partners together stay within :data:`PARTNERS`; every batch is one LP of
at most ``1 + PARTNERS`` offices. The intent was work that grows with the number of offices,
not with the size of the whole LP; measured, it did not pay: on the pooled year of 8 offices
~2 % of the targets still need the whole LP and the build got slower, so it is off by default
(:data:`.union_check.PARTNERS_FROM`; docs/statistics-protection.md).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from fallstelle.reports.certify import Memory, unproven, within
from fallstelle.reports.register import Shown, Var
from fallstelle.reports.tables import CellId

if TYPE_CHECKING:
    from fallstelle.reports.union_check import Failure, Program, Target

#: At most this many partner offices beside a target's own office (one LP of 1 + PARTNERS).
PARTNERS = 3
#: Below this many unknowns a partner LP also gives each target its sweeps left open its own
#: max/min LP (tiny LPs, where two idle sweeps end early); on real ones (an office: ~11,000
#: unknowns) that took 1,700 LPs on the pooled year of 8 offices, against sweeps alone.
SINGLE_BELOW = 2_000
#: Whether the partner LPs are tried at all (the tests switch them off to show they matter).
USE_PARTNERS = True

Build = Callable[[Collection[int], Sequence["Target"]], "Program"]
MakeFailure = Callable[["Target", float, float, frozenset[CellId]], "Failure"]


def _home(t: Target) -> int:
    return t.form[0][0][0]


def _in(
    build: Build,
    batches: Sequence[tuple[frozenset[int], Sequence[Target]]],
    memory: Memory | None,
    make_failure: MakeFailure,
    single: bool = False,
) -> list[Target]:
    """The targets that their batch's restriction leaves open (:func:`.certify.within`)."""
    return within(build, batches, memory=memory, make_failure=make_failure,
                  single=lambda program: single and len(program.index) < SINGLE_BELOW)  # fmt: skip


def _hidden_cells(shown: Sequence[Shown]) -> dict[tuple[str, str, str], set[int]]:
    """Per (quarter, unit, fact): the offices whose cell a hidden number of that office alone
    covers (where an office may have room for another's target)."""
    out: dict[tuple[str, str, str], set[int]] = {}
    for s in shown:
        if s.value is not None:
            continue
        for offices, quarters, unit, facts, _ in s.terms:
            if len(offices) != 1:
                continue
            for q in quarters:
                for f in facts:
                    out.setdefault((q, unit, f), set()).add(offices[0])
    return out


def _partners(
    t: Target,
    hidden: Mapping[tuple[str, str, str], set[int]],
    truth: Mapping[Var, int],
) -> frozenset[int]:
    home = _home(t)
    keys = {(q, u, f) for (o, q, u, f), _ in t.form if o == home}
    room: dict[int, int] = {}
    for q, u, f in keys:
        for o in hidden.get((q, u, f), ()):
            if o != home:
                room[o] = room.get(o, 0) + truth.get((o, q, u, f), 0)
    chosen: list[int] = []
    total = sum(truth.get((home, *key), 0) for key in keys)
    for o in sorted(room, key=lambda o: (-room[o], o)):
        if len(chosen) >= PARTNERS or (chosen and total >= 2 * t.width):
            break
        chosen.append(o)  # a hidden 0 has room too (upwards), if less
        total += room[o]
    return frozenset(chosen)


def _batches(
    left: Sequence[Target],
    hidden: Mapping[tuple[str, str, str], set[int]],
    truth: Mapping[Var, int],
) -> list[tuple[frozenset[int], list[Target]]]:
    """One LP per office with open targets: the office and the PARTNERS offices its targets
    name most often as partners (offices with the same set share the LP)."""
    votes: dict[int, dict[int, int]] = {}
    named: dict[int, list[Target]] = {}
    for t in left:
        mates = _partners(t, hidden, truth)
        if mates:
            named.setdefault(_home(t), []).append(t)
            for o in mates:
                votes.setdefault(_home(t), {})[o] = votes.get(_home(t), {}).get(o, 0) + 1
    merged: dict[frozenset[int], list[Target]] = {}
    for home, mine in sorted(named.items()):
        ranked = sorted(votes[home], key=lambda o: (-votes[home][o], o))[:PARTNERS]
        merged.setdefault(frozenset({home, *ranked}), []).extend(mine)
    return sorted(merged.items(), key=lambda item: sorted(item[0]))


def restricted(
    build: Build,
    offices: Collection[int],
    wanted: Sequence[Target],
    shown: Sequence[Shown],
    truth: Mapping[Var, int],
    *,
    memory: Memory | None = None,
    make_failure: MakeFailure,
    whole: Program | None = None,
) -> list[Target]:
    """The targets of ``wanted`` that no restriction tried here certifies (for the whole LP):
    each office alone, then each open target's office with its partners (module doc).
    ``whole``: the whole LP, whose fillings kept from earlier repair rounds certify first
    (without them every round would try the same restrictions again)."""
    if whole is not None and memory is not None and memory.fillings:
        wanted = unproven(whole, wanted, memory)
    alone = [(frozenset({o}), [t for t in wanted if _home(t) == o]) for o in sorted(offices)]
    left = _in(build, [(g, m) for g, m in alone if m], memory, make_failure)
    if not left or not USE_PARTNERS:
        return left
    hidden = _hidden_cells(shown)
    batches = _batches(left, hidden, truth)
    batches = [(g, m) for g, m in batches if len(g) < len(offices)]  # the whole LP: later
    tried = {id(t) for _, members in batches for t in members}
    return _in(build, batches, memory, make_failure, single=True) + [
        t for t in left if id(t) not in tried]  # fmt: skip

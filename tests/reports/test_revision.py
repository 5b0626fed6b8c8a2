"""Revisions of a frozen quarter (a new Berichtsstand) and old register entries (issue 10).

A revision keeps the old snapshot: register entries made before it are sums over the old
base cells, later releases read the new ones, and what a reader learns from the two — the
late edits, new − old per base cell — is protected like a small count. An entry whose
numbers contradict the frozen counts (made before freezing) never stops the check.
"""

from __future__ import annotations

import contextlib
import json
import uuid
import zlib

import numpy as np
import pytest
from flask import Flask
from scipy.optimize import linprog  # type: ignore[import-untyped]
from scipy.sparse import csr_matrix  # type: ignore[import-untyped]
from sqlalchemy import select

from fallstelle.reports import frozen, protect, register, register_versions, revisions, service
from fallstelle.reports.disclosure import Policy
from fallstelle.reports.identities import _chain_cases, structural
from fallstelle.reports.models import FrozenCountRevision, RegisterEntry
from fallstelle.reports.union_check import _differences
from fallstelle.store import Store
from tests.reports import attacker
from tests.reports.stat_factories import add_record
from tests.reports.test_service import _fixed, events, manager

K = 5


def _preview(store: Store, office: int, period: str = "2026-Q1", policy: Policy | None = None,
             template: str = "campaign") -> object:  # fmt: skip
    with store.sessions() as session:
        view = service.preview(session, manager(office), period=period, office_ids=[office],
                               template=template, policy=policy)  # fmt: skip
        session.commit()
    return view


def _text(view: object) -> str:
    return repr(getattr(view, "headlines", None) or getattr(view, "sections", None))


def _revise(store: Store, office: int, quarter: str = "2026-Q1") -> revisions.Revision:
    with store.sessions() as session:
        done = revisions.revise(session, manager(office), office, quarter)
        session.commit()
    return done


def _late_cases(store: Store, office: int, n: int, quarter: str = "2026-Q1") -> None:
    with store.sessions() as session, session.begin():
        for _ in range(n):
            add_record(session, office, quarter, None, merkmal=["behinderung"])


def _ranges(store: Store) -> list[tuple[str, int, float, float]]:
    """The LP attacker's min and max of every late edit (new − old per base cell), over the
    whole register including the numbers that read the old snapshot."""
    with store.sessions() as session:
        shown = register.load(session)
        truth = protect.truth(session, shown)
    diffs = _differences(truth, K, set())
    index, eq, ub = attacker._space(shown, truth)
    for t in diffs:
        for x, _ in t.form:
            index.setdefault(x, len(index))
    a_eq, b_eq = csr_matrix(attacker._dense(index, eq)), np.array([b for _, b in eq])
    a_ub, b_ub = csr_matrix(attacker._dense(index, ub)), np.array([b for _, b in ub])
    out = []
    for t in diffs:
        c = np.zeros(len(index))
        for x, coef in t.form:
            c[index[x]] += coef
        ends = []
        for sign in (1, -1):
            res = linprog(sign * c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                          bounds=(0, None), method="highs")  # fmt: skip
            assert res.status in (0, 3), res.message
            ends.append(sign * res.fun if res.status == 0 else -sign * np.inf)  # 3: unbounded
        out.append((t.name, t.truth, ends[0], ends[1]))
    return out


def test_a_revision_keeps_the_old_snapshot_and_later_releases_read_the_new_counts(
    store: Store,
) -> None:
    office, _ = _fixed(store)
    first = _preview(store, office)
    _late_cases(store, office, 7)
    assert _text(_preview(store, office)) == _text(first)  # frozen: the late edit is not shown
    done = _revise(store, office)
    assert (done.revision, done.changed > 0) == (1, True)
    with store.sessions() as session:
        kept = session.scalars(select(FrozenCountRevision.revision).distinct()).all()
        assert kept == [0]
        assert frozen.changes(session, office, "2026-Q1") == 0
    again = _preview(store, office)  # the old code: "the register contradicts itself"
    assert _text(again) != _text(first)
    live = _preview(store, office, policy=Policy(union_check=False))
    # Large differences: the new counts are shown as such. (Not every one: with zeros hidden
    # the release on its own publishes the 6 closed cases, which the first preview hid for
    # the check across releases — its 6 of one duration bin would be pinned, the other bins
    # being facts that never occur — and so hides again.)
    assert set(getattr(again, "headlines")) <= set(getattr(live, "headlines"))  # noqa: B009
    assert getattr(again, "headlines")[0] == getattr(live, "headlines")[0]  # noqa: B009
    assert [e.object_id for e in events(store, "report.revise")] == [f"{office}:2026-Q1:1"]
    with store.sessions() as session:
        kinds = session.scalars(select(RegisterEntry.kind).order_by(RegisterEntry.created_at))
        assert "revision" in list(kinds)
        loaded = register_versions.load_versions(session)
    assert loaded.legacy == []
    assert any("2026-Q1@0" in q for s in loaded.shown for t in s.terms for q in t[1])


@pytest.mark.parametrize(("template", "periods"), [
    ("campaign", ("2026-Q1", "2026-H1")),
    pytest.param("funding", ("2026",), marks=pytest.mark.slow),  # with running counts
])  # fmt: skip
def test_a_one_case_edit_in_a_small_cell_cannot_be_pinned_after_the_revision(
    store: Store, template: str, periods: tuple[str, ...]
) -> None:
    office, _ = _fixed(store)
    first = _preview(store, office, periods[0], template=template)
    _late_cases(store, office, 1)  # one case: "behinderung" goes from 0 to 1 in 2026-Q1
    _revise(store, office)
    for period in periods:  # refusing is allowed; letting a reader pin the edit is not
        with contextlib.suppress(protect.ReleaseRefused):
            assert _text(_preview(store, office, period, template=template)) != _text(first)
    ranges = _ranges(store)
    assert ranges, "the edit is a difference of 1 … k−1: there must be targets for it"
    narrow = [r for r in ranges if r[3] - r[2] < K - 1e-6]
    assert narrow == []
    if template == "campaign":  # one SVD over the whole register: seconds here, minutes there
        with store.sessions() as session:
            shown = register.load(session)
            truth = protect.truth(session, shown)
        assert attacker.pinned(shown, truth, K) == []


def test_revising_needs_a_frozen_quarter_with_changes_and_the_office(store: Store) -> None:
    office, other = _fixed(store)
    with store.sessions() as session, pytest.raises(revisions.NotFrozen):
        revisions.revise(session, manager(office), office, "2026-Q1")
    _preview(store, office)
    with store.sessions() as session:
        with pytest.raises(revisions.NothingToRevise):
            revisions.revise(session, manager(office), office, "2026-Q1")
        with pytest.raises(service.NotAllowed):
            revisions.revise(session, manager(other), office, "2026-Q1")
        session.commit()
    assert [e.outcome for e in events(store, "report.revise")] == ["denied"]


def test_an_entry_made_before_freezing_is_read_as_a_legacy_version(store: Store) -> None:
    office, _ = _fixed(store)
    _preview(store, office, policy=Policy(union_check=False))  # the check off: live counts
    _late_cases(store, office, 2)  # edited afterwards, before anything was frozen
    _preview(store, office, "2026-H1")  # freezes Q1 with the edit: the old code raised here
    with store.sessions() as session:
        loaded = register_versions.load_versions(session)
        assert len(loaded.legacy) == 1
        tags = {q for s in loaded.shown for t in s.terms for q in t[1] if "@L" in q}
        assert tags == {"2026-Q1@L" + loaded.legacy[0].hex[:8]}  # base cells of its own
        # It named facts of another time (Behinderung, 0 then); that 0 is hidden now, as
        # the release hid other cells, so the entry agrees with counts of its own and is
        # read whole (test_a_damaged_entry_keeps_only_what_it_hid keeps the other path).
        assert loaded.unreadable == []
        variables = {v for s in loaded.shown for v in s.expand()}
        assert any("@L" in v[1] for form, _, _ in structural(variables) for v in form)
    # Read whole, the entry's numbers enter the check, and this Q1 preview after H1 is now
    # refused (a German message, never a 500; notes/zeros.md: not analysed further).
    with contextlib.suppress(protect.ReleaseRefused):
        _preview(store, office)
    with store.sessions() as session:  # marked for the reports page and the auditor
        assert register_versions.legacy_count(session) == 1


def test_a_damaged_entry_keeps_only_what_it_hid(store: Store) -> None:
    office, _ = _fixed(store)
    first = _preview(store, office)
    with store.sessions() as session, session.begin():
        entry = session.scalars(select(RegisterEntry)).first()
        assert entry is not None
        items = json.loads(zlib.decompress(entry.cells))
        for item in items:
            if item[2] is not None and item[2] > 0:
                item[2] += 3  # damaged: a total and its breakdown can no longer agree
        session.add(RegisterEntry(
            id=uuid.uuid4(), actor_role="management", kind="preview", period=entry.period,
            office_ids=entry.office_ids, template=entry.template, k=entry.k,
            digest="damaged", n_cells=entry.n_cells, n_hidden=entry.n_hidden,
            cells=zlib.compress(json.dumps(items).encode()), revisions="{}",
        ))  # fmt: skip
    with store.sessions() as session:
        loaded = register_versions.load_versions(session)
    assert len(loaded.unreadable) == 1 and loaded.unreadable == loaded.legacy
    assert _text(_preview(store, office)) == _text(first)  # the old code: ValueError (a 500)


def test_running_counts_chain_from_an_old_version_into_the_current_one() -> None:
    def running(q: str) -> tuple[int, str, str, str]:
        return (1, q, "laufend", "n")

    old = "2026-Q1.0"  # running counts that read revision 0 of 2026-Q1
    variables = {running(f"2026-Q2@{old}"), running("2026-Q2"), (1, "2026-Q1", "neu", "n"),
                 (1, "2026-Q1@0", "neu", "n"), (1, "2026-Q2", "neu", "n")}  # fmt: skip
    equations = [f for f, _, equal in structural(variables | _chain_cases(variables)) if equal]
    assert {running(f"2026-Q2@{old}"): 1, running(f"2026-Q1@{old}"): -1,
            (1, "2026-Q2", "neu", "n"): -1, (1, "2026-Q2", "abgeschlossen", "n"): 1} in equations
    assert {running(f"2026-Q1@{old}"): 1, running("2025-Q4"): -1,  # back in the current one
            (1, "2026-Q1@0", "neu", "n"): -1, (1, "2026-Q1@0", "abgeschlossen", "n"): 1
            } in equations  # fmt: skip
    assert {running("2026-Q1"): 1, running("2025-Q4"): -1, (1, "2026-Q1", "neu", "n"): -1,
            (1, "2026-Q1", "abgeschlossen", "n"): 1} in equations  # fmt: skip


def test_the_command_line_takes_over_a_new_reporting_status(app: Flask, store: Store) -> None:
    from fallstelle.cli import reports as cli

    if "report" not in app.cli.commands:
        cli.init_app(app)
    office, _ = _fixed(store)
    _preview(store, office)
    _late_cases(store, office, 6)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "revise", "--office", "gold", "--quarter", "2026-Q1"])
    assert result.exit_code == 0, result.stderr
    assert "revision 1" in result.stdout
    again = runner.invoke(args=["report", "revise", "--office", "GOLD", "--quarter", "2026-Q1"])
    assert again.exit_code == 1 and "no change" in again.stderr
    bad = runner.invoke(args=["report", "revise", "--office", "GOLD", "--quarter", "2026"])
    assert bad.exit_code == 1 and "not a quarter" in bad.stderr
    assert [e.actor_role for e in events(store, "report.revise")] == ["operator"]


def test_the_register_is_decoded_once_per_process_and_new_entries_are_read(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries never change (their digest is what they hold), so a decoded copy is reused;
    an entry recorded after the first load is still read."""
    office, other = _fixed(store)
    _preview(store, office)
    decoded: list[object] = []
    real = register.Shown.from_json
    counting = classmethod(lambda cls, item: decoded.append(item) or real(item))
    monkeypatch.setattr(register.Shown, "from_json", counting)
    monkeypatch.setattr(register_versions, "_DECODED", {})
    with store.sessions() as session:
        first = register_versions.load_versions(session)
        assert decoded  # read from the database the first time
        decoded.clear()
        again = register_versions.load_versions(session)
    assert not decoded and again.shown == first.shown
    _preview(store, other)
    with store.sessions() as session:
        later = register_versions.load_versions(session)
    assert decoded and len(later.shown) > len(first.shown)

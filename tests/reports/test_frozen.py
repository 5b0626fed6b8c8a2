"""Frozen base counts (issue 10) go with the check across releases: while that check is off
(the default until it is fast enough), a report counts the live numbers and freezes nothing,
so a case entered after a preview of the running quarter is in the next report."""

from __future__ import annotations

from sqlalchemy import func, select

from fallstelle.reports import service
from fallstelle.reports.disclosure import Policy
from fallstelle.reports.models import FrozenQuarter, RegisterEntry
from fallstelle.store import Store
from tests.reports.test_service import _fixed, manager


def _preview(store: Store, office: int, policy: Policy | None) -> None:
    with store.sessions() as session:
        service.preview(session, manager(office), period="2026", office_ids=[office],
                        template="campaign", policy=policy)  # fmt: skip
        session.commit()


def _count(store: Store, model: type) -> int:
    with store.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_off_by_default_nothing_is_frozen_but_every_number_is_registered(store: Store) -> None:
    office, _ = _fixed(store)
    assert Policy().union_check is False
    _preview(store, office, None)
    assert _count(store, FrozenQuarter) == 0
    assert _count(store, RegisterEntry) > 0  # what was shown is still recorded


def test_with_the_check_a_preview_freezes_its_quarters(store: Store) -> None:
    office, _ = _fixed(store)
    _preview(store, office, Policy(union_check=True))
    assert _count(store, FrozenQuarter) >= 4  # its quarters and earlier ones (running counts)

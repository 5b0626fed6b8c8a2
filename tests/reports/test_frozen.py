"""Frozen base counts (issue 10) go with the check across releases, which is on by default:
the first release that touches an office's quarter freezes it, later releases read the
frozen counts (a late edit cannot be subtracted out), and management sees which quarters
are frozen, since when and by which release."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from fallstelle.reports import frozen, service
from fallstelle.reports.disclosure import Policy
from fallstelle.reports.models import FrozenQuarter, RegisterEntry
from fallstelle.store import Store
from tests.auth.factories import make_account
from tests.reports.stat_factories import add_record
from tests.reports.test_service import _fixed, manager
from tests.web.helpers import sign_in


def _preview(store: Store, office: int, policy: Policy | None, period: str = "2026") -> object:
    with store.sessions() as session:
        view = service.preview(session, manager(office), period=period, office_ids=[office],
                               template="campaign", policy=policy)  # fmt: skip
        session.commit()
    return view


def _count(store: Store, model: type) -> int:
    with store.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_on_by_default_a_preview_freezes_its_quarters(store: Store) -> None:
    office, _ = _fixed(store)
    assert Policy().union_check is True
    _preview(store, office, None)
    assert _count(store, FrozenQuarter) >= 4  # its quarters and earlier ones (running counts)
    assert _count(store, RegisterEntry) > 0


def test_switched_off_nothing_is_frozen_but_every_number_is_registered(store: Store) -> None:
    office, _ = _fixed(store)
    _preview(store, office, Policy(union_check=False))
    assert _count(store, FrozenQuarter) == 0
    assert _count(store, RegisterEntry) > 0


def _cases(view: object) -> str:
    return repr(getattr(view, "headlines", None) or getattr(view, "sections", None))


def test_a_late_edit_in_a_frozen_quarter_changes_no_later_release(store: Store) -> None:
    office, _ = _fixed(store)
    first = _preview(store, office, None)
    with store.sessions() as session, session.begin():
        for _ in range(7):  # entered after the preview, into a frozen quarter
            add_record(session, office, "2026-Q1", None, merkmal=["behinderung"])
    again = _preview(store, office, None)
    assert _cases(again) == _cases(first)
    live = _preview(store, office, Policy(union_check=False))
    assert _cases(live) != _cases(first)  # the edit is real: the live counts see it


def test_management_sees_the_frozen_quarters_and_the_release_that_froze_them(
    app: Flask, store: Store
) -> None:
    office, _ = _fixed(store)
    _preview(store, office, None, "2026-H1")
    with store.sessions() as session:
        rows = frozen.overview(session, [office])
    q1 = next(r for r in rows if r.quarter == "2026-Q1")
    assert (q1.kind, q1.period, q1.template, q1.revision) == ("preview", "2026-H1", "campaign", 0)
    client = app.test_client()
    sign_in(client, make_account(store, "leitung", ["management"], [office]))
    page = client.get("/berichte").get_data(as_text=True)
    assert "Berichtsstand" in page and "1. Quartal 2026" in page
    assert "Vorschau: Kampagnenbericht, 1. Halbjahr 2026" in page

"""The auditor's view of the release register (issue 10): which releases exist, who built
them, what they covered; paged, audited, and closed to everyone but the auditor (the role
matrix in ``tests/web/test_guard.py`` holds the 403s)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from fallstelle.reports import register
from fallstelle.reports.register import Shown
from fallstelle.store import Store
from tests.auth.factories import Account, make_account, make_office
from tests.web.helpers import sign_in
from tests.web.test_audit_console import actions


def _entries(store: Store, office: int, user_id: str, n: int) -> None:
    cid = (("fact", "n"),)
    shown = [Shown(cid, (((office,), ("2026-Q1",), "neu", ("n",), 1),), 12),
             Shown((("fact", "x"),), (((office,), ("2026-Q1",), "neu", ("x",), 1),), None, 1)]
    with store.sessions() as session:
        for i in range(n):
            register.record(session, shown=shown, kind="preview" if i else "release",
                            actor_id=user_id, actor_role="management", period="2026-Q1",
                            office_ids=[office], template="campaign", k=5)  # fmt: skip
        session.commit()


def test_the_auditor_pages_through_every_release_and_the_view_is_audited(
    app: Flask, store: Store
) -> None:
    with store.sessions() as session, session.begin():
        office = make_office(session, "MG-R").id
    boss: Account = make_account(store, "mia", ["management"], [office])
    dora = make_account(store, "dora", ["auditor"])
    _entries(store, office, boss.user_id, 55)
    client: FlaskClient = app.test_client()
    sign_in(client, dora)
    page = client.get("/protokoll/berichte").get_data(as_text=True)
    assert "Veröffentlichungsregister" in page and "55 Einträge" in page
    assert page.count("<tr><td data-label=") == 50 and "Seite 1 von 2" in page
    assert "mia" in page and "MG-R" in page and "Vorschau" in page and "1. Quartal 2026" in page
    second = client.get("/protokoll/berichte?seite=2").get_data(as_text=True)
    assert second.count("<tr><td data-label=") == 5
    assert "Gespeicherter Bericht (PDF und CSV)" in second
    assert len(actions(store, "audit.register")) == 2

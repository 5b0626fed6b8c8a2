"""Management takes over a frozen quarter's counts (a new Berichtsstand, issue 10): a link per
frozen quarter, a confirmation page that says what it does, a POST with the CSRF token,
audited; and old register entries never end in a 500."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fallstelle.audit.models import AuditEvent
from fallstelle.reports import frozen, service
from fallstelle.reports.disclosure import Policy
from fallstelle.store import Store
from tests.auth.factories import make_account
from tests.reports.stat_factories import add_record
from tests.reports.test_service import _fixed, manager
from tests.web.helpers import csrf, post, sign_in

PAGE = "/berichte/berichtsstand/{office}/2026-Q1"


def _boss(app: Flask, store: Store, office: int) -> FlaskClient:
    client = app.test_client()
    sign_in(client, make_account(store, "leitung", ["management"], [office]))
    return client


def _preview(client: FlaskClient, office: int, period: str = "2026-Q1") -> str:
    response = post(client, "/berichte/vorschau",
                    {"period": period, "offices": str(office), "template": "campaign"},
                    token_from="/berichte")  # fmt: skip
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _late_cases(store: Store, office: int, n: int) -> None:
    with store.sessions() as session, session.begin():
        for _ in range(n):
            add_record(session, office, "2026-Q1", None, merkmal=["behinderung"])


def _revision(store: Store, office: int) -> int:
    with store.sessions() as session:
        return next(i.revision for i in frozen.frozen_quarters(session, [office])
                    if i.quarter == "2026-Q1")  # fmt: skip


def test_confirm_then_take_over_the_new_counts(app: Flask, store: Store) -> None:
    office, _ = _fixed(store)
    client = _boss(app, store, office)
    _preview(client, office)
    _late_cases(store, office, 7)
    page = client.get("/berichte").get_data(as_text=True)
    assert "Neuen Berichtsstand übernehmen" in page and PAGE.format(office=office) in page
    confirm = client.get(PAGE.format(office=office))
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Das lässt sich nicht rückgängig machen" in text
    assert "Zählwerte dieses Quartals geändert" in text
    assert _revision(store, office) == 0  # the page alone changes nothing
    assert client.post(PAGE.format(office=office)).status_code == 400  # no CSRF token
    assert _revision(store, office) == 0
    done = client.post(PAGE.format(office=office),
                       data={"csrf_token": csrf(client, PAGE.format(office=office))})  # fmt: skip
    assert done.status_code == 302
    assert _revision(store, office) == 1
    page = client.get("/berichte").get_data(as_text=True)
    assert "Der neue Berichtsstand dieses Quartals wurde übernommen" in page
    assert "Neuer Berichtsstand" in page  # "frozen by" names the revision
    with store.sessions() as session:
        query = select(AuditEvent).where(AuditEvent.action == "report.revise")
        event = session.scalars(query).one()
    assert (event.object_type, event.object_id, event.outcome) == (
        "frozen_quarter", f"{office}:2026-Q1:1", "ok")  # fmt: skip
    assert "Vorschau" in _preview(client, office)  # the old code: HTTP 500
    again = client.get(PAGE.format(office=office)).get_data(as_text=True)
    assert "seit dem Einfrieren nichts geändert" in again


def test_another_office_or_an_unfrozen_quarter(app: Flask, store: Store) -> None:
    office, other = _fixed(store)
    client = _boss(app, store, office)
    assert client.get(PAGE.format(office=office)).status_code == 404  # not frozen yet
    assert client.get(PAGE.format(office=other)).status_code == 403
    assert client.get(f"/berichte/berichtsstand/{office}/2026-H1").status_code == 404


def test_entries_made_before_freezing_never_end_in_a_500(app: Flask, store: Store) -> None:
    office, _ = _fixed(store)
    with store.sessions() as session:  # the previous release, the check off: live counts
        service.preview(session, manager(office), period="2026-Q1", office_ids=[office],
                        template="campaign", policy=Policy(union_check=False))  # fmt: skip
        session.commit()
    _late_cases(store, office, 2)
    client = _boss(app, store, office)
    body = _preview(client, office, "2026-H1")  # the old code: HTTP 500
    assert "Vorschau" in body
    assert "Das Register enthält Berichte, die vor dem Einfrieren" in body
    auditor = app.test_client()
    sign_in(auditor, make_account(store, "pruefung", ["auditor"]))
    register_page = auditor.get("/protokoll/berichte").get_data(as_text=True)
    assert "Das Register enthält Berichte, die vor dem Einfrieren" in register_page


def test_a_contradiction_is_a_message_not_a_traceback(
    app: Flask, store: Store, monkeypatch: object
) -> None:
    office, _ = _fixed(store)
    client = _boss(app, store, office)

    def broken(*_args: object, **_kwargs: object) -> object:
        raise ValueError("the register contradicts itself (counts changed under it)")

    monkeypatch.setattr(service, "protect", broken)  # type: ignore[attr-defined]
    response = post(client, "/berichte/vorschau",
                    {"period": "2026-Q1", "offices": str(office), "template": "campaign"},
                    token_from="/berichte")  # fmt: skip
    assert response.status_code == 400
    assert "Veröffentlichungsregister enthält Zahlen" in response.get_data(as_text=True)

"""Follow-ups given to a colleague (issue 14): only a counsellor of the case can be chosen,
the task list shows a follow-up to its assignee alone, the hand-over is audited without the
note, and the Art. 15 export names it."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fallstelle.audit.models import AuditEvent
from fallstelle.cases.models import Case
from fallstelle.clock import today
from fallstelle.store import Store
from tests.auth.factories import Account, make_account
from tests.web.helpers import csrf, sign_in
from tests.web.test_case_lifecycle import _view
from tests.web.test_cases import form_page, open_case, version_on

NOTE = "Rückruf bei der Kita-Leitung"


@pytest.fixture
def client(app: Flask, anna: Account) -> FlaskClient:
    signed_in = app.test_client()
    sign_in(signed_in, anna)
    return signed_in


def _colleague(store: Store, name: str) -> Account:
    with store.sessions() as session:
        office = session.scalars(select(Case.office_id)).first()
    return make_account(store, name, ["counsellor"], [office or 1])


@pytest.fixture
def shared(client: FlaskClient, store: Store, anna: Account) -> tuple[str, Account, Account]:
    """A case led by Anna, shared with Bea; Carl counsels in the office but not this case."""
    location = open_case(client)
    bea, carl = _colleague(store, "bea"), _colleague(store, "carl")
    page = form_page(client, location, "beratende")
    response = client.post(f"{location}/beratende", data={
        "csrf_token": csrf(client, location),
        "counsellors-version": version_on(page, "counsellors"),
        "counsellors-lead": anna.user_id, "counsellors-co": bea.user_id,
    })  # fmt: skip
    assert response.status_code == 302
    return location, bea, carl


def _add(client: FlaskClient, location: str, assignee: str) -> tuple[int, str]:
    page = form_page(client, location, "wiedervorlage")
    response = client.post(f"{location}/wiedervorlage", data={
        "csrf_token": csrf(client, location), "follow_up-version": version_on(page, "follow_up"),
        "follow_up-due_on": today().isoformat(), "follow_up-note": NOTE,
        "follow_up-assignee_id": assignee,
    })  # fmt: skip
    return response.status_code, response.get_data(as_text=True)


def _home(app: Flask, who: Account) -> str:
    other = app.test_client()
    sign_in(other, who)
    return other.get("/").get_data(as_text=True)


def _reasons(store: Store) -> list[str | None]:
    with store.sessions() as session:
        return list(session.scalars(select(AuditEvent.reason).where(
            AuditEvent.action == "case.update")))  # fmt: skip


def test_a_follow_up_given_to_a_colleague_shows_on_their_home_page_only(
    app: Flask, client: FlaskClient, store: Store, shared: tuple[str, Account, Account]
) -> None:
    location, bea, _carl = shared
    assert 'name="follow_up-assignee_id"' in form_page(client, location, "wiedervorlage")
    assert _add(client, location, bea.user_id)[0] == 302
    assert NOTE not in client.get("/").get_data(as_text=True)  # the assigner's list
    theirs = _home(app, bea)
    assert NOTE in theirs and "übergeben von Anna" in theirs
    assert "follow_up_assign" in _reasons(store)
    with store.sessions() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.update"))
        assert all(NOTE not in repr(vars(r)) for r in rows)  # the kind, never the note
    page = client.get(location).get_data(as_text=True)
    assert "für Bea" in page.split('id="fristen"')[1].split("</section>")[0]


def test_an_unassigned_follow_up_shows_to_the_lead_not_to_the_co_counsellor(
    app: Flask, client: FlaskClient, shared: tuple[str, Account, Account]
) -> None:
    location, bea, _carl = shared
    assert _add(client, location, "")[0] == 302
    assert NOTE in client.get("/").get_data(as_text=True)
    assert NOTE not in _home(app, bea)


def test_handing_over_from_the_home_page_moves_the_task(
    app: Flask, client: FlaskClient, store: Store, shared: tuple[str, Account, Account]
) -> None:
    location, bea, _carl = shared
    assert _add(client, location, "")[0] == 302
    home = client.get("/").get_data(as_text=True)
    found = re.search(r"/wiedervorlage/([0-9a-f-]{36})/uebergeben", home)
    assert found and "Übergeben an" in home
    moved = client.post(f"{location}/wiedervorlage/{found.group(1)}/uebergeben",
                        data={"csrf_token": csrf(client, "/"), "next": "home",
                              "assignee_id": bea.user_id})  # fmt: skip
    assert moved.status_code == 302 and moved.headers["Location"] == "/"
    assert NOTE not in client.get("/").get_data(as_text=True)
    assert NOTE in _home(app, bea)
    assert _reasons(store).count("follow_up_assign") == 1


def test_a_counsellor_outside_the_case_cannot_be_chosen(
    app: Flask, client: FlaskClient, store: Store, shared: tuple[str, Account, Account]
) -> None:
    location, _bea, carl = shared
    status, page = _add(client, location, carl.user_id)
    assert status == 400
    assert "Nur die fallführende Person oder eine Co-Beratung dieses Falls" in page
    assert NOTE not in _home(app, carl)
    assert _add(client, location, "")[0] == 302
    entry = re.search(r"/wiedervorlage/([0-9a-f-]{36})/uebergeben",
                      client.get("/").get_data(as_text=True))  # fmt: skip
    assert entry
    refused = client.post(f"{location}/wiedervorlage/{entry.group(1)}/uebergeben",
                          data={"csrf_token": csrf(client, "/"), "assignee_id": carl.user_id},
                          follow_redirects=True)  # fmt: skip
    assert "Nur die fallführende Person" in refused.get_data(as_text=True)
    assert NOTE in client.get("/").get_data(as_text=True)  # still Anna's
    assert "follow_up_assign" not in _reasons(store)


def test_the_access_export_names_the_assignee(
    client: FlaskClient, store: Store, anna: Account, shared: tuple[str, Account, Account]
) -> None:
    location, bea, _carl = shared
    assert _add(client, location, bea.user_id)[0] == 302
    (person,) = _view(store, anna, location).of_kind("person")
    data = json.loads(client.get(f"{location}/auskunft/{person.id}.json").data)
    (follow_up,) = data["sections"]["follow_up"]
    assert follow_up["assignee_id"] == bea.user_id
    pdf = client.get(f"{location}/auskunft/{person.id}.pdf").data
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    words = text.stdout.decode()
    assert "Zuständig (Berater*in)" in words and "Bea" in words  # labelled, by name

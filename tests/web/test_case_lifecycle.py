"""Pages that correct and remove entries of a case, and its change history (issue 13)."""

from __future__ import annotations

import re
import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fallstelle.auth.actor import Actor
from fallstelle.auth.models import Membership
from fallstelle.auth.permissions import Role
from fallstelle.cases import service
from fallstelle.store import Store
from tests.auth.factories import Account, make_account
from tests.web.helpers import csrf, sign_in
from tests.web.test_cases import open_case


@pytest.fixture
def client(app: Flask, anna: Account) -> FlaskClient:
    signed_in = app.test_client()
    sign_in(signed_in, anna)
    return signed_in


def _view(store: Store, anna: Account, location: str) -> service.CaseView:
    case_id = uuid.UUID(location.rsplit("/", 1)[-1])
    with store.sessions() as session, session.begin():
        offices = frozenset(session.scalars(select(Membership.office_id)))
        actor = Actor.for_user(anna.user_id, frozenset({Role.COUNSELLOR}), offices)
        return service.get_case(session, actor, store.keys, case_id)


def _version(page: str, prefix: str) -> str:
    match = re.search(rf'name="{prefix}-version" type="hidden" value="(\d+)"', page)
    assert match, page[-2000:]
    return match.group(1)


def _add_contact(client: FlaskClient, location: str, note: str) -> None:
    page = client.get(f"{location}/kontakt").get_data(as_text=True)
    response = client.post(f"{location}/kontakt", data={
        "csrf_token": csrf(client, location), "contact-version": _version(page, "contact"),
        "contact-on": "2026-11-03", "contact-minutes": "20", "contact-channel": "telefon",
        "contact-note": note,
    })  # fmt: skip
    assert response.status_code == 302


def test_correct_a_name_and_see_it_in_the_history(
    client: FlaskClient, store: Store, anna: Account
) -> None:
    location = open_case(client)
    (person,) = _view(store, anna, location).of_kind("person")
    edit = f"{location}/eintrag/person/{person.id}"
    page = client.get(edit).get_data(as_text=True)
    assert 'value="Zzyzxqvarn"' in page
    response = client.post(edit, data={
        "csrf_token": csrf(client, edit), "entry-version": _version(page, "entry"),
        "entry-role": "betroffen_ratsuchend", "entry-first_name": "Ayşe",
        "entry-surname": "Zzyzxqvorn", "entry-phone": "0171 2345678",
    })  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    view = _view(store, anna, location)
    assert view.identities[person.id].surname == "Zzyzxqvorn"
    history = client.get(f"{location}/verlauf").get_data(as_text=True)
    assert "Zzyzxqvarn" in history and "Zzyzxqvorn" in history and "Anna" in history


def test_remove_a_wrong_contact_needs_a_reason_and_a_confirmation(
    client: FlaskClient, store: Store, anna: Account
) -> None:
    location = open_case(client)
    _add_contact(client, location, "falscher Fall")
    (contact,) = _view(store, anna, location).of_kind("contact")
    remove = f"{location}/eintrag/contact/{contact.id}/entfernen"
    page = client.get(remove).get_data(as_text=True)
    assert "falscher Fall" in page
    data = {"csrf_token": csrf(client, remove), "remove-version": _version(page, "remove")}
    assert client.post(remove, data={**data, "remove-confirm": "y"}).status_code == 400
    assert client.post(remove, data={**data, "remove-reason": "x"}).status_code == 400
    response = client.post(remove, data={**data, "remove-reason": "anderer Fall",
                                          "remove-confirm": "y"})  # fmt: skip
    assert response.status_code == 302
    assert _view(store, anna, location).of_kind("contact") == []
    assert "anderer Fall" in client.get(f"{location}/verlauf").get_data(as_text=True)
    stale = client.post(remove, data={**data, "remove-reason": "nochmal", "remove-confirm": "y"})
    assert stale.status_code == 404  # gone


def test_every_entry_kind_has_a_correction_and_a_removal_page(
    client: FlaskClient, store: Store, anna: Account
) -> None:
    location = open_case(client)
    _add_contact(client, location, "")
    view = _view(store, anna, location)
    assert {e.kind for e in view.entries} == {"person", "incident", "contact"}
    for e in view.entries:
        for suffix in ("", "/entfernen"):
            response = client.get(f"{location}/eintrag/{e.kind}/{e.id}{suffix}")
            assert response.status_code == 200, (e.kind, suffix)
    assert client.get(f"{location}/angaben/bearbeiten").status_code == 200
    assert client.get(f"{location}/eintrag/nope/{uuid.uuid4()}").status_code == 404
    assert client.get(f"{location}/eintrag/contact/{uuid.uuid4()}").status_code == 404


def test_a_counsellor_of_another_office_gets_nothing(
    app: Flask, client: FlaskClient, store: Store, anna: Account
) -> None:
    location = open_case(client)
    (person,) = _view(store, anna, location).of_kind("person")
    from tests.auth.factories import make_office

    with store.sessions() as session, session.begin():
        other = make_office(session, "MG-B").id
    bob = make_account(store, "bob", ["counsellor"], [other])
    stranger = app.test_client()
    sign_in(stranger, bob)
    for path in (f"{location}/eintrag/person/{person.id}", f"{location}/verlauf",
                 f"{location}/eintrag/person/{person.id}/entfernen"):  # fmt: skip
        assert stranger.get(path).status_code == 404


def test_the_history_names_a_deadline_rule_not_its_code(
    client: FlaskClient, store: Store, anna: Account
) -> None:
    location = open_case(client)
    page = client.get(f"{location}/frist").get_data(as_text=True)
    response = client.post(f"{location}/frist", data={
        "csrf_token": csrf(client, location), "deadline-version": _version(page, "deadline"),
        "deadline-rule_code": "agg_15_4", "deadline-starts_on": "2026-11-02",
    })  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    (deadline,) = _view(store, anna, location).of_kind("deadline")
    remove = f"{location}/eintrag/deadline/{deadline.id}/entfernen"
    page = client.get(remove).get_data(as_text=True)
    response = client.post(remove, data={
        "csrf_token": csrf(client, remove), "remove-version": _version(page, "remove"),
        "remove-reason": "falsche Regel", "remove-confirm": "y",
    })  # fmt: skip
    assert response.status_code == 302
    history = client.get(f"{location}/verlauf").get_data(as_text=True)
    assert "Geltendmachung Entschädigung/Schadensersatz (Beschäftigung)" in history
    assert "Zugang der Ablehnung, nicht vor Kenntnis" in history
    assert "agg_15_4" not in history and "rejection_or_knowledge" not in history

"""The counsellor's workspace (issue 14): the case page reads, forms on their own pages, the
error summary, confirmations, the task list, list filters, the access log in words."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fallstelle.audit.models import AuditEvent
from fallstelle.cases.models import Case
from fallstelle.store import Store
from tests.auth.factories import Account, make_account
from tests.web.helpers import csrf, sign_in
from tests.web.test_cases import form_page, open_case, version_on


@pytest.fixture
def client(app: Flask, anna: Account) -> FlaskClient:
    signed_in = app.test_client()
    sign_in(signed_in, anna)
    return signed_in


def send(client: FlaskClient, location: str, slug: str, prefix: str, **fields: str) -> str:
    page = form_page(client, location, slug)
    data = {"csrf_token": csrf(client, location), f"{prefix}-version": version_on(page, prefix)}
    data |= {f"{prefix}-{k}": v for k, v in fields.items()}
    response = client.post(f"{location}/{slug}", data=data)
    return f"{response.status_code} {response.get_data(as_text=True)}"


def test_the_case_page_only_reads_and_each_form_has_its_own_page(client: FlaskClient) -> None:
    location = open_case(client)
    page = client.get(location).get_data(as_text=True)
    assert "<form" not in page.split('id="main"')[1].split("Kontakt erfassen")[0]
    assert 'name="contact-version"' not in page  # no forms on the read page
    assert f'href="{location}/kontakt"' in page and "Verlauf" in page
    contact = form_page(client, location, "kontakt")
    assert 'name="contact-note"' in contact and 'name="person-role"' not in contact
    assert client.get(f"{location}/unbekannt").status_code == 404


def test_bad_input_shows_an_error_summary_linking_to_each_field(client: FlaskClient) -> None:
    location = open_case(client)
    answer = send(client, location, "kontakt", "contact", on="", channel="")
    assert answer.startswith("400")
    summary = answer.split('class="error-summary"')[1].split("</div>")[0]
    assert 'href="#contact-on"' in summary and 'href="#contact-channel"' in summary
    assert "autofocus" in answer.split('class="error-summary"')[1][:60]
    assert answer.count('class="field has-error"') >= 2


def test_saved_message_appears_in_the_section_that_changed(client: FlaskClient) -> None:
    location = open_case(client)
    page = form_page(client, location, "wiedervorlage")
    response = client.post(
        f"{location}/wiedervorlage",
        data={"csrf_token": csrf(client, location),
              "follow_up-version": version_on(page, "follow_up"),
              "follow_up-due_on": "2030-01-10", "follow_up-note": "Antwort prüfen"},
    )  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"].endswith("#fristen")
    shown = client.get(location).get_data(as_text=True)
    section = shown.split('id="fristen"')[1].split("</section>")[0]
    assert "Gespeichert." in section
    assert "Gespeichert." not in shown.split('id="fristen"')[0]


def test_closing_asks_first_and_a_closed_case_is_read_only(
    client: FlaskClient, store: Store
) -> None:
    location = open_case(client)
    fields = {"status": "abgeschlossen", "on": "2026-11-05", "reason": "ziel_erreicht",
              "outcomes": "entschuldigung"}  # fmt: skip
    asked = send(client, location, "status", "status", **fields)
    assert asked.startswith("200") and "Ja, Fall abschließen" in asked
    assert 'name="status-confirmed" value="1"' in asked
    with store.sessions() as session:
        assert session.scalars(select(Case.status)).one() == "in_beratung"
    assert send(client, location, "status", "status", confirmed="1", **fields).startswith("302")
    page = client.get(location).get_data(as_text=True)
    assert "kann nur gelesen werden" in page
    assert f'href="{location}/kontakt"' not in page and f'href="{location}/status"' in page
    refused = client.get(f"{location}/kontakt")
    assert refused.status_code == 302 and refused.headers["Location"].endswith(location)


def test_home_page_lists_what_is_due_with_note_and_marks_it_done(
    client: FlaskClient, store: Store
) -> None:
    from fallstelle.clock import today

    location = open_case(client)
    assert send(client, location, "wiedervorlage", "follow_up", due_on=today().isoformat(),
                note="Antwort der Hausverwaltung prüfen").startswith("302")  # fmt: skip
    home = client.get("/").get_data(as_text=True)
    assert "Antwort der Hausverwaltung prüfen" in home and "heute fällig" in home
    entry = re.search(r"/wiedervorlage/([0-9a-f-]{36})/erledigt", home)
    assert entry
    done = client.post(
        f"{location}/wiedervorlage/{entry.group(1)}/erledigt",
        data={"csrf_token": csrf(client, "/"), "next": "home"},
    )
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert "Antwort der Hausverwaltung prüfen" not in client.get("/").get_data(as_text=True)
    assert "erledigt am" in client.get(location).get_data(as_text=True)
    with store.sessions() as session:
        reasons = session.scalars(
            select(AuditEvent.reason).where(AuditEvent.action == "case.read")
        ).all()
    assert "due_list" in reasons  # reading the note is a recorded read


def test_case_list_filters_mine_and_overdue_and_sorts(
    app: Flask, client: FlaskClient, store: Store
) -> None:
    open_case(client)
    assert "1 Fall." in client.get("/faelle?meine=1&sortierung=frist").get_data(as_text=True)
    assert "0 Fälle." in client.get("/faelle?ueberfaellig=1").get_data(as_text=True)
    with store.sessions() as session:
        office = session.scalars(select(Case.office_id)).one()
    other = app.test_client()
    sign_in(other, make_account(store, "bea", ["counsellor"], [office]))
    assert "0 Fälle." in other.get("/faelle?meine=1").get_data(as_text=True)


def test_access_log_speaks_german_and_finds_a_case_number(
    app: Flask, client: FlaskClient, store: Store
) -> None:
    location = open_case(client)
    client.get(location)
    number = re.search(r"Fall (\d{4}-\d{4})", client.get(location).get_data(as_text=True))
    assert number
    auditor = app.test_client()
    sign_in(auditor, make_account(store, "dora", ["auditor"]))
    page = auditor.get(f"/protokoll?objekt={number.group(1)}").get_data(as_text=True)
    assert "Fall gelesen" in page and number.group(1) in page
    assert "Fall angelegt" in page
    assert f"{auditor.get('/protokoll').status_code}" == "200"

"""The case pages: open a case in one short form, log a contact, stale saves, close, search."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fallstelle.cases.models import Case
from fallstelle.store import Store
from tests.auth.factories import Account, make_account
from tests.web.helpers import csrf, sign_in


@pytest.fixture
def client(app: Flask, anna: Account) -> FlaskClient:
    signed_in = app.test_client()
    sign_in(signed_in, anna)
    return signed_in


def open_case(client: FlaskClient, **extra: str) -> str:
    token = csrf(client, "/faelle/neu")
    data = {
        "csrf_token": token,
        "opened_on": "2026-11-02",
        "status": "in_beratung",
        "request_type": "beratungsfall",
        "role": "betroffen_ratsuchend",
        "surname": "Zzyzxqvarn",
        "first_name": "Ayşe",
        "phone": "0171 2345678",
        "grounds": "rassismus_herkunft.anti_schwarz",
        "life_domains": "arbeit",
        "narrative": "Pastafari-Kanari am Einlass abgewiesen",
        **extra,
    }
    response = client.post("/faelle/neu", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    return response.headers["Location"]


def version_on(page: str, form: str) -> str:
    match = re.search(rf'name="{form}-version" type="hidden" value="(\d+)"', page)
    assert match, form
    return match.group(1)


def form_page(client: FlaskClient, location: str, slug: str) -> str:
    """The page of one form of the case (the case page itself only reads)."""
    response = client.get(f"{location}/{slug}")
    assert response.status_code == 200, slug
    return response.get_data(as_text=True)


def test_open_a_case_and_see_it(client: FlaskClient) -> None:
    location = open_case(client)
    page = client.get(location).get_data(as_text=True)
    assert re.search(r"Fall \d{4}-\d{4}", page)
    assert "Zzyzxqvarn" in page and "Pastafari-Kanari" in page
    assert "in Beratung" in page
    assert "Antischwarzer Rassismus" in page


def test_a_bad_new_case_says_what_is_wrong_and_saves_nothing(
    client: FlaskClient, store: Store
) -> None:
    token = csrf(client, "/faelle/neu")
    response = client.post(
        "/faelle/neu",
        data={
            "csrf_token": token,
            "opened_on": "2026-11-02",
            "status": "in_beratung",
            "role": "betroffen_ratsuchend",
            "request_type": "",
        },
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Dieses Feld wird benötigt." in body or "Bitte" in body
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_log_a_contact(client: FlaskClient) -> None:
    location = open_case(client)
    page = form_page(client, location, "kontakt")
    response = client.post(
        f"{location}/kontakt",
        data={
            "csrf_token": csrf(client, location),
            "contact-version": version_on(page, "contact"),
            "contact-on": "2026-11-03",
            "contact-minutes": "45",
            "contact-channel": "telefon",
            "contact-note": "Rückruf vereinbart",
        },
    )
    assert response.status_code == 302
    page = client.get(location).get_data(as_text=True)
    assert "Rückruf vereinbart" in page and "03.11.2026" in page


def test_a_stale_save_is_a_409_that_names_who_and_keeps_the_input(
    app: Flask, client: FlaskClient, store: Store, anna: Account
) -> None:
    location = open_case(client)
    stale = version_on(form_page(client, location, "angaben"), "details")
    colleague = app.test_client()
    sign_in(colleague, anna, offset=1)
    fresh_page = form_page(colleague, location, "angaben")

    def details(who: FlaskClient, version: str, narrative: str) -> int:
        response = who.post(
            f"{location}/angaben",
            data={
                "csrf_token": csrf(who, location),
                "details-version": version,
                "details-request_type": "beratungsfall",
                "details-narrative": narrative,
            },
        )
        bodies.append(response.get_data(as_text=True))
        return response.status_code

    bodies: list[str] = []
    assert details(colleague, version_on(fresh_page, "details"), "erster") == 302
    assert details(client, stale, "Mein getippter Text") == 409
    body = bodies[-1]
    assert "inzwischen geändert" in body and "Anna" in body
    assert "Mein getippter Text" in body
    assert body.count("Mein getippter Text") == 1  # in the form, not saved
    assert "Mein getippter Text" not in client.get(location).get_data(as_text=True)


def test_two_new_contacts_from_forms_of_the_same_version_never_conflict(
    app: Flask, client: FlaskClient, anna: Account
) -> None:
    """Adding cannot contradict another addition: both contacts are saved, no 409."""
    location = open_case(client)
    colleague = app.test_client()
    sign_in(colleague, anna, offset=1)
    versions = [version_on(form_page(who, location, "kontakt"), "contact")
                for who in (client, colleague)]  # fmt: skip
    assert versions[0] == versions[1]
    notes = ("Anruf eins", "Anruf zwei")
    for who, version, note in zip((client, colleague), versions, notes, strict=True):
        response = who.post(
            f"{location}/kontakt",
            data={
                "csrf_token": csrf(who, location),
                "contact-version": version,
                "contact-on": "2026-11-03",
                "contact-channel": "telefon",
                "contact-note": note,
            },
        )
        assert response.status_code == 302, response.status_code
    page = client.get(location).get_data(as_text=True)
    assert "Anruf eins" in page and "Anruf zwei" in page


def test_closing_needs_reason_and_outcome_and_reopening_keeps_history(client: FlaskClient) -> None:
    location = open_case(client)
    page = form_page(client, location, "status")
    refused = client.post(
        f"{location}/status",
        data={
            "csrf_token": csrf(client, location),
            "status-version": version_on(page, "status"),
            "status-status": "abgeschlossen",
            "status-on": "2026-11-05",
        },
    )
    assert refused.status_code == 400
    closed = client.post(
        f"{location}/status",
        data={
            "csrf_token": csrf(client, location),
            "status-version": version_on(page, "status"),
            "status-status": "abgeschlossen",
            "status-on": "2026-11-05",
            "status-reason": "ziel_erreicht",
            "status-outcomes": "entschuldigung",
            "status-confirmed": "1",
        },
    )
    assert closed.status_code == 302, closed.get_data(as_text=True)[-2000:]
    page = client.get(location).get_data(as_text=True)
    assert "abgeschlossen" in page
    page = form_page(client, location, "status")
    reopened = client.post(
        f"{location}/status",
        data={
            "csrf_token": csrf(client, location),
            "status-version": version_on(page, "status"),
            "status-status": "wiederaufgenommen",
            "status-on": "2026-11-06",
        },
    )
    assert reopened.status_code == 302
    page = client.get(location).get_data(as_text=True)
    assert page.count('class="event event-status"') == 3 and "wiederaufgenommen" in page


def test_search_by_surname_and_number_never_puts_the_name_in_a_url(client: FlaskClient) -> None:
    location = open_case(client)
    number = re.search(r"Fall (\d{4}-\d{4})", client.get(location).get_data(as_text=True))
    assert number
    token = csrf(client, "/faelle")
    searched = client.post(
        "/faelle/suche", data={"csrf_token": token, "field": "surname", "value": " zzyzxqvarn "}
    )
    assert searched.status_code == 303  # post-redirect-get: the term is in no URL
    assert "zzyzxqvarn" not in searched.headers["Location"].lower()
    found = client.get(searched.headers["Location"]).get_data(as_text=True)
    assert number.group(1) in found
    found = client.post(
        "/faelle/suche", data={"csrf_token": token, "field": "number", "value": number.group(1)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert location.split("/")[-1] in found
    none = client.post(
        "/faelle/suche", data={"csrf_token": token, "field": "surname", "value": "Niemand"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "0 Fälle gefunden" in none


def test_list_shows_no_names_and_filters(client: FlaskClient) -> None:
    open_case(client)
    page = client.get("/faelle").get_data(as_text=True)
    assert "1 Fall." in page
    assert "Zzyzxqvarn" not in page
    assert "0 Fälle." in client.get("/faelle?status=abgeschlossen").get_data(as_text=True)


def test_dashboard_shows_my_open_cases(client: FlaskClient) -> None:
    open_case(client)
    home = client.get("/").get_data(as_text=True)
    assert "Meine offenen Fälle" in home and "in Beratung" in home


def test_other_office_gets_404_and_management_403(
    app: Flask, client: FlaskClient, store: Store
) -> None:
    location = open_case(client)
    from tests.auth.factories import make_office

    with store.sessions() as session, session.begin():
        other = make_office(session, "MG-B").id
    stranger, boss = app.test_client(), app.test_client()
    sign_in(stranger, make_account(store, "bert", ["counsellor"], [other]))
    sign_in(boss, make_account(store, "leitung", ["management"], [other]))
    assert stranger.get(location).status_code == 404
    assert boss.get(location).status_code == 403


def test_every_id_on_the_case_page_is_unique(client: FlaskClient) -> None:
    page = client.get(open_case(client)).get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    for target in re.findall(r'<label for="([^"]+)"', page):
        assert target in ids, target


def test_consent_to_statistics_and_its_withdrawal(client: FlaskClient, store: Store) -> None:
    from fallstelle.cases.models import StatisticalRecord

    location = open_case(client)

    def save(**fields: str) -> int:
        page = form_page(client, location, "angaben")
        data = {
            "csrf_token": csrf(client, location),
            "details-version": version_on(page, "details"),
            "details-request_type": "beratungsfall",
            "details-narrative": "unverändert",
            **{f"details-{k}": v for k, v in fields.items()},
        }
        return client.post(f"{location}/angaben", data=data).status_code

    def records() -> int:
        with store.sessions() as session:
            return session.scalar(select(func.count()).select_from(StatisticalRecord)) or 0

    assert records() == 1
    assert save(consent_kind="statistik", consent_on="2026-11-02", consent_version="v3") == 302
    page = client.get(location).get_data(as_text=True)
    assert "anonymisierte Statistik" in page and "Textfassung v3" in page
    assert save(withdraw="0", legal_hold="y") == 200  # asks once more
    assert records() == 1
    assert save(withdraw="0", legal_hold="y", confirmed="1") == 302
    page = client.get(location).get_data(as_text=True)
    assert "widerrufen am" in page
    assert records() == 0  # withdrawn: the case no longer counts in any report


def test_person_follow_up_and_deadline_override(client: FlaskClient) -> None:
    location = open_case(client)

    def send(path: str, prefix: str, **fields: str) -> int:
        page = form_page(client, location, path)
        data = {"csrf_token": csrf(client, location), f"{prefix}-version": version_on(page, prefix)}
        data |= {f"{prefix}-{k}": v for k, v in fields.items()}
        return client.post(f"{location}/{path}", data=data).status_code

    assert send("person", "person", role="betroffen_nicht_ratsuchend", surname="Zeugenname") == 302
    assert send("wiedervorlage", "follow_up", due_on="2030-01-10", note="Antwort prüfen") == 302
    assert send("frist", "deadline", rule_code="agg_15_4", starts_on="2026-11-01") == 302
    page = client.get(location).get_data(as_text=True)
    assert "Zeugenname" in page and "Antwort prüfen" in page and "10.01.2030" in page
    page = form_page(client, location, "frist-aendern")
    deadline = re.search(r'<option value="([0-9a-f-]{36})">[^<]*AGG', page)
    assert deadline
    refused = send("frist-aendern", "override", deadline=deadline.group(1), due_on="2027-01-15")
    assert refused == 400  # a reason is required
    assert (
        send(
            "frist-aendern",
            "override",
            deadline=deadline.group(1),
            due_on="2027-01-15",
            reason="Ablehnung später zugegangen",
        )
        == 302
    )
    page = client.get(location).get_data(as_text=True)
    assert "geändert: Ablehnung später zugegangen" in page and "15.01.2027" in page


def test_record_work_beyond_cases(client: FlaskClient) -> None:
    token = csrf(client, "/taetigkeiten")
    response = client.post(
        "/taetigkeiten",
        data={
            "csrf_token": token,
            "held_on": "2026-10-05",
            "kind": "workshop",
            "title": "Workshop Diskriminierung am Arbeitsmarkt",
            "participants": "18",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    page = client.get("/taetigkeiten").get_data(as_text=True)
    assert "Workshop Diskriminierung am Arbeitsmarkt" in page and "05.10.2026" in page


def test_record_a_further_incident(client: FlaskClient) -> None:
    location = open_case(client)
    page = form_page(client, location, "vorfall")
    response = client.post(
        f"{location}/vorfall",
        data={
            "csrf_token": csrf(client, location),
            "incident-version": version_on(page, "incident"),
            "incident-date_from": "2026-10-20",
            "incident-grounds": "lebensalter",
            "incident-life_domains": "wohnen",
            "incident-actor_institution": "Hausverwaltung Kanarienvogel",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    page = client.get(location).get_data(as_text=True)
    assert "20.10.2026" in page and "Lebensalter" in page

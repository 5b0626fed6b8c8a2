"""Sign-in flows: throttling, one-time codes, session fixation and revocation, bad input."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from fallstelle.auth.models import User, WebSession
from fallstelle.store import Store
from tests.auth.factories import Account, make_account
from tests.web.helpers import csrf, password_step, post, session_cookie, sign_in


@pytest.fixture
def ben(store: Store) -> Account:
    return make_account(store, "ben", ["admin"])


def test_sixth_attempt_refused_even_with_the_right_password(
    app: Flask, anna: Account, ben: Account
) -> None:
    client = app.test_client()
    for _ in range(5):
        assert password_step(client, anna, "falsches Passwort!!").status_code == 401
    refused = password_step(client, anna)
    assert refused.status_code == 429
    assert "Zu viele Fehlversuche" in refused.get_data(as_text=True)
    # Never a global lockout: another account signs in from another client.
    sign_in(app.test_client(), ben)


def test_unknown_user_gets_the_same_message(app: Flask) -> None:
    client = app.test_client()
    ghost = Account("x", "niemand", "irgendein Passwort", "A" * 32)
    response = password_step(client, ghost)
    assert response.status_code == 401
    assert "Benutzername oder Passwort ist falsch." in response.get_data(as_text=True)


def test_a_code_is_accepted_once_only(app: Flask, anna: Account) -> None:
    first = app.test_client()
    sign_in(first, anna)
    second = app.test_client()
    assert password_step(second, anna).status_code == 302
    replay = post(second, "/anmelden/code", {"code": anna.code()})
    assert replay.status_code == 401
    assert "schon benutzt" in replay.get_data(as_text=True)


def test_session_id_changes_at_sign_in(app: Flask, anna: Account) -> None:
    client = app.test_client()
    csrf(client)  # an anonymous session with a CSRF token
    before = session_cookie(client)
    assert before
    password_step(client, anna)
    middle = session_cookie(client)
    post(client, "/anmelden/code", {"code": anna.code()})
    after = session_cookie(client)
    assert len({before, middle, after}) == 3


def test_logout_then_replaying_the_old_cookie(app: Flask, anna: Account) -> None:
    client = app.test_client()
    sign_in(client, anna)
    old = session_cookie(client)
    assert client.get("/").status_code == 200
    post(client, "/abmelden", {}, token_from="/konto/passwort")
    attacker = app.test_client()
    attacker.set_cookie("fallstelle_session", old or "")
    response = attacker.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/anmelden"


def test_password_change_ends_the_other_sessions(app: Flask, anna: Account, store: Store) -> None:
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, anna)
    sign_in(phone, anna, offset=1)
    response = post(
        laptop,
        "/konto/passwort",
        {
            "current": anna.password,
            "password": "ein ganz neuer Satz 2026",
            "repeat": "ein ganz neuer Satz 2026",
        },
    )
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302
    with store.sessions() as session:
        count = session.scalar(
            select(func.count()).select_from(WebSession).where(WebSession.user_id == anna.user_id)
        )
    assert count == 1


def test_tampered_cookie_is_treated_as_signed_out(app: Flask, anna: Account) -> None:
    client = app.test_client()
    sign_in(client, anna)
    client.set_cookie("fallstelle_session", (session_cookie(client) or "")[:-2] + "xx")
    response = client.get("/")
    assert response.status_code == 302
    assert "Bitte melden Sie sich erneut an." in client.get("/anmelden").get_data(as_text=True)


def test_extra_form_field_is_refused_and_changes_nothing(
    app: Flask, anna: Account, ben: Account, store: Store
) -> None:
    client = app.test_client()
    sign_in(client, ben)
    page = f"/verwaltung/benutzer/{anna.user_id}"
    token = csrf(client, page)
    response = client.post(
        page,
        data={
            "csrf_token": token,
            "display_name": "Anna",
            "roles": "admin",
            "version": "1",
            "active": "y",
            "password_hash": "x",
        },
    )
    assert response.status_code == 400
    with store.sessions() as session:
        user = session.get(User, anna.user_id)
        assert user is not None and [r.role for r in user.roles] == ["counsellor"]


def test_over_long_input_gets_a_german_message(app: Flask) -> None:
    client = app.test_client()
    response = post(client, "/anmelden", {"username": "x" * 65, "password": "y" * 129})
    assert response.status_code == 200
    assert "Feld" in response.get_data(as_text=True) or "Zeichen" in response.get_data(as_text=True)


def test_missing_csrf_token_changes_nothing(app: Flask, anna: Account) -> None:
    response = app.test_client().post(
        "/anmelden", data={"username": "anna", "password": anna.password}
    )
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen" in response.get_data(as_text=True)


def test_enrolment_link_works_once(app: Flask, ben: Account, store: Store) -> None:
    admin = app.test_client()
    sign_in(admin, ben)
    token = csrf(admin, "/verwaltung/stellen/neu")
    admin.post(
        "/verwaltung/stellen/neu",
        data={
            "csrf_token": token,
            "code": "MG-B",
            "name": "Stelle B",
            "provider": "SKM",
            "case_visibility": "office",
        },
    )
    token = csrf(admin, "/verwaltung/benutzer/neu")
    created = admin.post(
        "/verwaltung/benutzer/neu",
        data={
            "csrf_token": token,
            "username": "carla",
            "display_name": "Carla",
            "roles": "auditor",
        },
    )
    assert created.status_code == 200
    link = created.get_data(as_text=True).split('class="link-box">')[1].split("<")[0]
    assert link.startswith("http://127.0.0.1:5000/einrichten/")  # FALLSTELLE_BASE_URL
    path = urlsplit(link).path
    newcomer = app.test_client()
    assert newcomer.get(path).status_code == 200
    done = post(
        newcomer,
        path,
        {"password": "ein sicherer langer Satz", "repeat": "ein sicherer langer Satz"},
    )
    assert done.status_code == 302
    page = newcomer.get(path + "/code").get_data(as_text=True)
    secret = page.split('id="totp-secret">')[1].split("<")[0].replace(" ", "")
    import pyotp

    finished = post(newcomer, path + "/code", {"code": pyotp.TOTP(secret).now()})
    assert finished.status_code == 302 and finished.headers["Location"] == "/"
    assert newcomer.get("/").status_code == 200
    again = app.test_client().get(path)
    assert again.status_code == 410
    assert "schon benutzt" in again.get_data(as_text=True)

"""Timeouts, per-client throttling, expired links, disabling, and the audit of refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select, update

from fallstelle.audit.models import AuditEvent
from fallstelle.auth import login
from fallstelle.auth.actor import Actor
from fallstelle.auth.models import EnrolmentToken, User, WebSession
from fallstelle.db import utcnow
from fallstelle.store import Store
from tests.auth.factories import Account, make_account, make_office
from tests.web.helpers import csrf, password_step, post, sign_in


def _age_sessions(store: Store, user_id: str, **ages: dt.timedelta) -> None:
    values = {column: utcnow() - age for column, age in ages.items()}
    with store.sessions() as session, session.begin():
        session.execute(update(WebSession).where(WebSession.user_id == user_id).values(**values))


def _events(store: Store, action: str) -> list[AuditEvent]:
    with store.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize(
    "ages",
    [
        {"last_seen_at": dt.timedelta(minutes=31)},  # idle 30 min
        {"created_at": dt.timedelta(hours=12, minutes=1)},  # absolute 12 h
    ],
    ids=["idle", "absolute"],
)
def test_session_expires(
    app: Flask, anna: Account, store: Store, ages: dict[str, dt.timedelta]
) -> None:
    client = app.test_client()
    sign_in(client, anna)
    assert client.get("/").status_code == 200
    _age_sessions(store, anna.user_id, **ages)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/anmelden"
    assert "Ihre Sitzung ist abgelaufen" in client.get("/anmelden").get_data(as_text=True)
    assert _events(store, "auth.session_expired")


def test_session_within_limits_survives(app: Flask, anna: Account, store: Store) -> None:
    client = app.test_client()
    sign_in(client, anna)
    _age_sessions(store, anna.user_id, last_seen_at=dt.timedelta(minutes=29))
    assert client.get("/").status_code == 200


def test_per_client_limit_blocks_one_address_only(app: Flask, anna: Account) -> None:
    attacker = app.test_client()
    for i in range(20):  # 20 names, never more than 5 per account
        ghost = Account("x", f"name{i // 4}", "falsches Passwort!", "A" * 32)
        assert password_step(attacker, ghost).status_code == 401
    assert password_step(attacker, anna).status_code == 429
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert password_step(elsewhere, anna).status_code == 302


def test_expired_link_is_refused(app: Flask, store: Store) -> None:
    with store.sessions() as session, session.begin():
        office = make_office(session, "MG-B").id
        from fallstelle.auth import service

        _user, token = service.create_user(
            session, Actor.operator(), utcnow(), "carla", "Carla", ["counsellor"], [office]
        )
        session.execute(
            update(EnrolmentToken).values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
    response = app.test_client().get(f"/einrichten/{token}")
    assert response.status_code == 410
    assert "abgelaufen" in response.get_data(as_text=True)
    assert any(e.reason == "expired_link" for e in _events(store, "auth.enrol"))


def test_link_validity_is_24_hours() -> None:
    assert dt.timedelta(hours=24) == login.LINK_VALIDITY


def test_disabling_ends_the_sessions(
    app: Flask, anna: Account, store: Store
) -> None:
    admin_account = make_account(store, "ben", ["admin"])
    user_client, admin = app.test_client(), app.test_client()
    sign_in(user_client, anna)
    sign_in(admin, admin_account)
    page = f"/verwaltung/benutzer/{anna.user_id}"
    token = csrf(admin, page)
    with store.sessions() as session:
        user = session.get(User, anna.user_id)
        assert user is not None
        version, office = user.version, user.memberships[0].office_id
    data = {
        "csrf_token": token,
        "display_name": "Anna",
        "roles": "counsellor",
        "offices": str(office),
        "version": str(version),
    }  # "active" unticked
    asked = admin.post(page, data=data)  # one click only asks (GOV.UK confirmation)
    body = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Ja, Konto deaktivieren" in body
    assert 'name="confirmed" value="1"' in body
    assert user_client.get("/").status_code == 200  # still signed in: nothing happened
    with store.sessions() as session:
        assert session.get(User, anna.user_id).active  # type: ignore[union-attr]
    saved = admin.post(page, data={**data, "confirmed": "1"})
    assert saved.status_code == 302
    assert user_client.get("/").status_code == 302
    assert password_step(app.test_client(), anna).status_code == 401


def test_stale_version_gets_409_and_keeps_the_input(
    app: Flask, anna: Account, store: Store
) -> None:
    admin = app.test_client()
    sign_in(admin, make_account(store, "ben", ["admin"]))
    page = f"/verwaltung/benutzer/{anna.user_id}"
    token = csrf(admin, page)
    response = admin.post(
        page,
        data={
            "csrf_token": token,
            "display_name": "Anna Neuname",
            "roles": "counsellor",
            "offices": "1",
            "active": "y",
            "version": "999",
        },
    )
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Jemand anderes hat dieses Konto inzwischen geändert" in body
    assert 'value="Anna Neuname"' in body


def test_refusals_are_audited(app: Flask, anna: Account, store: Store) -> None:
    client = app.test_client()
    client.post("/anmelden", data={"username": "anna", "password": "x"})  # no CSRF token
    password_step(client, anna, "falsches Passwort!")
    post(client, "/anmelden", {"username": "anna", "password": "x", "role": "admin"})
    assert _events(store, "csrf.fail")
    assert [e.reason for e in _events(store, "auth.login") if e.outcome == "failed"] == [
        "wrong_password"
    ]
    assert any(e.reason == "unexpected_field" for e in _events(store, "request.rejected"))


def test_no_password_or_code_in_the_audit_log(app: Flask, anna: Account, store: Store) -> None:
    client = app.test_client()
    password_step(client, anna, "Zzyzxqvarn-Geheimnis")
    sign_in(app.test_client(), anna)
    with store.sessions() as session:
        rows = [repr(tuple(r)) for r in session.execute(select(AuditEvent.__table__))]
    dump = "\n".join(rows)
    assert "Zzyzxqvarn" not in dump and anna.password not in dump
    assert anna.code() not in dump and anna.secret not in dump


def test_throttle_table_holds_no_typed_name(app: Flask, store: Store) -> None:
    from fallstelle.auth.models import LoginFailure

    ghost = Account("x", "Zzyzxqvarn-Passwort-im-Namensfeld", "falsches Passwort!", "A" * 32)
    password_step(app.test_client(), ghost)
    with store.sessions() as session:
        keys = list(session.scalars(select(LoginFailure.key)))
    assert keys and not any("zzyzxqvarn" in key.casefold() for key in keys)
    assert not any("127.0.0.1" in key for key in keys)


def test_admin_reset_and_end_sessions_sign_the_user_out(
    app: Flask, anna: Account, store: Store
) -> None:
    admin = app.test_client()
    sign_in(admin, make_account(store, "ben", ["admin"]))
    for action, offset in (("abmelden", 0), ("zuruecksetzen", 1)):
        user_client = app.test_client()
        sign_in(user_client, anna, offset=offset)
        assert user_client.get("/").status_code == 200
        path = f"/verwaltung/benutzer/{anna.user_id}/{action}"
        response = post(admin, path, {}, token_from=f"/verwaltung/benutzer/{anna.user_id}")
        assert response.status_code in (200, 302)
        assert user_client.get("/").status_code == 302
    # After the reset the old password no longer works and a link is needed.
    assert password_step(app.test_client(), anna).status_code == 401


def test_over_long_input_is_audited(app: Flask, store: Store) -> None:
    post(app.test_client(), "/anmelden", {"username": "x" * 65, "password": "y"})
    assert any(e.reason == "invalid_input" for e in _events(store, "request.rejected"))


def test_cookie_over_https_is_host_prefixed_and_secure(
    tmp_path: object, initialised: object
) -> None:
    import dataclasses

    from fallstelle import create_app

    settings = dataclasses.replace(initialised, https=True)  # type: ignore[type-var]
    client = create_app(settings).test_client()
    response = client.get("/anmelden", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-fallstelle=")
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert flag in cookie
    assert "Domain" not in cookie
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"

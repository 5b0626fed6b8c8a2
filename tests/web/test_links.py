"""Enrolment links on the admin pages carry ``FALLSTELLE_BASE_URL``, never the Host header.

The adversary sends the admin's own request with a forged ``Host`` (a proxy that passes it
on, or a DNS-rebinding page): were the link built from it, the admin would hand a colleague
a link to the attacker's address, token included (issue 11).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from fallstelle import create_app
from fallstelle.auth.login import ENROL_PATH, enrolment_link
from fallstelle.config import Settings
from fallstelle.runtime import get_runtime
from fallstelle.store import Store
from tests.auth.factories import make_account, make_office
from tests.web.helpers import csrf, sign_in

BASE = "https://fallstelle.example.org"
FORGED = {"Host": "evil.example:666", "X-Forwarded-Host": "evil.example"}


@pytest.fixture
def app(initialised: Settings) -> Iterator[Flask]:
    application = create_app(replace(initialised, base_url=BASE))
    application.config["TESTING"] = True
    yield application
    get_runtime(application).open(application).engine.dispose()


def _forge(client: FlaskClient) -> None:
    """Let the session cookie go with requests to the forged host too."""
    cookie = client.get_cookie("fallstelle_session")
    assert cookie is not None
    client.set_cookie(cookie.key, cookie.value, domain="evil.example")


def _links(page: str) -> list[str]:
    return re.findall(r'<code class="link-box">([^<]+)</code>', page)


def test_new_account_link_ignores_a_forged_host(app: Flask, store: Store) -> None:
    with store.sessions() as session, session.begin():
        office = make_office(session, "MG").id
    admin = app.test_client()
    sign_in(admin, make_account(store, "ben", ["admin"]))
    token = csrf(admin, "/verwaltung/benutzer/neu")
    _forge(admin)
    response = admin.post(
        "/verwaltung/benutzer/neu",
        data={"username": "anna", "display_name": "Anna", "roles": "counsellor",
              "offices": str(office), "active": "y", "csrf_token": token},
        headers=FORGED,
    )  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    links = _links(page)
    assert len(links) == 1 and links[0].startswith(f"{BASE}{ENROL_PATH}")
    assert "evil.example" not in page


def test_reset_link_ignores_a_forged_host(app: Flask, store: Store) -> None:
    admin = app.test_client()
    sign_in(admin, make_account(store, "ben", ["admin"]))
    other = make_account(store, "carla", ["auditor"])
    token = csrf(admin, f"/verwaltung/benutzer/{other.user_id}")
    _forge(admin)
    response = admin.post(
        f"/verwaltung/benutzer/{other.user_id}/zuruecksetzen",
        data={"csrf_token": token},
        headers=FORGED,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert [link.startswith(f"{BASE}{ENROL_PATH}") for link in _links(page)] == [True]
    assert "evil.example" not in page


def test_the_link_path_is_the_enrolment_page(app: Flask) -> None:
    with app.test_request_context():
        path = url_for("auth.enrol", token="abc")
    assert enrolment_link(BASE + "/", "abc") == BASE + path

"""Driving the real pages with the Flask test client."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.auth.factories import Account


def csrf(client: FlaskClient, path: str = "/anmelden") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    if match is None:
        match = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post(
    client: FlaskClient, path: str, data: dict[str, str], token_from: str | None = None
) -> TestResponse:
    token = csrf(client, token_from or path)
    return client.post(path, data={**data, "csrf_token": token})


def password_step(
    client: FlaskClient, account: Account, password: str | None = None
) -> TestResponse:
    return post(
        client,
        "/anmelden",
        {"username": account.username, "password": password or account.password},
    )


def sign_in(
    client: FlaskClient, account: Account, offset: int = 0, at: float | None = None
) -> TestResponse:
    first = password_step(client, account)
    assert first.status_code == 302, first.get_data(as_text=True)
    second = post(client, "/anmelden/code", {"code": account.code(offset, at)})
    assert second.status_code == 302 and second.headers["Location"] == "/", second.status_code
    return second


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("fallstelle_session")
    return cookie.value if cookie else None

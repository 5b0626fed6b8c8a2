"""The search page: prefix search by name and phone, a list of hits, and its refusals."""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.auth.factories import Account
from tests.web.helpers import csrf, sign_in
from tests.web.test_cases import open_case


@pytest.fixture
def client(app: Flask, anna: Account) -> FlaskClient:
    signed_in = app.test_client()
    sign_in(signed_in, anna)
    return signed_in


def _search(client: FlaskClient, field: str, value: str) -> tuple[str, str]:
    token = csrf(client, "/faelle")
    sent = client.post("/faelle/suche", data={"csrf_token": token, "field": field, "value": value})
    assert sent.status_code == 303
    location = sent.headers["Location"]
    return location, client.get(location).get_data(as_text=True)


def test_a_prefix_lists_the_case_with_the_persons_name_and_office(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    location = open_case(client)
    number = re.search(r"Fall (\d{4}-\d{4})", client.get(location).get_data(as_text=True))
    assert number
    where, page = _search(client, "surname", "zzyzx")
    assert where.endswith("/faelle/suche") and "zzyzx" not in where
    assert "1 Fall gefunden" in page and number.group(1) in page
    assert "Ayşe Zzyzxqvarn" in page and "in Beratung" in page
    assert "Beratungsstelle MG-A" in page
    _, by_phone = _search(client, "phone", "+49 171 234")
    assert number.group(1) in by_phone
    assert "zzyzx" not in caplog.text.casefold() and "171 234" not in caplog.text


def test_one_letter_is_refused_with_a_german_message(client: FlaskClient) -> None:
    open_case(client)
    _, page = _search(client, "surname", "Z")
    assert "Bitte mindestens 3 Buchstaben des Namens eingeben" in page
    assert "gefunden" not in page
    _, page = _search(client, "phone", "017")
    assert "Bitte mindestens 4 Ziffern der Telefonnummer eingeben." in page

"""The request log: one line per request, the audit events' request id, no personal data."""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask
from sqlalchemy import select

from fallstelle.audit.models import AuditEvent
from fallstelle.store import Store
from tests.auth.factories import Account
from tests.web.helpers import sign_in

LINE = re.compile(
    r"^request id=(?P<id>[0-9a-f]{16}) method=(?P<method>[A-Z]+|-) "
    r"endpoint=(?P<endpoint>[\w.-]+) status=(?P<status>\d{3}) ms=\d+$"
)


def lines(caplog: pytest.LogCaptureFixture) -> list[re.Match[str]]:
    found = [r.getMessage() for r in caplog.records if r.name == "fallstelle.request"]
    matches = [LINE.match(line) for line in found]
    assert all(matches), found
    return [m for m in matches if m]


def test_one_line_per_request_with_the_audit_request_id(
    app: Flask, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fallstelle.request")
    token = "Zzyzxqvarn-token-QQcanaryQQ"
    response = app.test_client().get(f"/einrichten/{token}?name=Zzyzxqvarn")
    assert response.status_code in (404, 410)
    (line,) = lines(caplog)
    assert line["method"] == "GET" and line["endpoint"] == "auth.enrol"
    assert line["status"] == str(response.status_code)
    with store.sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.enrol")).one()
    assert event.request_id == line["id"]
    text = caplog.text
    assert "Zzyzxqvarn" not in text and "QQcanaryQQ" not in text and "127.0.0.1" not in text


def test_signed_in_requests_name_no_user(
    app: Flask, anna: Account, caplog: pytest.LogCaptureFixture
) -> None:
    client = app.test_client()
    sign_in(client, anna)
    caplog.set_level(logging.INFO, logger="fallstelle.request")
    assert client.get("/").status_code == 200
    assert client.get("/faelle/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/nirgends").status_code == 404
    found = lines(caplog)
    assert [(m["endpoint"], m["status"]) for m in found] == [
        ("auth.home", "200"),
        ("cases.show", "404"),
        ("-", "404"),
    ]
    assert len({m["id"] for m in found}) == 3
    assert "anna" not in caplog.text and anna.user_id not in caplog.text
    assert "00000000-0000" not in caplog.text  # the path (a case id) is never logged


def test_a_crafted_method_cannot_forge_a_line(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="fallstelle.request")
    app.test_client().open("/", method="GET\nrequest id=forged")
    (line,) = lines(caplog)
    assert line["method"] == "-"

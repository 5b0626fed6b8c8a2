"""Canary: a distinctive name and free text, pushed through every flow that exists, must
appear neither in the audit table nor in any log line (issue 4; extended with the case file).
"""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from sqlalchemy import select

from fallstelle.audit.models import AuditEvent
from fallstelle.runtime import get_runtime
from tests.auth.factories import Account, make_account, make_office
from tests.web.helpers import csrf, password_step, post, sign_in

CANARY = "zzyzxqvarn"
TEXT = f"Frau {CANARY.title()} wurde am Eingang abgewiesen"


def test_canary_reaches_neither_audit_table_nor_logs(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = get_runtime(app).open(app)
    with store.sessions() as session, session.begin():
        office = make_office(session, "MG-A").id
    admin = make_account(store, "ben", ["admin"])
    person = make_account(
        store, CANARY, ["counsellor"], [office], password="am Eingang abgewiesen 2026"
    )

    client = app.test_client()
    password_step(client, Account("x", CANARY, TEXT, "A" * 32))  # wrong password
    password_step(client, Account("x", TEXT[:60], TEXT, "A" * 32))  # text as username
    sign_in(app.test_client(), person)
    admin_client = app.test_client()
    sign_in(admin_client, admin)
    token = csrf(admin_client, "/verwaltung/benutzer/neu")
    admin_client.post(
        "/verwaltung/benutzer/neu",
        data={
            "csrf_token": token,
            "username": f"{CANARY}2",
            "display_name": TEXT,
            "roles": "counsellor",
            "offices": str(office),
        },
    )
    post(
        admin_client,
        "/verwaltung/stellen/neu",
        {"code": "MG-B", "name": TEXT, "provider": TEXT, "case_visibility": "office"},
    )
    admin_client.post("/sprache", data={"lang": TEXT})  # no CSRF token: refused
    app.test_client().get(f"/einrichten/{CANARY}")

    with store.sessions() as session:
        dump = "\n".join(repr(tuple(row)) for row in session.execute(select(AuditEvent.__table__)))
    assert dump, "the flows must have been audited"
    assert CANARY not in dump.casefold()
    assert "abgewiesen" not in dump
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert CANARY not in logged.casefold() and "abgewiesen" not in logged

"""Management's report page: preview, build, download unchanged; never a case."""

from __future__ import annotations

import hashlib

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fallstelle.audit.models import AuditEvent
from fallstelle.reports.models import ReportRelease
from fallstelle.store import Store
from tests.auth.factories import Account, make_account
from tests.web.helpers import post, sign_in
from tests.web.test_cases import open_case


@pytest.fixture
def boss(app: Flask, store: Store, anna: Account) -> FlaskClient:
    counsellor = app.test_client()
    sign_in(counsellor, anna)
    for _ in range(3):
        open_case(counsellor)
    client = app.test_client()
    sign_in(client, make_account(store, "leitung", ["management"], [1]))
    return client


def test_preview_shows_published_tables_only(boss: FlaskClient, store: Store) -> None:
    response = post(
        boss,
        "/berichte/vorschau",
        {"period": "2026", "offices": "1", "template": "funding"},
        token_from="/berichte",
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Vorschau" in body and "Fallzahlen" in body
    assert "Zzyzxqvarn" not in body and "Pastafari" not in body
    with store.sessions() as session:
        assert session.scalar(select(ReportRelease.id)) is None  # a preview stores nothing
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "report.preview" in actions


def test_build_and_download_unchanged(boss: FlaskClient, store: Store) -> None:
    response = post(
        boss,
        "/berichte/erstellen",
        {"period": "2026", "offices": "1", "template": "campaign"},
        token_from="/berichte",
    )
    assert response.status_code == 302
    with store.sessions() as session:
        release = session.scalars(select(ReportRelease)).one()
        release_id, digest = release.id, release.pdf_sha256
    pdf = boss.get(f"/berichte/{release_id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert hashlib.sha256(pdf.data).hexdigest() == digest
    csv = boss.get(f"/berichte/{release_id}.csv")
    assert csv.status_code == 200 and b"Zzyzxqvarn" not in csv.data


@pytest.mark.parametrize(
    ("period", "message"),
    [("2026-03", "Halbjahr"), ("2019", "Kein Fall wurde")],
)
def test_bad_period_or_no_cases(boss: FlaskClient, period: str, message: str) -> None:
    response = post(
        boss,
        "/berichte/vorschau",
        {"period": period, "offices": "1", "template": "funding"},
        token_from="/berichte",
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_management_never_opens_a_case(boss: FlaskClient, app: Flask, anna: Account) -> None:
    counsellor = app.test_client()
    sign_in(counsellor, anna, offset=1)
    location = open_case(counsellor)
    assert boss.get(location).status_code == 403
    assert boss.get("/faelle").status_code == 403

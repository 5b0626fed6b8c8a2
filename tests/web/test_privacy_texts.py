"""An office's data protection (issue 16): its law, versioned privacy and consent texts
that cite it, the version a consent records, and the report logo."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fallstelle.audit.models import AuditEvent
from fallstelle.auth.actor import Actor
from fallstelle.auth.errors import NotAllowed
from fallstelle.auth.permissions import Role
from fallstelle.cases.models import Case
from fallstelle.catalogue import privacy
from fallstelle.catalogue.models import PrivacyText
from fallstelle.store import Store
from tests.auth.factories import Account, make_account, make_office
from tests.web.helpers import csrf, sign_in
from tests.web.test_cases import open_case, version_on

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64


@pytest.fixture
def admin(app: Flask, store: Store, anna: Account) -> FlaskClient:
    account = make_account(store, "ada", ["admin"])
    client = app.test_client()
    sign_in(client, account)
    return client


def office_of(store: Store, code: str = "MG-A") -> int:
    from fallstelle.auth.models import Office

    with store.sessions() as session:
        return session.scalars(select(Office.id).where(Office.code == code)).one()


def publish(admin: FlaskClient, office: int, kind: str, body: str | None = None) -> str:
    path = f"/verwaltung/stellen/{office}/datenschutz/{kind}"
    page = admin.get(path).get_data(as_text=True)
    if body is None:
        found = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)
        assert found, page[-2000:]
        body = found.group(1).strip().replace("&#34;", '"').replace("&amp;", "&")
    response = admin.post(path, data={"csrf_token": csrf(admin, path), "body": body})
    return response.get_data(as_text=True) if response.status_code != 302 else "302"


def test_the_templates_cite_the_law_the_office_chose(admin: FlaskClient, store: Store) -> None:
    office = office_of(store)
    page = admin.get(f"/verwaltung/stellen/{office}/datenschutz/besondere_kategorien")
    assert "Art. 9 Abs. 2 lit. a DSGVO" in page.get_data(as_text=True)
    path = f"/verwaltung/stellen/{office}/datenschutz"
    response = admin.post(path, data={"csrf_token": csrf(admin, path), "law-law": "kdg"})
    assert response.status_code == 302
    page = admin.get(f"/verwaltung/stellen/{office}/datenschutz/besondere_kategorien")
    text = page.get_data(as_text=True)
    assert "§ 11 Abs. 2 lit. a KDG" in text and "DSGVO" not in text.split("<textarea")[1]
    assert "keine Rechtsberatung" in text
    notice = admin.get(f"/verwaltung/stellen/{office}/datenschutz/datenschutzinformation")
    assert "§ 15 KDG" in notice.get_data(as_text=True)
    assert "Katholische Datenschutzzentrum" in notice.get_data(as_text=True)


def test_versions_are_numbered_never_changed_and_refused_when_unchanged(
    admin: FlaskClient, store: Store
) -> None:
    office = office_of(store)
    year = dt.date.today().year
    assert publish(admin, office, "statistik") == "302"
    assert publish(admin, office, "statistik", "Zweite Fassung der Einwilligung.") == "302"
    refused = publish(admin, office, "statistik", "Zweite Fassung der Einwilligung.")
    assert "nichts zu veröffentlichen" in refused
    with store.sessions() as session:
        texts = session.scalars(select(PrivacyText).order_by(PrivacyText.id)).all()
        assert [t.label for t in texts] == [f"{year}-1", f"{year}-2"]
        assert "DSGVO" in texts[0].body and texts[0].law == "dsgvo"
    overview = admin.get(f"/verwaltung/stellen/{office}/datenschutz").get_data(as_text=True)
    assert f"{year}-2" in overview and "noch nicht veröffentlicht" in overview


def test_a_consent_records_the_version_shown_and_staff_can_read_it(
    app: Flask, admin: FlaskClient, store: Store, anna: Account
) -> None:
    office = office_of(store)
    assert publish(admin, office, "statistik", "Ich willige in die Statistik ein.") == "302"
    counsellor = app.test_client()
    sign_in(counsellor, anna)
    location = open_case(counsellor)
    page = counsellor.get(f"{location}/angaben").get_data(as_text=True)
    response = counsellor.post(
        f"{location}/angaben",
        data={
            "csrf_token": csrf(counsellor, location),
            "details-version": version_on(page, "details"),
            "details-request_type": "beratungsfall",
            "details-narrative": "unverändert",
            "details-consent_kind": "statistik",
            "details-consent_on": "2026-11-02",
        },
    )
    assert response.status_code == 302
    label = f"{dt.date.today().year}-1"
    assert f"Textfassung {label}" in counsellor.get(location).get_data(as_text=True)
    with store.sessions() as session:
        text_id = session.scalars(select(PrivacyText.id)).one()
    shown = counsellor.get(f"/datenschutztexte/{text_id}").get_data(as_text=True)
    assert "Ich willige in die Statistik ein." in shown
    # staff of another office cannot read it, and cannot tell that it exists
    with store.sessions() as session, session.begin():
        other = make_office(session, "KR-B").id
    stranger = make_account(store, "otto", ["counsellor"], [other])
    elsewhere = app.test_client()
    sign_in(elsewhere, stranger)
    assert elsewhere.get(f"/datenschutztexte/{text_id}").status_code == 404
    assert elsewhere.get("/datenschutztexte/999999").status_code == 404


def test_logo_png_or_jpeg_and_small(admin: FlaskClient, store: Store) -> None:
    import io

    office = office_of(store)
    path = f"/verwaltung/stellen/{office}/datenschutz"

    def upload(data: bytes) -> tuple[int, str]:
        response = admin.post(
            path,
            data={"csrf_token": csrf(admin, path), "logo-logo": (io.BytesIO(data), "logo.png")},
            content_type="multipart/form-data",
        )
        return response.status_code, response.get_data(as_text=True)

    status, page = upload(GIF)
    assert status == 422 and "PNG- oder JPEG-Bild" in page
    status, page = upload(PNG + b"\x00" * (300 * 1024))
    assert status == 422 and "300 KB" in page
    assert admin.get(f"/verwaltung/stellen/{office}/logo").status_code == 404
    assert upload(PNG)[0] == 302
    logo = admin.get(f"/verwaltung/stellen/{office}/logo")
    assert logo.status_code == 200 and logo.mimetype == "image/png" and logo.data == PNG


def test_only_admins_change_texts_and_the_refusal_is_audited(store: Store, anna: Account) -> None:
    office = office_of(store)
    counsellor = Actor.for_user(anna.user_id, frozenset({Role.COUNSELLOR}), frozenset({office}))
    with store.sessions() as session, session.begin():
        with pytest.raises(NotAllowed):
            privacy.publish(session, counsellor, office, "statistik", "x", dt.date(2026, 12, 3))
        with pytest.raises(NotAllowed):
            privacy.set_logo(session, counsellor, office, PNG)
    with store.sessions() as session:
        denied = session.scalars(
            select(AuditEvent.action).where(AuditEvent.outcome == "denied")
        ).all()
        assert "privacy_text.publish" in denied and "office.logo" in denied
        assert session.scalars(select(PrivacyText)).all() == []
        assert session.scalars(select(Case)).all() == []

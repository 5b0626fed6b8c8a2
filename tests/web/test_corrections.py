"""Routes that were services without a page (issue 15): handing a case over or sharing it,
correcting and deleting an office activity; and the catalogue copy every process keeps."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fallstelle import create_app
from fallstelle.activities.models import OfficeActivity
from fallstelle.audit.models import AuditEvent
from fallstelle.cases.models import Case
from fallstelle.config import Settings
from fallstelle.runtime import get_runtime
from fallstelle.store import Store
from tests.auth.factories import Account, make_account
from tests.web.helpers import csrf, post, sign_in
from tests.web.test_cases import open_case, version_on


@pytest.fixture
def client(app: Flask, anna: Account) -> FlaskClient:
    signed_in = app.test_client()
    sign_in(signed_in, anna)
    return signed_in


@pytest.fixture
def bea(store: Store, anna: Account) -> Account:
    with store.sessions() as session:
        office = session.scalars(select(Case.office_id)).first()
    return make_account(store, "bea", ["counsellor"], [office or 1])


def test_hand_a_case_over_and_share_it(
    client: FlaskClient, app: Flask, store: Store, anna: Account, bea: Account
) -> None:
    location = open_case(client)
    page = client.get(location).get_data(as_text=True)
    assert "Anna Beispiel" in page or "Anna" in page
    page = client.get(f"{location}/beratende").get_data(as_text=True)
    response = client.post(
        f"{location}/beratende",
        data={
            "csrf_token": csrf(client, location),
            "counsellors-version": version_on(page, "counsellors"),
            "counsellors-lead": bea.user_id,
            "counsellors-co": anna.user_id,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    case_id = location.rsplit("/", 1)[-1]
    with store.sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.lead_counsellor_id == bea.user_id
        assert {c.user_id for c in case.co_counsellors} == {anna.user_id}
        reasons = session.scalars(
            select(AuditEvent.reason).where(
                AuditEvent.action == "case.update", AuditEvent.object_id == case_id
            )
        ).all()
    assert "counsellors" in reasons
    other = app.test_client()
    sign_in(other, bea)
    assert other.get(location).status_code == 200


def test_a_lead_who_is_no_counsellor_of_the_office_is_refused(
    client: FlaskClient, store: Store
) -> None:
    location = open_case(client)
    page = client.get(f"{location}/beratende").get_data(as_text=True)
    response = client.post(
        f"{location}/beratende",
        data={
            "csrf_token": csrf(client, location),
            "counsellors-version": version_on(page, "counsellors"),
            "counsellors-lead": "00000000-0000-4000-8000-000000000000",
        },
    )
    assert response.status_code == 400
    assert "error-summary" in response.get_data(as_text=True)  # the form is shown again


def _activity(client: FlaskClient, store: Store) -> OfficeActivity:
    response = post(
        client,
        "/taetigkeiten",
        {"held_on": "2026-10-05", "kind": "workshop", "title": "Workshop Schule",
         "participants": "18"},
    )  # fmt: skip
    assert response.status_code == 302
    with store.sessions() as session:
        return session.scalars(select(OfficeActivity)).one()


def test_correct_an_activity(client: FlaskClient, store: Store) -> None:
    activity = _activity(client, store)
    path = f"/taetigkeiten/{activity.id}"
    page = client.get(path).get_data(as_text=True)
    assert "Workshop Schule" in page
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', page)
    assert version
    response = post(
        client, path,
        {"version": version.group(1), "held_on": "2026-10-06", "kind": "workshop",
         "title": "Workshop Berufsschule", "participants": "21"},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    listed = client.get("/taetigkeiten").get_data(as_text=True)
    assert "Workshop Berufsschule" in listed and "06.10.2026" in listed
    stale = post(
        client, path,
        {"version": version.group(1), "held_on": "2026-10-07", "kind": "workshop",
         "title": "Überholt", "participants": "1"},
    )  # fmt: skip
    assert stale.status_code == 409
    assert "Überholt" in stale.get_data(as_text=True)  # the input is kept


def test_delete_an_activity_needs_a_second_confirmation(
    client: FlaskClient, store: Store
) -> None:
    activity = _activity(client, store)
    path = f"/taetigkeiten/{activity.id}"
    refused = post(client, f"{path}/loeschen", {"version": str(activity.version)}, path)
    assert refused.status_code == 400
    with store.sessions() as session:
        assert session.get(OfficeActivity, activity.id) is not None
    done = post(
        client, f"{path}/loeschen", {"version": str(activity.version), "confirm": "y"}, path
    )
    assert done.status_code == 302
    with store.sessions() as session:
        assert session.get(OfficeActivity, activity.id) is None
        assert session.scalars(
            select(AuditEvent).where(AuditEvent.action == "activity.delete")
        ).all()


@pytest.fixture
def second_process(initialised: Settings, app: Flask) -> Iterator[Flask]:
    """Another app process on the same database, with its own catalogue copy."""
    get_runtime(app).open(app)
    other = create_app(initialised)
    other.config["TESTING"] = True
    yield other
    get_runtime(other).close()


def test_a_new_term_reaches_every_process(
    app: Flask, second_process: Flask, store: Store, anna: Account
) -> None:
    admin = make_account(store, "admin", ["admin"])
    counsellor = second_process.test_client()
    sign_in(counsellor, anna)
    assert "Werkvertrag" not in counsellor.get("/faelle/neu").get_data(as_text=True)  # cached
    admin_client = app.test_client()
    sign_in(admin_client, admin)
    response = post(
        admin_client, "/verwaltung/begriffe",
        {"office": "1", "vocabulary": "lebensbereich", "parent_code": "arbeit",
         "slug": "werkvertrag", "label_de": "Werkvertrag", "label_en": "Contract for work"},
    )  # fmt: skip
    assert response.status_code == 302
    assert "Werkvertrag" in counsellor.get("/faelle/neu").get_data(as_text=True)

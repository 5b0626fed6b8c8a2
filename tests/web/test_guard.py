"""Default deny and the role × endpoint matrix (SD-3)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fallstelle.activities.service import add_activity
from fallstelle.auth.service import load_actor
from fallstelle.cases.service import create_case
from fallstelle.runtime import get_runtime
from fallstelle.web.guard import PERMISSION_ATTR, PUBLIC_ATTR, PUBLIC_ENDPOINTS
from tests.auth.factories import Account, make_account, make_office
from tests.cases.factories import OPENED, short_form
from tests.web.helpers import csrf, sign_in

NO_ID = "00000000-0000-4000-8000-000000000000"
ROLES = ["anonymous", "counsellor_a", "counsellor_b", "management", "auditor", "admin"]
STAFF = ROLES[1:]


def _all(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def _signed_in(status: int, anonymous: int = 302) -> dict[str, int]:
    return {"anonymous": anonymous, **dict.fromkeys(STAFF, status)}


def _admin_only(ok: int = 200) -> dict[str, int]:
    return {"anonymous": 302, **dict.fromkeys(STAFF, 403), "admin": ok}


def _auditor_only(ok: int = 200) -> dict[str, int]:
    return {"anonymous": 302, **dict.fromkeys(STAFF, 403), "auditor": ok}


def _reporters(ok: int) -> dict[str, int]:
    """Management of its offices; counsellors only where the office allows (not here)."""
    return {"anonymous": 302, **dict.fromkeys(STAFF, 403), "management": ok}


def _case_roles(own_office: int, other_office: int) -> dict[str, int]:
    """Counsellors of the case's office, of another office; everyone else never gets in."""
    return {
        "anonymous": 302,
        **dict.fromkeys(STAFF, 403),
        "counsellor_a": own_office,
        "counsellor_b": other_office,
    }


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: str  # "{user}" / "{office}" are filled in per test
    expected: dict[str, int]


MATRIX = [
    Route("static", "GET", "/static/css/fallstelle.css", _all(200)),
    Route("main.health", "GET", "/health", _all(200)),
    Route("handbook.page", "GET", "/hilfe/beratung", _all(200)),
    Route("handbook.picture", "GET", "/hilfe/bilder/keines.png", _all(404)),
    Route("main.set_language", "POST", "/sprache", _all(303)),
    Route("auth.login", "GET", "/anmelden", _signed_in(302, anonymous=200)),
    Route("auth.login_code", "GET", "/anmelden/code", _all(302)),
    Route("auth.logout", "POST", "/abmelden", _signed_in(302)),
    Route("auth.home", "GET", "/", _signed_in(200)),
    Route("auth.enrol", "GET", "/einrichten/unbekannt", _all(404)),
    Route("auth.enrol_code", "GET", "/einrichten/unbekannt/code", _all(404)),
    Route("auth.change_password", "GET", "/konto/passwort", _signed_in(200)),
    Route("admin.users", "GET", "/verwaltung/benutzer", _admin_only()),
    Route("admin.user_new", "GET", "/verwaltung/benutzer/neu", _admin_only()),
    Route("admin.user_edit", "GET", "/verwaltung/benutzer/{user}", _admin_only()),
    Route(
        "admin.user_reset", "POST", "/verwaltung/benutzer/{user}/zuruecksetzen", _admin_only(200)
    ),
    Route(
        "admin.user_end_sessions", "POST", "/verwaltung/benutzer/{user}/abmelden", _admin_only(302)
    ),
    Route("admin.offices", "GET", "/verwaltung/stellen", _admin_only()),
    Route("admin.office_new", "GET", "/verwaltung/stellen/neu", _admin_only()),
    Route("admin.office_edit", "GET", "/verwaltung/stellen/{office}", _admin_only()),
    Route("privacy.settings", "GET", "/verwaltung/stellen/{office}/datenschutz", _admin_only()),
    Route(
        "privacy.text", "GET", "/verwaltung/stellen/{office}/datenschutz/statistik", _admin_only()
    ),
    Route("privacy.logo", "GET", "/verwaltung/stellen/{office}/logo", _admin_only(404)),
    Route("privacy.show", "GET", "/datenschutztexte/999999", _signed_in(404)),
    Route("privacy.show_version", "GET", "/datenschutztexte/999999/statistik/v1", _signed_in(404)),
    Route("admin.rules", "GET", "/verwaltung/fristen", _admin_only()),
    Route("admin.terms", "GET", "/verwaltung/begriffe", _admin_only()),
    Route("audit.log", "GET", "/protokoll", _auditor_only()),
    Route("audit.releases", "GET", "/protokoll/berichte", _auditor_only()),
    Route("reports.index", "GET", "/berichte", _reporters(200)),
    Route("activities.index", "GET", "/taetigkeiten", _case_roles(200, 200)),
    Route("activities.edit", "GET", "/taetigkeiten/{activity}", _case_roles(200, 404)),
    Route("activities.delete", "POST", "/taetigkeiten/{activity}/loeschen", _case_roles(400, 404)),
    Route("reports.preview", "POST", "/berichte/vorschau", _reporters(400)),
    Route("reports.build", "POST", "/berichte/erstellen", _reporters(400)),
    Route("reports.revise", "GET", "/berichte/berichtsstand/{office}/2026-Q1", _reporters(404)),
    Route(
        "reports.download",
        "GET",
        "/berichte/00000000-0000-4000-8000-000000000000.pdf",
        _reporters(404),
    ),
    Route("cases.index", "GET", "/faelle", _case_roles(200, 200)),
    Route("cases.search", "POST", "/faelle/suche", _case_roles(400, 400)),
    Route("cases.results", "GET", "/faelle/suche", _case_roles(200, 200)),
    Route("cases.new", "GET", "/faelle/neu", _case_roles(200, 200)),
    Route("cases.show", "GET", "/faelle/{case}", _case_roles(200, 404)),
    Route("cases.add_contact", "POST", "/faelle/{case}/kontakt", _case_roles(400, 404)),
    Route("cases.add_intervention", "POST", "/faelle/{case}/intervention", _case_roles(400, 404)),
    Route("cases.add_deadline", "POST", "/faelle/{case}/frist", _case_roles(400, 404)),
    Route("cases.change_status", "POST", "/faelle/{case}/status", _case_roles(400, 404)),
    Route("cases.add_incident", "POST", "/faelle/{case}/vorfall", _case_roles(400, 404)),
    Route("cases.set_counsellors", "POST", "/faelle/{case}/beratende", _case_roles(400, 404)),
    Route("cases.add_person", "POST", "/faelle/{case}/person", _case_roles(400, 404)),
    Route("cases.add_follow_up", "POST", "/faelle/{case}/wiedervorlage", _case_roles(400, 404)),
    Route("cases.override_deadline", "POST", "/faelle/{case}/frist-aendern", _case_roles(400, 404)),
    Route("cases.update_details", "POST", "/faelle/{case}/angaben", _case_roles(400, 404)),
    Route("cases.add_attachment", "POST", "/faelle/{case}/dokument", _case_roles(400, 404)),
    Route("cases.form_page", "GET", "/faelle/{case}/kontakt", _case_roles(200, 404)),
    Route(
        "cases.assign_follow_up",
        "POST",
        "/faelle/{case}/wiedervorlage/00000000-0000-4000-8000-000000000000/uebergeben",
        _case_roles(404, 404),
    ),
    Route(
        "cases.follow_up_done",
        "POST",
        "/faelle/{case}/wiedervorlage/00000000-0000-4000-8000-000000000000/erledigt",
        _case_roles(404, 404),
    ),
    Route(
        "cases.attachment",
        "GET",
        "/faelle/{case}/dokument/00000000-0000-4000-8000-000000000000",
        _case_roles(404, 404),
    ),
    Route("cases.case_entries", "GET", "/faelle/{case}/eintraege", _case_roles(200, 404)),
    Route("cases.case_history", "GET", "/faelle/{case}/verlauf", _case_roles(200, 404)),
    Route("cases.edit_details", "GET", "/faelle/{case}/angaben/bearbeiten", _case_roles(200, 404)),
    Route("cases.edit_entry", "GET", f"/faelle/{{case}}/eintrag/contact/{NO_ID}",
          _case_roles(404, 404)),
    Route("cases.remove_entry", "GET", f"/faelle/{{case}}/eintrag/contact/{NO_ID}/entfernen",
          _case_roles(404, 404)),
    Route("cases.edit_consent", "GET", "/faelle/{case}/einwilligung/7", _case_roles(404, 404)),
    Route("cases.remove_consent", "GET", "/faelle/{case}/einwilligung/7/entfernen",
          _case_roles(404, 404)),
    Route("cases.legal_hold", "GET", "/faelle/{case}/sperre", _case_roles(200, 404)),
    Route("cases.delete_early", "GET", "/faelle/{case}/loeschen", _case_roles(200, 404)),
    Route("cases.erase_on_request", "GET", "/faelle/{case}/loeschen-auf-antrag",
          _case_roles(200, 404)),
    Route("cases.access_request_page", "GET", "/faelle/{case}/auskunft", _case_roles(200, 404)),
    Route("cases.access_export", "GET", f"/faelle/{{case}}/auskunft/{NO_ID}.json",
          _case_roles(404, 404)),
    Route("admin.office_retention", "GET", "/verwaltung/stellen/{office}/aufbewahrung",
          _admin_only()),
    Route("audit.verify", "POST", "/protokoll/pruefen", _auditor_only(302)),
    Route("audit.download_checkpoint", "POST", "/protokoll/checkpoint", _auditor_only()),
    Route("audit.export_csv", "GET", "/protokoll/export.csv", _auditor_only()),
]


def test_every_endpoint_is_public_or_guarded(app: Flask) -> None:
    unmarked = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in PUBLIC_ENDPOINTS
        and not getattr(app.view_functions[rule.endpoint], PUBLIC_ATTR, False)
        and getattr(app.view_functions[rule.endpoint], PERMISSION_ATTR, None) is None
    ]
    assert unmarked == []


def test_public_list_is_short(app: Flask) -> None:
    public = sorted(
        {
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if getattr(app.view_functions[rule.endpoint], PUBLIC_ATTR, False)
        }
    )
    assert public == [
        "auth.enrol",
        "auth.enrol_code",
        "auth.login",
        "auth.login_code",
        "handbook.page",
        "handbook.picture",
        "main.health",
        "main.set_language",
    ]


def test_every_endpoint_is_in_the_matrix(app: Flask) -> None:
    assert {r.endpoint for r in app.url_map.iter_rules()} == {r.endpoint for r in MATRIX}


def test_an_unmarked_view_is_denied_to_everyone(app: Flask) -> None:
    @app.get("/_test/unmarked")
    def _unmarked() -> str:
        return "should never be seen"

    response = app.test_client().get("/_test/unmarked")
    assert response.status_code == 403
    assert "should never be seen" not in response.get_data(as_text=True)


@pytest.fixture
def people(app: Flask) -> Iterator[dict[str, Account]]:
    store = get_runtime(app).open(app)
    with store.sessions() as session, session.begin():
        a = make_office(session, "MG-A").id
        b = make_office(session, "MG-B").id
    counsellor_a = make_account(store, "berater.a", ["counsellor"], [a])
    with store.sessions() as session, session.begin():
        actor = load_actor(session, counsellor_a.user_id)
        assert actor is not None
        case = create_case(session, actor, store.keys, short_form(a))
        activity = add_activity(session, actor, a, OPENED, "workshop", "Workshop Schule", 20)
    yield {
        "activity": Account(str(activity.id), "", "", ""),
        "counsellor_a": counsellor_a,
        "case": Account(str(case.id), "", "", ""),  # the case id, in the same map
        "counsellor_b": make_account(store, "berater.b", ["counsellor"], [b]),
        "management": make_account(store, "leitung", ["management"], [a]),
        "auditor": make_account(store, "datenschutz", ["auditor"]),
        "admin": make_account(store, "admin", ["admin"]),
        "target": make_account(store, "ziel", ["counsellor"], [a]),
    }


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(app: Flask, people: dict[str, Account], role: str) -> None:
    client: FlaskClient = app.test_client()
    if role != "anonymous":
        sign_in(client, people[role])
    office_id = "1"
    failures = []
    for route in MATRIX:
        path = route.path.format(
            user=people["target"].user_id, office=office_id, case=people["case"].user_id,
            activity=people["activity"].user_id,
        )  # fmt: skip
        if route.method == "GET":
            response = client.get(path)
        else:
            token = csrf(client, "/anmelden" if role == "anonymous" else "/konto/passwort")
            response = client.post(path, data={"csrf_token": token})
        if route.endpoint == "auth.logout" and role != "anonymous" and response.status_code == 302:
            sign_in(client, people[role], offset=1)  # signed out by the test: again, next code
        if response.status_code != route.expected[role]:
            failures.append(f"{route.endpoint}: {response.status_code} != {route.expected[role]}")
    assert failures == []

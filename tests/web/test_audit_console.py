"""The auditor's console: filters, the breach question, verification, CSV; all audited."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fallstelle.audit import Event, chain, record
from fallstelle.audit.models import AuditEvent
from fallstelle.store import Store
from tests.audit.helpers import lift_triggers, sql
from tests.auth.factories import Account, make_account, make_office
from tests.web.helpers import post, sign_in


@pytest.fixture
def people(store: Store) -> dict[str, Account]:
    with store.sessions() as session, session.begin():
        office = make_office(session, "MG-A").id
    return {
        "anna": make_account(store, "anna", ["counsellor"], [office]),
        "dora": make_account(store, "dora", ["auditor"]),
    }


@pytest.fixture
def auditor(app: Flask, people: dict[str, Account]) -> FlaskClient:
    client = app.test_client()
    sign_in(client, people["dora"])
    return client


def reads(store: Store, user_id: str, *case_numbers: str) -> None:
    with store.sessions() as session:
        for number in case_numbers:
            record(
                session,
                Event(
                    "case.read",
                    actor_id=user_id,
                    actor_role="counsellor",
                    object_type="case",
                    object_id=number,
                ),
            )
        session.commit()


def actions(store: Store, action: str) -> list[AuditEvent]:
    with store.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_viewing_is_itself_audited(
    auditor: FlaskClient, store: Store, people: dict[str, Account]
) -> None:
    response = auditor.get("/protokoll")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<title>Zugriffsprotokoll – fallstelle</title>" in body
    assert "auth.login" in body
    views = actions(store, "audit.view")
    assert views and views[-1].actor_id == people["dora"].user_id


def test_which_cases_did_a_user_open(
    auditor: FlaskClient, store: Store, people: dict[str, Account]
) -> None:
    reads(store, people["anna"].user_id, "2026-0001", "2026-0002", "2026-0001")
    reads(store, people["dora"].user_id, "2026-0099")
    body = auditor.get("/protokoll?benutzer=anna&aktion=case.read").get_data(as_text=True)
    assert "Fälle, die diese Person im Zeitraum geöffnet hat" in body
    assert "2026-0001" in body and "2026-0002" in body and "2026-0099" not in body
    assert "3 Ereignisse gefunden." in body


def test_date_range_and_family_filter(
    auditor: FlaskClient, store: Store, people: dict[str, Account]
) -> None:
    reads(store, people["anna"].user_id, "2026-0001")
    assert "2026-0001" not in auditor.get("/protokoll?aktion=case.&bis=2000-01-01").get_data(
        as_text=True
    )
    assert "2026-0001" in auditor.get("/protokoll?aktion=case.&von=2000-01-01").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("von=gestern", "JJJJ-MM-TT"),
        ("benutzer=niemand", "Es gibt kein Konto mit diesem Benutzernamen."),
        ("ergebnis=vielleicht", "Bitte wählen Sie einen der angebotenen Werte."),
        ("von=2026-02-01&bis=2026-01-01", "Das Enddatum liegt vor dem Anfangsdatum."),
    ],
)
def test_bad_filters_get_a_german_message(auditor: FlaskClient, query: str, message: str) -> None:
    response = auditor.get(f"/protokoll?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_pagination(auditor: FlaskClient, store: Store, people: dict[str, Account]) -> None:
    reads(store, people["anna"].user_id, *[f"2026-{i:04d}" for i in range(1, 61)])
    first = auditor.get("/protokoll?aktion=case.read").get_data(as_text=True)
    assert "Seite 1 von 2" in first and "2026-0060" in first and "2026-0001" not in first
    second = auditor.get("/protokoll?aktion=case.read&seite=2").get_data(as_text=True)
    assert "Seite 2 von 2" in second and "2026-0001" in second


def test_csv_export_is_filtered_safe_and_audited(
    auditor: FlaskClient, store: Store, people: dict[str, Account]
) -> None:
    reads(store, people["anna"].user_id, "2026-0001", "=HYPERLINK(1)")
    response = auditor.get("/protokoll/export.csv?benutzer=anna&aktion=case.read")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table[0][:5] == ["seq", "time", "username", "actor_role", "action"]
    assert [row[6] for row in table[1:]] == ["2026-0001", "'=HYPERLINK(1)"]
    assert {row[2] for row in table[1:]} == {"anna"}
    assert actions(store, "audit.export")


def test_verify_button_reports_intact_and_damaged(
    auditor: FlaskClient, store: Store, people: dict[str, Account]
) -> None:
    reads(store, people["anna"].user_id, "2026-0001")
    done = post(auditor, "/protokoll/pruefen", {}, token_from="/protokoll")
    assert done.status_code == 302
    assert "Die Kette ist intakt" in auditor.get("/protokoll").get_data(as_text=True)
    lift_triggers(store)
    sql(store, "UPDATE audit_events SET object_id = '2026-0666' WHERE object_id = '2026-0001'")
    post(auditor, "/protokoll/pruefen", {}, token_from="/protokoll")
    body = auditor.get("/protokoll").get_data(as_text=True)
    assert "BESCHÄDIGT" in body
    assert actions(store, "audit.verify")[-1].outcome == "failed"


def test_the_auditor_downloads_a_checkpoint_that_verify_accepts(
    app: Flask, auditor: FlaskClient, store: Store, people: dict[str, Account], tmp_path: Path
) -> None:
    reads(store, people["anna"].user_id, "2026-0001")
    response = post(auditor, "/protokoll/checkpoint", {}, token_from="/protokoll")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    note = chain.parse_note(response.get_data(as_text=True))
    assert note.signature_valid(store.keys.audit_signing_key.public_key())
    assert actions(store, "audit.checkpoint")[-1].seq <= note.seq
    saved = tmp_path / "visit.txt"
    saved.write_text(response.get_data(as_text=True))
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--checkpoint", str(saved)])
    assert result.exit_code == 0, result.output
    assert "saved checkpoint visit.txt matches" in result.output


def test_counsellor_cannot_read_the_log(app: Flask, people: dict[str, Account]) -> None:
    client = app.test_client()
    sign_in(client, people["anna"])
    assert client.get("/protokoll").status_code == 403
    assert client.get("/protokoll/export.csv").status_code == 403

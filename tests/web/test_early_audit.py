"""A read's audit event goes to the group commit when its page starts to render (issue 15).

The batch's commit runs while the page is rendered; the response still waits for it. A page
that fails while rendering takes its read back if no batch has taken it yet.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient
from sqlalchemy import select

from fallstelle.audit import Event
from fallstelle.audit.models import AuditEvent
from fallstelle.cases.page import CasePage
from fallstelle.runtime import get_runtime
from fallstelle.store import Store
from tests.auth.factories import Account
from tests.web.helpers import sign_in
from tests.web.test_cases import open_case


@pytest.fixture
def client(app: Flask, anna: Account) -> FlaskClient:
    signed_in = app.test_client()
    sign_in(signed_in, anna)
    return signed_in


def _reads(store: Store, case_id: str) -> list[str]:
    with store.sessions() as session:
        found = session.scalars(
            select(AuditEvent.outcome).where(
                AuditEvent.action == "case.read", AuditEvent.object_id == case_id
            )
        )
        return list(found)


def test_the_read_is_handed_in_before_rendering_and_awaited_before_the_response(
    client: FlaskClient, app: Flask, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = open_case(client)
    case_id = location.rsplit("/", 1)[-1]
    group = get_runtime(app).group
    steps: list[str] = []
    submit, wait = group.submit, group.wait

    def submitted(events: list[Event]) -> Any:
        steps.extend(f"submit {e.action}" for e in events)
        return submit(events)

    def waited(ticket: Any) -> None:
        wait(ticket)
        steps.extend(f"durable {e.action}" for e in ticket.events)

    def rendered(_app: Flask, template: Any, **_extra: Any) -> None:
        steps.append(f"rendered {template.name}")

    monkeypatch.setattr(group, "submit", submitted)
    monkeypatch.setattr(group, "wait", waited)
    before = len(_reads(store, case_id))
    with template_rendered.connected_to(rendered, app):
        assert client.get(location).status_code == 200
    assert steps == ["submit case.read", "rendered cases/show.html", "durable case.read"]
    assert len(_reads(store, case_id)) == before + 1


def test_a_page_that_fails_while_rendering_takes_its_read_back(
    client: FlaskClient, app: Flask, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = open_case(client)
    case_id = location.rsplit("/", 1)[-1]
    before = _reads(store, case_id)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(self: CasePage, lang: str = "de") -> None:
        raise RuntimeError("the template failed")

    monkeypatch.setattr(CasePage, "labels", broken)  # the page calls it while rendering
    assert client.get(location).status_code == 500
    get_runtime(app).group.append([Event("case.list")])  # a later batch takes what is queued
    assert _reads(store, case_id) == before

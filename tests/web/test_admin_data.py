"""Admins keep the deadline rules and the offices' own terms; counsellors use them."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from fallstelle.auth.actor import Actor
from fallstelle.cases.errors import Invalid, NotAllowed
from fallstelle.catalogue import deadlines, rule_admin
from fallstelle.catalogue.models import DeadlineRule
from fallstelle.store import Store
from tests.auth.factories import Account, make_account
from tests.web.helpers import post, sign_in


@pytest.fixture
def admin(app: Flask, store: Store, anna: Account) -> FlaskClient:
    client = app.test_client()
    sign_in(client, make_account(store, "ben", ["admin"]))
    return client


def test_a_new_version_ends_the_old_one(admin: FlaskClient, store: Store) -> None:
    response = post(
        admin,
        "/verwaltung/fristen",
        {
            "code": "agg_15_4",
            "name_de": "Geltendmachung (AGG-Reform)",
            "name_en": "Claim",
            "legal_reference": "§ 15 (4) AGG n. F.",
            "amount": "4",
            "unit": "months",
            "start_event": "rejection_or_knowledge",
            "valid_from": "2027-01-01",
        },
    )
    assert response.status_code == 302
    with store.sessions() as session:
        versions = session.scalars(
            select(DeadlineRule)
            .where(DeadlineRule.code == "agg_15_4")
            .order_by(DeadlineRule.valid_from)
        ).all()
    assert versions[-2].valid_to == dt.date(2027, 1, 1)
    assert (versions[-1].amount, versions[-1].valid_to) == (4, None)
    page = admin.get("/verwaltung/fristen").get_data(as_text=True)
    assert "§ 15 (4) AGG n. F." in page


def test_rule_input_is_checked(admin: FlaskClient) -> None:
    response = post(
        admin,
        "/verwaltung/fristen",
        {
            "code": "Agg!",
            "name_de": "x",
            "name_en": "x",
            "legal_reference": "x",
            "amount": "4",
            "unit": "months",
            "start_event": "knowledge",
            "valid_from": "2027-01-01",
        },
    )
    assert response.status_code == 400
    assert "Kleinbuchstaben" in response.get_data(as_text=True)


def test_only_admins_edit_rules(store: Store) -> None:
    with store.sessions() as session:
        with pytest.raises(NotAllowed):
            rule_admin.list_rules(session, Actor("u", frozenset()))
        with pytest.raises(Invalid):
            rule_admin.add_version(
                session,
                Actor.operator(),
                code="kschg_4",
                name_de="x",
                name_en="x",
                legal_reference="§ 4 KSchG",
                amount=3,
                unit="weeks",
                start_event="knowledge",
                valid_from=dt.date(2000, 1, 1),
            )
        assert "knowledge" in deadlines.START_EVENTS


def test_an_office_term_appears_in_that_office_only(
    admin: FlaskClient, app: Flask, anna: Account
) -> None:
    response = post(
        admin,
        "/verwaltung/begriffe",
        {
            "office": "1",
            "vocabulary": "lebensbereich",
            "parent_code": "arbeit",
            "slug": "werkvertrag",
            "label_de": "Werkvertrag",
            "label_en": "Contract for work",
        },
    )
    assert response.status_code == 302
    assert "arbeit.werkvertrag" in admin.get("/verwaltung/begriffe").get_data(as_text=True)
    counsellor = app.test_client()
    sign_in(counsellor, anna)
    assert "Werkvertrag" in counsellor.get("/faelle/neu").get_data(as_text=True)
    refused = post(
        admin,
        "/verwaltung/begriffe",
        {
            "office": "1",
            "vocabulary": "lebensbereich",
            "parent_code": "gibtsnicht",
            "slug": "x1",
            "label_de": "x",
            "label_en": "x",
        },
    )
    assert refused.status_code == 400

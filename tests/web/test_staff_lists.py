"""Each process keeps an office's staff list until it changes (issue 15): a case page names
the staff of its office without reading them again, and every change of a name, a role or an
office — here or in another process — shows on the next page."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text

from fallstelle import db
from fallstelle.auth import service
from fallstelle.auth.actor import Actor
from fallstelle.db import utcnow
from fallstelle.store import Store
from tests.auth.factories import Account
from tests.web.helpers import sign_in
from tests.web.test_cases import open_case
from tests.web.test_transactions import StatementCounter


def _office_of(store: Store, account: Account) -> int:
    with store.sessions() as session:
        return int(
            session.execute(
                text("SELECT office_id FROM memberships WHERE user_id = :u"), {"u": account.user_id}
            ).scalar_one()
        )


def test_a_case_page_names_the_staff_without_reading_them_again(
    app: Flask, anna: Account, store: Store
) -> None:
    client = app.test_client()
    sign_in(client, anna)
    location = open_case(client)
    assert "Anna" in client.get(location).get_data(as_text=True)
    with StatementCounter([store.engine, store.read_engine]) as counter:
        page = client.get(location).get_data(as_text=True)
    assert "Anna" in page
    assert not any("memberships" in s and "display_name" in s for s in counter.statements)


def test_a_rename_and_a_new_counsellor_show_on_the_next_page(
    app: Flask, anna: Account, store: Store
) -> None:
    client = app.test_client()
    sign_in(client, anna)
    location = open_case(client)
    office = _office_of(store, anna)
    client.get(location)  # the staff list is kept now
    with store.sessions() as session, session.begin():
        user = service.get_user(session, Actor.operator(), anna.user_id)
        service.update_user(
            session, Actor.operator(), anna.user_id, user.version,
            display_name="Anna Umbenannt", roles=["counsellor"], office_ids=[office], active=True,
        )  # fmt: skip
        service.create_user(
            session, Actor.operator(), utcnow(), "berta", "Berta Neu", ["counsellor"], [office]
        )
    assert "Anna Umbenannt" in client.get(location).get_data(as_text=True)
    form = client.get(f"{location}/beratende")  # who may be assigned: the new counsellor too
    assert form.status_code == 200
    assert "Berta Neu" in form.get_data(as_text=True)


def test_a_change_by_another_process_shows_on_the_next_page(
    app: Flask, anna: Account, store: Store
) -> None:
    """Another process (its own engine: this one's copies are untouched) renames a member of
    the office and moves the office's staff version, as its ``update_user`` would."""
    client = app.test_client()
    sign_in(client, anna)
    location = open_case(client)
    office = _office_of(store, anna)
    assert "Anna" in client.get(location).get_data(as_text=True)
    other = db.make_engine(store.settings)
    try:
        with other.begin() as conn:
            conn.execute(
                text("UPDATE users SET display_name = 'Anna Anderswo' WHERE id = :u"),
                {"u": anna.user_id},
            )
            conn.execute(
                text("UPDATE offices SET staff_version = staff_version + 1 WHERE id = :o"),
                {"o": office},
            )
    finally:
        other.dispose()
    assert "Anna Anderswo" in client.get(location).get_data(as_text=True)

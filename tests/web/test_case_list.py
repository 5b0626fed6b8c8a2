"""The case list page (issues 14, 15): Kreis filter, keyset links, bounded SQL per page."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from fallstelle.audit.models import AuditEvent
from fallstelle.cases import listing
from fallstelle.store import Store
from tests.auth.factories import Account
from tests.web.helpers import sign_in
from tests.web.test_cases import open_case

COLOGNE, BONN = "05315", "05314"


@pytest.fixture
def client(app: Flask, anna: Account) -> FlaskClient:
    signed_in = app.test_client()
    sign_in(signed_in, anna)
    return signed_in


def _numbers(page: str) -> list[str]:
    return re.findall(r'href="/faelle/[0-9a-f-]{36}">([0-9]{4}-[0-9]{4})<', page)


def test_kreis_filter_shows_only_that_kreis_and_records_the_reads(
    client: FlaskClient, store: Store
) -> None:
    cologne = open_case(client, kreis=COLOGNE)
    open_case(client, kreis=BONN)
    page = client.get(f"/faelle?kreis={COLOGNE}").get_data(as_text=True)
    assert f'<option value="{COLOGNE}" selected>' in page
    shown = re.findall(r'href="(/faelle/[0-9a-f-]{36})"', page)
    assert shown == [cologne]
    with store.sessions() as session:
        reads = session.scalars(
            select(AuditEvent.object_id).where(AuditEvent.reason == "list_filter")
        ).all()
    assert len(reads) == 2  # both candidates were opened to compare their Kreis
    bogus = client.get("/faelle?kreis=99999").get_data(as_text=True)  # not a Kreis: ignored
    assert len(re.findall(r'href="/faelle/[0-9a-f-]{36}"', bogus)) == 2


def test_kreis_filter_beyond_its_cap_asks_to_narrow_in_german(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_case(client, kreis=COLOGNE)
    open_case(client, kreis=COLOGNE)
    monkeypatch.setattr(listing, "KREIS_CAP", 1)
    page = client.get(f"/faelle?kreis={COLOGNE}").get_data(as_text=True)
    assert "grenzen Sie die Liste zuerst nach Jahr, Status oder Berater" in page
    assert not re.findall(r'href="/faelle/[0-9a-f-]{36}"', page)


def test_next_and_previous_links_carry_the_filters_and_a_cursor(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        open_case(client)
    monkeypatch.setattr(listing, "PER_PAGE", 2)
    monkeypatch.setattr(listing.list_cases, "__kwdefaults__",
                        {**listing.list_cases.__kwdefaults__, "per_page": 2})  # fmt: skip
    first = client.get("/faelle?status=in_beratung").get_data(as_text=True)
    following = re.search(r'href="([^"]+)" rel="next"', first)
    assert following and "status=in_beratung" in following.group(1)
    assert "nach=" in following.group(1) and "seite" not in following.group(1)
    second = client.get(following.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert set(_numbers(first)).isdisjoint(_numbers(second))
    assert len(_numbers(first) + _numbers(second)) == 3
    back = re.search(r'href="([^"]+)" rel="prev"', second)
    assert back
    again = client.get(back.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert _numbers(again) == _numbers(first)
    stale = client.get("/faelle?nach=kaputt").get_data(as_text=True)  # an old link: page 1
    assert _numbers(stale) == _numbers(client.get("/faelle").get_data(as_text=True))


def _selects(store: Store, client: FlaskClient, path: str) -> int:
    made: list[str] = []

    def seen(conn, cursor, sql, params, context, many) -> None:  # type: ignore[no-untyped-def]
        made.append(sql)

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    return len([s for s in made if s.lstrip().upper().startswith("SELECT")])


def test_list_and_home_page_statements_do_not_grow_with_the_cases(
    client: FlaskClient, store: Store
) -> None:
    open_case(client)
    before = {path: _selects(store, client, path) for path in ("/faelle", "/")}
    for _ in range(4):
        open_case(client)
    after = {path: _selects(store, client, path) for path in ("/faelle", "/")}
    assert after == before
    assert after["/faelle"] <= 15 and after["/"] <= 20, after


def test_the_count_speaks_german_in_singular_and_plural(client: FlaskClient) -> None:
    open_case(client)
    assert "<p>1 Fall.</p>" in client.get("/faelle").get_data(as_text=True)
    open_case(client)
    assert "<p>2 Fälle.</p>" in client.get("/faelle").get_data(as_text=True)

"""Prefix search in the browser (issue 14): "Müll" finds "Müller", a phone prefix in another
format finds the number, two letters get a message; the result list at 1366 and 390 px
without horizontal scrolling and without axe violations. The term is never in the address."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server
from tests.browser.test_workspace import enrol, look

pytestmark = pytest.mark.browser


def _search(page: Any, server: Server, field: str, term: str) -> None:
    page.goto(f"{server.url}/faelle/suche")
    page.get_by_label("Suchen nach").select_option(label=field)
    page.get_by_label("Suchbegriff").fill(term)
    page.locator("main").get_by_role("button", name="Suchen").click()


def test_prefix_search_on_desk_and_phone(
    server: Server, database_url: str, browser: Any, tmp_path: Path
) -> None:
    page = enrol(server, database_url, browser)
    page.get_by_role("link", name="Neuer Fall").first.click()
    page.get_by_label("Art der Anfrage").select_option("beratungsfall")
    page.get_by_label("Vorname").fill("Ayşe")
    page.get_by_label("Nachname").fill("Müller-Lüdenscheidt")
    page.get_by_label("Telefon").fill("+49 171 2345678")
    page.get_by_role("button", name="Fall anlegen").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^Fall \d{4}-0001"))
    number = re.search(r"\d{4}-0001", heading.inner_text())
    assert number

    _search(page, server, "Nachname", "Müll")
    results = page.locator("main table")
    expect(page.get_by_role("heading", name="1 Fall gefunden")).to_be_visible()
    expect(results).to_contain_text(number.group(0))
    expect(results).to_contain_text("Ayşe Müller-Lüdenscheidt")
    expect(results).to_contain_text("Servicestelle MG")
    assert "M%C3%BCll" not in page.url and "Müll" not in page.url
    look(page, "search-results", tmp_path)

    _search(page, server, "Telefon", "0171 / 23")
    expect(page.locator("main table")).to_contain_text(number.group(0))

    _search(page, server, "Nachname", "M")
    expect(page.locator(".error-summary")).to_contain_text("mindestens 3 Buchstaben")
    expect(page.locator("main table")).to_have_count(0)
    look(page, "search-too-short", tmp_path)

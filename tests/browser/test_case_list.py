"""The case list on a desk and on a phone (issues 14, 15): filter by status and Kreis, page
forward and back by the keyset links, browser back and forward keep the state (it is in the
URL), no horizontal scrolling at 1366 and 390 px, no axe violation. Screenshots go to
``$FALLSTELLE_SCREENSHOTS`` when set (never into git)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server
from tests.browser.conftest import enrol as enrol_at
from tests.browser.test_case_flow import PASSWORD, cli
from tests.browser.test_workspace import look

pytestmark = pytest.mark.browser


def test_list_filters_and_pages_on_desk_and_phone(
    server: Server, database_url: str, browser: Any, tmp_path: Path
) -> None:
    cli(server, database_url, "demo", "--cases", "120")  # office DEMO, 120 synthetic cases
    out = cli(server, database_url, "users", "create", "lena", "--role", "counsellor",
              "--office", "DEMO", "--name", "Lena Liste")  # fmt: skip
    link = re.search(r"(http://\S+/einrichten/\S+)", out)
    assert link
    page = browser.new_page(locale="de-DE", viewport={"width": 1366, "height": 900})
    enrol_at(page, link.group(1), PASSWORD)
    page.goto(f"{server.url}/faelle")
    rows = page.locator("table.data tbody tr")
    expect(rows).to_have_count(50)
    expect(page.get_by_text("120 Fälle.")).to_be_visible()
    first_number = rows.first.locator("td").first.inner_text()
    look(page, "list", tmp_path)

    page.get_by_role("link", name="Weiter").click()
    expect(page).to_have_url(re.compile(r"nach="))
    expect(rows.first.locator("td").first).not_to_have_text(first_number)
    page.get_by_role("link", name="Weiter").click()
    expect(rows).to_have_count(20)  # 50 + 50 + 20
    expect(page.get_by_role("link", name="Weiter")).to_have_count(0)
    page.get_by_role("link", name="Zurück").click()
    expect(rows).to_have_count(50)
    page.go_back()  # the browser's back: the last page again, from its URL
    expect(rows).to_have_count(20)
    page.get_by_role("link", name="Erste Seite").click()
    expect(rows.first.locator("td").first).to_have_text(first_number)

    # Filters: closed cases of one Kreis (the Kreis filter opens the candidates).
    page.get_by_label("Status").select_option("abgeschlossen")
    page.get_by_label("Kreis").select_option(index=1)
    page.get_by_role("button", name="Filtern").click()
    expect(page).to_have_url(re.compile(r"status=abgeschlossen.*kreis=\d{5}|kreis=\d{5}.*status"))
    expect(page.get_by_text("Fälle in diesem Kreis, in der gewählten Reihenfolge.")).to_be_visible()
    expect(page.get_by_label("Status")).to_have_value("abgeschlossen")
    for status in rows.locator("td[data-label='Status']").all_inner_texts():
        assert status == "abgeschlossen" or status.lower().startswith("abgeschlossen")
    look(page, "list-kreis", tmp_path)
    page.go_back()
    expect(rows).to_have_count(50)

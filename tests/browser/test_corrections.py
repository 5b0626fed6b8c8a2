"""A counsellor corrects a misspelt name and removes a contact logged on the wrong case
(issue 13), in Chromium; the change history shows both."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server, enrol
from tests.browser.test_case_flow import PASSWORD, cli

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("FALLSTELLE_SCREENSHOTS")  # a directory: keep screenshots to look at


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 1366, "height": 900})


def test_counsellor_corrects_a_name_and_removes_a_wrong_contact(
    server: Server, database_url: str, browser: Any
) -> None:
    cli(server, database_url, "offices", "create", "MG", "--name", "Servicestelle MG")
    out = cli(server, database_url, "users", "create", "berta", "--role", "counsellor",
              "--office", "MG", "--name", "Berta Beispiel")  # fmt: skip
    link = re.search(r"(http://\S+/einrichten/\S+)", out)
    assert link
    page = browser.new_page(locale="de-DE")
    enrol(page, link.group(1), PASSWORD)

    page.get_by_role("link", name="Neuer Fall").first.click()
    page.get_by_label("Art der Anfrage").select_option("beratungsfall")
    page.get_by_label("Nachname").fill("Yilmazz")
    page.get_by_role("button", name="Fall anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Fall \d{4}-0001"))
    case_url = page.url.split("#")[0]
    page.get_by_role("link", name="Kontakt erfassen").first.click()
    contact = page.locator("form[action$='/kontakt']")
    contact.get_by_label("Minuten").fill("20")
    contact.get_by_label("Kanal").select_option(index=1)
    contact.get_by_label("Notiz").fill("Gehört zu einem anderen Fall")
    contact.get_by_role("button", name="Kontakt speichern").click()
    expect(page.get_by_text("Gehört zu einem anderen Fall").first).to_be_visible()

    page.goto(f"{case_url}/eintraege")
    person = page.get_by_role("row").filter(has_text="Yilmazz")
    person.get_by_role("link", name="Berichtigen").click()
    expect(page.get_by_role("heading", name="Berichtigen: Person")).to_be_visible()
    expect(page.get_by_label("Nachname")).to_have_value("Yilmazz")
    _shot(page, "correct-person")
    page.get_by_label("Nachname").fill("Yılmaz")
    page.get_by_role("button", name="Berichtigung speichern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Fall \d{4}-0001"))
    expect(page.locator("main")).to_contain_text("Yılmaz")

    page.goto(f"{case_url}/eintraege")
    wrong = page.get_by_role("row").filter(has_text="Gehört zu einem anderen Fall")
    wrong.get_by_role("link", name="Entfernen").click()
    expect(page.get_by_role("heading", name="Entfernen: Kontakt")).to_be_visible()
    page.get_by_role("button", name="Entfernen").click()  # no reason, not confirmed
    expect(page.locator(".has-error").first).to_be_visible()
    page.get_by_label("Warum wird das entfernt?").fill("Gehört zu Fall 2026-0007")
    page.get_by_label("Ja, entfernen").check()
    _shot(page, "remove-contact")
    page.get_by_role("button", name="Entfernen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Fall \d{4}-0001"))
    expect(page.locator("main")).not_to_contain_text("Gehört zu einem anderen Fall")

    page.goto(f"{case_url}/verlauf")
    history = page.locator("main")
    expect(history).to_contain_text("Yilmazz")
    expect(history).to_contain_text("Yılmaz")
    expect(history).to_contain_text("Gehört zu Fall 2026-0007")
    expect(history).to_contain_text("Berta Beispiel")
    _shot(page, "history")

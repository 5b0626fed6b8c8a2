"""The whole first-login path in Chromium: the one-time link printed by ``run.py`` →
password → 2FA code computed from the shown key → home page → sign-out → sign-in.

Every check after a click is Playwright's auto-waiting ``expect(...)``: a plain read right
after a click can see the old page while the new one loads."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server

pytestmark = pytest.mark.browser
PASSWORD = "Beratung braucht Vertrauen 2026"


def first_admin_link(server: Server) -> str:
    text = "".join(server.output)
    match = re.search(r"(http://\S+/einrichten/\S+)", text)
    assert match, text
    return match.group(1)


def test_first_admin_enrols_and_signs_in(server: Server, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page()
    page.goto(first_admin_link(server))
    expect(page).to_have_title("Konto einrichten – fallstelle")
    page.get_by_label("Benutzername").fill("leitung.admin")
    page.get_by_label("Name", exact=True).fill("Ada Admin")
    page.get_by_label("Neues Passwort").fill(PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(PASSWORD)
    page.screenshot(path=str(tmp_path / "enrol.png"), full_page=True)
    page.get_by_role("button", name="Weiter").click()

    expect(page).to_have_title("Zwei-Faktor-Anmeldung einrichten – fallstelle")
    expect(page.locator(".qr svg")).to_have_count(1)
    expect(page.locator("#totp-secret")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.screenshot(path=str(tmp_path / "enrol_code.png"), full_page=True)
    totp = pyotp.TOTP(secret)
    page.get_by_label("Sechsstelliger Code").fill(totp.now())
    page.get_by_role("button", name="Abschließen").click()

    expect(page).to_have_url(server.url + "/")
    expect(page.get_by_text("Ihr Konto ist eingerichtet.")).to_be_visible()
    expect(page.get_by_role("link", name="Benutzer*innen").first).to_be_visible()

    # The link is used up.
    assert page.goto(first_admin_link(server)).status == 410

    page.goto(server.url + "/")
    page.get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(server.url + "/anmelden")
    page.get_by_label("Benutzername").fill("leitung.admin")
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Weiter").click()
    expect(page).to_have_url(server.url + "/anmelden/code")
    # The enrolment used the current step; wait for the next one (a code works once).
    time.sleep(30 - time.time() % 30 + 1)
    page.get_by_label("Sechsstelliger Code").fill(totp.now())
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

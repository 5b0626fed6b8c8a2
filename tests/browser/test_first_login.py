"""The whole first-login path in Chromium: the one-time link printed by ``run.py`` →
password → 2FA code computed from the shown key → home page → sign-out → sign-in."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest

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
    assert page.title() == "Konto einrichten – fallstelle"
    page.get_by_label("Benutzername").fill("leitung.admin")
    page.get_by_label("Name", exact=True).fill("Ada Admin")
    page.get_by_label("Neues Passwort").fill(PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(PASSWORD)
    page.screenshot(path=str(tmp_path / "enrol.png"), full_page=True)
    page.get_by_role("button", name="Weiter").click()

    assert page.title() == "Zwei-Faktor-Anmeldung einrichten – fallstelle"
    assert page.locator(".qr svg").count() == 1
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.screenshot(path=str(tmp_path / "enrol_code.png"), full_page=True)
    totp = pyotp.TOTP(secret)
    page.get_by_label("Sechsstelliger Code").fill(totp.now())
    page.get_by_role("button", name="Abschließen").click()

    assert page.url == server.url + "/"
    assert "Ihr Konto ist eingerichtet." in page.content()
    assert page.get_by_role("link", name="Benutzer*innen").first.is_visible()

    # The link is used up.
    assert page.goto(first_admin_link(server)).status == 410

    page.goto(server.url + "/")
    page.get_by_role("button", name="Abmelden").click()
    assert page.url == server.url + "/anmelden"
    page.get_by_label("Benutzername").fill("leitung.admin")
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Weiter").click()
    assert page.url == server.url + "/anmelden/code"
    # The enrolment used the current step; wait for the next one (a code works once).
    time.sleep(30 - time.time() % 30 + 1)
    page.get_by_label("Sechsstelliger Code").fill(totp.now())
    page.get_by_role("button", name="Anmelden").click()
    assert page.url == server.url + "/"

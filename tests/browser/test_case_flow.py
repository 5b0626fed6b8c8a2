"""A counsellor's day in Chromium: open a case, log a contact, close it with its outcome."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, Server, enrol

pytestmark = pytest.mark.browser
PASSWORD = "Beratung braucht Vertrauen 2026"


def cli(server: Server, database_url: str, *args: str) -> str:
    env = {
        **os.environ,
        "FALLSTELLE_DATA_DIR": str(server.data_dir),
        "FALLSTELLE_KEYS_DIR": str(server.keys_dir),
        "FALLSTELLE_DATABASE_URL": database_url,
        "FALLSTELLE_BASE_URL": server.url,
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "fallstelle", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return result.stdout


def test_counsellor_opens_logs_and_closes_a_case(
    server: Server, database_url: str, browser: Any, tmp_path: Path
) -> None:
    cli(server, database_url, "offices", "create", "MG", "--name", "Servicestelle MG")
    out = cli(server, database_url, "users", "create", "anna", "--role", "counsellor",
              "--office", "MG", "--name", "Anna Beispiel")  # fmt: skip
    link = re.search(r"(http://\S+/einrichten/\S+)", out)
    assert link
    page = browser.new_page(locale="de-DE")
    enrol(page, link.group(1), PASSWORD)

    page.get_by_role("link", name="Neuer Fall").first.click()
    page.get_by_label("Art der Anfrage").select_option("beratungsfall")
    page.get_by_label("Nachname").fill("Yılmaz")
    page.get_by_label("Antischwarzer Rassismus").check()
    page.get_by_label("Was ist passiert (kurz)").fill("Beim Einlass abgewiesen.")
    page.get_by_role("button", name="Fall anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Fall \d{4}-0001"))

    page.get_by_role("link", name="Kontakt erfassen").first.click()
    contact = page.locator("form[action$='/kontakt']")
    contact.get_by_label("Minuten").fill("45")
    contact.get_by_label("Kanal").select_option(index=1)
    contact.get_by_label("Notiz").fill("Erstgespräch, Beschwerdebrief besprochen")
    contact.get_by_role("button", name="Kontakt speichern").click()
    expect(page.locator("#verlauf")).to_contain_text("Erstgespräch, Beschwerdebrief besprochen")

    page.get_by_role("link", name="Status ändern").click()
    status = page.locator("form[action$='/status']")
    status.get_by_label("Neuer Status").select_option("abgeschlossen")
    status.get_by_role("button", name="Status ändern").click()
    expect(page.locator(".has-error").first).to_be_visible()  # reason and effects are required
    status = page.locator("form[action$='/status']")
    status.get_by_label("Neuer Status").select_option("abgeschlossen")
    status.get_by_label("Abschlussgrund").select_option(index=1)
    status.get_by_label("Entschuldigung").check()
    status.get_by_role("button", name="Status ändern").click()
    page.get_by_role("button", name="Ja, Fall abschließen").click()  # asks once more
    expect(page.locator("h1 .badge")).to_have_text("abgeschlossen")
    page.screenshot(path=str(tmp_path / "case.png"), full_page=True)

    page.get_by_role("link", name="Fälle", exact=True).click()
    expect(page.get_by_role("link", name=re.compile(r"\d{4}-0001"))).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Yılmaz")  # the list shows no names

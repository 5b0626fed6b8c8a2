"""The first start of a fresh installation, seen through a real browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server, start_server, stop_server

pytestmark = pytest.mark.browser

CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def test_start_page_in_chromium(server: Server, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    response = page.goto(server.url + "/")  # anonymous: the start page is the sign-in
    assert response is not None and response.status == 200
    expect(page).to_have_url(server.url + "/anmelden")
    expect(page).to_have_title("Anmelden – fallstelle")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("h1")).to_have_text("Anmelden")
    headers = response.all_headers()
    assert headers["content-security-policy"] == CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    # The stylesheet loaded under the CSP (no violation reported in the console).
    assert page.evaluate("getComputedStyle(document.body).display") == "flex"
    assert not [line for line in console if "Content Security Policy" in line]
    page.screenshot(path=str(tmp_path / "start.png"), full_page=True)

    # The language switch is a real form with a CSRF token.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page).to_have_url(server.url + "/anmelden")


def test_first_start_initialises_and_second_start_reuses(tmp_path: Path, database_url: str) -> None:
    first = start_server(tmp_path, database_url)
    out = stop_server(first)
    assert f"created keys in {tmp_path / 'keys'}" in out
    assert "created database at" in out
    keys = {p.name: p.read_bytes() for p in (tmp_path / "keys").iterdir()}

    second = start_server(tmp_path, database_url)
    out = stop_server(second)
    assert "created" not in out
    assert "serving on" in out
    assert "warning" not in out  # the base URL is the address it listens on
    assert {p.name: p.read_bytes() for p in (tmp_path / "keys").iterdir()} == keys

"""A counsellor's day on a desk and on a phone (issue 14): home → case → timeline → log a
contact on its own page → validation error (summary, focus, link to the field) → fix → done;
every page without horizontal scrolling at 390 px, and axe-core finds no violation at 1366
and 390 px. Screenshots go to ``$FALLSTELLE_SCREENSHOTS`` when set (never into git)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server
from tests.browser.conftest import enrol as enrol_at
from tests.browser.test_case_flow import PASSWORD, cli

pytestmark = pytest.mark.browser
WIDTHS = (1366, 390)


def enrol(server: Server, database_url: str, browser: Any) -> Any:

    cli(server, database_url, "offices", "create", "MG", "--name", "Servicestelle MG")
    out = cli(server, database_url, "users", "create", "anna", "--role", "counsellor",
              "--office", "MG", "--name", "Anna Beispiel")  # fmt: skip
    link = re.search(r"(http://\S+/einrichten/\S+)", out)
    assert link
    page = browser.new_page(locale="de-DE", viewport={"width": 1366, "height": 900})
    enrol_at(page, link.group(1), PASSWORD)
    return page


def look(page: Any, name: str, tmp_path: Path) -> None:
    """At both widths: no horizontal scrolling, no axe violation, a screenshot."""
    from axe_playwright_python.sync_playwright import Axe

    before = page.viewport_size
    shots = Path(os.environ.get("FALLSTELLE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        expect(page.locator("main")).to_be_visible()
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name} at {width} px is {scroll} px wide"
        results = Axe().run(page)
        assert results.violations_count == 0, f"{name} at {width}: {results.generate_snapshot()}"
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(before)


def nav(page: Any, name: str) -> None:
    """Follow a header link; on a phone it sits behind "Menü" (a <details>)."""
    if page.viewport_size["width"] <= 640:  # the CSS breakpoint (40rem); is_visible() raced
        page.locator(".nav-menu summary").click()  # the style sheet: "Menü" shows until it loads
    page.locator(".site-header").get_by_role("link", name=name, exact=True).click()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_day_in_the_life_on_desk_and_phone(
    server: Server, database_url: str, browser: Any, tmp_path: Path, width: int
) -> None:
    page = enrol(server, database_url, browser)
    page.set_viewport_size({"width": width, "height": 900})
    page.get_by_role("link", name="Neuer Fall").first.click()
    page.get_by_label("Art der Anfrage").select_option("beratungsfall")
    page.get_by_label("Nachname").fill("Yılmaz")
    page.get_by_label("Antischwarzer Rassismus").check()
    page.get_by_label("Was ist passiert (kurz)").fill("Beim Einlass abgewiesen.")
    page.get_by_role("button", name="Fall anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Fall \d{4}-0001"))
    case_url = page.url

    # A follow-up due today: it shows on the home page with its note.
    page.get_by_role("link", name="Wiedervorlage anlegen").click()
    today = page.evaluate("new Date().toLocaleDateString('sv-SE', {timeZone: 'Europe/Berlin'})")
    page.get_by_label("Wiedervorlage am").fill(today)
    page.get_by_label("Notiz").fill("Antwort der Hausverwaltung prüfen")
    page.get_by_role("button", name="Wiedervorlage speichern").click()
    expect(page.locator("#fristen")).to_contain_text("Gespeichert.")

    nav(page, "Start")
    expect(page.locator(".due-list")).to_contain_text("Antwort der Hausverwaltung prüfen")
    expect(page.locator(".due-list")).to_contain_text("heute fällig")
    look(page, "home", tmp_path)
    page.locator(".due-list").get_by_role("link", name=re.compile(r"Fall \d{4}-0001")).click()
    expect(page.locator("#fristen")).to_contain_text("Antwort der Hausverwaltung prüfen")
    look(page, "case", tmp_path)

    # Log a contact on its own page; first with a mistake.
    page.get_by_role("link", name="Kontakt erfassen").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kontakt erfassen")
    page.get_by_label("Datum").fill("")
    page.get_by_role("button", name="Kontakt speichern").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(page.locator(".field.has-error input[type='date']")).to_have_css(
        "border-top-color", "rgb(164, 38, 44)"
    )
    look(page, "contact-error", tmp_path)
    summary.get_by_role("link", name=re.compile("Kanal")).click()
    expect(page.get_by_label("Kanal")).to_be_focused()
    page.get_by_label("Kanal").select_option(index=1)
    page.get_by_label("Datum").fill(today)
    page.get_by_label("Notiz").fill("Rückruf vereinbart")
    page.get_by_role("button", name="Kontakt speichern").click()
    expect(page.locator("#verlauf")).to_contain_text("Rückruf vereinbart")
    expect(page.locator("#verlauf .flash-saved")).to_have_text("Gespeichert.")

    # The timeline filters by kind; the follow-up is done from the case page.
    page.locator("#verlauf").get_by_role("link", name="Kontakte").click()
    expect(page.locator("ol.timeline > li")).to_have_count(1)
    page.get_by_role("button", name=re.compile("Erledigt")).click()
    expect(page.locator("#fristen")).to_contain_text("erledigt am")

    for path, name in (("", "list"), ("/suche", "search")):
        page.goto(f"{server.url}/faelle{path}")
        look(page, name, tmp_path)
    page.goto(f"{case_url}/angaben")
    look(page, "details-form", tmp_path)
    page.goto(f"{case_url}?druck=1")
    expect(page.get_by_text("Druckansicht").or_(page.get_by_text("Strg+P"))).to_be_visible()


def test_keyboard_only_logs_a_contact(
    server: Server, database_url: str, browser: Any
) -> None:
    page = enrol(server, database_url, browser)
    page.get_by_role("link", name="Neuer Fall").first.click()
    page.get_by_label("Art der Anfrage").select_option("beratungsfall")
    page.get_by_role("button", name="Fall anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Fall \d{4}-0001"))
    link = page.get_by_role("link", name="Kontakt erfassen").first
    for _ in range(60):  # tab until the action has focus, as a keyboard user would
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("Kontakt erfassen is not reachable by keyboard")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kontakt erfassen")
    page.get_by_label("Kanal").focus()
    page.keyboard.press("ArrowDown")
    page.get_by_label("Notiz").focus()
    page.keyboard.type("Per Tastatur erfasst")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Kontakt speichern")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#verlauf")).to_contain_text("Per Tastatur erfasst")

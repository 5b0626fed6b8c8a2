"""Every counsellor page on a desk and on a phone (issue 14): no horizontal scrolling at
390 px, no axe-core violation at 1366 and 390 px, a screenshot of each; the header menu on
a phone without JavaScript and by keyboard; a follow-up handed to a colleague; two contacts
added at once; the admin's confirmations (one click never acts)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server
from tests.browser.conftest import enrol as enrol_at
from tests.browser.test_case_flow import PASSWORD, cli
from tests.browser.test_workspace import enrol, look

pytestmark = pytest.mark.browser
FORMS = ("kontakt", "intervention", "frist", "frist-aendern", "wiedervorlage", "person",
         "vorfall", "angaben", "status", "beratende", "dokument")  # fmt: skip


def _user(server: Server, database_url: str, name: str, role: str = "counsellor") -> str:
    out = cli(server, database_url, "users", "create", name, "--role", role,
              *(["--office", "MG"] if role in ("counsellor", "management") else []),
              "--name", f"{name.title()} Beispiel")  # fmt: skip
    link = re.search(r"(http://\S+/einrichten/\S+)", out)
    assert link
    return link.group(1)


def _new_case(page: Any) -> str:
    page.get_by_role("link", name="Neuer Fall").first.click()
    page.get_by_label("Art der Anfrage").select_option("beratungsfall")
    page.get_by_label("Nachname").fill("Yılmaz")
    page.get_by_label("Antischwarzer Rassismus").check()
    page.get_by_role("button", name="Fall anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Fall \d{4}-0001"))
    return str(page.url).split("#")[0]


def test_every_counsellor_page_fits_a_phone_and_passes_axe(
    server: Server, database_url: str, browser: Any, tmp_path: Path
) -> None:
    page = enrol(server, database_url, browser)
    look(page, "home-empty", tmp_path)
    page.get_by_role("link", name="Neuer Fall").first.click()
    look(page, "new-case", tmp_path)
    page.goto(server.url + "/")
    case_url = _new_case(page)
    page.goto(f"{case_url}/frist")
    page.get_by_label("Fristregel").select_option(index=1)
    page.get_by_label(re.compile("^Beginn")).fill("2026-11-02")
    page.get_by_role("button", name="Frist berechnen").click()
    expect(page.locator("#fristen")).to_contain_text("Gespeichert.")
    look(page, "case-with-deadline", tmp_path)
    for slug in FORMS:
        page.goto(f"{case_url}/{slug}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        look(page, f"form-{slug}", tmp_path)
    for path, name in ((f"{case_url}/verlauf", "history"), (f"{case_url}?druck=1", "print"),
                       (f"{server.url}/faelle", "list"), (f"{server.url}/faelle/suche", "search"),
                       (f"{server.url}/taetigkeiten", "activities"),
                       (f"{server.url}/konto/passwort", "password")):  # fmt: skip
        page.goto(path)
        look(page, name, tmp_path)


def test_the_header_menu_on_a_phone_works_without_javascript_and_by_keyboard(
    server: Server, database_url: str, browser: Any, tmp_path: Path
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = enrol(server, database_url, browser)
    page.set_viewport_size({"width": 390, "height": 800})
    header = page.locator(".site-header")
    expect(header.get_by_role("link", name="Fälle", exact=True)).to_be_hidden()
    menu = header.locator("summary", has_text="Menü")
    for _ in range(10):  # a keyboard user tabs to the menu and opens it with Enter
        page.keyboard.press("Tab")
        if menu.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("the menu is not reachable by keyboard")
    page.keyboard.press("Enter")
    cases = header.get_by_role("link", name="Fälle", exact=True)
    expect(cases).to_be_visible()
    page.screenshot(path=str(tmp_path / "menu-390.png"))
    assert Axe().run(page).violations_count == 0
    page.keyboard.press("Tab")  # the first link of the open menu
    expect(header.get_by_role("link", name="Start", exact=True)).to_be_focused()
    cases.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Fälle"))
    page.set_viewport_size({"width": 1366, "height": 800})
    expect(header.locator("summary", has_text="Menü")).to_be_hidden()
    expect(header.get_by_role("link", name="Fälle", exact=True)).to_be_visible()

    # Without JavaScript (cookies of the signed-in page): the menu is a plain <details>.
    context = browser.new_context(
        locale="de-DE", java_script_enabled=False, viewport={"width": 390, "height": 800}
    )
    context.add_cookies(page.context.cookies())
    bare = context.new_page()
    bare.goto(server.url + "/")
    bare.locator(".site-header summary").click()
    bare.locator(".site-header").get_by_role("link", name="Fälle", exact=True).click()
    expect(bare.get_by_role("heading", level=1)).to_have_text(re.compile("Fälle"))
    context.close()


def test_a_follow_up_handed_to_a_colleague_and_two_contacts_at_once(
    server: Server, database_url: str, browser: Any, tmp_path: Path
) -> None:
    page = enrol(server, database_url, browser)
    bea = browser.new_page(locale="de-DE", viewport={"width": 390, "height": 900})
    enrol_at(bea, _user(server, database_url, "bea"), PASSWORD)
    case_url = _new_case(page)
    page.goto(f"{case_url}/beratende")
    page.get_by_label("Bea Beispiel").check()
    page.get_by_role("button", name=re.compile("speichern|Speichern")).click()
    expect(page.locator("main")).to_contain_text("Bea Beispiel")

    page.goto(f"{case_url}/wiedervorlage")
    today = page.evaluate("new Date().toLocaleDateString('sv-SE', {timeZone: 'Europe/Berlin'})")
    page.get_by_label("Wiedervorlage am").fill(today)
    page.get_by_label("Notiz").fill("Zeugin zurückrufen")
    page.get_by_role("button", name="Wiedervorlage speichern").click()
    page.goto(server.url + "/")
    due = page.locator(".due-list")
    expect(due).to_contain_text("Zeugin zurückrufen")
    due.get_by_label(re.compile("^Übergeben an")).select_option(label="Bea Beispiel")
    due.get_by_role("button", name="Übergeben").click()
    expect(page.locator("main")).to_contain_text("Wiedervorlage an Bea Beispiel übergeben.")
    expect(page.locator(".due-list")).not_to_contain_text("Zeugin zurückrufen")
    bea.goto(server.url + "/")
    expect(bea.locator(".due-list")).to_contain_text("Zeugin zurückrufen")
    expect(bea.locator(".due-list")).to_contain_text("übergeben von Anna Beispiel")
    look(bea, "home-handed-over", tmp_path)

    # Two colleagues log a contact at the same time: neither is refused (no 409).
    first, second = page, bea
    for who, note in ((first, "Anruf der Klientin"), (second, "E-Mail an die Kita")):
        who.goto(f"{case_url}/kontakt")
        who.get_by_label("Kanal").select_option(index=1)
        who.get_by_label("Notiz").fill(note)
    for who in (first, second):
        who.get_by_role("button", name="Kontakt speichern").click()
        expect(who.locator("#verlauf .flash-saved")).to_have_text("Gespeichert.")
    expect(second.locator("#verlauf")).to_contain_text("Anruf der Klientin")
    expect(second.locator("#verlauf")).to_contain_text("E-Mail an die Kita")


def test_admin_confirmations_one_click_never_acts(
    server: Server, database_url: str, browser: Any, tmp_path: Path
) -> None:
    page = enrol(server, database_url, browser)  # anna, signed in
    admin = browser.new_page(locale="de-DE", viewport={"width": 1366, "height": 900})
    enrol_at(admin, _user(server, database_url, "chef", "admin"), PASSWORD,
             home="Fallverwaltung für die Antidiskriminierungsberatung")  # fmt: skip
    admin.goto(f"{server.url}/verwaltung/benutzer")
    admin.get_by_role("link", name="anna").click()
    user_page = admin.url

    def anna_signed_in() -> None:
        page.reload()
        expect(page.get_by_role("heading", name="Meine Arbeit")).to_be_visible()

    for opener, yes in (("Zurücksetzen und Link erzeugen", "Ja, Konto zurücksetzen"),
                        ("Alle Sitzungen beenden", "Ja, alle Sitzungen beenden")):  # fmt: skip
        admin.get_by_text(opener, exact=True).click()  # one click: only the question
        expect(admin.get_by_role("button", name=yes)).to_be_visible()
        assert admin.url == user_page
        anna_signed_in()
        admin.reload()
    admin.get_by_label("Aktiv").uncheck()
    admin.get_by_role("button", name="Speichern").click()
    expect(admin.get_by_role("heading", name="Bitte bestätigen")).to_be_visible()
    look(admin, "confirm-disable", tmp_path)
    anna_signed_in()  # still active: the click only asked
    admin.get_by_role("button", name="Ja, Konto deaktivieren").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(re.compile("Benutzer"))
    page.reload()
    expect(page.get_by_role("heading", name="Meine Arbeit")).to_be_hidden()

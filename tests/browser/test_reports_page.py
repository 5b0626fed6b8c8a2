"""Management's reports page in a real browser (issue 10): after a preview has frozen
quarters, the stored-reports and Berichtsstand tables break no word on a desk and stack on a
phone; the revision's confirmation page fits a phone; axe finds nothing at either width."""

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
from tests.browser.test_workspace_pages import _user

pytestmark = pytest.mark.browser

#: Words of the table headers that a line break splits (each word's text has 2+ boxes).
SPLIT_WORDS = """
() => {
  const split = [];
  for (const th of document.querySelectorAll("main table.words th")) {
    const text = th.firstChild;
    if (!text || text.nodeType !== Node.TEXT_NODE) continue;
    const re = /\\S+/g;
    let m;
    while ((m = re.exec(text.data))) {
      const range = document.createRange();
      range.setStart(text, m.index);
      range.setEnd(text, m.index + m[0].length);
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (lines.size > 1) split.push(m[0]);
    }
  }
  return split;
}
"""


def test_reports_page_tables_on_a_desk_and_a_phone(
    server: Server, database_url: str, browser: Any, tmp_path: Path
) -> None:
    cli(server, database_url, "offices", "create", "MG", "--name",
        "Servicestelle für Antidiskriminierungsarbeit Mönchengladbach (SKM Rheydt)")
    cli(server, database_url, "demo", "--cases", "30", "--office", "MG")
    page = browser.new_page(locale="de-DE", viewport={"width": 1366, "height": 900})
    enrol_at(page, _user(server, database_url, "mara", "management"), PASSWORD,
             home="Berichte")  # fmt: skip
    page.goto(server.url + "/berichte")
    page.get_by_label("Zeitraum").fill("2026")
    page.get_by_role("button", name=re.compile("Vorschau")).first.click()
    frozen = page.locator("#frozen-title + p + .table-scroll table")
    expect(frozen).to_be_visible(timeout=300_000)  # the check across releases runs first
    look(page, "reports-frozen", tmp_path)

    page.set_viewport_size({"width": 1366, "height": 900})
    assert page.evaluate(SPLIT_WORDS) == []  # "Eingefrore|n seit", "Revisi|on" before
    page.set_viewport_size({"width": 390, "height": 900})
    cell = frozen.locator("tbody td").first
    expect(cell).to_have_css("display", "block")  # a stacked list, not 6 squeezed columns
    expect(cell).to_have_attribute("data-label", "Beratungsstelle")

    page.set_viewport_size({"width": 1366, "height": 900})
    frozen.get_by_role("link", name="Neuen Berichtsstand übernehmen").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    look(page, "reports-revise", tmp_path)

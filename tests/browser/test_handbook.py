"""The handbook's pictures come from the real interface (issue 16): the chapters name exactly
the pictures the script takes, the script runs, and the app shows the handbook."""

from __future__ import annotations

import re
import struct
import sys
from pathlib import Path

import pytest
from flask import Flask

from tests.browser.conftest import ROOT, chromium_path

HANDBOOK = ROOT / "docs" / "handbuch"
sys.path.insert(0, str(ROOT / "tools"))
import handbook_screenshots  # noqa: E402

NAMES = {shot.name for shot in handbook_screenshots.SHOTS}


def referenced() -> set[str]:
    found: set[str] = set()
    for chapter in HANDBOOK.glob("*.md"):
        found |= set(re.findall(r"\]\(bilder/([a-z0-9-]+)\.png\)", chapter.read_text()))
    return found


def test_the_chapters_show_exactly_the_pictures_the_script_takes() -> None:
    assert referenced() == NAMES
    committed = {p.stem for p in (HANDBOOK / "bilder").glob("*.png")}
    assert committed == NAMES, "run: python tools/handbook_screenshots.py"


def test_every_chapter_is_served_with_its_pictures(app: Flask) -> None:
    from fallstelle.web.handbook import CHAPTERS

    assert {p.stem for p in HANDBOOK.glob("*.md")} == set(CHAPTERS)
    client = app.test_client()
    start = client.get("/anmelden").get_data(as_text=True)
    assert 'href="/hilfe/"' in start  # the footer links it, also before signing in
    for chapter in CHAPTERS:
        page = client.get("/hilfe/" if chapter == "README" else f"/hilfe/{chapter}")
        assert page.status_code == 200, chapter
        for src in re.findall(r'<img[^>]+src="([^"]+)"', page.get_data(as_text=True)):
            assert src.startswith("/hilfe/bilder/")
            assert client.get(src).status_code == 200, src
        for href in re.findall(r'href="(/hilfe/[a-z]+)"', page.get_data(as_text=True)):
            assert client.get(href).status_code == 200, href
    assert client.get("/hilfe/../../etc/passwd").status_code == 404
    assert client.get("/hilfe/bilder/..%2Fberatung.md").status_code == 404


@pytest.mark.browser
def test_the_script_takes_pictures_from_the_running_app(tmp_path: Path) -> None:
    chromium_path()  # skips without Chromium, fails under CI
    written = handbook_screenshots.take(["anmelden", "datenschutz"], tmp_path, cases=5)
    assert [p.name for p in written] == ["anmelden.png", "datenschutz.png"]
    for picture in written:
        head = picture.read_bytes()[:24]
        assert head.startswith(b"\x89PNG")
        width = struct.unpack(">I", head[16:20])[0]
        assert width == handbook_screenshots.DESK

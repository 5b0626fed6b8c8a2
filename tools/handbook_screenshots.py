"""Take the handbook's screenshots from the real application (issue 16).

Run from the repository root (Debian's ``chromium`` and Playwright are needed)::

    python tools/handbook_screenshots.py                 # every picture → docs/handbuch/bilder/
    python tools/handbook_screenshots.py --only start    # some of them
    python tools/handbook_screenshots.py --out /tmp/x    # elsewhere

It builds a throw-away installation with synthetic demo cases (``flask init``, ``flask demo``),
enrols one person per role through the real enrolment pages, starts ``run.py`` and takes each
picture in :data:`SHOTS` in Chromium. Nothing here is pasted by hand: after a change of the
interface, run it again and commit the pictures with the change. ``tests/browser/
test_handbook.py`` checks that the handbook names exactly these pictures and that the script
runs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "handbuch" / "bilder"
PASSWORD = "Ein Handbuch zeigt die echte Oberfläche"  # noqa: S105 - a throw-away installation
DESK, PHONE = 1366, 390


@dataclass(frozen=True)
class Shot:
    """One picture: who takes it, where, at which width, after which steps."""

    name: str
    role: str
    path: str
    width: int = DESK
    steps: Callable[[Any], None] | None = None
    full_page: bool = False


def _first_case(page: Any) -> None:
    page.goto(page.url.split("/faelle")[0] + "/faelle")
    page.locator("table.data tbody a").first.click()
    page.wait_for_load_state()


def _case_subpage(suffix: str) -> Callable[[Any], None]:
    def go(page: Any) -> None:
        _first_case(page)
        page.goto(page.url.split("#")[0].split("?")[0] + suffix)
        page.wait_for_load_state()

    return go


def _correct(page: Any) -> None:
    """The correction page of the first case's contact."""
    _case_subpage("/eintraege")(page)
    row = page.locator("tr", has_text="Kontakt").first
    row.get_by_role("link", name="Berichtigen").click()
    page.wait_for_load_state()


def _history(page: Any) -> None:
    """The history after one correction of a contact's note."""
    _correct(page)
    page.get_by_label("Notiz").fill("Rückruf vereinbart, Unterlagen kommen per Post.")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    _case_subpage("/verlauf")(page)


def _preview(page: Any) -> None:
    page.get_by_label("Zeitraum").fill(str(time.localtime().tm_year))
    # The check across every release runs first: minutes on a loaded machine.
    page.get_by_role("button", name=re.compile("Vorschau")).first.click(timeout=600_000)
    page.wait_for_load_state()
    page.locator("main table").first.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -160)")


def _verify(page: Any) -> None:
    page.get_by_role("button", name=re.compile("prüfen", re.I)).first.click()
    page.wait_for_load_state()


SHOTS = [
    Shot("anmelden", "", "/anmelden"),
    Shot("start-beratung", "counsellor", "/"),
    Shot("faelle", "counsellor", "/faelle"),
    Shot("fall-neu", "counsellor", "/faelle/neu", full_page=True),
    Shot("fall", "counsellor", "/faelle", steps=_first_case),
    Shot("fall-telefon", "counsellor", "/faelle", width=PHONE, steps=_first_case),
    Shot("fall-korrigieren", "counsellor", "/faelle", steps=_correct),
    Shot("fall-verlauf", "counsellor", "/faelle", steps=_history),
    Shot("auskunft", "counsellor", "/faelle", steps=_case_subpage("/auskunft")),
    Shot("taetigkeiten", "counsellor", "/taetigkeiten"),
    Shot("berichte", "management", "/berichte"),
    Shot("bericht-vorschau", "management", "/berichte", steps=_preview),
    Shot("protokoll", "auditor", "/protokoll"),
    Shot("protokoll-pruefen", "auditor", "/protokoll", steps=_verify),
    Shot("benutzer", "admin", "/verwaltung/benutzer"),
    Shot("stellen", "admin", "/verwaltung/stellen"),
    Shot("datenschutz", "admin", "/verwaltung/stellen/{office}/datenschutz", full_page=True),
    Shot("datenschutz-text", "admin", "/verwaltung/stellen/{office}/datenschutz/statistik"),
    Shot("aufbewahrung", "admin", "/verwaltung/stellen/{office}/aufbewahrung"),
    Shot("fristen", "admin", "/verwaltung/fristen"),
]

ACCOUNTS = {
    "counsellor": ("anna", "Anna Beispiel", "counsellor"),
    "management": ("mara", "Mara Leitung", "management"),
    "auditor": ("paul", "Paul Prüfer", "auditor"),
    "admin": ("ada", "Ada Admin", "admin"),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "fallstelle", *args],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout


def _install(base: Path, url: str, cases: int) -> tuple[dict[str, str], dict[str, str]]:
    """An installation with demo cases and one enrolment link per role."""
    env = {
        **os.environ,
        "FALLSTELLE_DATA_DIR": str(base / "data"),
        "FALLSTELLE_KEYS_DIR": str(base / "keys"),
        "FALLSTELLE_DATABASE_URL": "",
        "FALLSTELLE_BASE_URL": url,
        "FALLSTELLE_BCRYPT_ROUNDS": "4",
    }
    _flask(env, "init")
    _flask(env, "offices", "create", "DEMO", "--name", "Servicestelle Beispielstadt (Demo)")
    links = {}
    for role, (username, name, role_code) in ACCOUNTS.items():
        extra = [] if role == "admin" else ["--office", "DEMO"]
        out = _flask(env, "users", "create", username, "--role", role_code, "--name", name,
                     *extra)  # fmt: skip
        found = re.search(r"(http://\S+/einrichten/\S+)", out)
        assert found, out
        links[role] = found.group(1)
    _flask(env, "demo", "--cases", str(cases))  # the counsellor above leads the demo cases
    return env, links


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "run.py", "--port", str(port)], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("run.py did not answer")


def _enrol(browser: Any, link: str) -> Any:
    """A signed-in browser context of a new account, through the real enrolment pages."""
    import pyotp
    from playwright.sync_api import expect

    context = browser.new_context(locale="de-DE", viewport={"width": DESK, "height": 900})
    page = context.new_page()
    page.goto(link)
    page.get_by_label("Neues Passwort").fill(PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(PASSWORD)
    page.get_by_role("button", name="Weiter").click()
    expect(page.locator("#totp-secret")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Sechsstelliger Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Abschließen").click()
    expect(page.locator("main")).to_be_visible()
    page.close()
    return context


def _shrink(picture: Path) -> None:
    """256 colours are plenty for a page of text and a third of the bytes in git."""
    from PIL import Image

    with Image.open(picture) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(picture, optimize=True)


def take(names: list[str] | None, out: Path, cases: int = 300) -> list[Path]:
    """Take the pictures named (all if ``None``) into ``out``; return their paths."""
    from playwright.sync_api import sync_playwright

    chosen = [s for s in SHOTS if names is None or s.name in names]
    unknown = set(names or []) - {s.name for s in SHOTS}
    if unknown:
        raise SystemExit(f"no such picture: {', '.join(sorted(unknown))}")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    out.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    written = []
    with tempfile.TemporaryDirectory(prefix="fallstelle-handbook-") as tmp:
        env, links = _install(Path(tmp), url, cases)
        server = _serve(env, port)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
                contexts = {r: _enrol(browser, links[r]) for r in {s.role for s in chosen} if r}
                anonymous = browser.new_context(locale="de-DE")
                for shot in chosen:
                    context = contexts.get(shot.role, anonymous)
                    page = context.new_page()
                    page.set_viewport_size({"width": shot.width, "height": 900})
                    page.goto(url + shot.path.replace("{office}", "1"))
                    if shot.steps is not None:
                        shot.steps(page)
                    target = out / f"{shot.name}.png"
                    page.screenshot(path=str(target), full_page=shot.full_page)
                    _shrink(target)
                    written.append(target)
                    page.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="names of pictures (default: all)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--cases", type=int, default=300)
    options = parser.parse_args()
    for path in take(options.only, options.out, options.cases):
        print(path)


if __name__ == "__main__":
    main()

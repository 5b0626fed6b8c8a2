"""A real server (``python run.py``) and the system Chromium driven by Playwright.

``playwright install`` cannot download browsers here; the tests use Debian's ``chromium``
package through ``executable_path``. Without it they skip, except under ``CI=true``, where a
missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM_ARGS = [
    "--lang=de-DE",  # date fields as TT.MM.JJJJ, as German users see them
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if IN_CI:
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    output: list[str]
    data_dir: Path
    keys_dir: Path


def start_server(
    tmp: Path, database_url: str, env: dict[str, str] | None = None, args: tuple[str, ...] = ()
) -> Server:
    """Start ``run.py`` on a free port of 127.0.0.1 (``env`` adds or overrides variables,
    ``args`` are more options, e.g. ``("--workers", "2")``)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FALLSTELLE_DATA_DIR": str(tmp / "data"),
        "FALLSTELLE_KEYS_DIR": str(tmp / "keys"),
        "FALLSTELLE_DATABASE_URL": database_url,
        "FALLSTELLE_BASE_URL": url,
        **(env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "--port", str(port), *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []

    def _read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)

    threading.Thread(target=_read, daemon=True).start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            time.sleep(0.2)
            raise AssertionError(f"run.py exited with {process.returncode}: {''.join(output)}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise AssertionError("run.py did not answer within 30 s")
    return Server(url, process, output, tmp / "data", tmp / "keys")


def stop_server(server: Server) -> str:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    time.sleep(0.2)  # let the reader thread take the last lines
    return "".join(server.output)


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    running = start_server(tmp_path, database_url)
    yield running
    stop_server(running)


@pytest.fixture
def browser() -> Iterator[object]:
    executable = chromium_path()
    from playwright.sync_api import expect, sync_playwright

    # Generous for a loaded machine; a passing check returns as soon as it holds.
    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def enrol(page: Any, link: str, password: str, home: str = "Meine Arbeit") -> None:
    """Set up an account through the real enrolment pages, ending signed in on the home page
    (``home``: its heading; an administrator's differs from a counsellor's)."""
    import pyotp
    from playwright.sync_api import expect

    page.goto(link)
    page.get_by_label("Neues Passwort").fill(password)
    page.get_by_label("Passwort wiederholen").fill(password)
    page.get_by_role("button", name="Weiter").click()
    expect(page.locator("#totp-secret")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Sechsstelliger Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Abschließen").click()
    expect(page.get_by_role("heading", name=home)).to_be_visible()

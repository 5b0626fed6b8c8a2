"""Licence, version and changelog: one version, written once, shown everywhere."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from flask.testing import FlaskClient

import fallstelle

ROOT = Path(__file__).resolve().parents[1]
#: SHA-256 of the SPDX text of AGPL-3.0-or-later as npm's spdx-license-list 6.12.0 carries
#: it (licenses/AGPL-3.0-or-later.json, "licenseText"), with a final newline.
LICENSE_SHA256 = "d8a6cc31abc16b6748c7a21f21611f5a1ec33f67d22ca23d7da1c19b95496bee"


def test_license_is_the_exact_agpl_text() -> None:
    text = (ROOT / "LICENSE").read_bytes()
    assert hashlib.sha256(text).hexdigest() == LICENSE_SHA256
    assert text.startswith(b"GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007")


def test_pyproject_names_the_licence_and_reads_the_one_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "AGPL-3.0-or-later"
    assert project["project"]["dynamic"] == ["version"]
    assert "version" not in project["project"]
    attr = project["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "fallstelle.__version__"


def test_changelog_has_an_entry_for_this_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.M)
    version = fallstelle.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+)?", version)
    # A development version lives under "Unreleased"; a release has its own dated heading.
    expected = "Unreleased" if ".dev" in version else version
    assert headings[0] == expected
    assert all(re.search(rf"^## \[{re.escape(h)}\] - \d{{4}}-\d\d-\d\d$", text, re.M)
               for h in headings[1:])  # fmt: skip


def test_footer_shows_the_version(client: FlaskClient) -> None:
    page = client.get("/anmelden").get_data(as_text=True)
    assert f"Version {fallstelle.__version__}" in page
    assert "AGPL-3.0-or-later" in page


def test_run_py_and_flask_print_the_version() -> None:
    want = f"fallstelle {fallstelle.__version__}\n"
    for args in (["run.py", "--version"], ["-m", "flask", "--app", "fallstelle", "version"]):
        done = subprocess.run(
            [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert (done.returncode, done.stdout) == (0, want), done.stderr

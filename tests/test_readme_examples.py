"""The README's shell examples, run in the order printed, on a fresh installation.

A copy of the checkout (the files git would clone) stands in for a fresh clone. The first
block (install and start) is played by starting ``python run.py`` there, as the README's
reader does; every later ``sh`` block then runs as written, line by line with ``bash -e``,
except the blocks of "Test it" (that is this suite) and "Betrieb / Operating it" (root on a
server: ``tests/deploy`` checks those files). On PostgreSQL the examples run against the
test's own schema through ``FALLSTELLE_DATABASE_URL``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.browser.conftest import Server as Running
from tests.browser.conftest import free_port, stop_server

ROOT = Path(__file__).resolve().parents[1]
RUN_BLOCK = (
    "python3 -m venv .venv && . .venv/bin/activate && "
    "python -m pip install -r requirements.txt && python run.py"
)
NOT_RUN_HERE = {"Test it", "Betrieb / Operating it"}


def sh_blocks(readme: str) -> list[tuple[str, str]]:
    """Return ``(section, code)`` of every ``sh`` block, in order."""
    blocks: list[tuple[str, str]] = []
    section = ""
    for match in re.finditer(r"^## ([^\n]+)$|^```sh\n(.*?)^```$", readme, re.M | re.S):
        if match[1]:
            section = match[1].strip()
        else:
            blocks.append((section, match[2]))
    return blocks


def fresh_clone(target: Path) -> Path:
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_the_readme_examples_run_in_order(tmp_path: Path, database_url: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = sh_blocks(readme)
    assert blocks[0] == ("Run it", RUN_BLOCK + "\n")
    checkout = fresh_clone(tmp_path / "fallstelle")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FALLSTELLE_", "FLASK_"))}
    env |= {
        "HOME": str(home),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    }
    if database_url.startswith("postgresql"):
        env["FALLSTELLE_DATABASE_URL"] = database_url

    # "Run it": the first start creates keys and database and prints the first admin's link.
    port = free_port()
    env["FALLSTELLE_BASE_URL"] = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "run.py", "--port", str(port)], cwd=checkout, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    output: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)
        if "serving on" in line or len(output) > 50:
            break
    out = stop_server(Running("", process, output, checkout, checkout))
    assert "created keys" in out and "/einrichten/" in out, out
    del env["FALLSTELLE_BASE_URL"]  # the examples run with the README's defaults

    ran = 0
    for section, code in blocks[1:]:
        if section in NOT_RUN_HERE:
            continue
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", code], cwd=checkout, env=env,
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, f"README, {section}:\n{code}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr
        ran += 1
    assert ran >= 3
    assert (home / "berichte" / "bericht-2026.pdf").read_bytes().startswith(b"%PDF-")
    # Nothing the examples made is left for git to pick up in the checkout.
    assert not list(checkout.glob("*.csv")) and not list(checkout.glob("*.pdf"))

"""One installation per checkout: run.py started from another directory uses the checkout's
data and keys, and never creates a second installation where it was started (issue 12)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.browser.conftest import ROOT, free_port


def test_run_py_from_another_directory_uses_the_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copy2(ROOT / "run.py", checkout / "run.py")
    shutil.copytree(ROOT / "fallstelle", checkout / "fallstelle",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("FALLSTELLE_DATA_DIR", "FALLSTELLE_KEYS_DIR", "FALLSTELLE_DATABASE_URL",
                        "PYTHONPATH")}  # fmt: skip
    port = free_port()
    env["FALLSTELLE_BASE_URL"] = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, str(checkout / "run.py"), "--port", str(port)], cwd=elsewhere, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        database = checkout / "instance" / "fallstelle.db"
        while time.monotonic() < deadline and not database.exists():
            time.sleep(0.2)
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=30)
    assert (checkout / "instance" / "fallstelle.db").exists(), out
    assert (checkout / "keys" / "keyring.json").exists()
    assert list(elsewhere.iterdir()) == []

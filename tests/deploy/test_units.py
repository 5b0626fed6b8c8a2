"""The shipped systemd units and Caddyfile: valid, hardened, and naming what exists (SD-16).

``systemd-analyze`` (Debian's ``systemd`` package) checks the unit files offline; the
commands they run are checked against the application itself, so a renamed command or
option fails here. Without the tools the tests skip, except under ``CI=true``.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
IN_CI = os.environ.get("CI", "").lower() == "true"
UNITS = ("fallstelle.service", "fallstelle-nightly.service", "fallstelle-nightly.timer")
#: Accepted ``systemd-analyze security`` exposure (0 = locked down, 10 = none); the service
#: scores 1.5 (systemd 252).
MAX_EXPOSURE = 2.0


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if IN_CI:
            pytest.fail(f"{name} is not installed")
        pytest.skip(f"{name} is not installed")
    return found


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8"))
    return parser


def exec_lines(name: str) -> list[list[str]]:
    text = (DEPLOY / name).read_text(encoding="utf-8")
    return [shlex.split(line.split("=", 1)[1]) for line in text.splitlines()
            if line.startswith("ExecStart=")]  # fmt: skip


def test_units_are_valid(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    for name in UNITS:
        shutil.copy(DEPLOY / name, tmp_path / name)
    done = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / n) for n in UNITS)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    problems = [
        line for line in done.stderr.splitlines()
        # The program is not installed on the test machine at /opt/fallstelle.
        if not re.search(r"Command /opt/fallstelle/\S+ is not executable", line)
    ]  # fmt: skip
    assert problems == []


def test_service_is_hardened(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    shutil.copy(DEPLOY / "fallstelle.service", tmp_path / "fallstelle.service")
    done = subprocess.run(
        [analyze, "security", "--offline=yes", "--no-pager", str(tmp_path / "fallstelle.service")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    level = re.search(r"Overall exposure level for fallstelle.service: ([\d.]+)", done.stdout)
    assert level, done.stdout + done.stderr
    assert float(level[1]) <= MAX_EXPOSURE
    service = unit("fallstelle.service")["Service"]
    assert service["User"] == "fallstelle" and service["NoNewPrivileges"] == "yes"
    assert service["RestartPreventExitStatus"] == "78"  # a refusal is not retried
    assert service["UMask"] == "0077"


def test_service_serves_with_run_py_behind_the_proxy() -> None:
    (command,) = exec_lines("fallstelle.service")
    assert command[1:] == ["run.py", "--host", "127.0.0.1", "--port", "8093"]
    env = (DEPLOY / "fallstelle.env").read_text(encoding="utf-8")
    assert "FALLSTELLE_TRUSTED_PROXY=127.0.0.1\n" in env and "FALLSTELLE_HTTPS=1\n" in env
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy 127.0.0.1:8093\n" in caddy
    base = re.search(r"^FALLSTELLE_BASE_URL=https://(\S+)$", env, re.M)
    assert base and f"\n{base[1]} {{\n" in caddy


@pytest.mark.parametrize("index", [0, 1])
def test_nightly_commands_exist(index: int) -> None:
    command = exec_lines("fallstelle-nightly.service")[index]
    assert command[:3] == ["/opt/fallstelle/.venv/bin/flask", "--app", "fallstelle"]
    words = [w for w in command[3:] if not w.startswith("-") and not w.startswith("/")]
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "fallstelle", *words, "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for option in (w for w in command[3:] if w.startswith("--")):
        assert option in done.stdout


def test_timer_runs_nightly_and_catches_up() -> None:
    timer = unit("fallstelle-nightly.timer")["Timer"]
    assert timer["OnCalendar"] == "*-*-* 02:30:00" and timer["Persistent"] == "true"


def test_caddyfile_is_valid_and_formatted(tmp_path: Path) -> None:
    caddy = tool("caddy")
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    done = subprocess.run(
        [caddy, "validate", "--adapter", "caddyfile", "--config", str(DEPLOY / "Caddyfile")],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    formatted = subprocess.run(
        [caddy, "fmt", str(DEPLOY / "Caddyfile")],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert formatted.stdout == (DEPLOY / "Caddyfile").read_text(encoding="utf-8")


def test_the_cli_wrapper_runs_flask_as_the_service_user() -> None:
    wrapper = DEPLOY / "fallstelle"
    assert os.access(wrapper, os.X_OK)
    assert subprocess.run(["sh", "-n", str(wrapper)], timeout=30).returncode == 0
    text = wrapper.read_text(encoding="utf-8")
    assert "runuser -u fallstelle" in text and ". /etc/fallstelle/fallstelle.env" in text
    assert '/opt/fallstelle/.venv/bin/flask --app fallstelle "$@"' in text

"""Serving: a taken port, Flask's own ``run`` refused, links and the base-URL warning."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from fallstelle import create_app
from fallstelle.cli.serve import EX_UNAVAILABLE, RUN_REFUSAL, SERVED_AT, base_url_problem
from fallstelle.config import Settings
from tests.browser.conftest import ROOT, start_server, stop_server


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_a_port_in_use_is_one_line(tmp_path: Path, database_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run("run.py", "--port", str(port), env={
            "FALLSTELLE_DATA_DIR": str(tmp_path / "data"),
            "FALLSTELLE_KEYS_DIR": str(tmp_path / "keys"),
            "FALLSTELLE_DATABASE_URL": database_url,
            "FALLSTELLE_BASE_URL": f"http://127.0.0.1:{port}",
        })  # fmt: skip
    assert done.returncode == EX_UNAVAILABLE
    assert done.stderr == (
        f"fallstelle: cannot listen on 127.0.0.1:{port}: address already in use "
        "(another program listens there: stop it or choose --port)\n"
    )
    assert "serving" not in done.stdout and "/einrichten/" not in done.stdout


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_flask_run_refuses_and_points_to_run_py(debug: list[str]) -> None:
    done = run("-m", "flask", "--app", "fallstelle", *debug, "run", "--port", "1")
    assert (done.returncode, done.stdout, done.stderr) == (2, "", RUN_REFUSAL + "\n")


def test_flask_help_lists_run_as_refused() -> None:
    done = run("-m", "flask", "--app", "fallstelle", "--help")
    line = next(ln for ln in done.stdout.splitlines() if ln.strip().startswith("run "))
    assert "Refused: serve with `python run.py`" in line
    assert "development server." not in line.replace("never Flask's development", "")


def test_the_app_never_runs_in_debug_mode(
    initialised: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert create_app(initialised).debug is False


def _settings(base: str, *, proxy: str | None = None, https: bool = False) -> Settings:
    return Settings(Path("/d"), Path("/k"), "sqlite:///x", base_url=base, trusted_proxy=proxy,
                    https=https)  # fmt: skip


@pytest.mark.parametrize(
    ("base", "host", "port", "problem"),
    [
        ("http://127.0.0.1:5000", "127.0.0.1", 5000, None),
        ("http://localhost:5000", "127.0.0.1", 5000, None),
        ("http://fallstelle.local:8093", "0.0.0.0", 8093, None),  # noqa: S104
        ("http://192.168.1.20:8093", "192.168.1.20", 8093, None),
        # The cases of issue 16: users create printed port 5000, the server ran on 8093 ...
        ("http://127.0.0.1:5000", "127.0.0.1", 8093, "names port 5000"),
        # ... and with --host 0.0.0.0 a link to 127.0.0.1 reaches only this computer.
        ("http://127.0.0.1:8093", "0.0.0.0", 8093, "only this computer"),  # noqa: S104
        ("http://fallstelle.local", "127.0.0.1", 80, "does not reach"),
        ("http://192.168.1.21:8093", "192.168.1.20", 8093, "does not reach"),
        ("https://fallstelle.example.org", "127.0.0.1", 443, "no TLS proxy"),
    ],
)
def test_base_url_problem(base: str, host: str, port: int, problem: str | None) -> None:
    found = base_url_problem(_settings(base), host, port)
    assert (found is None) if problem is None else (problem in (found or "")), found


def test_behind_a_proxy_the_base_url_is_the_public_one() -> None:
    public = _settings("https://fallstelle.example.org", proxy="127.0.0.1", https=True)
    assert base_url_problem(public, "127.0.0.1", 8093) is None
    plain = replace(public, base_url="http://fallstelle.example.org")
    assert "not https" in (base_url_problem(plain, "127.0.0.1", 8093) or "")


def test_run_py_warns_and_prints_links_under_the_base_url(
    tmp_path: Path, database_url: str
) -> None:
    server = start_server(
        tmp_path, database_url, env={"FALLSTELLE_BASE_URL": "http://127.0.0.1:5000"}
    )
    out = stop_server(server)
    port = server.url.rsplit(":", 1)[1]
    assert re.search(r"^  http://127\.0\.0\.1:5000/einrichten/[\w-]{43}$", out, re.M), out
    assert (
        "fallstelle: warning: FALLSTELLE_BASE_URL http://127.0.0.1:5000 names port 5000, but "
        f"the server listens on port {port}; links printed here and by `flask --app fallstelle "
        "users …` will not work. Set FALLSTELLE_BASE_URL to the address people open.\n"
    ) in out


def test_run_py_without_base_url_prints_links_where_it_listens(
    tmp_path: Path, database_url: str
) -> None:
    """Without FALLSTELLE_BASE_URL the link names the port really listened on (issue 11),
    and the address is noted for the CLI's links."""
    server = start_server(tmp_path, database_url, env={"FALLSTELLE_BASE_URL": ""})
    out = stop_server(server)
    link = re.escape(server.url) + r"/einrichten/[\w-]{43}"
    assert re.search(rf"^  {link}$", out, re.M), out
    assert "warning" not in out
    assert (tmp_path / "data" / SERVED_AT).read_text() == server.url + "\n"


def test_run_py_prints_its_version() -> None:
    done = run("run.py", "--version")
    assert done.returncode == 0 and done.stdout.startswith("fallstelle ")

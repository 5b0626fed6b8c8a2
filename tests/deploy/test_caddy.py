"""The app behind a real Caddy (Debian's package) with the shipped ``deploy/Caddyfile``.

Only the site name, the upstream port and ``tls internal`` are changed for the test (Caddy's
own authority instead of Let's Encrypt; nothing leaves the machine). The client connects
from 127.0.0.2, a loopback address that is not the proxy's, so the test sees which address
the app records: Caddy's (wrong) or the client's from ``X-Forwarded-For`` (right), also when
the client sends a forged ``X-Forwarded-For`` of its own. Without ``caddy`` the test skips,
except under ``CI=true`` (``.ci/run`` installs it).
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from fallstelle import crypto
from fallstelle.audit.models import AuditEvent
from fallstelle.auth import throttle
from fallstelle.config import Settings
from fallstelle.store import open_store
from fallstelle.web.security import HSTS
from tests.browser.conftest import ROOT, Server, free_port, start_server, stop_server

IN_CI = os.environ.get("CI", "").lower() == "true"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
SITE, UPSTREAM = "fallstelle.example.org", "127.0.0.1:8093"
CLIENT = "127.0.0.2"  # the browser's address; Caddy itself talks to the app from 127.0.0.1


@dataclass
class Proxy:
    base: str
    port: int
    context: ssl.SSLContext
    process: subprocess.Popen[bytes]


def caddy_config(https_port: int, http_port: int, app_port: int, storage: Path) -> str:
    shipped = CADDYFILE.read_text(encoding="utf-8")
    assert shipped.count(f"{SITE} {{") == 1 and shipped.count(UPSTREAM) == 1
    site = shipped.replace(f"{SITE} {{", f"localhost:{https_port} {{\n\ttls internal", 1)
    site = site.replace(UPSTREAM, f"127.0.0.1:{app_port}")
    return (
        "{\n\tadmin off\n\tskip_install_trust\n"
        f"\thttp_port {http_port}\n\thttps_port {https_port}\n"
        f"\tstorage file_system {storage}\n}}\n\n{site}"
    )


def start_caddy(tmp: Path, app_port: int, https_port: int) -> Proxy:
    executable = shutil.which("caddy")
    if executable is None:
        if IN_CI:
            pytest.fail("caddy is not installed (apt-get install caddy)")
        pytest.skip("caddy is not installed")
    http_port = free_port()
    storage = tmp / "caddy"
    config = tmp / "Caddyfile"
    config.write_text(caddy_config(https_port, http_port, app_port, storage), encoding="utf-8")
    env = {**os.environ, "HOME": str(tmp), "XDG_DATA_HOME": str(tmp), "XDG_CONFIG_HOME": str(tmp)}
    process = subprocess.Popen(
        [executable, "run", "--adapter", "caddyfile", "--config", str(config)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    root = storage / "pki" / "authorities" / "local" / "root.crt"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"caddy exited with {process.returncode}")
        if root.exists():
            context = ssl.create_default_context(cafile=str(root))
            try:
                conn = http.client.HTTPSConnection(
                    "localhost", https_port, context=context, timeout=2
                )
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    return Proxy(f"https://localhost:{https_port}", https_port, context, process)
            except (OSError, ssl.SSLError):
                pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError("caddy did not answer within 30 s")


@pytest.fixture
def behind_caddy(tmp_path: Path, database_url: str) -> Iterator[tuple[Server, Proxy]]:
    https_port = free_port()  # reserved first, so the app can be told its public address
    server = start_server(
        tmp_path,
        database_url,
        env={
            "FALLSTELLE_BASE_URL": f"https://localhost:{https_port}",
            "FALLSTELLE_TRUSTED_PROXY": "127.0.0.1",
            "FALLSTELLE_HTTPS": "1",
            "FALLSTELLE_BCRYPT_ROUNDS": "4",
        },
    )
    app_port = int(server.url.rsplit(":", 1)[1])
    proxy: Proxy | None = None
    try:
        proxy = start_caddy(tmp_path, app_port, https_port)
        yield server, proxy
    finally:
        if proxy is not None:
            proxy.process.terminate()
            proxy.process.wait(timeout=10)
        stop_server(server)


def request(
    proxy: Proxy, method: str, path: str, *, body: str | None = None,
    headers: dict[str, str] | None = None,
) -> http.client.HTTPResponse:  # fmt: skip
    """One request through Caddy from the client's own address."""
    conn = http.client.HTTPSConnection(
        "localhost", proxy.port, context=proxy.context, timeout=10, source_address=(CLIENT, 0)
    )
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    response.read()
    return response


def test_the_app_behind_caddy(
    behind_caddy: tuple[Server, Proxy], tmp_path: Path, database_url: str
) -> None:
    server, proxy = behind_caddy
    # Links printed carry the public address, and it works through the proxy.
    printed = "".join(server.output)
    link = re.search(r"(https://\S+/einrichten/[\w-]+)", printed)
    assert link and link.group(1).startswith(proxy.base + "/einrichten/"), printed
    assert request(proxy, "GET", link.group(1).removeprefix(proxy.base)).status == 200
    assert "warning" not in printed  # the base URL fits a proxied installation

    # HSTS and Secure cookies (FALLSTELLE_HTTPS=1, the scheme from X-Forwarded-Proto).
    conn = http.client.HTTPSConnection(
        "localhost", proxy.port, context=proxy.context, timeout=10, source_address=(CLIENT, 0)
    )
    conn.request("GET", "/anmelden")
    page = conn.getresponse()
    html = page.read().decode()
    assert page.status == 200
    assert page.getheader("Strict-Transport-Security") == HSTS
    cookie = page.getheader("Set-Cookie") or ""
    assert cookie.startswith("__Host-") and "; Secure" in cookie and "; HttpOnly" in cookie
    assert page.getheader("Server") is None

    # The client address the app records is the client's, even when it forges its own header.
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert token
    conn.request(
        "POST",
        "/anmelden",
        body=urlencode({"username": "niemand", "password": "falsch", "csrf_token": token[1]}),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie.split(";", 1)[0],
            "X-Forwarded-For": "203.0.113.9",
        },
    )
    assert conn.getresponse().status == 401
    settings = Settings(tmp_path / "data", tmp_path / "keys", database_url)
    store = open_store(settings)
    try:
        with store.sessions() as session:
            clients = session.scalars(
                select(AuditEvent.client).where(AuditEvent.action == "auth.login")
            ).all()
        secret = crypto.derive_key(store.keys.pepper, "client-address")
    finally:
        store.engine.dispose()
    assert clients == [throttle.client_key(secret, CLIENT)]

    # One request log line per request, without addresses or paths.
    time.sleep(0.3)
    log = "".join(server.output)
    assert re.search(r"request id=[0-9a-f]{16} method=POST endpoint=auth.login status=401", log)
    assert (
        CLIENT not in log
        and "203.0.113.9" not in log
        and "/einrichten/" not in log.split("serving on", 1)[1]
    )

"""Serving: ``python run.py`` listens with waitress; ``flask run`` refuses.

* :func:`listen` binds the port before anything is printed as served: a port in use is one
  line on stderr and exit code 69 (EX_UNAVAILABLE), never a traceback. systemd restarts the
  unit after that code (the old process may still be stopping), but not after a refusal (78).
* :func:`base_url_problem` compares ``FALLSTELLE_BASE_URL`` (the address in every printed
  link) with where the server listens, so ``run.py`` can warn at start instead of printing
  links that lead nowhere.
* Flask's ``run`` command would start Werkzeug's development server (with ``--debug`` its
  interactive debugger, which runs any code a visitor types). :func:`replace_flask_run`
  swaps it for :data:`run_refused`, which says to use ``python run.py``.

Imports no ``web`` module: the app arrives as a parameter.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from dataclasses import replace
from typing import Any, NoReturn
from urllib.parse import urlsplit

import click
from flask import Flask
from flask.cli import run_command as flask_run_command

from fallstelle.config import Settings

#: sysexits.h EX_UNAVAILABLE: the port is taken; worth a retry, unlike a refusal (78).
EX_UNAVAILABLE = 69
#: Exit code of the refused ``flask run`` (click's usage-error code).
EX_REFUSED_RUN = 2
RUN_REFUSAL = (
    "fallstelle: `flask run` is Flask's development server and never serves fallstelle; "
    "start it with `python run.py` (README: Run it / Betrieb)"
)
WILDCARD = {"", "0.0.0.0", "::"}  # noqa: S104 - names the wildcard, binds nothing


def proxy_adjustments(settings: Settings) -> dict[str, Any]:
    """waitress's settings for a trusted proxy (none without ``FALLSTELLE_TRUSTED_PROXY``)."""
    if not settings.trusted_proxy:
        return {}
    # The client address for throttling and the scheme for cookies come from the proxy.
    return {
        "trusted_proxy": settings.trusted_proxy,
        "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
        "clear_untrusted_proxy_headers": True,
    }


def listen(app: Flask, settings: Settings, host: str, port: int, threads: int) -> Any:
    """Bind ``host:port`` and return the waitress server (``.run()`` serves).

    Exits with one line on stderr and :data:`EX_UNAVAILABLE` when the address cannot be
    bound (in use, not an address of this machine, no permission).
    """
    from waitress.server import create_server

    proxy = proxy_adjustments(settings)
    try:
        return create_server(
            app, host=host, port=port, threads=threads, ident="fallstelle", **proxy
        )
    except OSError as exc:
        refuse_port(exc, host, port)


def refuse_port(exc: OSError, host: str, port: int) -> NoReturn:
    """Say in one line why ``host:port`` cannot be listened on; exit :data:`EX_UNAVAILABLE`."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    hint = " (another program listens there: stop it or choose --port)"
    click.echo(
        f"fallstelle: cannot listen on {host}:{port}: {reason.lower()}"
        + (hint if "in use" in reason.lower() else ""),
        err=True,
    )
    sys.exit(EX_UNAVAILABLE)


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return None


def _is_loopback(name: str) -> bool:
    found = _ip(name)
    return name == "localhost" or (found is not None and found.is_loopback)


def base_url_problem(settings: Settings, host: str, port: int) -> str | None:
    """Say why links to ``settings.base_url`` would not reach a server on ``host:port``.

    Behind a trusted proxy the base URL is the proxy's public address and may differ; it
    must then be https when ``FALLSTELLE_HTTPS=1``. Serving directly, it must name the port
    listened on and a host that reaches it. Returns None when nothing is wrong.
    """
    base = settings.base_url
    url = urlsplit(base)
    if settings.trusted_proxy:
        if settings.https and url.scheme != "https":
            return f"FALLSTELLE_BASE_URL {base} is not https although FALLSTELLE_HTTPS=1"
        return None
    if url.scheme == "https":
        return (
            f"FALLSTELLE_BASE_URL {base} is https, but this server speaks plain http on "
            f"{host}:{port} and no TLS proxy is set (FALLSTELLE_TRUSTED_PROXY)"
        )
    hostname = url.hostname or ""
    if (url.port or 80) != port:
        return (
            f"FALLSTELLE_BASE_URL {base} names port {url.port or 80}, but the server "
            f"listens on port {port}"
        )
    if host in WILDCARD:
        if _is_loopback(hostname):
            return (
                f"FALLSTELLE_BASE_URL {base} names {hostname}, which only this computer "
                f"reaches, but the server listens on every address ({host or '*'}:{port})"
            )
        return None
    if _is_loopback(host) != _is_loopback(hostname):
        return f"FALLSTELLE_BASE_URL {base} does not reach the server on {host}:{port}"
    listened, named = _ip(host), _ip(hostname)
    if listened is not None and named is not None and listened != named:
        return f"FALLSTELLE_BASE_URL {base} does not reach the server on {host}:{port}"
    return None


#: File in the data directory naming the address ``run.py`` last served at (for the CLI).
SERVED_AT = "served-at"


def served_settings(settings: Settings, host: str, port: int) -> Settings:
    """Return the settings with the address this server really uses as ``base_url``.

    An explicit ``FALLSTELLE_BASE_URL`` wins (a proxy's public address; a mismatch is
    warned about, :func:`base_url_warning`). Without it the links name the host and port
    listened on (the machine's name when listening on every address), never a default
    that leads nowhere (issue 11).
    """
    if settings.base_url_set:
        return settings
    name = socket.gethostname() if host in WILDCARD else host
    if ":" in name:  # an IPv6 address
        name = f"[{name.strip('[]')}]"
    return replace(settings, base_url=f"http://{name}:{port}", base_url_set=True)


def record_served_at(settings: Settings) -> None:
    """Note the address served at in the data directory, for links the CLI prints later."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = settings.data_dir / SERVED_AT
    temp = path.with_name(path.name + ".tmp")
    temp.unlink(missing_ok=True)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(settings.base_url + "\n")
    os.replace(temp, path)


def link_base(settings: Settings) -> str:
    """Return the address a link printed by the CLI starts with.

    ``FALLSTELLE_BASE_URL`` when given; else where ``run.py`` last served (its
    ``served-at`` file); else the default.
    """
    if settings.base_url_set:
        return settings.base_url
    try:
        noted = (settings.data_dir / SERVED_AT).read_text("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return settings.base_url
    valid = noted.startswith("http://") and not any(c in noted for c in " ?#")
    return noted if valid else settings.base_url


def base_url_warning(settings: Settings, host: str, port: int) -> str | None:
    """Return the start-up warning line for :func:`base_url_problem`, or None."""
    problem = base_url_problem(settings, host, port)
    if problem is None:
        return None
    return (
        f"fallstelle: warning: {problem}; links printed here and by `flask --app fallstelle "
        "users …` will not work. Set FALLSTELLE_BASE_URL to the address people open."
    )


@click.command(
    "run",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("ignored", nargs=-1, type=click.UNPROCESSED)
def run_refused(ignored: tuple[str, ...]) -> NoReturn:
    """Refused: serve with `python run.py`, never Flask's development server."""
    refuse_flask_run()


def refuse_flask_run() -> NoReturn:
    click.echo(RUN_REFUSAL, err=True)
    sys.exit(EX_REFUSED_RUN)


def replace_flask_run() -> None:
    """Put :data:`run_refused` in place of Flask's ``run`` in the ``flask`` command.

    Flask looks up its own ``run`` before it loads the app, so ``flask --app fallstelle run``
    still calls Flask's command; that command loads the app first, and this refuses then,
    before a development server (or its debugger) exists. Called while the app is built.
    """
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return
    if ctx.command is flask_run_command:
        refuse_flask_run()
    root = ctx.find_root().command
    if isinstance(root, click.Group) and root.commands.get("run") is flask_run_command:
        root.commands["run"] = run_refused

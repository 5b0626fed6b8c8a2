"""``users`` and ``offices`` commands: links, listing, disabling, clear refusals."""

from __future__ import annotations

import re
from dataclasses import replace

from flask import Flask
from sqlalchemy import func, select

from fallstelle import create_app
from fallstelle.audit.models import AuditEvent
from fallstelle.auth.models import User
from fallstelle.cli import serve
from fallstelle.config import Settings
from fallstelle.runtime import get_runtime


def invoke(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def user_count(app: Flask) -> int:
    with get_runtime(app).open(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def test_create_office_and_user_prints_a_working_link(app: Flask) -> None:
    assert invoke(app, "offices", "create", "mg", "--name", "Servicestelle MG") == (
        0,
        "Created office MG.\n",
    )
    code, out = invoke(app, "users", "create", "anna", "--role", "counsellor", "--office", "MG")
    assert code == 0, out
    link = re.search(r"http://127\.0\.0\.1:5000(/einrichten/\S+)", out)
    assert link
    assert app.test_client().get(link.group(1)).status_code == 200
    code, out = invoke(app, "users", "list")
    assert out == "username\troles\toffices\tstatus\nanna\tcounsellor\tMG\tlink sent\n"
    code, out = invoke(app, "offices", "list")
    assert out.startswith("code\tname\tprovider\tvisibility\nMG\tServicestelle MG")


def test_empty_lists_say_how_to_fill_them(app: Flask) -> None:
    assert invoke(app, "users", "list") == (
        0,
        "No accounts yet: `flask --app fallstelle users create NAME --role ROLE`.\n",
    )
    assert "offices create" in invoke(app, "offices", "list")[1]


def test_links_carry_the_base_url(initialised: Settings) -> None:
    base = "https://fallstelle.example.org/"
    app = create_app(replace(initialised, base_url=base.rstrip("/")))
    code, out = invoke(app, "users", "create", "ben", "--role", "admin")
    assert code == 0
    assert re.search(r"^https://fallstelle\.example\.org/einrichten/[\w-]{43}$", out, re.M), out
    code, out = invoke(app, "users", "reset", "ben")
    assert re.search(r"^https://fallstelle\.example\.org/einrichten/[\w-]{43}$", out, re.M), out
    get_runtime(app).open(app).engine.dispose()


def test_without_base_url_cli_links_name_where_the_server_listens(
    initialised: Settings,
) -> None:
    """No FALLSTELLE_BASE_URL: a CLI link carries the host and port ``run.py`` served at
    (its ``served-at`` note), never the default port that leads nowhere (issue 11)."""
    settings = serve.served_settings(
        replace(initialised, base_url_set=False), "192.0.2.7", 8093
    )
    assert settings.base_url == "http://192.0.2.7:8093"
    serve.record_served_at(settings)
    assert (initialised.data_dir / serve.SERVED_AT).stat().st_mode & 0o077 == 0
    app = create_app(replace(initialised, base_url_set=False))
    code, out = invoke(app, "users", "create", "ben", "--role", "admin")
    assert code == 0
    assert re.search(r"^http://192\.0\.2\.7:8093/einrichten/[\w-]{43}$", out, re.M), out
    get_runtime(app).open(app).engine.dispose()
    # an explicit FALLSTELLE_BASE_URL always wins
    assert serve.link_base(replace(initialised, base_url="https://x.example")) == (
        "https://x.example"
    )


def test_disable_reset_enable(app: Flask) -> None:
    invoke(app, "users", "create", "datenschutz", "--role", "auditor")
    assert invoke(app, "users", "disable", "datenschutz")[0] == 0
    assert invoke(app, "users", "list")[1].endswith("disabled\n")
    result = app.test_cli_runner().invoke(args=["users", "reset", "datenschutz"])
    assert result.exit_code == 0 and "/einrichten/" in result.stdout
    # A link for a disabled account says what the person can and cannot do with it.
    assert "is disabled" in result.stderr
    assert "`flask --app fallstelle users enable datenschutz`" in result.stderr
    code, out = invoke(app, "users", "enable", "datenschutz")
    assert code == 0 and out.startswith("Enabled datenschutz")
    assert invoke(app, "users", "list")[1].endswith("link sent\n")
    assert invoke(app, "users", "enable", "datenschutz") == (
        0,
        "datenschutz is already enabled; nothing changed.\n",
    )
    with get_runtime(app).open(app).sessions() as session:
        actions = [a for a in session.scalars(select(AuditEvent.action)) if a.startswith("user")]
    assert actions == ["user.create", "user.update", "user.disable", "user.reset", "user.update",
                       "user.enable", "user.update"]  # fmt: skip


def test_reset_of_an_active_account_adds_no_note(app: Flask) -> None:
    invoke(app, "users", "create", "ben", "--role", "admin")
    result = app.test_cli_runner().invoke(args=["users", "reset", "ben"])
    assert result.exit_code == 0 and result.stderr == ""


def test_bad_input_is_one_clear_line_and_changes_nothing(app: Flask) -> None:
    code, out = invoke(app, "users", "create", "anna", "--role", "counsellor")
    assert code == 1
    assert "mindestens eine Beratungsstelle" in out
    code, out = invoke(app, "users", "create", "anna", "--role", "counsellor", "--office", "XX")
    assert code == 1 and "not found: office XX" in out and "offices list" in out
    code, out = invoke(app, "users", "create", "A B", "--role", "admin")
    assert code == 1 and "Benutzername" not in out and "username" in out
    for command in ("disable", "enable", "reset"):
        assert invoke(app, "users", command, "niemand") == (
            1,
            "fallstelle: not found: account niemand "
            "(`flask --app fallstelle users list` shows the accounts)\n",
        )
    assert user_count(app) == 0


def test_no_default_account(app: Flask) -> None:
    assert user_count(app) == 0

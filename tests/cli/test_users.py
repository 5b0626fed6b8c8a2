"""``users`` and ``offices`` commands: links, listing, disabling, clear refusals."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import func, select

from fallstelle.auth.models import User
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
    assert out == "anna\tcounsellor\tMG\tlink sent\n"
    code, out = invoke(app, "offices", "list")
    assert out.startswith("MG\tServicestelle MG")


def test_disable_and_reset(app: Flask) -> None:
    invoke(app, "users", "create", "datenschutz", "--role", "auditor")
    assert invoke(app, "users", "disable", "datenschutz")[0] == 0
    assert invoke(app, "users", "list")[1].endswith("disabled\n")
    code, out = invoke(app, "users", "reset", "datenschutz")
    assert code == 0 and "/einrichten/" in out


def test_bad_input_is_one_clear_line_and_changes_nothing(app: Flask) -> None:
    code, out = invoke(app, "users", "create", "anna", "--role", "counsellor")
    assert code == 1
    assert "mindestens eine Beratungsstelle" in out
    code, out = invoke(app, "users", "create", "anna", "--role", "counsellor", "--office", "XX")
    assert code == 1 and "not found: office XX" in out
    code, out = invoke(app, "users", "create", "A B", "--role", "admin")
    assert code == 1 and "Benutzername" not in out and "username" in out
    assert invoke(app, "users", "disable", "niemand") == (1, "fallstelle: not found: niemand\n")
    assert user_count(app) == 0


def test_no_default_account(app: Flask) -> None:
    assert user_count(app) == 0

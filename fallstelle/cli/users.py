"""``flask --app fallstelle users …`` and ``offices …``: accounts from the server's shell.

The operator (who holds keys/ anyway) acts as ``Actor.operator()``; every change records its
audit event and commits at the end. Nobody sets a password here: ``create`` and ``reset``
print a one-time enrolment link (valid 24 h) where the person sets password and 2FA; the
link starts with ``FALLSTELLE_BASE_URL``. Every refusal says the next step.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from fallstelle.auth import service
from fallstelle.auth.actor import Actor
from fallstelle.auth.errors import Invalid
from fallstelle.auth.login import enrolment_link
from fallstelle.auth.models import Office, User
from fallstelle.auth.permissions import Role
from fallstelle.cli.serve import link_base
from fallstelle.cli.setup import open_or_exit
from fallstelle.db import utcnow
from fallstelle.messages import MESSAGES

users_cli = AppGroup("users", help="Create, list, disable, enable and reset user accounts.")
offices_cli = AppGroup("offices", help="Create and list counselling offices.")
T = TypeVar("T")


def _run(work: Callable[[Session], T]) -> T:
    """Run ``work`` in one transaction; a refused input is one line on stderr, exit 1."""
    store = open_or_exit()
    with store.sessions() as session:
        try:
            result = work(session)
        except Invalid as invalid:
            message = MESSAGES.get(invalid.code, invalid.code)
            click.echo(f"fallstelle: {invalid.field}: {message}", err=True)
            sys.exit(1)
        except LookupError as missing:
            click.echo(f"fallstelle: not found: {missing.args[0]}", err=True)
            sys.exit(1)
        session.commit()
        return result


def _user_id(session: Session, username: str) -> str:
    found = session.scalar(select(User.id).where(User.username == username.strip().casefold()))
    if found is None:
        raise LookupError(
            f"account {username} (`flask --app fallstelle users list` shows the accounts)"
        )
    return found


@users_cli.command("create")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="Role (repeatable).",
)
@click.option("--office", "offices", multiple=True, help="Office code (repeatable).")
@click.option("--name", "display_name", default=None, help="Display name (default: username).")
def create_user(
    username: str, roles: tuple[str, ...], offices: tuple[str, ...], display_name: str | None
) -> None:
    """Create an account and print its one-time enrolment link."""

    def work(session: Session) -> str:
        office_ids = []
        for code in offices:
            found = session.scalar(select(Office.id).where(Office.code == code.strip().upper()))
            if found is None:
                raise LookupError(
                    f"office {code} (`flask --app fallstelle offices list` shows the offices)"
                )
            office_ids.append(found)
        _user, token = service.create_user(
            session,
            Actor.operator(),
            utcnow(),
            username,
            display_name or username,
            roles,
            office_ids,
        )
        return token

    token = _run(work)
    click.echo(f"Created {username}. One-time link (valid 24 h, shown only now):")
    click.echo(enrolment_link(link_base(open_or_exit().settings), token))


@users_cli.command("list")
def list_users() -> None:
    """List accounts with roles, offices and status."""

    def work(session: Session) -> list[str]:
        lines = []
        for user in service.list_users(session, Actor.operator()):
            status = "disabled" if not user.active else ("active" if user.enrolled else "link sent")
            roles = ",".join(r.role for r in user.roles)
            offices = ",".join(m.office.code for m in user.memberships) or "-"
            lines.append(f"{user.username}\t{roles}\t{offices}\t{status}")
        return lines

    lines = _run(work)
    if not lines:
        click.echo("No accounts yet: `flask --app fallstelle users create NAME --role ROLE`.")
        return
    click.echo("username\troles\toffices\tstatus")
    for line in lines:
        click.echo(line)


def _set_active(session: Session, username: str, active: bool) -> tuple[bool, bool]:
    """Set the active flag; return whether it was set before, and whether they enrolled."""
    user = service.get_user(session, Actor.operator(), _user_id(session, username))
    was = user.active, user.enrolled
    service.update_user(
        session,
        Actor.operator(),
        user.id,
        user.version,
        display_name=user.display_name,
        roles=[r.role for r in user.roles],
        office_ids=[m.office_id for m in user.memberships],
        active=active,
    )
    return was


@users_cli.command("disable")
@click.argument("username")
def disable_user(username: str) -> None:
    """Disable an account; all its sessions end at once."""
    _run(lambda session: _set_active(session, username, False))
    click.echo(f"Disabled {username}; its sessions have ended.")


@users_cli.command("enable")
@click.argument("username")
def enable_user(username: str) -> None:
    """Enable a disabled account again (its password and 2FA stay as they were)."""
    was_active, enrolled = _run(lambda session: _set_active(session, username, True))
    if was_active:
        click.echo(f"{username} is already enabled; nothing changed.")
    elif enrolled:
        click.echo(f"Enabled {username}: they can sign in again with their password and 2FA.")
    else:
        click.echo(
            f"Enabled {username}: they can finish setting up their account with their link "
            f"(a new one: `flask --app fallstelle users reset {username}`)."
        )


@users_cli.command("reset")
@click.argument("username")
def reset_user(username: str) -> None:
    """Clear password and 2FA, end all sessions, print a new one-time link."""

    def work(session: Session) -> tuple[str, bool]:
        user_id = _user_id(session, username)
        token = service.reset_user(session, Actor.operator(), utcnow(), user_id)
        return token, service.get_user(session, Actor.operator(), user_id).active

    token, active = _run(work)
    click.echo(f"Reset {username}. One-time link (valid 24 h, shown only now):")
    click.echo(enrolment_link(link_base(open_or_exit().settings), token))
    if not active:
        click.echo(
            f"Note: {username} is disabled. With the link they can set a new password and "
            "2FA, but cannot sign in until you run "
            f"`flask --app fallstelle users enable {username}`.",
            err=True,
        )


@offices_cli.command("create")
@click.argument("code")
@click.option("--name", required=True, help="Name of the office.")
@click.option("--provider", default="", help="Provider (Träger).")
@click.option(
    "--visibility",
    type=click.Choice(["office", "own"]),
    default="office",
    help="Counsellors see all cases of the office, or only their own and shared ones.",
)
def create_office(code: str, name: str, provider: str, visibility: str) -> None:
    """Create a counselling office."""
    _run(
        lambda session: service.create_office(
            session, Actor.operator(), code, name, provider, visibility
        )
    )
    click.echo(f"Created office {code.strip().upper()}.")


@offices_cli.command("list")
def list_offices() -> None:
    """List offices."""
    offices = _run(lambda session: service.list_offices(session, Actor.operator()))
    if not offices:
        click.echo("No offices yet: `flask --app fallstelle offices create CODE --name NAME`.")
        return
    click.echo("code\tname\tprovider\tvisibility")
    for office in offices:
        click.echo(
            f"{office.code}\t{office.name}\t{office.provider or '-'}\t{office.case_visibility}"
        )


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(offices_cli)

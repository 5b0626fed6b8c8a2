"""``flask --app fallstelle retention run [--dry-run]``: delete what has reached the end of its
retention period (DOMAIN.md "Retention"; ``cases.retention``).

Run daily by ``deploy/fallstelle-nightly.timer`` after the night's backup. One case per
transaction: killed at any point, the next run finishes the work; run twice, it does nothing
the second time; the server may serve meanwhile. Output is case numbers only.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from fallstelle import db
from fallstelle.cases import retention
from fallstelle.cases.erasure import Register, RegisterDamaged
from fallstelle.cli.setup import open_or_exit
from fallstelle.clock import today

retention_cli = AppGroup("retention", help="Delete what has reached its retention period.")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted today.")
def run_command(dry_run: bool) -> None:
    """Remove identifying data and delete case files that are due (legal holds kept)."""
    store = open_or_exit()
    try:
        register = Register.open(store.settings.keys_dir)
        report = retention.run(
            store.sessions, store.keys, register, store.settings.data_dir / "attachments",
            today(), dry_run=dry_run, each=lambda number, what: _say(number, what, dry_run),
        )  # fmt: skip
    except RegisterDamaged as damaged:
        click.echo(f"fallstelle: the erasure register does not verify: {damaged}", err=True)
        sys.exit(1)
    if not dry_run:
        db.refresh_statistics(store.engine)  # nightly: the planner's view of the growing tables
    click.echo(
        f"Retention {'dry run' if dry_run else 'run'} on {today().isoformat()}: "
        f"{len(report.identifying)} identifying data, {len(report.erased)} case files, "
        f"{len(report.kept_on_hold)} on hold."
    )


def _say(number: str, what: str, dry_run: bool) -> None:
    would = "would be " if dry_run else ""
    line = {
        "identifying": f"identifying data {would}removed",
        "case_file": f"case file {would}deleted",
    }.get(what, "kept (legal hold)")
    click.echo(f"{number}: {line}")  # after the case's commit: what is printed is done
    sys.stdout.flush()


def init_app(app: Flask) -> None:
    app.cli.add_command(retention_cli)

"""``flask --app fallstelle cases import FILE --office CODE`` and ``demo --cases N``.

The operator acts: the import checks the whole file and imports all or nothing, as one
counsellor of the office (``cases.importer``); the demo writes synthetic cases
(``cases.demo_run``). A refusal is one line per problem on stderr and exit code 1.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from fallstelle import db
from fallstelle.auth.errors import Invalid
from fallstelle.cli.progress import progress
from fallstelle.cli.setup import open_or_exit
from fallstelle.intake.demo_run import create_demo
from fallstelle.intake.import_limits import split_lines
from fallstelle.intake.importer import ImportRefused, import_cases

cases_cli = AppGroup("cases", help="Import cases.")
MAX_PROBLEMS_SHOWN = 200


@cases_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--office", "office", required=True, help="Code of the office the cases belong to.")
@click.option("--counsellor", default=None, help="Username the cases are created as "
              "(default: the office's first counsellor).")  # fmt: skip
def import_command(file: Path, office: str, counsellor: str | None) -> None:
    """Import cases from a JSON Lines file (docs/import-format.md): all or nothing."""
    try:
        lines = split_lines(file.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        click.echo("fallstelle: the file is not UTF-8 text", err=True)
        sys.exit(1)
    store = open_or_exit()
    with store.sessions() as session:
        try:
            with progress("Importing") as bar:
                result = import_cases(session, store.keys, office, lines, counsellor, bar)
        except ImportRefused as refused:
            session.commit()  # only the failed import's audit event (if any)
            for problem in refused.problems[:MAX_PROBLEMS_SHOWN]:
                shown = str(problem) if problem.line else str(problem).split(", ", 1)[1]
                click.echo(f"fallstelle: {shown}", err=True)
            if len(refused.problems) > MAX_PROBLEMS_SHOWN:
                more = len(refused.problems) - MAX_PROBLEMS_SHOWN
                click.echo(f"fallstelle: … and {more} more problems", err=True)
            click.echo("fallstelle: nothing was imported", err=True)
            sys.exit(1)
        session.commit()
    db.refresh_statistics(store.engine)  # the planner's view of the grown tables (issue 15)
    numbers = result.case_numbers
    span = f" ({numbers[0]} … {numbers[-1]})" if numbers else ""
    click.echo(
        f"Imported {len(numbers)} cases into {result.office_code} as {result.counsellor}{span}."
    )


@click.command("demo")
@click.option(
    "--cases",
    "count",
    type=click.IntRange(1, 1_000_000),
    required=True,
    help="Number of synthetic cases.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same cases.")
@click.option("--office", default="DEMO", show_default=True,
              help="Office code (created with demo counsellors if missing).")  # fmt: skip
@with_appcontext
def demo_command(count: int, seed: int, office: str) -> None:
    """Create realistic synthetic cases for demos and benchmarks."""
    store = open_or_exit()
    started = time.perf_counter()
    try:
        with progress("Creating demo cases") as bar:
            result = create_demo(store, count, seed, office, progress=lambda n: bar(n, count))
    except Invalid as invalid:
        click.echo(f"fallstelle: {invalid.field}: {invalid.code}", err=True)
        sys.exit(1)
    db.refresh_statistics(store.engine)  # the planner's view of the grown tables (issue 15)
    for line in result.created:
        click.echo(f"Created {line} for the demo.")
    elapsed = time.perf_counter() - started
    click.echo(
        f"Created {result.cases} synthetic cases in {result.office_code} "
        f"(seed {seed}) in {elapsed:.1f} s."
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(cases_cli)
    app.cli.add_command(demo_command)

"""``flask --app fallstelle report build …``: a stored, audited report release from the shell.

The operator (who holds keys/ anyway) acts as ``Actor.operator()`` and may report on every
office. The command goes through :func:`fallstelle.reports.service.build_release` exactly as
the management page does: the release is stored and ``report.generate`` is audited. A bad
period, an unknown office, a period without cases, a broken template or a release that
cannot be protected is one line on stderr and exit code 1, and no file is left behind: the
files are written (to a temporary name, then renamed) before the transaction commits, and
removed again if the commit fails.

``report recount`` compares the pre-counted statistics with a recount from the records
(``cases.stat_counts``) and, unless ``--check``, replaces them by the recount; it is audited
(``statistics.recount``). Exit code 1 when ``--check`` finds a difference.

``report revise --office CODE --quarter 2026-Q1`` takes over a frozen quarter's counts as
they are now (a new Berichtsstand, :func:`fallstelle.reports.service.revise`), audited
(``report.revise``) like the button on the management page.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from fallstelle.audit import Event, record
from fallstelle.auth.actor import Actor
from fallstelle.auth.models import Office
from fallstelle.cases import stat_counts
from fallstelle.cli.progress import progress
from fallstelle.cli.setup import open_or_exit
from fallstelle.errors import FallstelleError
from fallstelle.reports import revisions, service
from fallstelle.reports.disclosure import K_FLOOR, Policy
from fallstelle.reports.pdf import REPORTS_DIR
from fallstelle.reports.periods import BadPeriod

report_cli = AppGroup("report", help="Build anonymised statistics reports (PDF and CSV).")


def _fail(message: str) -> NoReturn:
    click.echo(f"fallstelle: {message}", err=True)
    sys.exit(1)


def _write_atomically(data: bytes, target: Path) -> None:
    """Write ``data`` to ``target`` via a temporary file in the same directory."""
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@report_cli.command("build")
@click.option("--period", required=True, help="2026, 2026-H1 or 2026-Q3.")
@click.option("--template", required=True, type=click.Choice(service.TEMPLATES))
@click.option("--office", "offices", multiple=True, required=True,
              help="Office code (repeatable), or 'all'.")  # fmt: skip
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The PDF file to write.")  # fmt: skip
@click.option("--csv", "csv_dir", default=None,
              type=click.Path(file_okay=False, path_type=Path),
              help="Also write the CSV (one long-format file) into this directory.")  # fmt: skip
@click.option("--k", default=5, show_default=True, type=click.IntRange(min=K_FLOOR),
              help="Smallest count published (disclosure control).")  # fmt: skip
@click.option("--templates", "root", default=REPORTS_DIR, show_default=True,
              type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Folder of the report templates (a restyled copy of reports/).")  # fmt: skip
def build_command(
    period: str,
    template: str,
    offices: tuple[str, ...],
    out: Path,
    csv_dir: Path | None,
    k: int,
    root: Path,
) -> None:
    """Build a report release, store it, and write the PDF (and CSV)."""
    if not out.parent.is_dir():
        _fail(f"--out: directory {out.parent} does not exist")
    if csv_dir is not None and not csv_dir.is_dir():
        _fail(f"--csv: directory {csv_dir} does not exist")
    csv_path = csv_dir / f"{out.stem}.csv" if csv_dir is not None else None
    for path in (out, csv_path):  # the file is renamed onto it: never onto /dev/null or a pipe
        if path is not None and (path.exists() or path.is_symlink()) and not path.is_file():
            _fail(f"{path} is not a regular file; name a new file or one to overwrite")
    store = open_or_exit()
    written: list[Path] = []
    with store.sessions() as session:
        codes = {c.strip().upper() for c in offices}
        known = {code: oid for code, oid in session.execute(select(Office.code, Office.id))}
        if "ALL" in codes:
            ids = list(known.values())
        else:
            missing = sorted(codes - set(known))
            if missing:
                _fail(f"unknown office: {', '.join(missing)}")
            ids = [known[c] for c in codes]
        try:
            release = service.build_release(
                session, Actor.operator(), period=period, office_ids=ids, template=template,
                policy=Policy(k=k), root=root,
            )  # fmt: skip
            _write_atomically(release.pdf, out)
            written.append(out)
            if csv_path is not None:
                _write_atomically(release.csv, csv_path)
                written.append(csv_path)
            session.commit()
        except BadPeriod:
            _fail(f"--period: {period!r} is not a year (2026), half-year (2026-H1) "
                  "or quarter (2026-Q3)")  # fmt: skip
        except (FallstelleError, OSError) as exc:
            for path in written:
                path.unlink(missing_ok=True)
            _fail(str(exc))
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
    click.echo(f"Release {release.id} ({release.period}, {template}): {out.resolve()}"
               + (f", {csv_path.resolve()}" if csv_path else "")
               + f"; PDF SHA-256 {release.pdf_sha256}")  # fmt: skip
    _warn_if_in_checkout(written)


def _warn_if_in_checkout(paths: list[Path]) -> None:
    """Say so when a report landed in the program's folder (easily committed or lost)."""
    checkout = Path(__file__).resolve().parents[2]
    inside = [p for p in paths if p.resolve().is_relative_to(checkout)]
    if inside:
        click.echo(f"fallstelle: note: {', '.join(p.name for p in inside)} written into the "
                   f"program folder {checkout}; keep reports elsewhere (e.g. --out ~/berichte/"
                   "bericht.pdf --csv ~/berichte)", err=True)  # fmt: skip


@report_cli.command("recount")
@click.option("--check", is_flag=True, help="Only compare; change nothing.")
def recount_command(check: bool) -> None:
    """Compare the pre-counted statistics with the records, and mend them."""
    store = open_or_exit()
    with store.sessions() as session, session.begin():
        with progress("Recounting") as bar:
            counts = stat_counts.recount(session, progress=bar)
        differ = stat_counts.differences(session, counts)
        for (office, quarter, unit, fact), (have, want) in list(differ.items())[:20]:
            click.echo(f"office {office} {quarter} {unit} {fact}: stored {have}, records {want}")
        outcome = "checked"
        if not check:
            outcome = f"rebuilt {stat_counts.rebuild(session, counts=counts)} rows"
        operator = Actor.operator()
        record(session, Event(action="statistics.recount", actor_id=operator.user_id,
                              actor_role=operator.audit_role, object_type="statistics",
                              object_id=f"differed:{len(differ)}",
                              reason="checked" if check else "rebuilt"))  # fmt: skip
    click.echo(f"{len(differ)} counts differed from the records; {outcome}.")
    if check and differ:
        sys.exit(1)


@report_cli.command("revise")
@click.option("--office", required=True, help="Office code.")
@click.option("--quarter", required=True, help="The frozen quarter, e.g. 2026-Q1.")
def revise_command(office: str, quarter: str) -> None:
    """Take over a frozen quarter's counts as they are now (new Berichtsstand)."""
    store = open_or_exit()
    with store.sessions() as session:
        found = session.scalar(select(Office.id).where(Office.code == office.strip().upper()))
        if found is None:
            _fail(f"unknown office: {office}")
        try:
            done = revisions.revise(session, Actor.operator(), found, quarter)
        except BadPeriod:
            _fail(f"--quarter: {quarter!r} is not a quarter (2026-Q3)")
        except FallstelleError as exc:
            _fail(str(exc))
        session.commit()
    click.echo(f"{office} {quarter}: revision {done.revision} ({done.changed} counts changed)")


def init_app(app: Flask) -> None:
    app.cli.add_command(report_cli)

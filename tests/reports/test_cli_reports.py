"""``flask --app fallstelle report build``: stored and audited, clear errors, no partial file."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from fallstelle.audit.models import AuditEvent
from fallstelle.reports.models import ReportRelease
from fallstelle.store import Store
from tests.auth.factories import make_office
from tests.reports.pdf_helpers import copy_reports
from tests.reports.stat_factories import fixed_dataset


@pytest.fixture
def runner(app: Flask, store: Store) -> Iterator[FlaskCliRunner]:
    if "report" not in app.cli.commands:  # until fallstelle.cli registers it
        from fallstelle.cli import reports

        reports.init_app(app)
    with store.sessions() as session, session.begin():
        fixed_dataset(session, make_office(session, "GOLD").id, make_office(session, "OTHER").id)
    yield app.test_cli_runner()


def _invoke(runner: FlaskCliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(args=["report", "build", *args])
    return result.exit_code, result.stdout, result.stderr


def _releases(store: Store) -> list[ReportRelease]:
    with store.sessions() as session:
        return list(session.scalars(select(ReportRelease)))


def test_build_writes_pdf_and_csv_stores_and_audits(
    runner: FlaskCliRunner, store: Store, tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "bericht.pdf"
    code, stdout, stderr = _invoke(
        runner,
        "--period",
        "2026-H1",
        "--template",
        "campaign",
        "--office",
        "gold",
        "--out",
        str(out),
        "--csv",
        str(out_dir),
    )
    assert code == 0, stderr
    [release] = _releases(store)
    assert out.read_bytes() == release.pdf
    assert (out_dir / "bericht.csv").read_bytes() == release.csv
    assert release.period == "2026-H1" and release.actor_id is None
    assert str(release.id) in stdout and release.pdf_sha256 in stdout
    with store.sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.generate")
        ).one()
    assert (event.object_id, event.actor_role) == (str(release.id), "operator")
    assert sorted(p.name for p in out_dir.iterdir()) == ["bericht.csv", "bericht.pdf"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--period", "2026-03", "--office", "GOLD"), "is not a year"),
        (("--period", "2026", "--office", "NOPE"), "unknown office: NOPE"),
        (("--period", "2024", "--office", "all"), "no case was opened or closed in 2024"),
    ],
)
def test_bad_input_is_one_line_and_leaves_nothing(
    runner: FlaskCliRunner, store: Store, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, _stdout, stderr = _invoke(
        runner,
        *args,
        "--template",
        "funding",
        "--out",
        str(out_dir / "x.pdf"),
        "--csv",
        str(out_dir),
    )
    assert code == 1
    assert message in stderr and len(stderr.strip().splitlines()) == 1
    assert list(out_dir.iterdir()) == [] and _releases(store) == []


def test_a_broken_template_leaves_no_file(
    runner: FlaskCliRunner, store: Store, tmp_path: Path
) -> None:
    root = copy_reports(tmp_path)
    (root / "fonts" / "DejaVuSans.ttf").unlink()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, _stdout, stderr = _invoke(
        runner,
        "--period",
        "2026",
        "--template",
        "campaign",
        "--office",
        "GOLD",
        "--out",
        str(out_dir / "x.pdf"),
        "--templates",
        str(root),
    )
    assert code == 1 and "report asset" in stderr
    assert list(out_dir.iterdir()) == [] and _releases(store) == []


def test_a_special_file_as_target_is_refused_and_left_alone(
    runner: FlaskCliRunner, store: Store, tmp_path: Path
) -> None:
    # The PDF is written beside its target and renamed onto it: `--out /dev/null` once turned
    # the machine's /dev/null into a regular file holding a report. A FIFO plays the device.
    (tmp_path / "out").mkdir()
    fifo = tmp_path / "out" / "null"
    os.mkfifo(fifo)
    code, _stdout, stderr = _invoke(
        runner, "--period", "2026", "--office", "GOLD", "--template", "funding", "--out", str(fifo)
    )
    assert code == 1
    assert "is not a regular file" in stderr and len(stderr.strip().splitlines()) == 1
    assert stat.S_ISFIFO(fifo.stat().st_mode) and _releases(store) == []
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["null"]

"""Refusals that say the next step, and reports that do not land in the checkout unseen."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from fallstelle import create_app
from fallstelle.cli.reports import _warn_if_in_checkout
from fallstelle.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def refusal(settings: Settings) -> tuple[int, str]:
    result = create_app(settings).test_cli_runner().invoke(args=["users", "list"])
    return result.exit_code, result.stderr


def test_unreachable_database_gives_the_reason(initialised: Settings) -> None:
    url = "postgresql+psycopg://fallstelle:geheim@127.0.0.1:1/fallstelle"
    code, err = refusal(replace(initialised, database_url=url))
    assert code == 78
    assert err.startswith(
        "fallstelle: database not reachable at postgresql+psycopg://fallstelle:***@127.0.0.1:1/"
        "fallstelle: OperationalError: connection failed:"
    )
    assert "refused" in err.lower() and "check FALLSTELLE_DATABASE_URL" in err
    assert "geheim" not in err and err.count("\n") == 1


def test_missing_keys_say_restore_from_backup(initialised: Settings) -> None:
    shutil.rmtree(initialised.keys_dir)
    code, err = refusal(initialised)
    assert code == 78
    assert "keys directory missing" in err and "restore keys/ from your backup" in err


def test_a_report_written_into_the_checkout_is_pointed_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _warn_if_in_checkout([tmp_path / "bericht.pdf"])
    assert capsys.readouterr().err == ""
    _warn_if_in_checkout([tmp_path / "bericht.pdf", ROOT / "bericht.csv"])
    err = capsys.readouterr().err
    assert err.startswith(f"fallstelle: note: bericht.csv written into the program folder {ROOT}")
    assert "*.csv" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()

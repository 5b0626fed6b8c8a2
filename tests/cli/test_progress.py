"""Progress bars: on a terminal's stderr only; scripts and logs see nothing of them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask

from fallstelle.cli.progress import Progress, progress

ROOT = Path(__file__).resolve().parents[2]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_on_a_terminal() -> None:
    screen = Terminal()
    with progress("Verifying", screen) as bar:
        for done in range(0, 101, 10):
            bar(done, 100)
    text = screen.getvalue()
    assert "Verifying" in text and "100%" in text


def test_nothing_when_not_a_terminal() -> None:
    pipe = io.StringIO()
    with progress("Verifying", pipe) as bar:
        bar(50, 100)
        bar(100, 100)
    assert pipe.getvalue() == ""


def test_long_commands_report_progress(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, tuple[int, int]] = {}
    shown = Progress.__call__

    def spy(self: Progress, done: int, total: int) -> None:
        seen[self.label] = (done, total)
        shown(self, done, total)

    monkeypatch.setattr(Progress, "__call__", spy)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["offices", "create", "MG", "--name", "MG"]).exit_code == 0
    assert runner.invoke(args=["users", "create", "anna", "--role", "counsellor",
                               "--office", "MG"]).exit_code == 0  # fmt: skip
    example = str(ROOT / "docs" / "import-example.jsonl")
    result = runner.invoke(args=["cases", "import", example, "--office", "MG"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["demo", "--cases", "3"]).exit_code == 0
    assert runner.invoke(args=["report", "recount"]).exit_code == 0
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    assert seen["Importing"] == (4, 4)
    assert seen["Creating demo cases"] == (3, 3)
    assert seen["Recounting"] == (7, 7)
    done, head = seen["Verifying"]
    assert done == head > 0

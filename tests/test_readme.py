"""The README's two commands are the ones CI and a newcomer run."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_COMMAND = "python -m pip install -r requirements-dev.txt && python -m pytest"
RUN_COMMAND = "python -m pip install -r requirements.txt && python run.py"


def test_readme_has_the_run_and_test_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert TEST_COMMAND in readme
    assert RUN_COMMAND in readme


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert TEST_COMMAND.replace("pip install", "pip install -q") in ci


def test_key_material_is_never_tracked() -> None:
    ignore = (ROOT / "keys" / ".gitignore").read_text(encoding="utf-8").split()
    assert ignore[ignore.index("*") :] == ["*", "!README.md", "!.gitignore"]

"""The dependency rules of ARCHITECTURE.md, proved by parsing every import (ast).

* no room imports a room above it (base < audit < auth < catalogue < cases < activities <
  intake < reports < backup < web/cli/app);
* ``crypto`` imports only ``cryptography``, the standard library and ``errors``;
* ``reports`` never imports ``crypto``, and from ``cases`` only the statistics models (it
  sees only statistical records, vocabulary labels and activities, never a case row);
* ``cli`` never imports ``web`` (the command line works without the request pipeline);
* Flask (and its extensions) is imported only in ``web/``, ``cli/`` and ``__init__.py``
  (ARCHITECTURE.md says ``cli.py``; it became a package with one module per topic).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "fallstelle"
BASE = {"config", "errors", "db", "crypto", "keyfiles", "store", "clock"}
RANK = {
    "base": 0,
    "audit": 1,
    "auth": 2,
    "catalogue": 3,
    "cases": 4,
    "activities": 5,
    "intake": 6,
    "reports": 7,
    "backup": 8,
    "top": 9,
}
#: Aggregators that must see every room: the app factory, the web layer, the CLI, the
#: migrations environment and the metadata collector.
TOP = {"__init__", "web", "cli", "migrations", "models", "runtime", "messages"}
FLASK_ALLOWED = {"__init__", "web", "cli", "runtime", "messages"}
FLASK_MODULES = ("flask", "flask_babel", "flask_wtf", "werkzeug", "wtforms")
#: The only module of ``cases`` that ``reports`` may import: the statistical records.
REPORTS_MAY_IMPORT_FROM_CASES = {"fallstelle.cases.models.stats"}


def room_of(module: str) -> str:
    """Map ``fallstelle.x.y`` to its room name (base, audit, …, top)."""
    parts = module.split(".")
    head = parts[1] if len(parts) > 1 else "__init__"
    if head in BASE:
        return "base"
    if head in TOP:
        return "top"
    return head


def imports_of(source: str, module: str) -> list[str]:
    tree = ast.parse(source)
    found: list[str] = []
    package = module if module.endswith("__init__") else module.rsplit(".", 1)[0]
    package = package.removesuffix(".__init__")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            found.append(name)
            # "from fallstelle import crypto" imports the module fallstelle.crypto
            found += [f"{name}.{alias.name}" for alias in node.names if name == "fallstelle"]
    return found


def violations(module: str, source: str) -> list[str]:
    """Return every rule the module's imports break (empty when it is clean)."""
    problems: list[str] = []
    own_room = room_of(module)
    head = module.split(".")[1] if "." in module else "__init__"
    for name in imports_of(source, module):
        top = name.split(".")[0]
        if name.startswith("fallstelle."):
            target = room_of(name)
            if RANK[target] > RANK[own_room]:
                problems.append(f"{module} imports upward: {name}")
            if own_room == "reports" and (
                name == "fallstelle.crypto"
                or (
                    (name == "fallstelle.cases" or name.startswith("fallstelle.cases."))
                    and name not in REPORTS_MAY_IMPORT_FROM_CASES
                )
            ):
                problems.append(f"{module} (reports) imports {name}")
            if head == "cli" and name.split(".")[1] == "web":
                problems.append(f"{module} (cli) imports {name}")
            if head == "crypto" and name != "fallstelle.errors":
                problems.append(f"{module} (crypto) imports {name}")
        elif head == "crypto" and top not in sys.stdlib_module_names | {
            "cryptography",
            "__future__",
        }:
            problems.append(f"{module} (crypto) imports {name}")
        if top in FLASK_MODULES and head not in FLASK_ALLOWED:
            problems.append(f"{module} imports {top} outside web/, cli.py and create_app")
    return problems


def all_modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        out.append((".".join(rel.parts), path))
    return out


def test_the_package_has_modules_to_check() -> None:
    names = {name for name, _ in all_modules()}
    assert {"fallstelle.crypto", "fallstelle.web.main", "fallstelle.cli.setup"} <= names


@pytest.mark.parametrize(("module", "path"), all_modules(), ids=lambda v: str(v))
def test_module_follows_the_dependency_rules(module: str, path: Path) -> None:
    assert violations(module, path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("fallstelle.auth.service", "from fallstelle.cases import service", "imports upward"),
        ("fallstelle.audit.log", "import fallstelle.auth.models", "imports upward"),
        ("fallstelle.db", "from fallstelle.web import runtime", "imports upward"),
        ("fallstelle.cases.service", "from flask import g", "outside web/"),
        ("fallstelle.auth.service", "from werkzeug.exceptions import NotFound", "outside web/"),
        ("fallstelle.crypto", "import sqlalchemy", "(crypto) imports"),
        ("fallstelle.crypto", "from fallstelle import config", "(crypto) imports"),
        ("fallstelle.reports.stats", "from fallstelle import crypto", "(reports) imports"),
        ("fallstelle.reports.stats", "from fallstelle.cases.models import Case", "(reports)"),
        ("fallstelle.reports.stats", "from fallstelle.cases.models.case import Case", "(reports)"),
        ("fallstelle.reports.stats", "from fallstelle.cases import statistics", "(reports)"),
        ("fallstelle.reports.stats", "import fallstelle.cases.work", "(reports)"),
        ("fallstelle.cases.service", "from ..web import runtime", "imports upward"),
        ("fallstelle.cli.users", "from fallstelle.web.forms import MESSAGES", "(cli) imports"),
        ("fallstelle.cli.setup", "import fallstelle.web.guard", "(cli) imports"),
        ("fallstelle.cases.service", "from fallstelle.intake import bulk", "imports upward"),
        ("fallstelle.catalogue.vocab", "from fallstelle.cases import work", "imports upward"),
        ("fallstelle.cases.work", "from fallstelle.activities import service", "upward"),
    ],
)
def test_the_checker_catches_violations(module: str, source: str, expected: str) -> None:
    found = violations(module, source)
    assert any(expected in problem for problem in found), found


def test_allowed_imports_pass() -> None:
    assert violations("fallstelle.cases.service", "from fallstelle.auth import models") == []
    assert violations("fallstelle.web.main", "from flask import Blueprint") == []
    assert violations("fallstelle.crypto", "from cryptography.hazmat import x\nimport os") == []
    for allowed in (
        "from fallstelle.cases.models.stats import StatisticalRecord",
        "from fallstelle.catalogue.models import VocabTerm",
        "from fallstelle.auth.models import Office",
    ):
        assert violations("fallstelle.reports.aggregate", allowed) == []


def test_no_module_grows_past_four_hundred_lines() -> None:
    long = [
        f"{name}: {n}"
        for name, path in all_modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400
    ]
    assert long == []


def test_no_insecure_randomness_in_the_package() -> None:
    # ENC-14: secrets come from os.urandom / secrets, never from the random module.
    offenders = [
        name for name, path in all_modules() if "random" in imports_of(path.read_text(), name)
    ]
    assert offenders == []

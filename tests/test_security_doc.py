"""Check that SECURITY.md keeps the structure its threat model promises.

Requirements: SD-1 (SecureDrop's threat-model headings), SD-2 (the same-host statement),
ENC-15 (a cryptographic inventory row for every key file). Each check is a pure function
from the document text to a list of problems, so the same checks run against mutated
copies held in memory to prove that they fail when a heading or a row is removed.
Imports only the standard library and pytest.
"""

import re
from pathlib import Path

import pytest

SECURITY_MD = Path(__file__).resolve().parents[1] / "SECURITY.md"

REQUIRED_SECTIONS: tuple[str, ...] = (
    "Reporting a vulnerability",
    "Actors and trust",
    "Adversaries",
    "Assumptions",
    "Assets",
    "What a compromise surrenders",
    "Keys on the same host",
    "What is encrypted",
    "Cryptographic inventory",
    "Start-up refusals",
    "Web application controls",
    "Database",
    "Residual risks and limits",
)

COMPROMISE_SECTION = "What a compromise surrenders"
COMPROMISE_SUBSECTIONS: tuple[str, ...] = (
    "The database file",
    "A backup",
    "keys/",
    "The running web process",
    "A counsellor account",
    "A management account",
    "An auditor account",
    "An admin account",
)

SAME_HOST_SENTENCE = (
    "Keys on the same host protect stolen files and backups, not a compromised server."
)

INVENTORY_SECTION = "Cryptographic inventory"
INVENTORY_COLUMNS: tuple[str, ...] = (
    "key",
    "file in keys/",
    "algorithm",
    "purpose",
    "rotation",
    "destruction",
)
KEY_FILES: tuple[str, ...] = (
    "kek-<kid>.key",
    "blind-index.key",
    "secret.key",
    "pepper.key",
    "audit-signing.key",
    "keyring.json",
)

_FENCE = re.compile(r"^```.*?^```[^\n]*$", re.MULTILINE | re.DOTALL)


def read_document() -> str:
    """Return the text of SECURITY.md."""
    return SECURITY_MD.read_text(encoding="utf-8")


def headings(text: str, level: int) -> list[str]:
    """Return the headings of exactly this level, ignoring fenced code blocks."""
    pattern = re.compile(rf"^{'#' * level} (.+?)[ \t]*$", re.MULTILINE)
    return pattern.findall(_FENCE.sub("", text))


def section_body(text: str, title: str) -> str:
    """Return the text under the level-2 heading `title`, up to the next one."""
    prose = _FENCE.sub("", text)
    match = re.search(rf"^## {re.escape(title)}[ \t]*$", prose, re.MULTILINE)
    if match is None:
        return ""
    rest = prose[match.end() :]
    following = re.search(r"^## ", rest, re.MULTILINE)
    return rest if following is None else rest[: following.start()]


def table_rows(body: str) -> list[list[str]]:
    """Return the cells of each Markdown table row in `body`, without separators."""
    rows = []
    for line in body.splitlines():
        stripped = line.strip()
        if not stripped.startswith("|"):
            continue
        cells = [cell.strip() for cell in stripped.strip("|").split("|")]
        if all(re.fullmatch(r":?-+:?", cell) for cell in cells):
            continue
        rows.append(cells)
    return rows


def section_problems(text: str) -> list[str]:
    """Report level-2 sections missing, duplicated, out of order or not first."""
    found = headings(text, 2)
    problems = [f"missing section: ## {t}" for t in REQUIRED_SECTIONS if t not in found]
    problems += [f"duplicated section: ## {t}" for t in REQUIRED_SECTIONS if found.count(t) > 1]
    present = [t for t in found if t in REQUIRED_SECTIONS]
    expected = [t for t in REQUIRED_SECTIONS if t in present]
    if present != expected:
        problems.append(f"sections out of order: {present}")
    if not found or found[0] != REQUIRED_SECTIONS[0]:
        problems.append(f"first section must be ## {REQUIRED_SECTIONS[0]}")
    return problems


def compromise_problems(text: str) -> list[str]:
    """Report compromise subsections that are missing, extra or out of order."""
    found = headings(section_body(text, COMPROMISE_SECTION), 3)
    if found == list(COMPROMISE_SUBSECTIONS):
        return []
    missing = [t for t in COMPROMISE_SUBSECTIONS if t not in found]
    return [f"compromise subsections {found}; missing {missing}"]


def same_host_problems(text: str) -> list[str]:
    """Report a missing same-host sentence (SD-2); line breaks inside it are allowed."""
    if SAME_HOST_SENTENCE in " ".join(text.split()):
        return []
    return [f"missing sentence: {SAME_HOST_SENTENCE}"]


def inventory_problems(text: str) -> list[str]:
    """Report a wrong inventory header or a key file without its own row (ENC-15)."""
    rows = table_rows(section_body(text, INVENTORY_SECTION))
    if not rows or tuple(rows[0]) != INVENTORY_COLUMNS:
        return [f"inventory table header must be {' | '.join(INVENTORY_COLUMNS)}"]
    file_cells = [row[1] for row in rows[1:] if len(row) == len(INVENTORY_COLUMNS)]
    return [
        f"no inventory row for {name}"
        for name in KEY_FILES
        if not any(f"`{name}`" in cell for cell in file_cells)
    ]


def reporting_problems(text: str) -> list[str]:
    """Report a reporting section without the private channel or with a fake address."""
    body = section_body(text, REQUIRED_SECTIONS[0])
    problems = []
    for phrase in ("private vulnerability reporting", "Report a vulnerability"):
        if phrase not in body:
            problems.append(f"reporting section must mention {phrase!r}")
    if re.search(r"@\S+\.invalid\b", body):
        problems.append("reporting section must not give a placeholder e-mail address")
    return problems


def all_problems(text: str) -> list[str]:
    """Run every check over `text`."""
    return (
        section_problems(text)
        + compromise_problems(text)
        + same_host_problems(text)
        + inventory_problems(text)
        + reporting_problems(text)
    )


def remove_line(text: str, line: str) -> str:
    """Return `text` without the one whole line `line`; fail if it is not there once."""
    mutated, count = re.subn(rf"^{re.escape(line)}\n", "", text, flags=re.MULTILINE)
    assert count == 1, f"expected exactly one line {line!r}"
    return mutated


# -- the document as it is ---------------------------------------------------------


@pytest.mark.parametrize("title", REQUIRED_SECTIONS)
def test_required_section_present(title: str) -> None:
    assert title in headings(read_document(), 2)


def test_sections_in_order_and_reporting_first() -> None:
    assert section_problems(read_document()) == []


@pytest.mark.parametrize("title", COMPROMISE_SUBSECTIONS)
def test_compromise_subsection_present(title: str) -> None:
    assert title in headings(section_body(read_document(), COMPROMISE_SECTION), 3)


def test_compromise_subsections_exact() -> None:
    assert compromise_problems(read_document()) == []


def test_same_host_sentence_present() -> None:
    assert same_host_problems(read_document()) == []


@pytest.mark.parametrize("name", KEY_FILES)
def test_inventory_has_row_for_key_file(name: str) -> None:
    assert f"no inventory row for {name}" not in inventory_problems(read_document())


def test_inventory_header() -> None:
    assert inventory_problems(read_document()) == []


def test_reporting_section_uses_private_channel() -> None:
    assert reporting_problems(read_document()) == []


def test_document_has_no_problems() -> None:
    assert all_problems(read_document()) == []


# -- the checks fail on damaged copies (in memory only) ---------------------------


@pytest.mark.parametrize("title", REQUIRED_SECTIONS)
def test_check_fails_when_section_heading_removed(title: str) -> None:
    mutated = remove_line(read_document(), f"## {title}")
    assert f"missing section: ## {title}" in all_problems(mutated)


@pytest.mark.parametrize("title", COMPROMISE_SUBSECTIONS)
def test_check_fails_when_compromise_subsection_removed(title: str) -> None:
    mutated = remove_line(read_document(), f"### {title}")
    assert compromise_problems(mutated) != []


def test_check_fails_when_reporting_not_first() -> None:
    text = read_document()
    start = text.index(f"\n## {REQUIRED_SECTIONS[0]}\n") + 1
    end = text.index(f"\n## {REQUIRED_SECTIONS[1]}\n") + 1
    mutated = text[:start] + text[end:] + "\n" + text[start:end]
    assert headings(mutated, 2)[-1] == REQUIRED_SECTIONS[0]
    assert "first section must be ## Reporting a vulnerability" in all_problems(mutated)


def test_check_fails_when_sections_swapped() -> None:
    text = read_document()
    mutated = text.replace("## Assumptions\n", "## PLACEHOLDER\n")
    mutated = mutated.replace("## Assets\n", "## Assumptions\n")
    mutated = mutated.replace("## PLACEHOLDER\n", "## Assets\n")
    assert any(p.startswith("sections out of order") for p in all_problems(mutated))


def test_check_fails_without_same_host_sentence() -> None:
    text = read_document()
    mutated = text.replace("not a compromised server.", "and more.")
    assert same_host_problems(mutated) != []


@pytest.mark.parametrize("name", KEY_FILES)
def test_check_fails_when_inventory_row_removed(name: str) -> None:
    text = read_document()
    lines = text.splitlines(keepends=True)
    kept = [ln for ln in lines if not _names_file(ln, name)]
    assert len(kept) == len(lines) - 1
    assert f"no inventory row for {name}" in inventory_problems("".join(kept))


def _names_file(line: str, name: str) -> bool:
    """Tell whether `line` is a table row whose second cell names the file `name`."""
    rows = table_rows(line)
    return bool(rows) and len(rows[0]) > 1 and f"`{name}`" in rows[0][1]


def test_check_fails_on_placeholder_address() -> None:
    text = read_document()
    mutated = text.replace(
        "## Reporting a vulnerability\n",
        "## Reporting a vulnerability\n\nWrite to security@fallstelle.invalid.\n",
    )
    assert reporting_problems(mutated) != []


# -- every test SECURITY.md names exists ------------------------------------------------

ROOT = SECURITY_MD.parent
#: `tests/path.py` or `tests/path.py::test_name` (a parametrized id in [...] is allowed).
NAMED_TEST = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+)(?:\[[^\]`]*\])?)?`")


def named_tests(text: str) -> list[tuple[str, str | None]]:
    """Return every (file, test name or None) SECURITY.md names in backticks."""
    return [(m.group(1), m.group(2)) for m in NAMED_TEST.finditer(text)]


def _defined_names(path: Path) -> set[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def missing_tests(text: str, root: Path = ROOT) -> list[str]:
    """Report each named test file that does not exist and each test not defined in it."""
    problems = []
    for file, name in named_tests(text):
        path = root / file
        if not path.is_file():
            problems.append(f"no test file {file}")
        elif name is not None and name not in _defined_names(path):
            problems.append(f"no test {file}::{name}")
    return problems


def test_every_named_test_exists() -> None:
    text = read_document()
    assert len(named_tests(text)) >= 40  # the claims name their proofs
    assert missing_tests(text) == []


def test_check_fails_for_a_test_that_does_not_exist() -> None:
    assert missing_tests("`tests/test_crypto.py::test_that_was_never_written`") == [
        "no test tests/test_crypto.py::test_that_was_never_written"
    ]
    gone = "tests/nowhere/test_gone.py"
    assert missing_tests(f"`{gone}`") == [f"no test file {gone}"]

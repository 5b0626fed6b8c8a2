"""tools/verify_audit_export.py: needs no application, agrees with the application's rules."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from fallstelle.audit import chain, queries, service
from fallstelle.store import Store
from tests.audit.helpers import TOOL, append, tool

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def export(signed: Store, tmp_path: Path) -> Path:
    append(signed, 30, per_commit=10)
    out = tmp_path / "export"
    queries.export(signed.engine, out, signed.keys.audit_signing_key.public_key())
    return out


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    # -I: isolated mode, so the script cannot import the application from the checkout.
    return subprocess.run(
        [sys.executable, "-I", str(TOOL), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def lines(export: Path) -> list[str]:
    return (export / "events.jsonl").read_text().splitlines()


def write(export: Path, new: list[str]) -> None:
    (export / "events.jsonl").write_text("".join(line + "\n" for line in new))


def edit(line: str, **changes: object) -> str:
    data = json.loads(line)
    data.update(changes)
    return json.dumps(data)


def test_the_script_imports_nothing_of_the_application() -> None:
    tree = ast.parse(TOOL.read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert names and not [n for n in names if n.split(".")[0] == "fallstelle"]


def test_the_script_carries_an_exact_copy_of_the_chain_rules() -> None:
    def definitions(path: Path) -> dict[str, str]:
        source = path.read_text()
        out = {}
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                out[node.name] = ast.get_source_segment(source, node) or ""
            elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                out[node.targets[0].id] = ast.get_source_segment(source, node) or ""
        return out

    app_rules = definitions(ROOT / "fallstelle" / "audit" / "chain.py")
    app_rules |= definitions(ROOT / "fallstelle" / "audit" / "verifier.py")
    script = definitions(TOOL)
    shared = set(app_rules) - {"sign", "format_time"}
    assert {
        "entry_hash",
        "entry_mac",
        "head_mac",
        "verify_stream",
        "parse_note",
        "GENESIS",
    } <= shared
    assert {name: script.get(name) for name in shared} == {n: app_rules[n] for n in shared}


def test_an_intact_export(export: Path) -> None:
    result = run_tool(str(export))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "audit log intact: 30 events (seq 1-30); 3 signed checkpoints match\n"
    assert "compare it with the key you hold" in result.stderr


def test_a_changed_line(export: Path) -> None:
    new = lines(export)
    new[14] = edit(new[14], actor_id="u-2")
    write(export, new)
    result = run_tool(str(export))
    assert result.returncode == 1
    assert result.stdout == (
        "audit log DAMAGED: first bad seq 15: edited (contents do not match the entry hash)\n"
    )


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda ls: ls[:14] + ls[15:], "first bad seq 15: deleted (seq 15-15 absent)"),
        (
            lambda ls: [*ls[:13], ls[14], ls[13], *ls[15:]],
            "first bad seq 14: reordered (seq 15 stands where 14 belongs)",
        ),
        (
            lambda ls: ls[:24],
            "first bad seq 25: truncated (log ends at seq 24 but signed checkpoint 30 exists)",
        ),
        (
            lambda ls: [*ls[:14], "{not json", *ls[15:]],
            "first bad seq 15: edited (contents do not match the entry hash)",
        ),
    ],
)
def test_damaged_exports(export: Path, damage: object, expected: str) -> None:
    write(export, damage(lines(export)))  # type: ignore[operator]
    found = tool().verify_export(export, tool().load_public_key(export / "audit-signing.pub"))
    assert found.message() == f"audit log DAMAGED: {expected}"


def test_a_re_chained_export_against_a_saved_checkpoint(
    signed: Store, export: Path, tmp_path: Path
) -> None:
    key = signed.keys.audit_signing_key
    with signed.sessions() as session:
        saved = service.checkpoint(session, key)
        session.commit()
    assert saved is not None
    note = tmp_path / "visit.txt"
    note.write_text(saved.note())
    # Rewrite seq 15 and everything after it, and re-sign with the stolen key.
    rows = [chain.Row._make(tool()._row(line, 0)) for line in lines(export)]
    prev, rewritten = chain.GENESIS, []
    for row in rows:
        if row.seq == 15:
            row = row._replace(outcome="denied")
        row = row._replace(prev_hash=prev)
        prev = chain.entry_hash(prev, row)
        rewritten.append(row._replace(entry_hash=prev))
    write(export, [chain.row_to_json(r) for r in rewritten])
    with (export / "checkpoints.jsonl").open("w") as out:
        for r in rewritten:
            if r.seq % 10 == 0:
                cp = chain.sign(key, r.seq, r.epoch, r.entry_hash, r.time)
                out.write(json.dumps({"seq": r.seq, "note": cp.note()}) + "\n")
    assert run_tool(str(export)).returncode == 0  # self-consistent, validly signed
    result = run_tool(str(export), "--checkpoint", str(note))
    assert result.returncode == 1
    assert result.stdout == (
        "audit log DAMAGED: first bad seq 30: forged "
        "(disagrees with saved checkpoint visit.txt; rewritten after 0)\n"
    )


def test_the_key_the_auditor_holds_decides(export: Path, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = tmp_path / "other.pub"
    other.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    result = run_tool(str(export), "--public-key", str(other))
    assert result.returncode == 1
    assert "first bad seq 10: forged" in result.stdout


def test_an_unusable_export_exits_2(tmp_path: Path) -> None:
    result = run_tool(str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("cannot verify:")

"""What a backup claims about itself, and checking a copy against it.

Imports the standard library, SQLAlchemy, ``crypto`` and ``keyfiles``. The manifest is the
first member of the archive (``manifest.json``): format, creation time, app and schema
version, the installation id, the database kind, row counts per table, the newest audit
sequence number and its entry hash, and the SHA-256 and size of every other member. The age
encryption around the archive authenticates all of it; the hashes let ``backup verify`` say
*which* part is damaged, and the counts and audit head prove the database part is the one
the manifest was written for.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, inspect, text

from fallstelle import crypto
from fallstelle.keyfiles import KeyMaterial

FORMAT = "fallstelle-backup-v1"
NAME = "manifest.json"
CHUNK = 1 << 20


def installation_id(keys: KeyMaterial) -> str:
    """Return the installation's id: derived from the blind-index root, which never changes.

    It names the keys a backup needs without revealing anything about them (HKDF output).
    """
    return crypto.derive_key(keys.blind_index_root, "fallstelle/installation-id")[:8].hex()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class DatabaseFacts:
    """Row counts per table, schema revision and audit head of one database snapshot."""

    counts: dict[str, int]
    schema: str | None
    audit_seq: int
    audit_head: str


def facts(conn: Connection) -> DatabaseFacts:
    """Read counts, revision and audit head inside the caller's snapshot."""
    tables = sorted(inspect(conn).get_table_names())
    counts = {
        # Table names come from the database's own catalogue, never from input.
        t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one())  # noqa: S608
        for t in tables
    }
    schema = None
    if "alembic_version" in tables:
        schema = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    seq, head = 0, ""
    if "audit_head" in tables:
        row = conn.execute(text("SELECT seq, entry_hash FROM audit_head WHERE id = 1")).first()
        if row is not None:
            seq, head = int(row[0]), bytes(row[1]).hex()
    return DatabaseFacts(counts, schema, seq, head)


@dataclass(frozen=True)
class Manifest:
    created_at: str
    app_version: str
    installation: str
    database: str  # "sqlite" or "postgresql"
    pg_schema: str | None
    db: DatabaseFacts
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)
    register_seq: int = 0
    format: str = FORMAT

    def dump(self) -> bytes:
        return (json.dumps(asdict(self), indent=1, sort_keys=True) + "\n").encode()

    @classmethod
    def load(cls, raw: bytes) -> Manifest:
        """Raises: ValueError when the bytes are no manifest of this format."""
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a fallstelle backup manifest")
        data["db"] = DatabaseFacts(**data["db"])
        return cls(**data)


def describe_part(path: Path) -> dict[str, Any]:
    return {"sha256": sha256_file(path), "bytes": path.stat().st_size}


def differences(claimed: DatabaseFacts, found: DatabaseFacts) -> list[str]:
    """Return what differs between the manifest's facts and the copy's (empty: the same)."""
    problems = [
        f"table {t}: manifest {claimed.counts.get(t)}, copy {found.counts.get(t)}"
        for t in sorted(set(claimed.counts) | set(found.counts))
        if claimed.counts.get(t) != found.counts.get(t)
    ]
    if (claimed.audit_seq, claimed.audit_head) != (found.audit_seq, found.audit_head):
        problems.append(f"audit head: manifest {claimed.audit_seq}, copy {found.audit_seq}")
    if claimed.schema != found.schema:
        problems.append(f"schema: manifest {claimed.schema}, copy {found.schema}")
    return problems

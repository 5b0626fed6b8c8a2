"""``backup verify`` and ``backup restore``: check a copy as deeply as the live data, load it.

Imports the standard library, SQLAlchemy, Alembic (through ``store``), ``pyrage``, ``audit``,
``cases.erasure`` and this room. Verification is the same for both: decrypt, check every
part against the manifest (:func:`archive.unpack`), compare the copy's row counts, schema
and audit head with the manifest, and run the audit log verification on the copy.

A restore goes into an empty data directory (and, on PostgreSQL, an empty database), and
refuses with one line a backup of another installation (its installation id is not the one
of these keys) or of a newer schema than this version knows. Then it brings the key-check
values in step with today's ``keys/`` (KEKs rotated in since the backup are added; a KEK
retired since is dropped only when no data key of the copy needs it), migrates an older
schema, and re-applies the erasure register, so no case erased after the backup comes back.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyrage
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, delete, func, insert, select
from sqlalchemy.pool import NullPool

from fallstelle import crypto
from fallstelle.audit import Event, queries, record, verifier
from fallstelle.backup import database
from fallstelle.backup.archive import (
    ATTACHMENTS,
    BackupDamaged,
    BackupFailed,
    Progress,
    Say,
    sqlite_engine,
    staging,
    unpack,
)
from fallstelle.backup.manifest import Manifest, differences, facts, installation_id
from fallstelle.cases.erasure import Register, reapply
from fallstelle.cases.models import Case
from fallstelle.config import Settings
from fallstelle.db import KeyCheck
from fallstelle.keyfiles import KeyMaterial
from fallstelle.store import alembic_config, head_revision, inspect_database, open_store


def verify_audit(
    engine: Engine, keys: KeyMaterial, progress: Progress | None
) -> verifier.Verification:
    """Run the audit room's verification on a copy — the one place this room calls it.

    With the chain key (every event's and the head's MAC is checked), without the witness:
    a copy is older than the live witness by design.
    """
    return queries.verify_log(
        engine,
        keys.audit_signing_key.public_key(),
        chain_key=keys.audit_chain_key,
        witness_path=None,
        progress=progress,
    )


@dataclass(frozen=True)
class Checked:
    manifest: Manifest
    audit: verifier.Verification


def _check_copy(
    engine: Engine, manifest: Manifest, keys: KeyMaterial, bar: Progress
) -> verifier.Verification:
    with engine.connect() as conn:
        problems = differences(manifest.db, facts(conn))
    if problems:
        raise BackupDamaged("the database copy differs from its manifest: " + problems[0])
    result = verify_audit(engine, keys, bar)
    if not result.ok:
        raise BackupDamaged(f"the copy's {result.message()}")
    return result


def verify(
    path: Path,
    ident: pyrage.x25519.Identity,
    keys: KeyMaterial,
    work_dir: Path,
    *,
    scratch_url: str | None,
    say: Say,
    bar: Progress,
) -> Checked:
    """Check a backup completely; the working copy is removed afterwards.

    ``scratch_url``: on PostgreSQL the dump is loaded there (an empty database or schema
    you can throw away) to verify it.

    Raises:
        BackupDamaged: any damage (one line names the first).
        BackupFailed: a PostgreSQL backup without ``scratch_url``, no space.
    """
    with staging(work_dir) as stage:
        say("decrypting and checking the parts")
        manifest = unpack(path, ident, stage)
        say("checking the database copy and its audit log")
        if manifest.database == "sqlite":
            engine = sqlite_engine(stage / database.SQLITE_PART)
        else:
            if not scratch_url:
                raise BackupFailed(
                    "a PostgreSQL backup is verified in a scratch database: pass --scratch URL"
                )
            database.load_postgres(scratch_url, stage / database.PG_PART, manifest.pg_schema)
            engine = create_engine(scratch_url, poolclass=NullPool)
        try:
            return Checked(manifest, _check_copy(engine, manifest, keys, bar))
        finally:
            engine.dispose()


def known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


@dataclass(frozen=True)
class Restored:
    settings: Settings
    manifest: Manifest
    cases: int
    reapplied: int


def _refuse_foreign(manifest: Manifest, keys: KeyMaterial, settings: Settings) -> None:
    ours = installation_id(keys)
    if manifest.installation != ours:
        raise BackupFailed(
            f"this backup belongs to another installation ({manifest.installation}; these keys "
            f"are {ours}): restore it with the keys/ it was made with"
        )
    if manifest.db.schema not in known_revisions():
        raise BackupFailed(
            f"this backup has database schema {manifest.db.schema}, newer than this version of "
            f"fallstelle knows (up to {head_revision()}): update fallstelle, then restore"
        )
    if (manifest.database == "sqlite") != settings.is_sqlite:
        raise BackupFailed(
            f"this is a {manifest.database} backup; set FALLSTELLE_DATABASE_URL to match "
            "(an empty PostgreSQL database for a postgresql backup, unset for sqlite)"
        )


def _fit_key_checks(engine: Engine, keys: KeyMaterial) -> None:
    """Add key-check values of KEKs made since the backup; drop those of retired KEKs.

    Raises:
        BackupFailed: a data key of the copy is wrapped by a KEK that is no longer in keys/.
    """
    ring = keys.keyring.keks
    with engine.begin() as conn:
        stored = set(conn.scalars(select(KeyCheck.kid)))
        for kid_hex in sorted(stored - {kid.hex() for kid in ring}):
            needed = conn.scalar(select(func.count()).where(Case.dek_kid == kid_hex))
            if needed:
                raise BackupFailed(
                    f"{needed} cases of this backup need key {kid_hex}, which is no longer in "
                    "keys/: restore that key file from the backup of keys/ first"
                )
            conn.execute(delete(KeyCheck).where(KeyCheck.kid == kid_hex))
        for kid, kek in ring.items():
            if kid.hex() not in stored:
                conn.execute(
                    insert(KeyCheck).values(kid=kid.hex(), kcv=crypto.key_check_value(kek, kid))
                )


def _empty(directory: Path) -> bool:
    return not directory.exists() or not any(directory.iterdir())


def restore(
    path: Path,
    ident: pyrage.x25519.Identity,
    keys: KeyMaterial,
    settings: Settings,
    to_dir: Path,
    *,
    say: Say,
    bar: Progress,
) -> Restored:
    """Restore a backup into the empty directory ``to_dir`` (and, on PostgreSQL, the empty
    database of ``settings``); return the settings that serve it.

    Raises:
        BackupFailed: a refusal (not empty, another installation, newer schema, database kind)
            or damage (:class:`BackupDamaged`); nothing is left in ``to_dir`` but what was.
    """
    if not _empty(to_dir):
        raise BackupFailed(f"{to_dir} is not empty: restore into an empty data directory")
    url = (
        f"sqlite:///{to_dir / database.SQLITE_PART}"
        if settings.is_sqlite
        else settings.database_url
    )
    target = dataclasses.replace(settings, data_dir=to_dir, database_url=url)
    if not settings.is_sqlite and inspect_database(target).exists:
        raise BackupFailed(
            "the database of FALLSTELLE_DATABASE_URL is not empty: restore into an empty one"
        )
    created = not to_dir.exists()
    to_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        with staging(to_dir) as stage:
            say("decrypting and checking the parts")
            manifest = unpack(path, ident, stage)
            _refuse_foreign(manifest, keys, settings)
            say("loading the database")
            if manifest.database == "sqlite":
                copy = sqlite_engine(stage / database.SQLITE_PART)
                try:
                    _check_copy(copy, manifest, keys, bar)
                finally:
                    copy.dispose()
                os.chmod(stage / database.SQLITE_PART, 0o600)
                os.replace(stage / database.SQLITE_PART, to_dir / database.SQLITE_PART)
            else:
                database.load_postgres(url, stage / database.PG_PART, manifest.pg_schema)
                live = create_engine(url, poolclass=NullPool)
                try:
                    _check_copy(live, manifest, keys, bar)
                finally:
                    live.dispose()
            (stage / ATTACHMENTS).mkdir(mode=0o700, exist_ok=True)
            os.replace(stage / ATTACHMENTS, to_dir / ATTACHMENTS)
    except BaseException:
        _undo(to_dir, created)
        raise
    return _finish(target, keys, manifest, say)


def _undo(to_dir: Path, created: bool) -> None:
    for child in list(to_dir.iterdir()) if to_dir.exists() else []:
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    if created and to_dir.exists():
        to_dir.rmdir()


def _finish(target: Settings, keys: KeyMaterial, manifest: Manifest, say: Say) -> Restored:
    say("re-applying the erasure register")
    engine = create_engine(target.database_url, poolclass=NullPool)
    try:
        _fit_key_checks(engine, keys)
    finally:
        engine.dispose()
    store = open_store(target, migrate=True)
    try:
        register = Register.open(target.keys_dir)
        with store.sessions() as session, session.begin():
            reapplied = reapply(session, store.keys, register, target.data_dir / ATTACHMENTS)
            record(session, Event("backup.restore", actor_role="operator",
                                  reason=f"reapplied_{reapplied}"))  # fmt: skip
            cases = session.scalar(select(func.count()).select_from(Case)) or 0
    finally:
        store.close()
    return Restored(target, manifest, cases, reapplied)

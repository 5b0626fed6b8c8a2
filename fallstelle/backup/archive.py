"""``backup create``: one encrypted file holding the database, the attachments and a manifest.

Imports the standard library, SQLAlchemy, ``pyrage``, ``store`` and this room. The parts are
staged in a private directory beside the data (mode 0700; the database copy holds only
what the database file holds anyway), packed as a tar archive with the manifest first,
encrypted with age to the backup recipient, written as ``….partial`` and renamed when whole:
a backup file that exists is complete. Attachments are copied after the database snapshot:
they are written once and never changed, and a file is on disk before the row that names it
commits, so every attachment the snapshot names is there (files of later uploads are
harmless extras; files erased meanwhile are erased again by the register on restore).
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyrage
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from fallstelle.backup import database, identity
from fallstelle.backup.manifest import (
    NAME,
    DatabaseFacts,
    Manifest,
    describe_part,
    facts,
    installation_id,
    sha256_file,
)
from fallstelle.cases.register import Register
from fallstelle.config import Settings
from fallstelle.db import utcnow
from fallstelle.errors import FallstelleError
from fallstelle.keyfiles import KeyMaterial
from fallstelle.store import sqlite_path

ATTACHMENTS = "attachments"
SUFFIX = ".backup.age"
_MEMBER = re.compile(r"(manifest\.json|fallstelle\.db|database\.sql|attachments/[0-9a-f]{32}\.bin)")

_SPACE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
Say = Callable[[str], None]
Progress = Callable[[int, int], None]


class BackupFailed(FallstelleError):
    """A backup could not be written, read or restored; the message is the one line to show."""


class BackupDamaged(BackupFailed):
    """The backup file does not decrypt, or a part differs from its manifest."""


def attachments_dir(settings: Settings) -> Path:
    return settings.data_dir / ATTACHMENTS


@contextmanager
def staging(parent: Path) -> Iterator[Path]:
    """A fresh private directory under ``parent``, removed with everything in it afterwards."""
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    stage = parent / f".backup-{secrets.token_hex(6)}"
    stage.mkdir(mode=0o700)
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def space_message(exc: OSError, where: Path) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):  # the CLI prints this one line
        return f"no space left on the device of {where}; free space and run the command again"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"cannot write to {where} ({exc.strerror}); check the mount and permissions"
    return f"{where}: {exc.strerror or exc}"


def _copy_database(
    settings: Settings, engine: Engine, stage: Path, bar: Progress
) -> tuple[str, DatabaseFacts]:
    path = sqlite_path(settings)
    if path is not None:
        target = stage / database.SQLITE_PART
        database.copy_sqlite(path, target, bar)
        copy = sqlite_engine(target)
        try:
            with copy.connect() as conn:
                return database.SQLITE_PART, facts(conn)
        finally:
            copy.dispose()
    # One snapshot for the dump and the manifest's facts: pg_dump --snapshot shares ours.
    with engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        found = facts(conn)
        database.dump_postgres(settings.database_url, stage / database.PG_PART, snapshot)
        conn.rollback()
    return database.PG_PART, found


def sqlite_engine(path: Path) -> Engine:
    """A plain engine on a copied SQLite file (no WAL, no write lock: a backup copy)."""
    return create_engine(f"sqlite:///{path}", poolclass=NullPool)


def create(
    settings: Settings,
    keys: KeyMaterial,
    engine: Engine,
    out_dir: Path,
    *,
    app_version: str,
    say: Say,
    bar: Progress,
) -> Path:
    """Write one encrypted backup of the installation into ``out_dir``; return its path.

    Raises:
        BackupFailed: no space, an unwritable directory, pg_dump failing (one line).
        ConfigError: the backup recipient in ``keys/`` is damaged.
    """
    recipient = identity.recipient(settings.keys_dir)
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    installation = installation_id(keys)
    final = out_dir / f"fallstelle-{installation}-{stamp}{SUFFIX}"
    partial = final.with_name(final.name + ".partial")
    try:
        out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with staging(settings.data_dir) as stage:
            say("copying the database")
            part, found = _copy_database(settings, engine, stage, bar)
            parts = {part: describe_part(stage / part)}
            files = sorted(attachments_dir(settings).glob("*.bin"))
            say(f"copying {len(files)} attachments")
            (stage / ATTACHMENTS).mkdir(mode=0o700)
            for number, source in enumerate(files, 1):
                name = f"{ATTACHMENTS}/{source.name}"
                if source.is_file():  # erased since the listing: gone, and rightly so
                    shutil.copyfile(source, stage / name)
                    parts[name] = describe_part(stage / name)
                bar(number, len(files))
            manifest = Manifest(
                created_at=utcnow().isoformat(), app_version=app_version,
                installation=installation, database="sqlite" if part == database.SQLITE_PART
                else "postgresql", pg_schema=database.schema_of_url(settings.database_url),
                db=found, parts=parts, register_seq=len(Register.open(settings.keys_dir).lines()),
            )  # fmt: skip
            (stage / NAME).write_bytes(manifest.dump())
            tar_path = stage / "archive.tar"
            with tarfile.open(tar_path, "w", format=tarfile.PAX_FORMAT) as tar:
                for name in [NAME, *parts]:
                    tar.add(stage / name, arcname=name, recursive=False)
            say("encrypting")
            pyrage.encrypt_file(str(tar_path), str(partial), [recipient])
            os.chmod(partial, 0o600)
            _fsync(partial)
            os.replace(partial, final)
            _fsync(out_dir)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupFailed(space_message(exc, out_dir)) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return final


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def unpack(path: Path, ident: pyrage.x25519.Identity, stage: Path) -> Manifest:
    """Decrypt and unpack a backup into ``stage``; check every part against the manifest.

    Raises:
        BackupDamaged: it does not decrypt (damaged, or another identity's), holds an
            unexpected member, or a part's SHA-256 or size differs from the manifest.
    """
    tar_path = stage / "archive.tar"
    try:
        pyrage.decrypt_file(str(path), str(tar_path), [ident])
    except (pyrage.DecryptError, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno in _SPACE_ERRNOS:
            raise BackupFailed(space_message(exc, stage)) from None
        # age authenticates every 64 KiB chunk: one flipped byte anywhere ends up here.
        raise BackupDamaged(
            f"{path} does not decrypt: it is damaged, or encrypted to another backup identity"
        ) from None
    try:
        with tarfile.open(tar_path, "r:") as tar:
            for member in tar:
                if not member.isfile() or not _MEMBER.fullmatch(member.name):
                    raise BackupDamaged(f"{path}: unexpected member {member.name!r}")
                source = tar.extractfile(member)
                assert source is not None  # noqa: S101 - a regular file has content
                target = stage / member.name
                target.parent.mkdir(mode=0o700, exist_ok=True)
                with source, target.open("xb") as out:
                    shutil.copyfileobj(source, out)
    except (tarfile.TarError, FileExistsError):
        raise BackupDamaged(f"{path}: the archive inside is damaged") from None
    finally:
        tar_path.unlink(missing_ok=True)
    try:
        manifest = Manifest.load((stage / NAME).read_bytes())
    except (OSError, ValueError, TypeError, KeyError):
        raise BackupDamaged(f"{path}: no readable manifest") from None
    found = {p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file()}
    if found - {NAME} != set(manifest.parts):
        raise BackupDamaged(f"{path}: the parts differ from the manifest")
    for name, claimed in manifest.parts.items():
        if sha256_file(stage / name) != claimed["sha256"]:
            raise BackupDamaged(f"{path}: part {name} differs from its SHA-256 in the manifest")
    return manifest

"""Attachments (letters, photos): encrypted files in the data directory (SD-13).

Imports the standard library, ``crypto``, ``keyfiles``, ``auth`` and the case room. The
file's name on disk is generated here (32 hex digits); nothing the user sends ever becomes a
path. Its content is AES-256-GCM under the case's data key, bound to the case and the file
id, so a file copied to another case does not open. The original name, type, size and
SHA-256 live in an encrypted ``attachment`` entry of the case. Types are allow-listed and
checked by their first bytes, not by the name the browser sends. The writer refuses to write
anything that is not our ciphertext, and the reader refuses names that are not ours or
resolve outside the directory (symlinks included).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from fallstelle import crypto
from fallstelle.audit import record
from fallstelle.auth.actor import Actor
from fallstelle.auth.permissions import Permission
from fallstelle.cases import access
from fallstelle.cases.errors import CaseNotFound, Invalid
from fallstelle.cases.sections import Attachment
from fallstelle.cases.service import open_for_write
from fallstelle.cases.work import CaseWork
from fallstelle.clock import today
from fallstelle.keyfiles import KeyMaterial

MAX_BYTES = 10 * 1024 * 1024
FILE_ID = re.compile(r"[0-9a-f]{32}")
TABLE = "attachments"
#: media type → magic bytes at the start of the file.
ALLOWED: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "text/plain": (),  # checked as UTF-8 text instead
}


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    content: bytes


def sniff(content: bytes) -> str | None:
    """Return the allowed media type the bytes really are, or None."""
    for media_type, magics in ALLOWED.items():
        if magics and any(content.startswith(m) for m in magics):
            return media_type
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain" if "\x00" not in text else None


def _path(directory: Path, file_id: str) -> Path:
    if not FILE_ID.fullmatch(file_id):
        raise Invalid("file", "unknown")
    path = directory / f"{file_id}.bin"
    resolved_dir = directory.resolve()
    if path.is_symlink() or os.path.commonpath([resolved_dir, path.resolve()]) != str(resolved_dir):
        raise Invalid("file", "unknown")
    return path


def write_sealed(directory: Path, file_id: str, blob: bytes) -> None:
    """Write a ciphertext under a new name; plaintext or an existing name is refused.

    Raises:
        ValueError: ``blob`` does not start with our ciphertext header.
        FileExistsError: the name is taken (never overwrite).
    """
    if len(blob) < 33 or blob[0] != crypto.FORMAT_V1:
        raise ValueError("refusing to store bytes that are not our ciphertext")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(_path(directory, file_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(blob)
        out.flush()
        os.fsync(out.fileno())


def _context(case_id: uuid.UUID, file_id: str) -> crypto.FieldContext:
    return crypto.FieldContext(TABLE, "content", case_id, file_id)


def _clean_name(filename: str) -> str:
    name = os.path.basename(filename.replace("\\", "/")).strip()
    name = "".join(c for c in name if c.isprintable())[:200]
    return name or "Anhang"


def add(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    directory: Path,
    case_id: uuid.UUID,
    version: int,
    filename: str,
    content: bytes,
) -> uuid.UUID:
    """Encrypt and store a file, and record its metadata as an entry of the case.

    The file is written before the transaction commits; should the commit fail, an orphan
    ciphertext remains that no entry names (unreadable without the case's key).

    Raises:
        NotAllowed, CaseNotFound, CaseConflict.
        Invalid: empty, too large (``too_large``) or not an allowed type (``file_type``).
    """
    work: CaseWork = open_for_write(session, actor, keys, case_id, version, "case.update")
    if not content:
        raise Invalid("file", "required")
    if len(content) > MAX_BYTES:
        raise Invalid("file", "too_large")
    media_type = sniff(content)
    if media_type is None:
        raise Invalid("file", "file_type")
    file_id = secrets.token_hex(16)
    blob = crypto.encrypt_field(
        work.cipher.dek, content, _context(case_id, file_id), dek_version=work.cipher.dek_version
    )
    write_sealed(directory, file_id, blob)
    entry_id = work.put(
        Attachment(
            file_id=file_id,
            filename=_clean_name(filename),
            media_type=media_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_on=today(),
        )
    )
    work.save(actor)
    access.audit(session, actor, "case.update", str(case_id), reason="attachment_add")
    return entry_id


def read(
    session: Session,
    actor: Actor,
    keys: KeyMaterial,
    directory: Path,
    case_id: uuid.UUID,
    entry_id: uuid.UUID,
) -> Download:
    """Decrypt one attachment for download; the read is audited.

    Raises:
        NotAllowed, CaseNotFound (also: no such attachment, file missing).
        DecryptionFailed: the file was altered or belongs to another case.
    """
    case = access.require_case(session, actor, Permission.CASE_READ, case_id, "case.attachment")
    work = CaseWork.open_for(session, actor, case, keys, "case.attachment")
    meta = work.entries.get(entry_id)
    if meta is None or not isinstance(meta.data, Attachment):
        raise CaseNotFound(str(entry_id))
    path = _path(directory, meta.data.file_id)
    if not path.is_file():
        raise CaseNotFound(str(entry_id))
    content = crypto.decrypt_field(
        work.cipher.dek, path.read_bytes(), _context(case_id, meta.data.file_id)
    )
    # Names the attachment, not just the case (issue 11): ``<case id>/<entry id>``; the audit
    # console's object filter finds it under the case id too.
    event = actor.event(
        "case.attachment_read", object_type="attachment", object_id=f"{case_id}/{entry_id}"
    )
    record(session, event)
    return Download(meta.data.filename, meta.data.media_type, content)

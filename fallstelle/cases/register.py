"""The erasure register: an append-only, HMAC-chained file of every case erasure, in ``keys/``.

Imports the standard library and ``errors``. A backup holds the database and attachments,
never ``keys/``; the register lives in ``keys/`` (``erasures.jsonl``, keyed with
``erasures.key`` beside it), so it outlives a restore: after restoring a copy taken before
a deletion, :func:`fallstelle.cases.erasure.reapply` erases again every case the register
names (issue 12, issue 13 "restore of a backup taken before a deletion does not bring the
case back").

One JSON object per line, canonical (sorted keys, no spaces), with
``mac = HMAC-SHA256(key, previous mac ‖ canonical line without mac)`` and consecutive
``seq`` from 1: a line changed, removed from the middle or reordered breaks the chain, and
:meth:`Register.entries` refuses the file (:class:`RegisterDamaged`) instead of silently
forgetting a deletion. A line holds no personal data: case id and number, office id, dates,
rule and reason codes, the attachment file names (random hex).

Write-ahead: an erasure is appended *before* its transaction commits. A crash in between
leaves an entry whose case still exists; the next :func:`~fallstelle.cases.erasure.reapply`
completes the deletion (the decision to erase was taken). A transaction that rolls back
appends a ``void`` line naming the entry, so a refused erasure is not re-applied later.
A final line without its newline (a crash while writing) is ignored and cut off by the next
append. Appends hold an exclusive ``flock`` on the file, so several processes (the server,
``retention run``) append in turn.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from fallstelle.errors import FallstelleError

FILE = "erasures.jsonl"
KEY_FILE = "erasures.key"
KEY_BYTES = 32
_GENESIS = bytes(32)


class RegisterDamaged(FallstelleError):
    """The register file was altered: a line changed, removed or reordered, or the key differs."""


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _load_or_create_key(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        data = path.read_bytes()
        if len(data) != KEY_BYTES:
            raise RegisterDamaged(f"register key {path} is damaged") from None
        return data
    key = os.urandom(KEY_BYTES)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


@contextmanager
def _locked(path: Path) -> Iterator[IO[bytes]]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    handle = os.fdopen(fd, "r+b")
    try:
        if os.name == "posix":
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield handle
    finally:
        handle.close()  # closing releases the lock


@dataclass(frozen=True, repr=False)
class Register:
    """The register file of one installation and its MAC key."""

    path: Path
    key: bytes

    def __repr__(self) -> str:
        return f"Register({self.path})"

    @classmethod
    def open(cls, keys_dir: Path) -> Register:
        """Return the register in ``keys_dir``, creating its key on first use (0600, O_EXCL).

        Raises:
            RegisterDamaged: the key file has the wrong size.
        """
        return cls(keys_dir / FILE, _load_or_create_key(keys_dir / KEY_FILE))

    def _mac(self, prev: bytes, body: dict[str, Any]) -> bytes:
        return hmac.new(self.key, prev + _canonical(body), hashlib.sha256).digest()

    def _verified(self, raw: bytes) -> tuple[list[dict[str, Any]], bytes, int]:
        """Return the verified lines, the last mac and the byte length of the whole lines."""
        lines: list[dict[str, Any]] = []
        prev, good = _GENESIS, 0
        for chunk in raw.splitlines(keepends=True):
            if not chunk.endswith(b"\n"):
                break  # a torn final line: never committed to by anyone
            try:
                body = json.loads(chunk)
                mac = bytes.fromhex(body.pop("mac"))
            except (ValueError, KeyError, AttributeError, TypeError):
                raise RegisterDamaged(f"{self.path}: line {len(lines) + 1} is damaged") from None
            expected = self._mac(prev, body)
            if not hmac.compare_digest(mac, expected) or body.get("seq") != len(lines) + 1:
                raise RegisterDamaged(f"{self.path}: the chain breaks at line {len(lines) + 1}")
            lines.append(body)
            prev, good = mac, good + len(chunk)
        return lines, prev, good

    def lines(self) -> list[dict[str, Any]]:
        """Return every line, verified.

        Raises:
            RegisterDamaged: see the class.
        """
        if not self.path.exists():
            return []
        return self._verified(self.path.read_bytes())[0]

    def entries(self) -> list[dict[str, Any]]:
        """Return the erasures in order, without the ones a later ``void`` line cancels.

        Raises:
            RegisterDamaged: see the class.
        """
        lines = self.lines()
        voided = {line["void"] for line in lines if "void" in line}
        return [line for line in lines if "void" not in line and line["seq"] not in voided]

    def append(self, body: dict[str, Any]) -> int:
        """Append one line (``seq`` and ``mac`` are added here), fsync it; return its seq.

        Raises:
            RegisterDamaged: the file already on disk does not verify.
        """
        with _locked(self.path) as handle:
            lines, prev, good = self._verified(handle.read())
            seq = len(lines) + 1
            line = {**body, "seq": seq}
            line["mac"] = self._mac(prev, line).hex()
            handle.seek(good)
            handle.truncate()
            handle.write(_canonical(line) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        return seq

    def void(self, seq: int) -> None:
        """Record that erasure ``seq`` did not happen (its transaction rolled back)."""
        self.append({"void": seq})

"""The age key pair backups are encrypted to: the recipient beside the keys, the identity apart.

Imports the standard library, ``pyrage`` and ``errors``. ``backup create`` needs only the
recipient (public key) ``keys/backup.pub``; ``backup verify`` and ``backup restore`` need
the identity (secret key). On the first backup both are created in ``keys/`` (the identity
as ``keys/backup-identity.txt``, mode 0600). Because ``keys/`` is on the server, an operator
who wants the backups to stay closed even to whoever takes the server moves
``backup-identity.txt`` to offline storage (a USB stick in the office safe, a password
manager) and passes it with ``--identity FILE`` when verifying or restoring; the nightly
backup keeps working with ``backup.pub`` alone (README, "Backups").
"""

from __future__ import annotations

import os
from pathlib import Path

import pyrage

from fallstelle.errors import ConfigError

RECIPIENT = "backup.pub"
IDENTITY = "backup-identity.txt"


def _write_new(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())


def recipient(keys_dir: Path) -> pyrage.x25519.Recipient:
    """Return the recipient of ``keys_dir``; create the key pair when neither half exists.

    Raises:
        ConfigError: the recipient file is damaged, or only the identity is there.
    """
    public, secret = keys_dir / RECIPIENT, keys_dir / IDENTITY
    if not public.exists():
        if secret.exists():
            raise ConfigError(f"{public} is missing but {secret} exists; restore {public}")
        identity = pyrage.x25519.Identity.generate()
        _write_new(secret, f"# fallstelle backup identity: keep it apart\n{identity}\n")
        _write_new(public, f"{identity.to_public()}\n")
    try:
        return pyrage.x25519.Recipient.from_str(public.read_text(encoding="ascii").strip())
    except (ValueError, pyrage.RecipientError, UnicodeDecodeError):
        raise ConfigError(f"backup recipient {public} is damaged") from None


def identity(path: Path) -> pyrage.x25519.Identity:
    """Load an age identity file (comment lines allowed).

    Raises:
        ConfigError: missing or not an age identity.
    """
    try:
        lines = path.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError):
        raise ConfigError(
            f"backup identity {path} not readable; pass --identity FILE (README, Backups)"
        ) from None
    for line in lines:
        if line.startswith("AGE-SECRET-KEY-"):
            try:
                return pyrage.x25519.Identity.from_str(line.strip())
            except (ValueError, pyrage.IdentityError):
                break
    raise ConfigError(f"backup identity {path} holds no age identity")

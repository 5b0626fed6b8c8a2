"""The keys directory on disk: create every key once, load and check them at start-up.

Imports the standard library, ``cryptography``, ``crypto`` and ``errors``. Layout (SECURITY.md,
"Cryptographic inventory"):

    keys/keyring.json         KEK ids, status and which one is primary (no key bytes)
    keys/kek-<kid>.key        32 random bytes per key-encryption key
    keys/blind-index.key      32 random bytes, root of the per-field blind-index keys
    keys/secret.key           32 random bytes, Flask SECRET_KEY (CSRF tokens)
    keys/pepper.key           32 random bytes, HMAC key of the bcrypt pre-hash
    keys/audit-signing.key    Ed25519 private key (PKCS#8 PEM), signs audit checkpoints
    keys/audit-signing.pub    its public key (handed to auditors)
    keys/audit-chain.key      32 random bytes, HMAC key of the audit chain (issue 11)

The directory must be 0700 and every file in it 0600 (the public key and any stray file too;
only the repository's README.md and .gitignore are exempt), owned by the user running the app
(ENC-11); anything looser stops start-up, as OpenSSH does. Files are created with O_EXCL, so
a key is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fallstelle import crypto
from fallstelle.errors import ConfigError

KEYRING = "keyring.json"
BLIND_INDEX = "blind-index.key"
SECRET = "secret.key"  # noqa: S105 - a file name, not a secret
PEPPER = "pepper.key"
AUDIT_SIGNING = "audit-signing.key"
AUDIT_PUBLIC = "audit-signing.pub"
AUDIT_CHAIN = "audit-chain.key"
RAW_KEYS = (BLIND_INDEX, SECRET, PEPPER, AUDIT_CHAIN)
#: Files committed to the repository's keys/ folder; they are not key material.
NOT_KEYS = frozenset({"README.md", ".gitignore"})


def kek_file(kid: bytes) -> str:
    return f"kek-{kid.hex()}.key"


@dataclass(frozen=True, repr=False)
class KeyMaterial:
    """Every key of one installation, loaded and checked. The repr shows no key bytes."""

    keyring: crypto.Keyring
    blind_index_root: bytes
    secret_key: bytes
    pepper: bytes
    audit_signing_key: Ed25519PrivateKey
    audit_chain_key: bytes

    def __repr__(self) -> str:
        return f"KeyMaterial({self.keyring!r})"


def keys_present(keys_dir: Path) -> bool:
    """Return whether the directory holds any key file (anything but README/.gitignore)."""
    if not keys_dir.is_dir():
        return False
    return any(p.name not in NOT_KEYS for p in keys_dir.iterdir())


def _write_new(path: Path, data: bytes) -> None:
    # O_EXCL: never overwrite; mode 0600 from the first byte on.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def create_keys(keys_dir: Path) -> KeyMaterial:
    """Create the directory (0700) and every key in it.

    Raises:
        ConfigError: the directory already holds key files (keys are never overwritten).
    """
    if keys_present(keys_dir):
        raise ConfigError(f"keys directory {keys_dir} already holds keys; nothing overwritten")
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    kid = crypto.new_kid()
    keyring = {
        "version": 1,
        "primary": kid.hex(),
        "keks": [{"kid": kid.hex(), "status": "primary", "created": _now()}],
    }
    _write_new(keys_dir / kek_file(kid), crypto.new_key())
    for name in RAW_KEYS:
        _write_new(keys_dir / name, crypto.new_key())
    signing = Ed25519PrivateKey.generate()
    _write_new(
        keys_dir / AUDIT_SIGNING,
        signing.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    _write_new(
        keys_dir / AUDIT_PUBLIC,
        signing.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )
    _write_new(keys_dir / KEYRING, (json.dumps(keyring, indent=2) + "\n").encode())
    return load_keys(keys_dir)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _check_mode(path: Path, allowed: int, what: str) -> None:
    if os.name != "posix":  # Windows has no mode bits; the operator secures the folder (README)
        return
    st = path.stat()
    if st.st_mode & ~allowed & 0o777:
        raise ConfigError(
            f"insecure key permissions: {what} {path} is {stat.S_IMODE(st.st_mode):04o}, "
            f"must be {allowed:04o} (chmod {allowed:o} {path})"
        )
    if st.st_uid != os.geteuid():
        raise ConfigError(f"insecure key permissions: {what} {path} belongs to another user")


def _check_every_file(keys_dir: Path) -> None:
    """Check every entry of keys/, not only the files read (issue 11): the public key, an
    old KEK, a stray copy — anything looser than 0600 or not a plain file refuses start-up.
    Only the repository's own README.md and .gitignore are exempt."""
    for entry in sorted(keys_dir.iterdir()):
        if entry.name in NOT_KEYS:
            continue
        if entry.is_symlink() or not entry.is_file():
            raise ConfigError(
                f"insecure key permissions: {entry} is not a plain file; keys/ holds key files only"
            )
        _check_mode(entry, 0o600, "key file")


def _read(keys_dir: Path, name: str) -> bytes:
    path = keys_dir / name
    if not path.is_file():
        raise ConfigError(f"key file missing: {path}; restore keys/ from your backup")
    _check_mode(path, 0o600, "key file")
    return path.read_bytes()


def _read_raw_key(keys_dir: Path, name: str) -> bytes:
    data = _read(keys_dir, name)
    if len(data) != crypto.KEY_BYTES:
        raise ConfigError(
            f"key file {keys_dir / name} is damaged (expected {crypto.KEY_BYTES} bytes)"
        )
    return data


def load_keys(keys_dir: Path) -> KeyMaterial:
    """Load and check every key; read only, never writes.

    Raises:
        ConfigError: directory or a file missing, permissions looser than 0700/0600,
            a file of the wrong size or shape.
    """
    if not keys_dir.is_dir():
        raise ConfigError(
            f"keys directory missing: {keys_dir}; restore keys/ from your backup (or set "
            "FALLSTELLE_KEYS_DIR to where they are); a new installation starts with "
            "`flask --app fallstelle init`"
        )
    _check_mode(keys_dir, 0o700, "keys directory")
    _check_every_file(keys_dir)
    try:
        ring = json.loads(_read(keys_dir, KEYRING))
        primary = bytes.fromhex(ring["primary"])
        kids = [bytes.fromhex(k["kid"]) for k in ring["keks"] if k["status"] != "destroyed"]
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"key file {keys_dir / KEYRING} is damaged") from None
    keks = {kid: _read_raw_key(keys_dir, kek_file(kid)) for kid in kids}
    try:
        keyring = crypto.Keyring(keks=keks, primary=primary)
    except Exception:
        raise ConfigError(f"key file {keys_dir / KEYRING} names no usable primary key") from None
    try:
        signing = serialization.load_pem_private_key(_read(keys_dir, AUDIT_SIGNING), None)
    except ValueError:
        raise ConfigError(f"key file {keys_dir / AUDIT_SIGNING} is damaged") from None
    if not isinstance(signing, Ed25519PrivateKey):
        raise ConfigError(f"key file {keys_dir / AUDIT_SIGNING} is not an Ed25519 key")
    return KeyMaterial(
        keyring=keyring,
        blind_index_root=_read_raw_key(keys_dir, BLIND_INDEX),
        secret_key=_read_raw_key(keys_dir, SECRET),
        pepper=_read_raw_key(keys_dir, PEPPER),
        audit_signing_key=signing,
        audit_chain_key=_read_raw_key(keys_dir, AUDIT_CHAIN),
    )


def add_chain_key(keys_dir: Path) -> bool:
    """Create ``audit-chain.key`` in an existing keys directory that lacks it (upgrade).

    Only for installations whose audit log is not keyed yet (before migration 0012): the
    caller checks that. Returns whether the key was created.
    """
    path = keys_dir / AUDIT_CHAIN
    if not keys_dir.is_dir() or path.exists():
        return False
    _write_new(path, crypto.new_key())
    return True

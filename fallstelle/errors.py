"""Exceptions shared by every room.

Imports nothing from the application, so every module (``crypto`` included) may use it.
Messages never contain key material, plaintext or personal data.
"""

from __future__ import annotations

#: Exit code for a refused start-up (sysexits.h EX_CONFIG), see SECURITY.md "Start-up refusals".
EX_CONFIG = 78


class FallstelleError(Exception):
    """Base class of every error the application raises on purpose."""


class ConfigError(FallstelleError):
    """A setting, a key or the database is not fit to run with; the process must not start."""

    exit_code = EX_CONFIG


class CryptoError(FallstelleError):
    """A cryptographic operation failed. Never carries key bytes or plaintext."""


class UnsupportedFormat(CryptoError):
    """A ciphertext or wrapped key does not start with a format version this code knows."""


class UnknownKeyId(CryptoError):
    """A wrapped key names a key-encryption key that is not in the keyring."""


class DecryptionFailed(CryptoError):
    """Authentication failed: wrong key, wrong context (table, column, case, row) or tampering."""

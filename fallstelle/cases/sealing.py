"""The case's data key and every encrypted payload of a case; the blind indexes.

Imports ``crypto``, ``cases.payload`` and the standard library. One data key (DEK) per case,
wrapped by the primary KEK (ARCHITECTURE.md "Keys"). Every payload is sealed with
``crypto.encrypt_text`` and a :class:`~fallstelle.crypto.FieldContext` naming its table,
column, case and row; an entry's row id is ``<kind>:<uuid>``, so a ciphertext moved to
another row, column, case or kind fails to decrypt.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TypeVar

from fallstelle import crypto
from fallstelle.cases import payload

T = TypeVar("T")

CASES = "cases"
ENTRIES = "case_entries"
IDENTITIES = "case_identities"
PAYLOAD = "payload"
#: The fields with a blind index; never a category (ARCHITECTURE.md "Keys").
INDEXED = ("surname", "phone", "email")


@dataclass(frozen=True, repr=False)
class CaseCipher:
    """The unwrapped data key of one case; seals and opens that case's payloads only."""

    case_id: uuid.UUID
    dek: bytes
    dek_version: int = 1

    def __repr__(self) -> str:
        return f"CaseCipher({self.case_id})"

    def seal(self, table: str, row_id: str, obj: object) -> bytes:
        ctx = crypto.FieldContext(table, PAYLOAD, self.case_id, row_id)
        return crypto.encrypt_text(
            self.dek, payload.dump(obj).decode("utf-8"), ctx, dek_version=self.dek_version
        )

    def open(self, cls: type[T], table: str, row_id: str, blob: bytes) -> T:
        """Decrypt and parse one payload.

        Raises:
            DecryptionFailed: wrong key, or the blob belongs to another row/column/case.
            ValueError: the plaintext does not have the shape of ``cls``.
        """
        ctx = crypto.FieldContext(table, PAYLOAD, self.case_id, row_id)
        return payload.load(cls, crypto.decrypt_text(self.dek, bytes(blob), ctx).encode("utf-8"))


def entry_row_id(kind: str, entry_id: uuid.UUID) -> str:
    return f"{kind}:{entry_id}"


def new_case_key(keyring: crypto.Keyring, case_id: uuid.UUID) -> tuple[CaseCipher, bytes]:
    """Return a fresh cipher for a new case and its data key wrapped by the primary KEK."""
    dek = crypto.new_key()
    return CaseCipher(case_id, dek), keyring.wrap_dek(dek, case_id=case_id)


def open_case_key(
    keyring: crypto.Keyring, case_id: uuid.UUID, wrapped: bytes, dek_version: int
) -> CaseCipher:
    """Unwrap a case's data key.

    Raises:
        UnsupportedFormat, UnknownKeyId, DecryptionFailed: see ``Keyring.unwrap_dek``.
    """
    dek = keyring.unwrap_dek(bytes(wrapped), case_id=case_id, dek_version=dek_version)
    return CaseCipher(case_id, dek, dek_version)


def rewrap_case_key(
    keyring: crypto.Keyring, case_id: uuid.UUID, wrapped: bytes, dek_version: int
) -> bytes:
    """Return the case's data key wrapped anew by the primary KEK (key rotation).

    The data key itself does not change, so no payload is re-encrypted and a writer that
    unwrapped the old form meanwhile still holds the right key.

    Raises:
        UnsupportedFormat, UnknownKeyId, DecryptionFailed: see ``Keyring.unwrap_dek``.
    """
    dek = keyring.unwrap_dek(bytes(wrapped), case_id=case_id, dek_version=dek_version)
    return keyring.wrap_dek(dek, case_id=case_id, dek_version=dek_version)


def normalise_for_index(field: str, value: str) -> str:
    """Normalise a searchable value: a phone number to digits (+49 → 0), else as crypto does."""
    if field == "phone":
        digits = re.sub(r"\D", "", value.strip().replace("+", "00", 1))
        return "0" + digits[4:] if digits.startswith("0049") else digits
    return crypto.normalise(value)


@dataclass(frozen=True, repr=False)
class BlindIndexer:
    """The per-field blind-index keys derived from ``keys/blind-index.key``."""

    root: bytes

    def __repr__(self) -> str:
        return "BlindIndexer()"

    def index(self, field: str, value: str) -> int | None:
        """Return the truncated blind index of a value, or None for an empty value."""
        if field not in INDEXED:
            raise ValueError(f"no blind index on {field}")
        normal = normalise_for_index(field, value)
        if not normal:
            return None
        key = crypto.blind_index_key(self.root, IDENTITIES, field)
        return crypto.blind_index(key, normal)

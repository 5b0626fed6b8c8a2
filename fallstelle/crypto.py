"""Keys, envelope encryption, field encryption and blind indexes: bytes in, bytes out.

Imports only ``cryptography``, the standard library and ``fallstelle.errors`` (ARCHITECTURE.md,
"Keys"); it knows nothing of files, Flask or the ORM. Decryption is always an explicit call
made by a service, never hidden in a column type, so every read can be audited.

Formats (SECURITY.md, "Cryptographic inventory"):

* wrapped data key, format 2 (every new key): ``0x02 ‖ kid(4) ‖ nonce(12) ‖ AES-GCM(KEK,
  DEK)(32) ‖ tag(16)`` = 65 bytes, AAD ``"fallstelle/dek/v2" 0x00 ‖ binding``, where the
  caller's binding names the case and everything that decides who may open it (office,
  counsellors: ``cases.sealing.binding_of``), so a database write that moves the case fails
  to unwrap (issue 11);
* wrapped data key, format 1 (read only, to upgrade): the same layout with ``0x01`` and AAD
  ``"fallstelle/dek/v1" 0x00 ‖ case UUID(16) ‖ dek_version(u32 BE)``;
* field value: ``0x01 ‖ dek_version(u32 BE) ‖ nonce(12) ‖ ciphertext ‖ tag(16)``, AAD the
  length-prefixed list ``["fallstelle/field/v1", table, column, case UUID, row id, dek_version]``
  so a ciphertext moved to another row, column or case fails to decrypt (ENC-3);
* key-check value: ``0x01 ‖ nonce(12) ‖ AES-GCM(KEK, 32 zero bytes) ‖ tag(16)``, AAD
  ``"fallstelle/kcv/v1" ‖ kid``; lets start-up tell a wrong key from corrupt data (ENC-12).

Every nonce comes from ``os.urandom`` (never a counter shared between processes). The key id
in a prefix is an unauthenticated hint that selects the key; an unknown id is a hard error,
never a trial decryption.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import struct
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fallstelle.errors import DecryptionFailed, UnknownKeyId, UnsupportedFormat

FORMAT_V1 = 0x01
FORMAT_V2 = 0x02
KEY_BYTES = 32
KID_BYTES = 4
NONCE_BYTES = 12
TAG_BYTES = 16
WRAPPED_DEK_BYTES = 1 + KID_BYTES + NONCE_BYTES + KEY_BYTES + TAG_BYTES  # 65

_DEK_AAD_LABEL = b"fallstelle/dek/v1\x00"
_BOUND_DEK_AAD_LABEL = b"fallstelle/dek/v2\x00"
_FIELD_AAD_LABEL = "fallstelle/field/v1"
_KCV_AAD_LABEL = b"fallstelle/kcv/v1"
_KCV_PLAINTEXT = bytes(32)

#: Default blind-index length in bits: CipherSweet's rule 2 <= R/2^L <= sqrt(R) for R = 10,000
#: cases per office gives L in [7, 12]; 10 leaves about ten cases per index value.
BLIND_INDEX_BITS = 10
BLIND_INDEX_MIN_BITS = 4
BLIND_INDEX_MAX_BITS = 16


def new_key() -> bytes:
    """Return 32 fresh random bytes for a KEK, a DEK or any other symmetric key."""
    return os.urandom(KEY_BYTES)


def new_kid() -> bytes:
    """Return a fresh random 4-byte key id."""
    return os.urandom(KID_BYTES)


def _check_key(key: bytes) -> None:
    if len(key) != KEY_BYTES:
        raise ValueError(f"a key must be {KEY_BYTES} bytes long")


@dataclass(frozen=True)
class Keyring:
    """The key-encryption keys of one installation; ``primary`` wraps new data keys.

    ``keks`` maps a 4-byte key id to its 32-byte key. The repr never shows key bytes.
    """

    keks: Mapping[bytes, bytes]
    primary: bytes

    def __post_init__(self) -> None:
        if self.primary not in self.keks:
            raise UnknownKeyId("the primary key id is not in the keyring")
        for kid, key in self.keks.items():
            if len(kid) != KID_BYTES:
                raise ValueError(f"a key id must be {KID_BYTES} bytes long")
            _check_key(key)

    def __repr__(self) -> str:
        kids = ", ".join(kid.hex() for kid in self.keks)
        return f"Keyring(primary={self.primary.hex()}, kids=[{kids}])"

    def _kek(self, kid: bytes) -> bytes:
        try:
            return self.keks[kid]
        except KeyError:
            raise UnknownKeyId(f"no key-encryption key with id {kid.hex()}") from None

    def wrap_dek(self, dek: bytes, *, case_id: uuid.UUID, dek_version: int = 1) -> bytes:
        """Wrap a data key in format 1 (case id and version only; tests and old data)."""
        _check_key(dek)
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self._kek(self.primary)).encrypt(nonce, dek, _dek_aad(case_id, dek_version))
        return bytes([FORMAT_V1]) + self.primary + nonce + sealed

    def unwrap_dek(self, wrapped: bytes, *, case_id: uuid.UUID, dek_version: int = 1) -> bytes:
        """Return the data key inside a format-1 ``wrapped`` (read only to upgrade it).

        Raises:
            UnsupportedFormat: unknown version byte or wrong length.
            UnknownKeyId: the KEK named in the prefix is not in the keyring.
            DecryptionFailed: wrong key, another case's key, or tampering.
        """
        if len(wrapped) != WRAPPED_DEK_BYTES or wrapped[0] != FORMAT_V1:
            raise UnsupportedFormat("not a wrapped data key of format version 1")
        kid, nonce, sealed = _split_wrapped(wrapped)
        try:
            return AESGCM(self._kek(kid)).decrypt(nonce, sealed, _dek_aad(case_id, dek_version))
        except InvalidTag:
            raise DecryptionFailed("the data key does not unwrap for this case") from None

    def wrap_bound_dek(self, dek: bytes, binding: bytes, *, kid: bytes | None = None) -> bytes:
        """Wrap a data key (format 2) with the KEK ``kid`` (default: the primary), bound to
        ``binding`` (the case and whatever decides access to it)."""
        _check_key(dek)
        kid = self.primary if kid is None else kid
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self._kek(kid)).encrypt(nonce, dek, _BOUND_DEK_AAD_LABEL + binding)
        return bytes([FORMAT_V2]) + kid + nonce + sealed

    def unwrap_bound_dek(self, wrapped: bytes, binding: bytes) -> bytes:
        """Return the data key inside a format-2 wrapped key made for ``binding``.

        Raises:
            UnsupportedFormat: not format 2 (a format-1 key is refused here: it binds no
                office, so accepting it would let a database write move the case).
            UnknownKeyId: the KEK named in the prefix is not in the keyring.
            DecryptionFailed: wrong key, another binding (moved case), or tampering.
        """
        if wrap_format(wrapped) != FORMAT_V2:
            raise UnsupportedFormat("not a wrapped data key of format version 2")
        kid, nonce, sealed = _split_wrapped(wrapped)
        try:
            return AESGCM(self._kek(kid)).decrypt(nonce, sealed, _BOUND_DEK_AAD_LABEL + binding)
        except InvalidTag:
            raise DecryptionFailed("the data key does not unwrap for this binding") from None

    @staticmethod
    def kid_of(wrapped: bytes) -> bytes:
        """Return the key id a wrapped data key names (for rotation bookkeeping)."""
        wrap_format(wrapped)
        return wrapped[1 : 1 + KID_BYTES]


def wrap_format(wrapped: bytes) -> int:
    """Return the format version of a wrapped data key (1 or 2).

    Raises:
        UnsupportedFormat: unknown version byte or wrong length.
    """
    if len(wrapped) != WRAPPED_DEK_BYTES or wrapped[0] not in (FORMAT_V1, FORMAT_V2):
        raise UnsupportedFormat("not a wrapped data key of format version 1 or 2")
    return wrapped[0]


def _split_wrapped(wrapped: bytes) -> tuple[bytes, bytes, bytes]:
    kid = wrapped[1 : 1 + KID_BYTES]
    nonce = wrapped[1 + KID_BYTES : 1 + KID_BYTES + NONCE_BYTES]
    return kid, nonce, wrapped[1 + KID_BYTES + NONCE_BYTES :]


def _dek_aad(case_id: uuid.UUID, dek_version: int) -> bytes:
    return _DEK_AAD_LABEL + case_id.bytes + struct.pack(">I", dek_version)


def key_check_value(kek: bytes, kid: bytes) -> bytes:
    """Return a fresh key-check value for ``kek``, stored in the database beside its id."""
    _check_key(kek)
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(kek).encrypt(nonce, _KCV_PLAINTEXT, _KCV_AAD_LABEL + kid)
    return bytes([FORMAT_V1]) + nonce + sealed


def verify_key_check_value(kek: bytes, kid: bytes, kcv: bytes) -> bool:
    """Return whether ``kcv`` was made with this very key and key id."""
    _check_key(kek)
    if len(kcv) < 1 + NONCE_BYTES + TAG_BYTES or kcv[0] != FORMAT_V1:
        return False
    nonce, sealed = kcv[1 : 1 + NONCE_BYTES], kcv[1 + NONCE_BYTES :]
    try:
        plain = AESGCM(kek).decrypt(nonce, sealed, _KCV_AAD_LABEL + kid)
    except InvalidTag:
        return False
    return hmac.compare_digest(plain, _KCV_PLAINTEXT)


@dataclass(frozen=True)
class FieldContext:
    """Where a ciphertext lives; all of it is bound into the AAD."""

    table: str
    column: str
    case_id: uuid.UUID
    row_id: str

    def aad(self, dek_version: int) -> bytes:
        parts = [
            _FIELD_AAD_LABEL.encode(),
            self.table.encode(),
            self.column.encode(),
            self.case_id.bytes,
            self.row_id.encode(),
            struct.pack(">I", dek_version),
        ]
        out = struct.pack(">H", len(parts))
        for part in parts:
            out += struct.pack(">I", len(part)) + part
        return out


_FIELD_HEADER = struct.Struct(">BI")  # format version, dek_version


def encrypt_field(
    dek: bytes, plaintext: bytes, ctx: FieldContext, *, dek_version: int = 1
) -> bytes:
    """Encrypt one column value with the case's data key, bound to ``ctx``."""
    _check_key(dek)
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(dek).encrypt(nonce, plaintext, ctx.aad(dek_version))
    return _FIELD_HEADER.pack(FORMAT_V1, dek_version) + nonce + sealed


def decrypt_field(dek: bytes, blob: bytes, ctx: FieldContext) -> bytes:
    """Decrypt one column value.

    Raises:
        UnsupportedFormat: unknown version byte or too short to be a ciphertext.
        DecryptionFailed: wrong key, moved to another table/column/case/row, or tampered.
    """
    _check_key(dek)
    if len(blob) < _FIELD_HEADER.size + NONCE_BYTES + TAG_BYTES or blob[0] != FORMAT_V1:
        raise UnsupportedFormat("not a field ciphertext of format version 1")
    _, dek_version = _FIELD_HEADER.unpack_from(blob)
    body = blob[_FIELD_HEADER.size :]
    nonce, sealed = body[:NONCE_BYTES], body[NONCE_BYTES:]
    try:
        return AESGCM(dek).decrypt(nonce, sealed, ctx.aad(dek_version))
    except InvalidTag:
        raise DecryptionFailed(
            f"value of {ctx.table}.{ctx.column} does not decrypt in this context"
        ) from None


def encrypt_text(dek: bytes, text: str, ctx: FieldContext, *, dek_version: int = 1) -> bytes:
    """Encrypt a string (UTF-8, surrogates refused) as :func:`encrypt_field` does."""
    return encrypt_field(dek, text.encode("utf-8"), ctx, dek_version=dek_version)


def decrypt_text(dek: bytes, blob: bytes, ctx: FieldContext) -> str:
    """Decrypt a string encrypted with :func:`encrypt_text`."""
    return decrypt_field(dek, blob, ctx).decode("utf-8")


def derive_key(root: bytes, purpose: str) -> bytes:
    """Derive a 32-byte key for one named purpose from a root key (HKDF-SHA256).

    Distinct purposes give independent keys, so one root file can serve several uses
    without one use's ciphertexts being valid for another.
    """
    _check_key(root)
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=b"fallstelle/derive/v1",
        info=purpose.encode(),
    ).derive(root)


def normalise(value: str) -> str:
    """Normalise a searchable value: NFKC, case-folded, inner whitespace collapsed, trimmed."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def blind_index_key(root: bytes, table: str, column: str, scope: str = "") -> bytes:
    """Derive a blind-index key (CipherSweet: salt=table, info=0x7E*32 ‖ column).

    A non-empty ``scope`` (the office) is appended to the info, so the same value gives
    unrelated indexes in two scopes: equal names in two offices do not link (issue 11).
    """
    _check_key(root)
    info = b"\x7e" * 32 + column.encode() + (b"\x00" + scope.encode() if scope else b"")
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=table.encode(), info=info
    ).derive(root)


def blind_index(field_key: bytes, value: str, *, bits: int = BLIND_INDEX_BITS) -> int:
    """Return the first ``bits`` bits of HMAC-SHA256 over the normalised value.

    Truncation is deliberate: several cases share each index value, so the index alone does
    not identify a person; the caller filters matches after decryption.
    """
    if not 1 <= bits <= 32:
        raise ValueError("a blind index has between 1 and 32 bits")
    digest = hmac.new(field_key, normalise(value).encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") >> (32 - bits)


def blind_index_bits(rows: int) -> int:
    """Return the index length for ``rows`` indexed rows (CipherSweet's rule).

    The rule is 2 <= R/2^L <= sqrt(R); this takes the middle of that range (rounded up),
    for at least 64 rows and at most 16 bits: 100 rows → 5 bits (about 3 rows share each
    value), 10,000 rows → 10 bits (about 10 share each value).
    """
    r = max(rows, 64)
    low = math.ceil(math.log2(r) / 2)
    high = math.floor(math.log2(r / 2))
    return max(BLIND_INDEX_MIN_BITS, min(BLIND_INDEX_MAX_BITS, (low + high + 1) // 2))

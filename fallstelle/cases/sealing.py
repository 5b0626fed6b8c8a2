"""The case's data key and every encrypted payload of a case; the blind indexes.

Imports ``crypto``, ``errors``, the case room's models, errors and payload, and the standard
library. One data key (DEK) per case, wrapped by the primary KEK (ARCHITECTURE.md "Keys") and
bound to the case's office and counsellors (:func:`binding_of`, issue 11): re-wrapping is
one function, :func:`rewrap_case_key`, for rotations and hand-overs alike. Every payload is
sealed with ``crypto.encrypt_text`` and a :class:`~fallstelle.crypto.FieldContext` naming its
table, column, case and row; an entry's row id is ``<kind>:<uuid>``, so a ciphertext moved to
another row, column, case or kind fails to decrypt.
"""

from __future__ import annotations

import re
import struct
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from fallstelle import crypto
from fallstelle.cases import payload
from fallstelle.cases.errors import CaseKeyRefused
from fallstelle.cases.models import Case
from fallstelle.errors import DecryptionFailed, UnsupportedFormat

T = TypeVar("T")

CASES = "cases"
ENTRIES = "case_entries"
IDENTITIES = "case_identities"
PAYLOAD = "payload"
#: The fields with a blind index; never a category (ARCHITECTURE.md "Keys"). Surname and
#: phone have prefix indexes only (:class:`PrefixIndexer`), e-mail an exact one.
INDEXED = ("surname", "phone", "email")
#: The prefix blind indexes (issue 14): field → the prefix lengths indexed, shortest first.
#: Names by letters after folding (3 and 5), phone numbers by digits (4 and 6: "0171", "030 1"
#: say little more than a carrier or a city; 6 digits, "0171 23", reach into the subscriber
#: number, and are what a counsellor remembers of a number). Why these: SECURITY.md.
PREFIXES = {"surname": (3, 5), "phone": (4, 6)}
BINDING_LABEL = b"fallstelle/case-binding/v1"


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


def binding_of(case: Case) -> bytes:
    """Return what a case's wrapped data key is bound to: the case and who may open it.

    The case id, the key's version, the office, the lead counsellor and the sorted
    co-counsellors, each length-prefixed. A database write that changes any of them (moves
    the case to another office, hands it to someone) makes the key fail to unwrap, so the
    write alone hands the case to nobody (issue 11). Shares are not bound: they decide no
    access.
    """
    return binding(
        case.id,
        case.dek_version,
        case.office_id,
        case.lead_counsellor_id,
        case.counsellor_ids - {case.lead_counsellor_id},
    )


def binding(
    case_id: uuid.UUID, dek_version: int, office_id: int, lead: str, co: Iterable[str]
) -> bytes:
    """Return the binding of :func:`binding_of` from the bare column values (migrations)."""
    parts = [
        BINDING_LABEL,
        case_id.bytes,
        struct.pack(">I", dek_version),
        str(office_id).encode(),
        lead.encode(),
        *(user_id.encode() for user_id in sorted(set(co) - {lead})),
    ]
    return b"".join(struct.pack(">I", len(part)) + part for part in parts)


def new_case_key(keyring: crypto.Keyring, case: Case) -> CaseCipher:
    """Give a new case row a fresh data key, wrapped by the primary KEK and bound to the row.

    Set the office and counsellors first: they are bound in (:func:`binding_of`).
    """
    dek = crypto.new_key()
    case.dek_wrapped = keyring.wrap_bound_dek(dek, binding_of(case))
    case.dek_kid = keyring.primary.hex()
    return CaseCipher(case.id, dek, case.dek_version)


def open_case_key(keyring: crypto.Keyring, case: Case) -> CaseCipher:
    """Unwrap the data key of a case row as it stands.

    Raises:
        CaseKeyRefused: the key is not bound to the row's office and counsellors (moved by
            a database write), is of the unbound format 1, or does not unwrap at all.
        UnknownKeyId: the KEK named in the key is not in the keyring.
    """
    try:
        dek = keyring.unwrap_bound_dek(bytes(case.dek_wrapped), binding_of(case))
    except (DecryptionFailed, UnsupportedFormat):
        raise CaseKeyRefused(str(case.id)) from None
    return CaseCipher(case.id, dek, case.dek_version)


def rewrap_case_key(
    keyring: crypto.Keyring,
    binding: bytes,
    wrapped: bytes,
    kek_version: bytes | None = None,
    *,
    new_binding: bytes | None = None,
) -> bytes:
    """Re-wrap a case's data key: the one function for key rotation and for hand-overs.

    ``binding`` is what the key is bound to now (``binding_of(case)`` before any change);
    ``kek_version`` the id of the KEK to wrap with (default: the primary); ``new_binding``
    what it is bound to afterwards (default: unchanged, as for a rotation). The data key
    itself stays, so no payload is re-encrypted. Returns the new wrapped key (format 2); the
    caller stores it and ``kid_of`` it in ``dek_kid``.

    Raises:
        CaseKeyRefused: ``wrapped`` does not unwrap for ``binding`` (or is format 1: those
            are upgraded only by migration 0013, :func:`upgrade_legacy_key`).
        UnknownKeyId: a KEK id not in the keyring.
    """
    try:
        dek = keyring.unwrap_bound_dek(bytes(wrapped), binding)
    except (DecryptionFailed, UnsupportedFormat):
        raise CaseKeyRefused("key does not unwrap for this binding") from None
    target = binding if new_binding is None else new_binding
    return keyring.wrap_bound_dek(dek, target, kid=kek_version)


def rebind(keyring: crypto.Keyring, case: Case, before: bytes) -> None:
    """Re-wrap a case's key after a legitimate change of its office or counsellors.

    ``before`` is ``binding_of(case)`` taken before the change.

    Raises:
        CaseKeyRefused: the key did not unwrap for ``before``.
    """
    after = binding_of(case)
    if after != before:
        case.dek_wrapped = rewrap_case_key(keyring, before, case.dek_wrapped, new_binding=after)
        case.dek_kid = keyring.primary.hex()


def upgrade_legacy_key(
    keyring: crypto.Keyring, wrapped: bytes, case_id: uuid.UUID, dek_version: int, to: bytes
) -> tuple[bytes, bytes]:
    """Return the data key of a format-1 wrapped key and its re-wrap in format 2 bound to ``to``.

    Only migration 0013 calls this, once, while the rows are as the application left them;
    afterwards format 1 is refused everywhere (an old wrapped key put back would otherwise
    skip the office binding).

    Raises:
        UnsupportedFormat, UnknownKeyId, DecryptionFailed: see ``Keyring.unwrap_dek``.
    """
    dek = keyring.unwrap_dek(bytes(wrapped), case_id=case_id, dek_version=dek_version)
    return dek, keyring.wrap_bound_dek(dek, to)


def normalise_for_index(field: str, value: str) -> str:
    """Normalise a searchable value: a phone number to digits (+49 → 0), else as crypto does."""
    if field == "phone":
        digits = re.sub(r"\D", "", value.strip().replace("+", "00", 1))
        return "0" + digits[4:] if digits.startswith("0049") else digits
    return crypto.normalise(value)


#: A stored blind index is ``bits << BITS_SHIFT | index``: the length it was made with rides
#: along, so an office that grows gets longer indexes for new rows while old ones still match.
BITS_SHIFT = 24


@dataclass(frozen=True, repr=False)
class BlindIndexer:
    """The blind-index keys of one office, derived from ``keys/blind-index.key``.

    Keyed per office (equal names in two offices give unrelated values) and truncated to
    ``crypto.blind_index_bits`` of the office's number of cases (SECURITY.md, "Blind index").
    """

    root: bytes
    office_id: int

    def __repr__(self) -> str:
        return f"BlindIndexer(office={self.office_id})"

    def _digest(self, field: str, normal: str, bits: int) -> int:
        key = crypto.blind_index_key(self.root, IDENTITIES, field, f"office:{self.office_id}")
        return bits << BITS_SHIFT | crypto.blind_index(key, normal, bits=bits)

    def index(self, field: str, value: str, bits: int) -> int | None:
        """Return the stored form of the blind index of a value, or None for an empty value."""
        if field not in INDEXED:
            raise ValueError(f"no blind index on {field}")
        normal = normalise_for_index(field, value)
        return self._digest(field, normal, bits) if normal else None

    def candidates(self, field: str, value: str) -> list[int]:
        """Return the stored forms a value may have, one per possible length (for a search)."""
        if field not in INDEXED:
            raise ValueError(f"no blind index on {field}")
        normal = normalise_for_index(field, value)
        if not normal:
            return []
        lengths = range(crypto.BLIND_INDEX_MIN_BITS, crypto.BLIND_INDEX_MAX_BITS + 1)
        return [self._digest(field, normal, bits) for bits in lengths]


# German letters fold to their two-letter spelling (Müller = Mueller), ı to i (Yılmaz = Yilmaz);
# other accents are dropped after the decomposition (Şahin = Sahin, Émile = Emile).
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ı": "i"})


def fold_for_prefix(field: str, value: str) -> str:
    """Normalise a value for the prefix index and the prefix comparison after decryption.

    A phone number becomes its digits (+49/0049 → 0, as :func:`normalise_for_index`); a name
    is NFKC-normalised, case-folded, German umlauts and ß spelt out (ä → ae), other accents
    dropped, and everything but letters and digits removed (spaces, hyphens, apostrophes), so
    "Müller-Lüdenscheidt", "mueller lüdenscheidt" and "MUELLER" share their prefixes.
    """
    if field == "phone":
        return normalise_for_index("phone", value)
    text = unicodedata.normalize("NFKC", value).casefold().translate(_FOLD)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isalnum())


def prefix_column(field: str, length: int) -> str:
    """The column of ``case_identities`` holding the prefix index of that field and length."""
    return f"{field}_p{length}_bidx"


def prefix_columns() -> list[str]:
    return [prefix_column(f, n) for f, lengths in PREFIXES.items() for n in lengths]


def split_bits(bits: int) -> tuple[int, int]:
    """Share an office's index length between a field's short and long prefix index.

    Together they hold ``bits`` bits, as much as one exact index would: a row's two values
    sort it into one of ``2**bits`` buckets, so the database alone tells no more about who
    shares a name or number than the exact index it replaces (CipherSweet's planner counts
    the sum of a field's indexes against the same bound). The short prefix gets the odd bit.
    """
    return (bits + 1) // 2, bits // 2


@dataclass(frozen=True, repr=False)
class PrefixIndexer:
    """The prefix blind-index keys of one office (CipherSweet's truncated-prefix index).

    One key per office, field and prefix length, derived like the exact index's key
    (``crypto.blind_index_key``, the column named ``<field>_p<length>``); the office's index
    length is shared between the two prefixes (:func:`split_bits`) and rides along in each
    value (:data:`BITS_SHIFT`). There is no exact index of surname and phone beside them. What
    the stored values reveal is in SECURITY.md, "Prefix search".
    """

    root: bytes
    office_id: int

    def __repr__(self) -> str:
        return f"PrefixIndexer(office={self.office_id})"

    def _digest(self, field: str, step: int, prefix: str, bits: int) -> int:
        length = PREFIXES[field][step]
        key = crypto.blind_index_key(
            self.root, IDENTITIES, f"{field}_p{length}", f"office:{self.office_id}"
        )
        share = split_bits(bits)[step]
        return bits << BITS_SHIFT | crypto.blind_index(key, prefix[:length], bits=share)

    def columns(self, field: str, value: str, bits: int) -> dict[str, int | None]:
        """Return column → stored value of both prefix indexes of a value (None if empty).

        A value shorter than a prefix length is indexed as it is ("Li" under "li"): a query
        has at least as many letters as the prefix it asks, so it never finds it there.
        """
        folded = fold_for_prefix(field, value)
        return {
            prefix_column(field, n): self._digest(field, step, folded, bits) if folded else None
            for step, n in enumerate(PREFIXES[field])
        }

    def candidates(self, field: str, folded: str) -> dict[str, list[int]]:
        """Return column → the stored values a row matching a folded query may have there.

        A row is a candidate when it has one of the values in every column returned: the
        short prefix's always, the long prefix's too when the query is that long. One value
        per possible index length (an office's rows may have been indexed at other sizes).

        A query shorter than the short prefix asks that column for a value indexed as it is
        (only a value of exactly that length can have it: "li" finds "Li", never "Lindner").
        """
        lengths = PREFIXES[field]
        every = range(crypto.BLIND_INDEX_MIN_BITS, crypto.BLIND_INDEX_MAX_BITS + 1)
        return {
            prefix_column(field, n): [self._digest(field, step, folded, b) for b in every]
            for step, n in enumerate(lengths)
            if len(folded) >= n or step == 0
        }

"""crypto: round trips, tamper detection, context binding, key ids, nonces, blind index."""

from __future__ import annotations

import math
import os
import random
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fallstelle import crypto
from fallstelle.errors import DecryptionFailed, UnknownKeyId, UnsupportedFormat

CASE = uuid.UUID("6f1c1c7e-2b0a-4d3e-9a57-0d2b6f0c1a11")
OTHER_CASE = uuid.UUID("0e7d8a1c-93f4-4b77-8e0b-5a2d11c9f0aa")
DEK = bytes(range(32))
CTX = crypto.FieldContext("persons", "surname", CASE, "17")


def test_text_round_trip_one_megabyte_of_unicode() -> None:
    rng = random.Random(4711)  # noqa: S311 - test data, not a secret
    alphabet = [chr(c) for c in range(0x20, 0x2FFF) if not 0xD800 <= c <= 0xDFFF]
    alphabet += ["\x00", "\u202e", "😀", "ß", "\U0001f9d5"]
    text = "".join(rng.choices(alphabet, k=1_000_000))
    blob = crypto.encrypt_text(DEK, text, CTX)
    assert crypto.decrypt_text(DEK, blob, CTX) == text


@given(st.text(max_size=2000))
def test_text_round_trip_any_unicode(text: str) -> None:
    assert crypto.decrypt_text(DEK, crypto.encrypt_text(DEK, text, CTX), CTX) == text


@settings(max_examples=300)
@given(st.binary(min_size=1, max_size=64), st.data())
def test_any_flipped_byte_fails(plaintext: bytes, data: st.DataObject) -> None:
    blob = bytearray(crypto.encrypt_field(DEK, plaintext, CTX))
    index = data.draw(st.integers(0, len(blob) - 1))
    bit = data.draw(st.integers(0, 7))
    blob[index] ^= 1 << bit
    with pytest.raises((DecryptionFailed, UnsupportedFormat)):
        crypto.decrypt_field(DEK, bytes(blob), CTX)


@pytest.mark.parametrize(
    "moved",
    [
        crypto.FieldContext("persons", "surname", CASE, "18"),  # another row
        crypto.FieldContext("persons", "given_name", CASE, "17"),  # another column
        crypto.FieldContext("contacts", "surname", CASE, "17"),  # another table
        crypto.FieldContext("persons", "surname", OTHER_CASE, "17"),  # another case
    ],
    ids=["row", "column", "table", "case"],
)
def test_ciphertext_moved_elsewhere_fails(moved: crypto.FieldContext) -> None:
    blob = crypto.encrypt_text(DEK, "Zzyzxqvarn", CTX)
    with pytest.raises(DecryptionFailed):
        crypto.decrypt_text(DEK, blob, moved)


def test_aad_encoding_is_unambiguous() -> None:
    # Length prefixes keep ("ab", "c") and ("a", "bc") apart.
    one = crypto.FieldContext("ab", "c", CASE, "1").aad(1)
    two = crypto.FieldContext("a", "bc", CASE, "1").aad(1)
    assert one != two


def test_wrong_data_key_fails() -> None:
    blob = crypto.encrypt_text(DEK, "x", CTX)
    with pytest.raises(DecryptionFailed):
        crypto.decrypt_text(crypto.new_key(), blob, CTX)


def test_unknown_version_byte_fails_cleanly() -> None:
    blob = bytearray(crypto.encrypt_text(DEK, "x", CTX))
    blob[0] = 0x02
    with pytest.raises(UnsupportedFormat) as info:
        crypto.decrypt_text(DEK, bytes(blob), CTX)
    assert DEK.hex() not in str(info.value)


def test_ten_thousand_encryptions_use_distinct_nonces() -> None:
    header = 5  # version byte + dek_version
    nonces = {
        crypto.encrypt_field(DEK, b"same", CTX)[header : header + crypto.NONCE_BYTES]
        for _ in range(10_000)
    }
    assert len(nonces) == 10_000


def _keyring() -> crypto.Keyring:
    kid = crypto.new_kid()
    return crypto.Keyring(keks={kid: crypto.new_key()}, primary=kid)


def test_dek_wrap_round_trip_and_format() -> None:
    ring = _keyring()
    dek = crypto.new_key()
    wrapped = ring.wrap_dek(dek, case_id=CASE)
    assert len(wrapped) == crypto.WRAPPED_DEK_BYTES == 65
    assert wrapped[0] == crypto.FORMAT_V1
    assert crypto.Keyring.kid_of(wrapped) == ring.primary
    assert ring.unwrap_dek(wrapped, case_id=CASE) == dek


def test_wrapped_dek_moved_to_another_case_fails() -> None:
    ring = _keyring()
    wrapped = ring.wrap_dek(crypto.new_key(), case_id=CASE)
    with pytest.raises(DecryptionFailed):
        ring.unwrap_dek(wrapped, case_id=OTHER_CASE)
    with pytest.raises(DecryptionFailed):
        ring.unwrap_dek(wrapped, case_id=CASE, dek_version=2)


def test_unknown_key_id_fails_clearly() -> None:
    wrapped = _keyring().wrap_dek(crypto.new_key(), case_id=CASE)
    other = _keyring()
    with pytest.raises(UnknownKeyId, match=wrapped[1:5].hex()):
        other.unwrap_dek(wrapped, case_id=CASE)


def test_old_kek_still_unwraps_after_a_new_primary() -> None:
    old = _keyring()
    wrapped = old.wrap_dek(DEK, case_id=CASE)
    new_kid = crypto.new_kid()
    rotated = crypto.Keyring(keks={**old.keks, new_kid: crypto.new_key()}, primary=new_kid)
    assert rotated.unwrap_dek(wrapped, case_id=CASE) == DEK
    assert crypto.Keyring.kid_of(rotated.wrap_dek(DEK, case_id=CASE)) == new_kid


def test_keyring_repr_shows_no_key_bytes() -> None:
    ring = _keyring()
    assert ring.keks[ring.primary].hex() not in repr(ring)
    assert ring.primary.hex() in repr(ring)


def test_keyring_rejects_primary_outside_ring() -> None:
    with pytest.raises(UnknownKeyId):
        crypto.Keyring(keks={b"abcd": crypto.new_key()}, primary=b"wxyz")


def test_key_check_value_tells_right_from_wrong_key() -> None:
    kek, kid = crypto.new_key(), crypto.new_kid()
    kcv = crypto.key_check_value(kek, kid)
    assert crypto.verify_key_check_value(kek, kid, kcv)
    assert not crypto.verify_key_check_value(crypto.new_key(), kid, kcv)
    assert not crypto.verify_key_check_value(kek, crypto.new_kid(), kcv)
    tampered = bytearray(kcv)
    tampered[-1] ^= 1
    assert not crypto.verify_key_check_value(kek, kid, bytes(tampered))
    assert not crypto.verify_key_check_value(kek, kid, b"\x01short")


def test_blind_index_normalises_and_separates_fields() -> None:
    root = crypto.new_key()
    surname = crypto.blind_index_key(root, "persons", "surname")
    assert crypto.blind_index(surname, "  Müller ") == crypto.blind_index(surname, "MÜLLER")
    assert crypto.blind_index(surname, "Ｍüller") == crypto.blind_index(surname, "müller")
    assert surname != crypto.blind_index_key(root, "persons", "email")
    assert surname != crypto.blind_index_key(root, "contacts", "surname")
    values = {crypto.blind_index(surname, f"name{i}") for i in range(5000)}
    assert max(values) < 2**crypto.BLIND_INDEX_BITS
    assert len(values) <= 2**crypto.BLIND_INDEX_BITS


def test_blind_index_length_follows_ciphersweet_rule() -> None:
    # 2 <= R / 2^L <= sqrt(R) for the planned R = 10,000 cases of one office (ENC-10).
    cases = 10_000
    assert 2 <= cases / 2**crypto.BLIND_INDEX_BITS <= math.sqrt(cases)


def test_blind_index_is_truncated_so_names_collide() -> None:
    key = crypto.blind_index_key(os.urandom(32), "persons", "surname")
    values = [
        crypto.blind_index(key, f"Nachname{i}") for i in range(3 * 2**crypto.BLIND_INDEX_BITS)
    ]
    assert len(set(values)) < len(values)  # several names share an index value


def test_bound_dek_unwraps_only_for_its_binding_and_refuses_format_one() -> None:
    ring = _keyring()
    wrapped = ring.wrap_bound_dek(DEK, b"office 1")
    assert wrapped[0] == crypto.FORMAT_V2 and len(wrapped) == crypto.WRAPPED_DEK_BYTES
    assert crypto.Keyring.kid_of(wrapped) == ring.primary
    assert ring.unwrap_bound_dek(wrapped, b"office 1") == DEK
    with pytest.raises(DecryptionFailed):
        ring.unwrap_bound_dek(wrapped, b"office 2")
    with pytest.raises(UnsupportedFormat):  # a format-1 key binds no office: refused
        ring.unwrap_bound_dek(ring.wrap_dek(DEK, case_id=CASE), b"office 1")


def test_blind_index_length_follows_the_office_size() -> None:
    # CipherSweet: 2 <= R / 2^L <= sqrt(R) for R rows, here the cases of one office.
    for rows in (64, 100, 1_000, 10_000, 100_000):
        bits = crypto.blind_index_bits(rows)
        assert 2 <= rows / 2**bits <= math.sqrt(rows), rows
    assert (crypto.blind_index_bits(100), crypto.blind_index_bits(10_000)) == (5, 10)
    assert crypto.blind_index_bits(0) == crypto.BLIND_INDEX_MIN_BITS
    assert crypto.blind_index_bits(10**12) == crypto.BLIND_INDEX_MAX_BITS


def test_blind_index_keys_differ_per_office() -> None:
    root = crypto.new_key()
    one = crypto.blind_index_key(root, "case_identities", "surname", "office:1")
    two = crypto.blind_index_key(root, "case_identities", "surname", "office:2")
    assert one != two != crypto.blind_index_key(root, "case_identities", "surname")

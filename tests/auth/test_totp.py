"""TOTP: ±1 step window, sealed secret bound to its user."""

from __future__ import annotations

import uuid

import pyotp
import pytest

from fallstelle.auth import totp
from fallstelle.errors import DecryptionFailed

SECRET = totp.new_secret()
NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-2, False), (-1, True), (0, True), (1, True), (2, False)]
)
def test_window_is_one_step(offset: int, accepted: bool) -> None:
    code = pyotp.TOTP(SECRET).at(NOW + 30 * offset)
    step = totp.matching_step(SECRET, code, NOW)
    assert (step is not None) is accepted
    if accepted:
        assert step == int(NOW // 30) + offset


def test_secret_has_160_bits() -> None:
    assert len(SECRET) == 32  # base32: 5 bits per character


def test_malformed_codes_are_refused() -> None:
    for code in ["", "12345", "abcdef", "1234567"]:
        assert totp.matching_step(SECRET, code, NOW) is None


def test_sealed_secret_is_bound_to_its_user() -> None:
    pepper = b"k" * 32
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    sealed = totp.seal(pepper, alice, SECRET)
    assert SECRET.encode() not in sealed
    assert totp.unseal(pepper, alice, sealed) == SECRET
    with pytest.raises(DecryptionFailed):
        totp.unseal(pepper, bob, sealed)


def test_qr_code_is_local_svg() -> None:
    svg = totp.qr_svg(totp.provisioning_uri(SECRET, "anna"))
    assert svg.startswith("<svg") and "http" not in svg.replace("http://www.w3.org", "")

"""Password policy and hashing: bcrypt over a peppered pre-hash (ENC-13, ASVS 5.0 V6).

bcrypt reads at most 72 bytes. Passwords are first turned into
``base64(HMAC-SHA256(pepper, password))`` (44 ASCII bytes, no NUL), so a long password is
neither truncated nor rejected, and a stolen database without ``keys/pepper.key`` cannot be
attacked offline. Policy: 12 to 128 characters, no composition rules, not on the bundled
list of common passwords (German ones included), not the username.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from importlib import resources

import bcrypt

MIN_LENGTH = 12
MAX_LENGTH = 128


@functools.cache
def common_passwords() -> frozenset[str]:
    text = resources.files("fallstelle.auth").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line and not line.startswith("#")
    )


def policy_problem(password: str, username: str = "") -> str | None:
    """Return the reason a password is not acceptable (a message id), or None."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    folded = password.casefold()
    if folded in common_passwords() or len(set(folded)) < 4:
        return "common"
    if username and username.casefold() in folded:
        return "contains_username"
    return None


def _prehash(pepper: bytes, password: str) -> bytes:
    return base64.b64encode(hmac.new(pepper, password.encode("utf-8"), hashlib.sha256).digest())


def hash_password(pepper: bytes, password: str, rounds: int) -> str:
    """Return the bcrypt hash (cost ``rounds``) of the peppered password."""
    return bcrypt.hashpw(_prehash(pepper, password), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(pepper: bytes, password: str, stored: str | None, rounds: int) -> bool:
    """Check a password; without a stored hash, check against a real dummy hash instead.

    The dummy has cost ``rounds``: pass the cost of the stored hashes (``login`` passes the
    most common one), so an unknown or unenrolled user takes the same time as a known one
    (SD-7) even after the configured cost changed and before every user signed in again to
    be rehashed (issue 11); a malformed dummy would return at once and leak which names exist.
    """
    candidate = _prehash(pepper, password)
    if stored is None:
        bcrypt.checkpw(candidate, _dummy_hash(rounds))
        return False
    return bcrypt.checkpw(candidate, stored.encode("ascii"))


def needs_rehash(stored: str, rounds: int) -> bool:
    """Return whether a hash was made with another cost than the configured one."""
    return cost_of(stored) != rounds


def cost_of(stored: str) -> int:
    """Return the bcrypt cost of a stored hash (``$2b$12$…`` → 12)."""
    return int(stored.split("$")[2])


@functools.cache
def _dummy_hash(rounds: int) -> bytes:
    return bcrypt.hashpw(b"fallstelle-dummy-password-never-valid", bcrypt.gensalt(rounds))

"""Time-based one-time passwords (RFC 6238): 160-bit secret, 6 digits, 30 s, ±1 step (SD-5).

The secret is stored encrypted (AES-256-GCM) under a key derived with HKDF from
``keys/pepper.key`` for this purpose only, bound to the user's id; a code is accepted once:
its time step must be later than the last accepted one.
"""

from __future__ import annotations

import hmac
import time
import uuid

import pyotp
import segno

from fallstelle import crypto

ISSUER = "fallstelle"
STEP = 30


def new_secret() -> str:
    return pyotp.random_base32(32)  # 32 base32 characters = 160 bits


def _ctx(user_id: str) -> crypto.FieldContext:
    return crypto.FieldContext("users", "totp_secret", uuid.UUID(user_id), user_id)


def seal(pepper: bytes, user_id: str, secret: str) -> bytes:
    return crypto.encrypt_text(crypto.derive_key(pepper, "totp-secret"), secret, _ctx(user_id))


def unseal(pepper: bytes, user_id: str, sealed: bytes) -> str:
    return crypto.decrypt_text(crypto.derive_key(pepper, "totp-secret"), sealed, _ctx(user_id))


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """Return the time step (t-1, t or t+1) whose code equals ``code``, or None."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP)
    current = int((time.time() if now is None else now) // STEP)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret, interval=STEP).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """Return the QR code as inline SVG markup, made locally (no external service)."""
    qr = segno.make(uri, error="m")
    svg: str = qr.svg_inline(scale=5, dark="#1d2327", light="#ffffff", title="QR-Code")
    return svg

"""Event validation: only ids and codes fit; names, sentences and control characters do not."""

from __future__ import annotations

import pytest

from fallstelle.audit import Event


def test_a_well_formed_event_passes() -> None:
    event = Event(
        "auth.login",
        "failed",
        actor_id="7f9c1c1e-2b0c-4f7e-9a51-1d1b2a3c4d5e",
        actor_role="counsellor",
        object_type="user",
        object_id="2026-0042",
        reason="wrong_password",
        request_id="r-0123abcd",
        client="192.0.2.0/24",
    )
    assert event.outcome == "failed"
    assert Event("case.read").outcome == "ok"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"action": "login"},  # no room
        {"action": "Auth.Login"},
        {"action": "auth.login\nFAKE"},
        {"action": "case.read", "outcome": "success"},
        {"action": "case.read", "reason": "Wrong password"},
        {"action": "case.read", "reason": "x" * 65},
        {"action": "case.read", "actor_id": "Erika Mustermann"},  # a name with a space
        {"action": "case.read", "object_id": "Zzyzxqvarn\nQQcanaryQQ"},
        {"action": "case.read", "client": "Müller"},  # non-ASCII
        {"action": "case.read", "request_id": "r" * 129},
        {"action": "case.read", "actor_role": ""},
        {"action": "case.read", "object_id": 42},
    ],
)
def test_malformed_fields_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="audit event"):
        Event(**kwargs)  # type: ignore[arg-type]


def test_the_error_does_not_repeat_the_value() -> None:
    with pytest.raises(ValueError) as info:
        Event("case.read", object_id="Zzyzxqvarn QQcanaryQQ")
    assert "Zzyzxqvarn" not in str(info.value)


def test_events_are_immutable() -> None:
    event = Event("case.read")
    with pytest.raises(AttributeError):
        event.outcome = "denied"  # type: ignore[misc]

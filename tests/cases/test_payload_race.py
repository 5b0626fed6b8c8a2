"""Decoding a payload in a worker that has just started (the server log of the request
benchmark, 2 workers: five case pages failed with ``KeyError: 'client_goals'``).

A payload class's field decoders are worked out on its first use. The adversary is the second
request of a fresh worker: it decodes the same class while the first is still filling the
table, and must not see it half filled.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest

from fallstelle.cases import payload


@dataclasses.dataclass
class _Fresh:
    """A payload class no other test decodes: its decoder table starts empty."""

    first: str = ""
    second: str = ""
    third: int = 0


def test_a_second_decode_while_the_first_fills_the_table_sees_every_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = payload._decoder
    inner: list[Any] = []
    interleaving = threading.Event()

    def interleaved(tp: Any) -> Any:
        # While the first decode works out its field decoders, the second request decodes
        # the same class (what another thread does between two of them).
        if tp is int and not interleaving.is_set():
            interleaving.set()
            inner.append(payload.load(_Fresh, b'{"first": "a", "second": "b", "third": 1}'))
        return real(tp)

    monkeypatch.setattr(payload, "_decoder", interleaved)
    outer = payload.load(_Fresh, b'{"first": "x", "second": "y", "third": 2}')

    assert inner == [_Fresh("a", "b", 1)]
    assert outer == _Fresh("x", "y", 2)

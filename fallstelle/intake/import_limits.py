"""Limits of the import format against hostile input: line splitting, depth, numbers, separators.

Imports the standard library only. ``intake.import_format`` calls these before and right after
``json.loads``, so that a 5,000-digit number, nesting deep enough to exhaust the parser's
recursion, or a U+2028 inside a text becomes a ``line N, field F`` problem, never a traceback
(issue 11). Each check returns ``(field, message)`` pairs; the caller adds the line number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: Deepest nesting of lists and objects the format has (a person's identity is 3 deep).
MAX_DEPTH = 8
#: Longest integer a field can need; Python refuses to convert beyond 4,300 digits anyway.
MAX_DIGITS = 20
#: Characters ``str.splitlines`` and JavaScript end a line at; refused inside a value so a
#: text cannot break an export or log apart (a line break in a text is written ``\n``).
SEPARATORS = {"\u2028": "U+2028", "\u2029": "U+2029", "\x85": "U+0085"}
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]')


def split_lines(text: str) -> list[str]:
    """Split a JSON Lines file at ``\\n`` only (a ``\\r`` before it is dropped).

    Not ``str.splitlines``: that also splits at U+2028 and friends inside a JSON string,
    which would cut a line in two and shift every line number after it.
    """
    return [line.removesuffix("\r") for line in text.split("\n")]


@dataclass(frozen=True)
class LongNumber:
    """Stands in for an integer with more than :data:`MAX_DIGITS` digits (never converted)."""

    digits: int


def parse_int(raw: str) -> int | LongNumber:
    """``json.loads``' ``parse_int``: convert short integers, keep long ones unconverted."""
    digits = len(raw.lstrip("-"))
    return LongNumber(digits) if digits > MAX_DIGITS else int(raw)


def too_deep(text: str) -> tuple[str, str] | None:
    """Return the field where a line nests deeper than :data:`MAX_DEPTH`, before the JSON
    parser would recurse into it; None when it does not."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    frames: list[list[Any]] = []  # [bracket, key or index] per open list / object
    expect_key = False
    for token in _TOKENS.finditer(text):
        mark = token.group()
        if mark in ("[", "{"):
            frames.append([mark, 0 if mark == "[" else ""])
            expect_key = mark == "{"
            if len(frames) > MAX_DEPTH:
                field = ".".join(str(label) for _, label in frames[:-1])
                return field, f"nested more than {MAX_DEPTH} levels deep"
        elif mark in ("]", "}"):
            if frames:
                frames.pop()
            expect_key = False
        elif mark == ",":
            if frames and frames[-1][0] == "[":
                frames[-1][1] += 1
            expect_key = bool(frames) and frames[-1][0] == "{"
        elif mark.startswith('"') and expect_key:
            frames[-1][1] = mark[1:-1]
            expect_key = False
    return None


def odd_values(value: object, where: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(field, message)`` for every over-long number and line separator in a text."""
    field = where.rstrip(".") or "(line)"
    if isinstance(value, LongNumber):
        yield field, f"number too long ({value.digits} digits, at most {MAX_DIGITS})"
    elif isinstance(value, str):
        for char, name in SEPARATORS.items():
            if char in value:
                yield field, f"contains the line separator {name}; write a line break as \\n"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from odd_values(item, f"{where}{key}.")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from odd_values(item, f"{where}{index}.")

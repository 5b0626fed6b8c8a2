"""Typed payloads: dataclasses to JSON bytes and back, and their validation.

Imports the standard library and ``auth.errors``. Every encrypted payload of the case room
is a dataclass of ``cases.sections``; this module turns it into canonical JSON (the
plaintext that ``cases.sealing`` encrypts) and back, refusing anything that does not have the
declared shape. Validation is driven by field metadata declared with the helpers below:
a vocabulary code (checked against the office's vocabulary), a text length, a date range
(never before 1900, never in the future unless the field is a due date).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar, get_args, get_origin

from fallstelle.auth.errors import Invalid
from fallstelle.clock import EARLIEST

T = TypeVar("T")
SHORT = 200
LONG = 20_000
MAX_ITEMS = 50

#: ``known(vocabulary, code)``: is ``code`` an active term the office may use?
CodeCheck = Callable[[str, str], bool]


def code(vocabulary: str, *, required: bool = False) -> Any:
    """A field holding one vocabulary code (None when not given, unless required)."""
    return dataclasses.field(default=None, metadata={"vocab": vocabulary, "required": required})


def codes(vocabulary: str) -> Any:
    """A field holding a list of distinct vocabulary codes (multi-select)."""
    return dataclasses.field(default_factory=list, metadata={"vocab": vocabulary})


def text(max_len: int = SHORT) -> Any:
    """A text field of at most ``max_len`` characters."""
    return dataclasses.field(default="", metadata={"max_len": max_len})


def day(*, future: bool = False, required: bool = False) -> Any:
    """A date field; ``future`` allows dates after today (due dates, follow-ups)."""
    return dataclasses.field(default=None, metadata={"future": future, "required": required})


def number(maximum: int) -> Any:
    """A whole number between 0 and ``maximum``."""
    return dataclasses.field(default=0, metadata={"max": maximum})


# --- JSON ---------------------------------------------------------------------------------


def dump(obj: object) -> bytes:
    """Return the canonical JSON bytes of a payload dataclass."""
    return json.dumps(
        _encode(obj), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def _encode(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def load(cls: type[T], raw: bytes) -> T:
    """Return the payload dataclass ``cls`` read from JSON bytes.

    Raises:
        ValueError: the JSON does not have the shape of ``cls``.
    """
    return typing.cast(T, _decode(cls, json.loads(raw.decode("utf-8")), cls.__name__))


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Return ``cls`` built from plain values (dates as ISO strings or dates).

    Raises:
        Invalid: a field has the wrong type (the field name is the error's ``field``).
    """
    try:
        return typing.cast(T, _decode(cls, data, cls.__name__))
    except ValueError as exc:
        raise Invalid(str(exc), "type") from None


@functools.cache
def _hints(tp: Any) -> dict[str, Any]:
    """Type hints of a section class: resolving them is slow and they never change."""
    return typing.get_type_hints(tp)


def _decode(tp: Any, value: Any, where: str) -> Any:
    return _decoder(tp)(value, where)


_Decoder = Callable[[Any, str], Any]


@functools.cache
def _decoder(tp: Any) -> _Decoder:
    """Return the function that checks and builds a value of type ``tp``: worked out once per
    type (issue 15: reading the type on every field of every payload was a tenth of opening
    a case), with the same checks and the same error paths as before."""
    origin, args = get_origin(tp), get_args(tp)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        optional = type(None) in args
        inner_decode = _decoder(inner)

        def union(value: Any, where: str) -> Any:
            if value is None and optional:
                return None
            return inner_decode(value, where)

        return union
    if origin is list:
        item = _decoder(args[0])

        def many(value: Any, where: str) -> Any:
            if not isinstance(value, list):
                raise ValueError(where)
            return [item(v, where) for v in value]

        return many
    if dataclasses.is_dataclass(tp):
        return _dataclass_decoder(typing.cast(type, tp))
    if tp in _SCALARS:
        return _SCALARS[tp]
    raise TypeError(f"unsupported payload type {tp!r}")  # pragma: no cover - a coding error


def _dataclass_decoder(tp: type) -> _Decoder:
    hints = _hints(tp)
    names = frozenset(f.name for f in dataclasses.fields(tp))
    table: list[dict[str, _Decoder]] = []

    def build(value: Any, where: str) -> Any:
        if not isinstance(value, dict):
            raise ValueError(where)
        unknown = value.keys() - names
        if unknown:
            raise ValueError(f"{where}.{sorted(unknown)[0]}")
        if not table:  # worked out on first use: a section may refer to itself
            # Built whole, then published in one step: another thread (a worker's first
            # requests) must never see the table half filled (a KeyError and a 500 when it
            # was filled in place).
            table[:] = [{k: _decoder(hints[k]) for k in names}]
        fields = table[0]
        return tp(**{k: fields[k](v, f"{where}.{k}") for k, v in value.items()})

    return build


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(where) from None
    raise ValueError(where)


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(where)
    return value


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(where)
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(where)
    return value


_SCALARS: dict[Any, _Decoder] = {bool: _bool, int: _int, str: _str, dt.date: _date}


# --- validation ---------------------------------------------------------------------------


def validate(obj: object, known: CodeCheck, today: dt.date, prefix: str = "") -> None:
    """Check every field of a payload dataclass against its metadata.

    Raises:
        Invalid: ``field`` is the dotted field name, ``code`` one of ``required``,
            ``unknown_code``, ``duplicate``, ``too_long``, ``too_many``, ``date_range``,
            ``range``, ``control_chars``.
    """
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        name = f"{prefix}{f.name}"
        value = getattr(obj, f.name)
        meta = f.metadata
        if meta.get("required") and value in (None, "", []):
            raise Invalid(name, "required")
        if dataclasses.is_dataclass(value):
            validate(value, known, today, f"{name}.")
        elif isinstance(value, list):
            _check_list(name, value, meta, known, today)
        elif "vocab" in meta and value is not None:
            if not known(meta["vocab"], value):
                raise Invalid(name, "unknown_code")
        elif isinstance(value, str):
            _check_text(name, value, meta.get("max_len", SHORT))
        elif isinstance(value, dt.date):
            if value < EARLIEST or (not meta.get("future") and value > today):
                raise Invalid(name, "date_range")
        elif (
            isinstance(value, int)
            and not isinstance(value, bool)
            and "max" in meta
            and not 0 <= value <= meta["max"]
        ):
            raise Invalid(name, "range")


def _check_list(name: str, value: list[Any], meta: Any, known: CodeCheck, today: dt.date) -> None:
    if len(value) > MAX_ITEMS:
        raise Invalid(name, "too_many")
    if "vocab" in meta:
        if len(set(value)) != len(value):
            raise Invalid(name, "duplicate")
        for item in value:
            if not known(meta["vocab"], item):
                raise Invalid(name, "unknown_code")
        return
    for index, item in enumerate(value):
        if dataclasses.is_dataclass(item):
            validate(item, known, today, f"{name}.{index}.")


def _check_text(name: str, value: str, max_len: int) -> None:
    if len(value) > max_len:
        raise Invalid(name, "too_long")
    # Control characters other than line breaks and tabs have no place in a case file and
    # could smuggle terminal escapes into an export (LOG-9's reasoning, applied to data).
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value) or "\x7f" in value:
        raise Invalid(name, "control_chars")

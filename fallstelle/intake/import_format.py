"""The JSON Lines import format (docs/import-format.md): one line → one :class:`WholeCase`.

Imports the standard library and the case room's modules. :func:`read_line` checks one line
completely and reports every problem it finds (not only the first), each with its dotted
field name. Field values are checked by the services' own validation (``payload.validate``
with the office's vocabulary, ``work.check_order``), field by field, so the messages are the
same rules the forms apply. Nothing here touches the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fallstelle.cases import payload
from fallstelle.cases.errors import Invalid
from fallstelle.cases.sections import (
    CaseDetails,
    Closure,
    Contact,
    FollowUp,
    Identity,
    Incident,
    Intervention,
    Person,
)
from fallstelle.cases.work import check_order
from fallstelle.catalogue import deadlines
from fallstelle.catalogue.vocab import Vocabulary
from fallstelle.clock import EARLIEST
from fallstelle.intake.bulk import DeadlineSpec, StatusStep, WholeCase, deadline_entry

STATUSES = ("anfrage", "in_beratung", "intervention_laufend", "ruhend", "abgeschlossen")
LISTS = ("persons", "incidents", "contacts", "interventions", "deadlines", "follow_ups")
INTERNAL = {"closure", "history", "stat_record_id"}
DETAIL_FIELDS = tuple(f.name for f in dataclasses.fields(CaseDetails) if f.name not in INTERNAL)
TOP_FIELDS = ("opened_on", "status", "counsellor", *DETAIL_FIELDS, *LISTS, "closure")

MESSAGES = {
    "required": "required",
    "unknown_field": "unknown field",
    "type": "wrong type or format (dates are YYYY-MM-DD, lists are [...])",
    "unknown_code": "unknown code",
    "duplicate": "a code is listed twice",
    "too_long": "text too long",
    "too_many": "more than 50 entries",
    "date_range": "date out of range (not before 1900-01-01, not in the future)",
    "range": "number out of range",
    "control_chars": "contains control characters",
    "before_start": "ends before it starts",
    "no_rule": "no deadline rule with this code in force on the start date",
    "choice": "not one of the allowed values",
    "not_counsellor": "not a counsellor of this office",
    "not_object": "must be a JSON object {...}",
    "not_list": "must be a JSON list [...]",
    "closure_needs_status": "a closure needs status abgeschlossen",
    "transition": "this status cannot follow the previous one",
    "before_opening": "before opened_on",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the import file."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        # A field name may come from the file: nothing but printable ASCII reaches a terminal.
        field = "".join(c if " " <= c <= "~" else "?" for c in self.field)[:200]
        return f"line {self.line}, field {field}: {self.message}"


@dataclass
class Context:
    """What a line is checked against: the office's vocabulary, counsellors and rules."""

    vocabulary: Vocabulary
    counsellors: dict[str, str]  # username → user id
    rules: Sequence[deadlines.Rule]
    today: dt.date


def message(code: str, value: object = None) -> str:
    """Return the English message for an ``Invalid`` code (with the offending codes)."""
    text = MESSAGES.get(code, code)
    if code == "unknown_code" and value is not None:
        text = f"{text}: {value}"
    return text


@functools.cache
def _single(cls: Any, name: str) -> Any:
    """A one-field dataclass with ``cls.name``'s metadata: validates that field alone."""
    original = next(f for f in dataclasses.fields(cls) if f.name == name)
    spec = dataclasses.field(default=None, metadata=original.metadata)
    return dataclasses.make_dataclass(f"{cls.__name__}_{name}", [(name, object, spec)])


class LineReader:
    """Collects the problems of one line while it builds the sections."""

    def __init__(self, number: int, ctx: Context) -> None:
        self.number = number
        self.ctx = ctx
        self.problems: list[Problem] = []

    def problem(self, field: str, code: str, value: object = None) -> None:
        self.problems.append(Problem(self.number, field, message(code, value)))

    def section(
        self, cls: type[Any], data: object, prefix: str, allowed: tuple[str, ...] | None = None
    ) -> Any:
        """Return ``cls`` built and validated from ``data``, or None after recording problems."""
        if not isinstance(data, dict):
            self.problem(prefix.rstrip(".") or "(line)", "not_object")
            return None
        names = allowed or tuple(f.name for f in dataclasses.fields(cls))
        for key in data:
            if key not in names:
                self.problem(f"{prefix}{key}", "unknown_field")
        values = {k: v for k, v in data.items() if k in names}
        bad = False
        for key, value in values.items():
            try:
                payload.from_dict(cls, {key: value})
            except Invalid:
                self.problem(f"{prefix}{key}", "type")
                bad = True
        if bad:
            return None
        obj = payload.from_dict(cls, values)
        before = len(self.problems)
        known = self.ctx.vocabulary.known
        single: Any = _single
        for f in dataclasses.fields(cls):
            value = getattr(obj, f.name)
            try:
                payload.validate(single(cls, f.name)(value), known, self.ctx.today, prefix)
            except Invalid as invalid:
                self.problem(invalid.field, invalid.code, self._unknown(f, value))
        if len(self.problems) == before:
            try:
                check_order(obj, self.ctx.today, known, prefix)
            except Invalid as invalid:
                self.problem(invalid.field, invalid.code)
        return obj if len(self.problems) == before else None

    def _unknown(self, f: dataclasses.Field[Any], value: object) -> str | None:
        vocabulary = f.metadata.get("vocab")
        if vocabulary is None:
            return None
        items = value if isinstance(value, list) else [value]
        known = self.ctx.vocabulary.known
        bad = [str(v) for v in items if isinstance(v, str) and not known(vocabulary, v)]
        return ", ".join(bad) or None

    def items(self, data: dict[str, Any], key: str) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.problem(key, "not_list")
            return []
        return value

    def counsellor(self, username: object, field: str) -> str | None:
        if username is None:
            return None
        found = self.ctx.counsellors.get(str(username).strip().casefold())
        if found is None:
            self.problem(field, "not_counsellor")
        return found


def _entries(reader: LineReader, data: dict[str, Any], key: str, cls: type[Any]) -> list[Any]:
    """Read a list of entries that may name their counsellor by username."""
    names = tuple(
        f.name for f in dataclasses.fields(cls) if f.name not in {"counsellor_id", "deadline_id"}
    )
    out = []
    for index, item in enumerate(reader.items(data, key)):
        prefix = f"{key}.{index}."
        counsellor = None
        if isinstance(item, dict) and "counsellor" in item:
            item = dict(item)
            counsellor = reader.counsellor(item.pop("counsellor"), f"{prefix}counsellor")
        entry = reader.section(cls, item, prefix, names)
        if entry is not None:
            entry.counsellor_id = counsellor or ""
            out.append(entry)
    return out


#: Deepest nesting of lists and objects the format has (a person's identity is 3 deep).
MAX_DEPTH = 8
#: Longest integer a field can need; Python refuses to convert beyond 4,300 digits anyway.
MAX_DIGITS = 20
#: Characters ``str.splitlines`` and JavaScript end a line at; refused inside a value so a
#: text cannot break an export or log apart (a line break in a text is written ``\n``).
SEPARATORS = {"\u2028": "U+2028", "\u2029": "U+2029", "\x85": "U+0085"}
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]')


def split_lines(text: str) -> list[str]:
    """Split a JSON Lines file at ``\n`` only (a ``\r`` before it is dropped).

    Not ``str.splitlines``: that also splits at U+2028 and friends inside a JSON string,
    which would cut a line in two and shift every line number after it.
    """
    return [line.removesuffix("\r") for line in text.split("\n")]


@dataclass(frozen=True)
class _LongNumber:
    digits: int


def _int(raw: str) -> int | _LongNumber:
    digits = len(raw.lstrip("-"))
    return _LongNumber(digits) if digits > MAX_DIGITS else int(raw)


def parse_problems(number: int, text: str) -> list[Problem] | None:
    """Return the problem of a line nested deeper than :data:`MAX_DEPTH`, naming the field
    where it happens, before the JSON parser would recurse into it; None when it is not."""
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
                return [Problem(number, field, f"nested more than {MAX_DEPTH} levels deep")]
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


def _odd_values(number: int, value: object, where: str) -> Iterator[Problem]:
    """Yield a problem for every over-long number and every line separator in a text."""
    field = where.rstrip(".") or "(line)"
    if isinstance(value, _LongNumber):
        yield Problem(number, field, f"number too long ({value.digits} digits, at most "
                      f"{MAX_DIGITS})")  # fmt: skip
    elif isinstance(value, str):
        for char, name in SEPARATORS.items():
            if char in value:
                yield Problem(number, field, f"contains the line separator {name}; "
                              "write a line break as \\n")  # fmt: skip
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _odd_values(number, item, f"{where}{key}.")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _odd_values(number, item, f"{where}{index}.")


def read_line(
    number: int, text: str, office_id: int, ctx: Context
) -> tuple[WholeCase | None, list[Problem]]:
    """Check one line; return the case it describes (None if any problem) and the problems."""
    reader = LineReader(number, ctx)
    hostile = parse_problems(number, text)
    if hostile is not None:
        return None, hostile
    try:
        data = json.loads(text, parse_int=_int)
    except json.JSONDecodeError as exc:
        reader.problems.append(
            Problem(number, "(line)", f"not valid JSON: {exc.msg} at column {exc.colno}")
        )
        return None, reader.problems
    except (ValueError, RecursionError):  # a last line of defence: a message, no traceback
        return None, [Problem(number, "(line)", "cannot be read as JSON")]
    odd = list(_odd_values(number, data, ""))
    if odd:
        return None, odd
    if not isinstance(data, dict):
        reader.problem("(line)", "not_object")
        return None, reader.problems
    for key in data:
        if key not in TOP_FIELDS:
            reader.problem(key, "unknown_field")
    opened_on = _date(reader, data.get("opened_on"), "opened_on", ctx.today, required=True)
    status = data.get("status", "in_beratung")
    if status not in STATUSES:
        reader.problem("status", "choice")
    lead = reader.counsellor(data.get("counsellor"), "counsellor")
    details = reader.section(CaseDetails, {k: v for k, v in data.items() if k in DETAIL_FIELDS}, "")
    persons = []
    for index, item in enumerate(reader.items(data, "persons")):
        prefix = f"persons.{index}."
        identity_data = item.pop("identity", None) if isinstance(item, dict) else None
        person = reader.section(Person, item, prefix)
        identity = None
        if identity_data is not None:
            identity = reader.section(Identity, identity_data, f"{prefix}identity.")
        if person is not None:
            persons.append((person, identity))
    incidents = [
        i for n, item in enumerate(reader.items(data, "incidents"))
        if (i := reader.section(Incident, item, f"incidents.{n}.")) is not None
    ]  # fmt: skip
    contacts = _entries(reader, data, "contacts", Contact)
    interventions = _entries(reader, data, "interventions", Intervention)
    follow_ups = [
        f for n, item in enumerate(reader.items(data, "follow_ups"))
        if (f := reader.section(FollowUp, item, f"follow_ups.{n}.")) is not None
    ]  # fmt: skip
    specs = _deadlines(reader, data, incidents)
    steps = _steps(reader, data, status, opened_on, contacts, interventions)
    if reader.problems or opened_on is None or details is None:
        return None, reader.problems
    whole = WholeCase(
        office_id=office_id,
        opened_on=opened_on,
        details=details,
        start_status="anfrage" if status == "anfrage" else "in_beratung",
        lead_counsellor_id=lead,
        persons=persons,
        incidents=incidents,
        contacts=contacts,
        interventions=interventions,
        deadlines=specs,
        follow_ups=follow_ups,
        steps=steps,
    )
    return whole, []


def _date(
    reader: LineReader, value: object, field: str, today: dt.date, *, required: bool = False
) -> dt.date | None:
    if value is None:
        if required:
            reader.problem(field, "required")
        return None
    try:
        day = dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None:
        reader.problem(field, "type")
    elif day < EARLIEST or day > today:
        reader.problem(field, "date_range")
        return None
    return day


def _deadlines(
    reader: LineReader, data: dict[str, Any], incidents: list[Incident]
) -> list[DeadlineSpec]:
    specs = []
    for index, item in enumerate(reader.items(data, "deadlines")):
        prefix = f"deadlines.{index}."
        if not isinstance(item, dict):
            reader.problem(prefix.rstrip("."), "not_object")
            continue
        for key in item:
            if key not in ("rule_code", "starts_on", "note"):
                reader.problem(f"{prefix}{key}", "unknown_field")
        code, note = item.get("rule_code"), item.get("note", "")
        if not isinstance(code, str) or not isinstance(note, str):
            reader.problem(
                f"{prefix}rule_code" if not isinstance(code, str) else f"{prefix}note", "type"
            )
            continue
        spec = DeadlineSpec(
            code, _date(reader, item.get("starts_on"), f"{prefix}starts_on", reader.ctx.today), note
        )
        try:
            deadline = deadline_entry(spec, reader.ctx.rules, incidents, prefix)
            check_order(deadline, reader.ctx.today, reader.ctx.vocabulary.known, prefix)
        except Invalid as invalid:
            reader.problem(invalid.field, invalid.code)
            continue
        specs.append(spec)
    return specs


def _steps(
    reader: LineReader,
    data: dict[str, Any],
    status: object,
    opened_on: dt.date | None,
    contacts: list[Contact],
    interventions: list[Intervention],
) -> list[StatusStep]:
    """Derive the workflow steps after the opening (docs/import-format.md, "Status")."""
    raw = data.get("closure")
    closure = closed_on = None
    if raw is not None:
        if status != "abgeschlossen":
            reader.problem("closure", "closure_needs_status")
        if isinstance(raw, dict):
            raw = dict(raw)
            closed_on = _date(
                reader,
                raw.pop("closed_on", None),
                "closure.closed_on",
                reader.ctx.today,
                required=True,
            )
        closure = reader.section(Closure, raw, "closure.")
    elif status == "abgeschlossen":
        reader.problem("closure", "required")
    if opened_on is None:
        return []
    if closed_on is not None and closed_on < opened_on:
        reader.problem("closure.closed_on", "before_opening")
    if status == "intervention_laufend":
        starts = [i.started_on for i in interventions if i.started_on and i.started_on >= opened_on]
        return [StatusStep("intervention_laufend", min(starts, default=opened_on))]
    if status == "ruhend":
        last = [c.on for c in contacts if c.on and c.on >= opened_on]
        return [StatusStep("ruhend", max(last, default=opened_on))]
    if status == "abgeschlossen" and closure is not None and closed_on is not None:
        return [StatusStep("abgeschlossen", closed_on, closure)]
    return []

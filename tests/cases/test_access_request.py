"""Art. 15 access export (issue 13): every field of a fully filled case is exported, found
by the case's schema, so that a new field cannot be forgotten; other persons stay out; the
export is audited; a request adds a deadline one month later."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import typing
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from fallstelle.audit.models import AuditEvent
from fallstelle.cases import access_request, service
from fallstelle.cases.errors import CaseNotFound, Invalid
from fallstelle.cases.models import Case
from fallstelle.cases.sections import KINDS, Identity, Person
from fallstelle.cases.work import CaseWork, EntryView
from fallstelle.catalogue import vocab
from fallstelle.store import Store
from tests.cases.factories import World, create, version_of


def test_every_field_of_the_schema_is_exported_or_withheld_for_a_reason() -> None:
    missing = [
        f"{cls.__name__}.{f.name}"
        for cls in access_request.SCHEMA
        for f in dataclasses.fields(cls)
        if f"{cls.__name__}.{f.name}" not in access_request.LABELS
        and f"{cls.__name__}.{f.name}" not in access_request.WITHHELD
    ]
    assert missing == [], "a new field needs a German label in access_request.LABELS"
    assert set(KINDS) - {"person"} <= set(access_request.SECTION_TITLES)


def _filled(cls: type, words: vocab.Vocabulary, n: int) -> Any:
    """An instance of a section class with a non-default value in every field."""
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        tp, meta = hints[f.name], f.metadata
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        inner = args[0] if args else tp
        if "vocab" in meta:
            code = words.in_order(meta["vocab"])[0].code
            values[f.name] = [code] if typing.get_origin(tp) is list else code
        elif typing.get_origin(tp) is list:
            values[f.name] = [_filled(typing.get_args(tp)[0], words, n)]
        elif dataclasses.is_dataclass(inner):
            values[f.name] = _filled(inner, words, n)
        elif inner is bool:
            values[f.name] = True
        elif inner is int:
            values[f.name] = 7
        elif inner is dt.date:
            values[f.name] = dt.date(2026, 2, 3)
        else:
            values[f.name] = f"{cls.__name__}-{f.name}-{n}"[:36]
    return cls(**values)


def _work_with_every_field(store: Store, world: World, session: Any) -> tuple[CaseWork, uuid.UUID]:
    case_id, _ = create(store, world.alice)
    case = session.get(Case, case_id)
    work = CaseWork.open(session, case, store.keys)
    words = work.vocabulary
    (person,) = work.of_kind("person")
    work.details = _filled(type(work.details), words, 0)
    work.entries = {person.id: EntryView(person.id, "person", _filled(Person, words, 1))}
    work.identities = {person.id: _filled(Identity, words, 1)}
    other = uuid.uuid4()  # the other side: not exported
    work.entries[other] = EntryView(other, "person", _filled(Person, words, 2))
    work.identities[other] = Identity(surname="Gegenseite-Nachname")
    for n, (kind, cls) in enumerate(KINDS.items(), start=3):
        if kind != "person":
            entry_id = uuid.uuid4()
            work.entries[entry_id] = EntryView(entry_id, kind, _filled(cls, words, n))
    return work, person.id


def _leaves(obj: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        key = f"{type(obj).__name__}.{f.name}"
        value = getattr(obj, f.name)
        if key in access_request.WITHHELD:
            continue
        out[key] = value
    return out


def test_a_fully_filled_case_is_exported_field_by_field(store: Store, world: World) -> None:
    with store.sessions() as session:
        work, person_id = _work_with_every_field(store, world, session)
        export = access_request.build(work, person_id, {}, access_request.retention.Periods())
    data = export.as_json()
    text = json.dumps(data, ensure_ascii=False)
    document = " ".join(i.text for s in export.sections for e in s.entries for i in e)
    assert "Gegenseite-Nachname" not in text and "Person-role" not in text
    sections = data["sections"]
    checked = 0
    for kind, entry in [("details", work.details), ("identity", work.identities[person_id]),
                        *[(e.kind, e.data) for e in work.entries.values()
                          if e.kind != "person"]]:  # fmt: skip
        exported = sections[kind][0]
        for key, value in _leaves(entry).items():
            name = key.split(".", 1)[1]
            assert name in exported, f"{key} is not in the JSON export"
            shown_as_name = name.endswith(("counsellor_id", "assignee_id", "assigned_by_id"))
            if isinstance(value, str) and "-" in value and not shown_as_name:
                assert value in document, f"{key} is not in the document"
            checked += 1
    assert sections["person"][0]["age_band"] is not None
    assert checked > 60


def test_the_export_is_audited_and_for_the_case_s_office_only(
    store: Store, world: World
) -> None:
    case_id, _ = create(store, world.alice)
    with store.sessions() as s, s.begin():
        (person,) = service.get_case(s, world.alice, store.keys, case_id).of_kind("person")
        export = access_request.export(s, world.alice, store.keys, case_id, person.id, {})
    assert "Yilmaz" in json.dumps(export.as_json(), ensure_ascii=False)
    with store.sessions() as s:
        assert s.scalars(select(AuditEvent.action).where(
            AuditEvent.action == "case.access_export")).all() == ["case.access_export"]  # fmt: skip
    with store.sessions() as s, pytest.raises(CaseNotFound):
        access_request.export(s, world.bert, store.keys, case_id, person.id, {})
    with store.sessions() as s, pytest.raises(Invalid):
        access_request.export(s, world.alice, store.keys, case_id, uuid.uuid4(), {})


def test_a_request_is_a_deadline_one_month_later(store: Store, world: World) -> None:
    case_id, _ = create(store, world.alice)
    with store.sessions() as s, s.begin():
        access_request.record_request(s, world.alice, store.keys, case_id,
                                      version_of(store, case_id), dt.date(2026, 1, 31))  # fmt: skip
    with store.sessions() as s, s.begin():
        view = service.get_case(s, world.alice, store.keys, case_id)
    (deadline,) = view.of_kind("deadline")
    assert deadline.data.due_on == dt.date(2026, 2, 28)  # type: ignore[union-attr]
    assert view.case.next_deadline_on == dt.date(2026, 2, 28)

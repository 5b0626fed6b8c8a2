"""Correcting and removing every kind of entry (issue 13): the change history records who,
when, which section, before and after (encrypted); the statistics follow in the same
transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from fallstelle.cases import attachments, corrections, entries, history, service, stat_counts
from fallstelle.cases.errors import Invalid
from fallstelle.cases.models import CaseChange, CaseIdentity
from fallstelle.cases.sections import (
    Consent,
    Contact,
    Entry,
    FollowUp,
    Identity,
    Intervention,
    Person,
)
from fallstelle.store import Store
from tests.cases.factories import World, create, version_of

CLAIM = "rechtlich_aussergerichtlich.geltendmachung_agg"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _full_case(store: Store, world: World, files: Path) -> uuid.UUID:
    """A case with one entry of every kind and a consent."""
    case_id, _ = create(store, world.alice)
    k, a = store.keys, world.alice
    with store.sessions() as s, s.begin():
        entries.add_contact(s, a, k, case_id, version_of(store, case_id),
                            Contact(on=dt.date(2026, 2, 2), minutes=30, channel="telefon"))
    with store.sessions() as s, s.begin():
        entries.add_deadline(s, a, k, case_id, version_of(store, case_id), "agg_15_4")
    with store.sessions() as s, s.begin():
        entries.add_intervention(s, a, k, case_id, version_of(store, case_id),
                                 Intervention(code=CLAIM,
                                              started_on=dt.date(2026, 2, 3)))
    with store.sessions() as s, s.begin():
        entries.save_entry(s, a, k, case_id, version_of(store, case_id),
                           FollowUp(due_on=dt.date.today() + dt.timedelta(days=9)))
    with store.sessions() as s, s.begin():
        attachments.add(s, a, k, files, case_id, version_of(store, case_id), "brief.pdf", PDF)
    with store.sessions() as s, s.begin():
        view = service.get_case(s, a, k, case_id)
        details = replace(view.details, consents=[
            Consent(kind="statistik", given_on=dt.date(2026, 1, 15), text_version="v1")])
        service.update_details(s, a, k, case_id, view.case.version, details)
    return case_id  # fmt: skip


def _view(store: Store, world: World, case_id: uuid.UUID) -> service.CaseView:
    with store.sessions() as s, s.begin():
        return service.get_case(s, world.alice, store.keys, case_id)


def _changes(store: Store, world: World, case_id: uuid.UUID) -> list[history.Change]:
    with store.sessions() as s, s.begin():
        return history.case_history(s, world.alice, store.keys, case_id)


def _corrected(data: Entry) -> Entry:
    if isinstance(data, Person):
        return replace(data, age_band="45_64")
    if isinstance(data, Contact):
        return replace(data, minutes=45)
    if isinstance(data, FollowUp):
        return replace(data, note="anrufen")
    return replace(data, note="korrigiert") if hasattr(data, "note") else replace(
        data, **({"filename": "beschwerde.pdf"} if hasattr(data, "filename") else
                 {"actor_institution": "Andere GmbH"}))  # fmt: skip


KINDS = ["person", "incident", "contact", "intervention", "deadline", "follow_up", "attachment"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_entry_kind_can_be_corrected_and_removed(
    store: Store, world: World, tmp_path: Path, kind: str
) -> None:
    case_id = _full_case(store, world, tmp_path)
    entry = _view(store, world, case_id).of_kind(kind)[0]
    fixed = _corrected(entry.data)
    with store.sessions() as s, s.begin():
        corrections.correct(s, world.alice, store.keys, case_id, version_of(store, case_id),
                            entry.id, fixed)  # fmt: skip
    assert _view(store, world, case_id).of_kind(kind)[0].data == fixed
    change = _changes(store, world, case_id)[0]
    assert (change.section, change.action, change.entry_id) == (kind, "change", str(entry.id))
    assert change.before != change.after and change.actor_id == world.alice.user_id
    assert set(change.before) == set(change.after) != set()

    with store.sessions() as s, pytest.raises(Invalid) as missing:
        corrections.remove(s, world.alice, store.keys, case_id, version_of(store, case_id),
                           kind, entry.id, "  ")  # fmt: skip
    assert missing.value.field == "reason"
    with store.sessions() as s, s.begin():
        corrections.remove(s, world.alice, store.keys, case_id, version_of(store, case_id),
                           kind, entry.id, "falsch erfasst", attachments_dir=tmp_path)  # fmt: skip
    assert _view(store, world, case_id).of_kind(kind) == []
    removed = [c for c in _changes(store, world, case_id) if c.action == "remove"]
    assert {c.section for c in removed} >= {kind} and removed[0].reason == "falsch erfasst"
    if kind == "attachment":
        assert list(tmp_path.glob("*.bin")) == []
    if kind == "person":
        with store.sessions() as s:
            assert s.scalars(select(CaseIdentity)).all() == []
    with store.sessions() as s:
        assert stat_counts.differences(s) == {}


def test_removing_an_intervention_reopens_the_deadline_it_met(store: Store, world: World) -> None:
    case_id, _ = create(store, world.alice)
    k, a = store.keys, world.alice
    with store.sessions() as s, s.begin():
        deadline_id = entries.add_deadline(s, a, k, case_id, version_of(store, case_id), "agg_15_4")
    with store.sessions() as s, s.begin():
        done = entries.add_intervention(
            s, a, k, case_id, version_of(store, case_id),
            Intervention(code=CLAIM, started_on=dt.date(2026, 2, 3)),
            meets_deadline_id=deadline_id,
        )  # fmt: skip
    with store.sessions() as s, s.begin():
        corrections.remove(s, a, k, case_id, version_of(store, case_id), "intervention", done,
                           "doppelt")  # fmt: skip
    (deadline,) = _view(store, world, case_id).of_kind("deadline")
    assert deadline.data.open  # type: ignore[union-attr]


def test_a_misspelt_name_is_corrected_and_the_history_keeps_both(
    store: Store, world: World
) -> None:
    case_id, _ = create(store, world.alice)
    view = _view(store, world, case_id)
    (person,) = view.of_kind("person")
    name = replace(view.identities[person.id], surname="Yıldız")
    with store.sessions() as s, s.begin():
        corrections.correct(s, world.alice, store.keys, case_id, version_of(store, case_id),
                            person.id, person.data, name)  # fmt: skip
    assert _view(store, world, case_id).identities[person.id].surname == "Yıldız"
    (change,) = _changes(store, world, case_id)
    assert change.section == "identity"
    assert (change.before, change.after) == ({"surname": "Yilmaz"}, {"surname": "Yıldız"})
    with store.sessions() as s:  # before/after are encrypted like the case
        raw = b"".join(bytes(r) for r in s.scalars(select(CaseChange.payload)))
    assert b"Yilmaz" not in raw and "Yıldız".encode() not in raw
    with store.sessions() as s, s.begin():  # all fields empty: the identifying data goes
        corrections.correct(s, world.alice, store.keys, case_id, version_of(store, case_id),
                            person.id, person.data, Identity())  # fmt: skip
    assert _view(store, world, case_id).identities == {}


def test_consents_and_details_are_corrected_and_removed(
    store: Store, world: World, tmp_path: Path
) -> None:
    case_id = _full_case(store, world, tmp_path)
    k, a = store.keys, world.alice
    with store.sessions() as s, s.begin():
        corrections.correct_consent(
            s, a, k, case_id, version_of(store, case_id), 0,
            Consent(kind="statistik", given_on=dt.date(2026, 1, 16), text_version="v2"),
        )  # fmt: skip
    assert _view(store, world, case_id).details.consents[0].text_version == "v2"
    with store.sessions() as s, pytest.raises(Invalid):
        corrections.remove_consent(s, a, k, case_id, version_of(store, case_id), 3, "x")
    with store.sessions() as s, s.begin():
        corrections.remove_consent(s, a, k, case_id, version_of(store, case_id), 0, "Irrtum")
    assert _view(store, world, case_id).details.consents == []
    (change, *_rest) = _changes(store, world, case_id)
    assert (change.section, change.action, change.reason) == ("details", "change", "")
    assert "consents" in change.before


def test_the_history_is_for_the_case_s_office_only(store: Store, world: World) -> None:
    from fallstelle.cases.errors import CaseNotFound

    case_id, _ = create(store, world.alice)
    with store.sessions() as s, pytest.raises(CaseNotFound):
        history.case_history(s, world.bert, store.keys, case_id)

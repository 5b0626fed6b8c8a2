"""Retention with frozen time (issue 13): identifying data at closure + 6 months, the case
file at the end of the 3rd calendar year after closure, a legal hold stops both, warnings 30
days ahead; the run is idempotent and restartable."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fallstelle import clock
from fallstelle.cases import (
    attachments,
    corrections,
    deletion_warnings,
    history,
    retention,
    search,
    service,
)
from fallstelle.cases.erasure import Register, settle
from fallstelle.cases.errors import NotAllowed
from fallstelle.cases.models import (
    Case,
    CaseChange,
    CaseIdentity,
    ErasureRecord,
    StatisticalRecord,
)
from fallstelle.cases.retention import Periods
from fallstelle.cases.sections import Closure, Identity
from fallstelle.errors import CryptoError
from fallstelle.store import Store, sqlite_path
from tests.cases.factories import World, create, version_of

CLOSED = dt.date(2026, 3, 10)
PDF = b"%PDF-1.4 retention " + bytes(range(256))


@pytest.fixture
def register(store: Store) -> Register:
    return Register.open(store.settings.keys_dir)


@pytest.fixture
def files(store: Store) -> Path:
    return store.settings.data_dir / "attachments"


def _closed_case(store: Store, world: World, files: Path, *, hold: bool = False) -> uuid.UUID:
    with clock.frozen(CLOSED):
        case_id, version = create(store, world.alice)
        with store.sessions() as s, s.begin():
            attachments.add(s, world.alice, store.keys, files, case_id, version, "a.pdf", PDF)
        view = _view(store, world, case_id)
        (person,) = view.of_kind("person")
        with store.sessions() as s, s.begin():  # a correction: the history holds the old name
            corrections.correct(
                s,
                world.alice,
                store.keys,
                case_id,
                version_of(store, case_id),
                person.id,
                person.data,
                replace(view.identities[person.id], surname="Yılmaz"),
            )
        if hold:
            with store.sessions() as s, s.begin():
                details = replace(
                    _view(store, world, case_id).details, legal_hold=True,
                    legal_hold_reason="Klage ArbG", legal_hold_review_on=None,
                )  # fmt: skip
                service.update_details(s, world.alice, store.keys, case_id,
                                       version_of(store, case_id), details)  # fmt: skip
        with store.sessions() as s, s.begin():
            service.change_status(
                s, world.alice, store.keys, case_id, version_of(store, case_id),
                "abgeschlossen", CLOSED, Closure(reason="verwiesen", outcomes=["dokumentiert"]),
            )  # fmt: skip
    return case_id


def _view(store: Store, world: World, case_id: uuid.UUID) -> service.CaseView:
    with store.sessions() as s, s.begin():
        return service.get_case(s, world.alice, store.keys, case_id)


def _run(store: Store, register: Register, files: Path, on: dt.date,
         dry_run: bool = False) -> retention.RunReport:  # fmt: skip
    with clock.frozen(on):
        return retention.run(store.sessions, store.keys, register, files, on, dry_run=dry_run)


def test_the_dates_follow_domain_md() -> None:
    p = Periods()
    assert retention.identifying_due(dt.date(2026, 8, 31), p) == dt.date(2027, 2, 28)
    assert retention.case_due(dt.date(2026, 3, 10), p) == dt.date(2030, 1, 1)
    assert retention.case_due(dt.date(2026, 12, 31), p) == dt.date(2030, 1, 1)
    assert retention.case_due(dt.date(2026, 1, 1), Periods(6, 1)) == dt.date(2028, 1, 1)


def test_identifying_data_goes_after_six_months_and_the_rest_is_sealed_anew(
    store: Store, world: World, register: Register, files: Path
) -> None:
    case_id = _closed_case(store, world, files)
    with store.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        old_wrapped, old_version = bytes(case.dek_wrapped), case.dek_version
        old_identity = bytes(s.scalars(select(CaseIdentity.payload)).one())
    old_files = set(files.glob("*.bin"))
    with clock.frozen(dt.date(2026, 9, 9)), store.sessions() as s:
        (warning,) = deletion_warnings.upcoming(s, world.alice, dt.date(2026, 9, 9))
        assert (warning.what, warning.on) == ("identifying", dt.date(2026, 9, 10))
        assert deletion_warnings.upcoming(s, world.bert, dt.date(2026, 9, 9)) == []
    assert _run(store, register, files, dt.date(2026, 9, 9)).identifying == []
    dry = _run(store, register, files, dt.date(2026, 9, 10), dry_run=True)
    assert len(dry.identifying) == 1
    assert _view(store, world, case_id).identities  # a dry run changes nothing
    report = _run(store, register, files, dt.date(2026, 9, 10))
    assert len(report.identifying) == 1
    view = _view(store, world, case_id)
    assert view.identities == {} and len(view.of_kind("person")) == 1
    assert view.details.narrative == "Erstgespräch"  # the case file itself stays
    with store.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.identifying_removed_on == dt.date(2026, 9, 10)
        assert case.dek_version == old_version + 1 and bytes(case.dek_wrapped) != old_wrapped
        assert s.scalars(select(CaseIdentity)).all() == []
        assert search.search_person(s, world.alice, store.keys, "surname", "Yılmaz") == []
        changes = history.read(s, retention.sealing.open_case_key(store.keys.keyring, case))
    assert changes and all(c.section != "identity" for c in changes)
    assert "Yilmaz" not in repr(changes) and "Yılmaz" not in repr(changes)
    # No key in keys/ opens what was there before: the case's key is new, the old one gone
    # from the data directory (SQLite: secure_delete, and the WAL checkpointed).
    with store.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        cipher = retention.sealing.open_case_key(store.keys.keyring, case)  # fmt: skip
    with pytest.raises(CryptoError):
        cipher.open(Identity, "case_identities", str(view.of_kind("person")[0].id), old_identity)
    path = sqlite_path(store.settings)
    if path is not None:
        settle(store.engine)
        stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert old_wrapped not in stored and old_identity not in stored
    new_files = set(files.glob("*.bin"))
    assert new_files and not (new_files & old_files)
    (attachment,) = view.of_kind("attachment")
    with store.sessions() as s, s.begin():
        got = attachments.read(s, world.alice, store.keys, files, case_id, attachment.id)
    assert got.content == PDF
    assert old_identity  # was a ciphertext under the old key
    again = _run(store, register, files, dt.date(2026, 9, 11))  # idempotent
    assert again.identifying == [] and again.erased == []


def test_the_case_file_goes_at_the_end_of_the_third_year(
    store: Store, world: World, register: Register, files: Path
) -> None:
    case_id = _closed_case(store, world, files)
    with store.sessions() as s:
        records = s.scalar(select(func.count()).select_from(StatisticalRecord))
    with clock.frozen(dt.date(2029, 12, 15)), store.sessions() as s:
        due = deletion_warnings.upcoming(s, world.alice, dt.date(2029, 12, 15))
        assert [w.what for w in due] == ["identifying", "case"]
    assert _run(store, register, files, dt.date(2029, 12, 31)).erased == []
    report = _run(store, register, files, dt.date(2030, 1, 1))
    assert len(report.erased) == 1 and report.identifying == []
    with store.sessions() as s:
        assert s.get(Case, case_id) is None
        assert s.scalars(select(CaseChange)).all() == []  # the history goes with the case
        record = s.get(ErasureRecord, case_id)
        assert record is not None and record.rule == retention.CASE_FILE
        assert s.scalar(select(func.count()).select_from(StatisticalRecord)) == records
    assert list(files.glob("*.bin")) == []
    assert _run(store, register, files, dt.date(2030, 1, 2)).erased == []


def test_a_legal_hold_stops_both(
    store: Store, world: World, register: Register, files: Path
) -> None:
    case_id = _closed_case(store, world, files, hold=True)
    with clock.frozen(dt.date(2031, 6, 1)), store.sessions() as s:
        assert deletion_warnings.upcoming(s, world.alice, dt.date(2031, 6, 1)) == []
    report = _run(store, register, files, dt.date(2031, 6, 1))
    assert report.erased == [] and report.identifying == []
    assert _view(store, world, case_id).identities
    with store.sessions() as s:  # a hold only in the encrypted details is honoured too
        case = s.get(Case, case_id)
        assert case is not None
        case.legal_hold = False
        s.commit()
    report = _run(store, register, files, dt.date(2031, 6, 1))
    assert report.erased == [] and len(report.kept_on_hold) == 1
    assert _view(store, world, case_id).identities


def test_an_office_sets_its_own_periods(store: Store, world: World) -> None:
    with store.sessions() as s:  # this process keeps the periods until they change
        assert retention.periods_of(s, world.office_a) == Periods()
    with store.sessions() as s, s.begin():
        retention.set_periods(s, world.admin, world.office_a, Periods(3, 1))
    with store.sessions() as s, s.begin(), pytest.raises(NotAllowed):
        retention.set_periods(s, world.alice, world.office_a, Periods(1, 1))
    with store.sessions() as s:
        assert retention.periods_of(s, world.office_a) == Periods(3, 1)
        assert retention.periods_of(s, world.office_b) == Periods()


class Crash(Exception):
    pass


@pytest.mark.parametrize("seed", range(4))
def test_a_run_killed_at_a_random_point_finishes_on_the_next(
    store: Store, world: World, register: Register, files: Path,
    monkeypatch: pytest.MonkeyPatch, seed: int,
) -> None:  # fmt: skip
    cases = [_closed_case(store, world, files) for _ in range(3)]
    with clock.frozen(CLOSED), store.sessions() as s, s.begin():  # one still within its period
        late = service.create_case(s, world.alice, store.keys, _short(world)).id
    on = dt.date(2030, 1, 1) if seed % 2 else dt.date(2026, 9, 10)
    rng = random.Random(seed)  # noqa: S311 - where to crash, not a secret
    calls = {"n": 0, "at": rng.randint(1, 3)}
    real_erase, real_remove = retention.erase_case, retention.remove_identifying

    def crashing(real):  # type: ignore[no-untyped-def]
        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            result = real(*args, **kwargs)
            if calls["n"] == calls["at"]:
                raise Crash  # after its writes, before the commit
            return result

        return call

    monkeypatch.setattr(retention, "erase_case", crashing(real_erase))
    monkeypatch.setattr(retention, "remove_identifying", crashing(real_remove))
    with pytest.raises(Crash):
        _run(store, register, files, on)
    monkeypatch.setattr(retention, "erase_case", real_erase)
    monkeypatch.setattr(retention, "remove_identifying", real_remove)
    report = _run(store, register, files, on)
    assert len(report.erased) + len(report.identifying) == 3 - (calls["at"] - 1)
    with store.sessions() as s:
        if on.year == 2030:
            assert {c for c in s.scalars(select(Case.id))} == {late} or late not in cases
            assert s.scalar(select(func.count()).select_from(ErasureRecord)) == 3
        else:
            remaining = s.scalars(select(CaseIdentity.case_id)).all()
            assert remaining == [late]
    assert _run(store, register, files, on).identifying == []


def _short(world: World) -> service.NewCase:
    from tests.cases.factories import short_form

    new = short_form(world.office_a)
    new.identity = Identity(surname="Offen")
    return new


def test_the_home_page_warning_names_the_soonest_and_counts_the_rest(
    store: Store, world: World, files: Path
) -> None:
    """Thousands of due deletions (a demo, a retention run that never ran) made the home page
    800 KB at 10,000 cases: it names a few and counts the others."""
    for _ in range(3):
        _closed_case(store, world, files)
    on = dt.date(2026, 9, 9)
    with store.sessions() as s:
        assert len(deletion_warnings.upcoming(s, world.alice, on)) == 3
        assert len(deletion_warnings.upcoming(s, world.alice, on, limit=2)) == 2
        assert deletion_warnings.count_upcoming(s, world.alice, on) == 3
        assert deletion_warnings.count_upcoming(s, world.bert, on) == 0
        # Counted only up to the cap, then one more: "over …" (56,000 due at 100k cases).
        assert deletion_warnings.count_upcoming(s, world.alice, on, cap=2) == 3
        assert deletion_warnings.count_upcoming(s, world.alice, on, cap=1) == 2

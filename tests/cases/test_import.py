"""The JSON Lines import: the example file imports cleanly; broken files change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from fallstelle.audit.models import AuditEvent
from fallstelle.auth.service import load_actor
from fallstelle.cases import service
from fallstelle.cases.models import Case, StatisticalRecord
from fallstelle.cli import cases as cases_cli
from fallstelle.intake.importer import ImportRefused, import_cases
from fallstelle.store import Store
from tests.auth.factories import make_account, make_office
from tests.cases.test_demo import planned_rows

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "import-example.jsonl"


@pytest.fixture
def office(store: Store) -> int:
    with store.sessions() as session, session.begin():
        office_id = make_office(session, "ESSEN").id
    make_account(store, "berta", ["counsellor"], [office_id])
    return office_id


def count(store: Store, model: type) -> int:
    with store.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_example_file_imports_every_case(store: Store, office: int) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    with store.sessions() as session, session.begin():
        result = import_cases(session, store.keys, "essen", lines)
    assert result.counsellor == "berta"
    assert result.case_numbers == ["2026-0001", "2026-0002", "2026-0003", "2025-0001"]
    assert count(store, Case) == 4
    assert count(store, StatisticalRecord) == 4
    with store.sessions() as session, session.begin():
        cases = session.scalars(select(Case).order_by(Case.case_number)).all()
        assert [c.status for c in cases] == [
            "abgeschlossen",
            "abgeschlossen",
            "in_beratung",
            "anfrage",
        ]
        actor = load_actor(session, cases[1].lead_counsellor_id)
        assert actor is not None
        first = next(c for c in cases if c.case_number == "2026-0001")
        view = service.get_case(session, actor, store.keys, first.id)
        assert view.details.closure is not None and view.details.closure.reason == "vergleich"
        assert len(view.of_kind("contact")) == 4
        (deadline,) = view.of_kind("deadline")
        assert str(deadline.data.computed_due_on) == "2026-04-23"  # type: ignore[union-attr]
        assert [i.surname for i in view.identities.values()] == ["Kaya"]
        closed = session.scalars(
            select(StatisticalRecord).where(StatisticalRecord.closed_quarter.is_not(None))
        ).all()
        assert len(closed) == 2
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.import"))
        assert [(e.outcome, e.actor_role, e.reason) for e in events] == [
            ("ok", "operator", "cases_4")
        ]


def broken_lines() -> list[str]:
    good = EXAMPLE.read_text(encoding="utf-8").splitlines()[0]
    bad = json.loads(good)
    bad["incidents"][0]["grounds"] = ["rassismus_herkunft.antimuslimisch", "erfunden"]
    bad["contacts"][1]["on"] = "2026-13-01"
    bad["colour"] = "blau"
    bad["closure"]["reason"] = None
    return [good, json.dumps(bad), '{"opened_on": "2026-01-01", ', "", '{"status": "erledigt"}']


def test_a_broken_file_reports_every_problem_and_imports_nothing(store: Store, office: int) -> None:
    with store.sessions() as session:
        with pytest.raises(ImportRefused) as refused:
            import_cases(session, store.keys, "ESSEN", broken_lines())
        session.commit()
    found = {(p.line, p.field) for p in refused.value.problems}
    assert {
        (2, "colour"),
        (2, "incidents.0.grounds"),
        (2, "contacts.1.on"),
        (2, "closure.reason"),
        (3, "(line)"),
        (5, "opened_on"),
        (5, "status"),
        (5, "request_type"),
    } <= found
    assert 1 not in {p.line for p in refused.value.problems}
    grounds = next(p for p in refused.value.problems if p.field == "incidents.0.grounds")
    assert str(grounds) == "line 2, field incidents.0.grounds: unknown code: erfunden"
    assert count(store, Case) == 0
    assert count(store, StatisticalRecord) == 0
    with store.sessions() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("case.%")))
        assert [(e.action, e.outcome) for e in events] == [("case.import", "failed")]


def test_unknown_office_and_counsellor_are_refused(store: Store, office: int) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    with store.sessions() as session:
        with pytest.raises(ImportRefused) as no_office:
            import_cases(session, store.keys, "NIRGENDWO", lines)
        with pytest.raises(ImportRefused) as no_counsellor:
            import_cases(session, store.keys, "ESSEN", lines, counsellor="niemand")
    assert [str(p) for p in no_office.value.problems] == [
        "line 0, field --office: no office with this code"
    ]
    assert no_counsellor.value.problems[0].field == "--counsellor"
    assert count(store, Case) == 0


def test_the_command_imports_and_refuses(
    app: Flask, store: Store, office: int, tmp_path: Path
) -> None:
    cases_cli.init_app(app)
    runner = app.test_cli_runner()
    broken = tmp_path / "kaputt.jsonl"
    broken.write_text("\n".join(broken_lines()), encoding="utf-8")
    refused = runner.invoke(args=["cases", "import", str(broken), "--office", "ESSEN"])
    assert refused.exit_code == 1
    assert "line 2, field incidents.0.grounds: unknown code: erfunden" in refused.output
    assert "nothing was imported" in refused.output
    done = runner.invoke(args=["cases", "import", str(EXAMPLE), "--office", "ESSEN"])
    assert done.exit_code == 0, done.output
    assert "Imported 4 cases into ESSEN as berta" in done.output
    assert count(store, Case) == 4
    assert planned_rows(store, "cases") == 4  # ANALYZE after the bulk write (issue 15)


def _first_line() -> dict[str, object]:
    return dict(json.loads(EXAMPLE.read_text(encoding="utf-8").split("\n")[0]))


def test_hostile_lines_get_a_line_and_field_never_a_traceback(
    app: Flask, store: Store, office: int, tmp_path: Path
) -> None:
    """A 5,000-digit number, deep nesting and a raw U+2028 inside a string (issue 11): each a
    ``line N, field F`` message, nothing imported, the failed import audited."""
    long_number = json.dumps(_first_line())[:-1] + ', "minutes": ' + "9" * 5000 + "}"
    deep = {**_first_line(), "goals": [[[[[[[[[[["tief"]]]]]]]]]]]}
    separator = {**_first_line(), "narrative": "erste Zeile\u2028zweite Zeile"}
    nested = "[" * 100_000 + "]" * 100_000
    lines = [long_number, json.dumps(deep), json.dumps(separator, ensure_ascii=False), nested,
             json.dumps(_first_line())]  # fmt: skip
    file = tmp_path / "feindlich.jsonl"
    file.write_text("\n".join(lines), encoding="utf-8")
    cases_cli.init_app(app)
    refused = app.test_cli_runner().invoke(args=["cases", "import", str(file), "--office", "ESSEN"])
    assert refused.exit_code == 1, refused.output
    assert refused.exception is None or isinstance(refused.exception, SystemExit)
    assert "Traceback" not in refused.output
    out = refused.output
    assert "line 1, field minutes: number too long (5000 digits, at most 20)" in out
    assert "line 2, field goals.0.0.0.0.0.0.0: nested more than 8 levels deep" in out
    assert "line 3, field narrative: contains the line separator U+2028" in out
    assert "line 4, field 0.0.0.0.0.0.0.0: nested more than 8 levels deep" in out
    assert "line 5" not in out and "line 6" not in out  # U+2028 did not split a line
    assert count(store, Case) == 0
    with store.sessions() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.import"))
        assert [(e.outcome, e.reason) for e in events] == [("failed", "invalid_input")]


def test_refusals_before_the_file_is_read_are_audited(store: Store, office: int) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    with store.sessions() as session:
        with pytest.raises(ImportRefused):
            import_cases(session, store.keys, "NIRGENDWO", lines)
        with pytest.raises(ImportRefused):
            import_cases(session, store.keys, "ESSEN", lines, counsellor="niemand")
        session.commit()
    with store.sessions() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.import"))
        assert [e.outcome for e in events] == ["failed", "failed"]

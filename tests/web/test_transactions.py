"""The request pipeline owns the transaction (issue 15).

Each test plays what a careless or unlucky request does — writes and then fails, a refusal
after a write, a read whose audit event cannot be stored, a GET that tries to write — and
proves the pipeline's answer: nothing half-written, refusals audited, no content without its
durable read event. The last tests count what opening a case costs.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, func, select, text

from fallstelle import clock, db
from fallstelle.audit import Event
from fallstelle.audit.models import AuditEvent
from fallstelle.auth.errors import NotAllowed
from fallstelle.auth.models import Office, WebSession
from fallstelle.cases import retention
from fallstelle.cases import work as case_work
from fallstelle.runtime import get_runtime
from fallstelle.store import Store
from fallstelle.web.guard import public
from fallstelle.web.pipeline import context
from tests.auth.factories import Account
from tests.web.helpers import csrf, sign_in
from tests.web.test_cases import open_case

WEB = Path(__file__).resolve().parents[2] / "fallstelle" / "web"


@pytest.fixture
def client(app: Flask, anna: Account) -> FlaskClient:
    signed_in = app.test_client()
    sign_in(signed_in, anna)
    return signed_in


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    """Test-only routes that write and then fail in the ways a view can."""

    @app.post("/_test/write-then-crash")
    @public
    def _crash() -> str:
        context().session.add(Office(code="HALF", name="half-written", provider=""))
        context().session.flush()
        raise RuntimeError("boom")

    @app.post("/_test/write-then-refuse")
    @public
    def _refuse() -> str:
        ctx = context()
        ctx.session.add(Office(code="HALF", name="half-written", provider=""))
        ctx.audit("office.create", object_type="office", object_id="HALF")
        ctx.audit("office.create", outcome="denied", reason="no_permission")
        raise NotAllowed("office")

    @app.get("/_test/write-on-get")
    @public
    def _write_on_get() -> str:
        context().session.add(Office(code="GET", name="written on GET", provider=""))
        context().session.flush()
        return "written"

    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def _offices(store: Store, code: str) -> int:
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(Office).where(Office.code == code)) or 0


def _events(store: Store, action: str) -> list[AuditEvent]:
    with store.sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_view_that_writes_and_crashes_leaves_nothing(failing_app: Flask, store: Store) -> None:
    response = failing_app.test_client().post("/_test/write-then-crash")
    assert response.status_code == 500
    assert _offices(store, "HALF") == 0


def test_a_refusal_after_a_write_keeps_only_the_refusal(failing_app: Flask, store: Store) -> None:
    response = failing_app.test_client().post("/_test/write-then-refuse")
    assert response.status_code == 403
    assert _offices(store, "HALF") == 0
    events = _events(store, "office.create")
    assert [(e.outcome, e.reason) for e in events] == [("denied", "no_permission")]


def test_a_get_cannot_write(failing_app: Flask, store: Store) -> None:
    response = failing_app.test_client().get("/_test/write-on-get")
    assert response.status_code == 500
    assert _offices(store, "GET") == 0


def test_a_get_that_changes_an_object_without_flushing_keeps_nothing(
    failing_app: Flask, store: Store
) -> None:
    with store.sessions() as s, s.begin():
        s.add(Office(code="KEEP", name="as it was", provider=""))

    @failing_app.get("/_test/change-on-get")
    @public
    def _change_on_get() -> str:
        office = context().session.scalars(select(Office).where(Office.code == "KEEP")).one()
        office.name = "changed on GET"  # never flushed: the read's end must not write it
        return "changed"

    assert failing_app.test_client().get("/_test/change-on-get").status_code == 200
    with store.sessions() as s:
        assert s.scalar(select(func.count()).where(Office.name == "changed on GET")) == 0


def test_reads_end_with_commit_not_rollback(client: FlaskClient, store: Store) -> None:
    """psycopg drops a connection's prepared statements at every ROLLBACK (``DEALLOCATE
    ALL``): a read that ended with one made PostgreSQL parse and plan every statement of the
    next page again. The read engine cannot write, so its COMMIT keeps nothing either."""
    location = open_case(client)
    ends: list[str] = []
    engine = store.read_engine
    listeners = [(n, lambda _conn, n=n: ends.append(n)) for n in ("commit", "rollback")]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        for path in (location, "/faelle", "/"):
            ends.clear()
            assert client.get(path).status_code == 200
            assert ends and set(ends) == {"commit"}, (path, ends)
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def test_no_case_content_leaves_when_its_read_event_cannot_be_stored(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = open_case(client)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    group = get_runtime(app).group

    def unavailable(events: object) -> None:
        raise OSError("disk full")

    # Every way a read's events are stored: appended, or handed in early and waited for.
    monkeypatch.setattr(group, "append", unavailable)
    monkeypatch.setattr(group, "wait", unavailable)
    response = client.get(location)
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Zzyzxqvarn" not in body and "Pastafari" not in body


def test_a_read_is_audited_durably_before_the_page(
    client: FlaskClient, app: Flask, store: Store
) -> None:
    location = open_case(client)
    case_id = location.rsplit("/", 1)[-1]
    before = len([e for e in _events(store, "case.read") if e.object_id == case_id])
    assert client.get(location).status_code == 200
    after = [e for e in _events(store, "case.read") if e.object_id == case_id]
    assert len(after) == before + 1
    assert after[-1].request_id  # every event of a request carries its request id


def test_views_never_commit_or_roll_back() -> None:
    """Only the pipeline (and the rate limit's count, via the context) commits."""
    offenders = []
    for path in sorted(WEB.glob("*.py")):
        if path.name in {"pipeline.py", "sessions.py"}:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"commit", "rollback"}
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


# --- what a page costs -------------------------------------------------------------------


class StatementCounter:
    """Counts the SQL statements of both engines (not BEGIN/COMMIT/PRAGMA/SAVEPOINT)."""

    SKIP = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|PRAGMA|SAVEPOINT|RELEASE)\b", re.IGNORECASE)

    def __init__(self, engines: list[Engine]) -> None:
        self.engines = engines
        self.statements: list[str] = []
        self.lock = threading.Lock()

    def _seen(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not self.SKIP.match(statement):
            with self.lock:
                self.statements.append(statement.split("\n", 1)[0][:120])

    def __enter__(self) -> StatementCounter:
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: object) -> None:
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._seen)


@pytest.fixture
def counted(store: Store) -> Iterator[StatementCounter]:
    with StatementCounter([store.engine, store.read_engine]) as counter:
        yield counter


def _add_entries(client: FlaskClient, location: str, n: int) -> None:
    for i in range(n):
        page = client.get(f"{location}/kontakt").get_data(as_text=True)
        version = re.search(r'name="contact-version" type="hidden" value="(\d+)"', page)
        assert version
        response = client.post(
            f"{location}/kontakt",
            data={
                "csrf_token": csrf(client, location),
                "contact-version": version.group(1),
                "contact-on": "2026-11-03",
                "contact-minutes": str(10 + i),
                "contact-channel": "telefon",
                "contact-note": f"Notiz {i}",
            },
        )
        assert response.status_code == 302, response.status_code


def test_opening_a_case_runs_at_most_fifteen_statements(
    client: FlaskClient, store: Store
) -> None:
    location = open_case(client)
    _add_entries(client, location, 5)
    client.get(location)  # the catalogue is read once per process, then kept
    with StatementCounter([store.engine, store.read_engine]) as counter:
        response = client.get(location)
    assert response.status_code == 200
    print("statements:", len(counter.statements), *counter.statements, sep="\n  ")
    assert len(counter.statements) <= 15, counter.statements
    assert not any("vocab_terms" in s for s in counter.statements), counter.statements


def test_a_case_page_reads_its_sealed_rows_and_the_catalogue_version_with_few_statements(
    client: FlaskClient, store: Store
) -> None:
    """Issue 15: every statement costs a round trip and the ORM's execution path; the sealed
    rows of a case that is only read come in one statement (entries in their order), the
    catalogue's version with the case row."""
    location = open_case(client)
    _add_entries(client, location, 3)
    client.get(location)
    with StatementCounter([store.engine, store.read_engine]) as counter:
        page = client.get(location).get_data(as_text=True)
    sealed = [s for s in counter.statements if "case_entries" in s or "case_identities" in s]
    assert len(sealed) == 1, sealed
    # The catalogue's version (is the vocabulary kept in this process current?) comes with
    # the case row, not in a statement of its own.
    assert not any(s.startswith("SELECT catalogue_version") for s in counter.statements)
    assert page.index("Notiz 0") < page.index("Notiz 1") < page.index("Notiz 2")


def test_a_vocabulary_change_by_another_process_shows_on_the_next_case_page(
    client: FlaskClient, store: Store
) -> None:
    """The process keeps the vocabulary until the catalogue's version moves; the version now
    comes with the case row, so it must still be read on every page. Another process (its
    own engine: this one's copies are untouched) renames a term the page shows and bumps
    the version, as a migration or an admin elsewhere would."""
    location = open_case(client)
    page = client.get(location).get_data(as_text=True)
    other = db.make_engine(store.settings)
    try:
        with other.begin() as conn:
            terms = conn.execute(text("SELECT id, label_de FROM vocab_terms")).all()
            counts = Counter(label for _, label in terms)
            shown = next(
                (i, label) for i, label in terms if counts[label] == 1 and f">{label}<" in page
            )
            conn.execute(
                text("UPDATE vocab_terms SET label_de = 'Umbenannt-Begriff' WHERE id = :i"),
                {"i": shown[0]},
            )
            conn.execute(text("UPDATE catalogue_version SET version = version + 1"))
    finally:
        other.dispose()
    again = client.get(location).get_data(as_text=True)
    assert "Umbenannt-Begriff" in again
    assert f">{shown[1]}<" not in again


def test_a_read_finds_its_session_and_its_actor_in_one_statement(
    client: FlaskClient, store: Store
) -> None:
    """Every signed-in request reads its session row and then its actor; a read request
    (in the same read transaction) gets both from one statement. A change loads the actor
    again in its own writing transaction (a user disabled meanwhile is not let in)."""
    location = open_case(client)
    client.get(location)
    with StatementCounter([store.engine, store.read_engine]) as counter:
        assert client.get(location).status_code == 200
    users = [s for s in counter.statements if "users.active" in s]
    assert len(users) == 1 and "web_sessions" in users[0], counter.statements
    with StatementCounter([store.engine, store.read_engine]) as counter:
        response = client.post(
            f"{location}/status", data={"csrf_token": csrf(client, location), "status": "x"}
        )
    assert response.status_code in (200, 302, 400), response.status_code
    users = [s for s in counter.statements if "users.active" in s]
    assert any("web_sessions" not in s for s in users), counter.statements


def test_a_case_page_reads_the_retention_periods_only_when_they_changed(
    client: FlaskClient, store: Store
) -> None:
    """An office's retention periods are kept with the catalogue (one statement less on
    every case page); a change by another process bumps the catalogue's version, and the
    next page shows the new periods."""
    location = open_case(client)
    client.get(location)
    with StatementCounter([store.engine, store.read_engine]) as counter:
        assert client.get(location).status_code == 200
    assert not any("retention_policies" in s for s in counter.statements), counter.statements
    other = db.make_engine(store.settings)
    try:
        with other.begin() as conn:
            office = conn.execute(text("SELECT office_id FROM cases")).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO retention_policies (office_id, identifying_months, case_years,"
                    " updated_at) VALUES (:o, 7, 9, CURRENT_TIMESTAMP)"
                ),
                {"o": office},
            )
            conn.execute(text("UPDATE catalogue_version SET version = version + 1"))
    finally:
        other.dispose()
    with store.sessions() as s:
        assert retention.periods_of(s, office) == retention.Periods(7, 9)


def test_a_case_is_checked_and_decrypted_once_on_a_validation_error(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = open_case(client)
    page = client.get(f"{location}/kontakt").get_data(as_text=True)
    version = re.search(r'name="contact-version" type="hidden" value="(\d+)"', page)
    assert version
    token = csrf(client, location)
    opened: list[uuid.UUID] = []
    real_open = case_work.CaseWork.open.__func__  # type: ignore[attr-defined]

    def counting(
        cls: type[case_work.CaseWork], session: object, case: object, keys: object, **kw: bool
    ) -> object:
        opened.append(case.id)  # type: ignore[attr-defined]
        return real_open(cls, session, case, keys, **kw)

    monkeypatch.setattr(case_work.CaseWork, "open", classmethod(counting))
    response = client.post(
        f"{location}/kontakt",
        data={"csrf_token": token, "contact-version": version.group(1),
              "contact-on": "", "contact-channel": "telefon"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "error-summary" in response.get_data(as_text=True)  # the form is shown again
    assert len(opened) == 1


def test_session_activity_is_written_at_most_once_a_minute(
    client: FlaskClient, store: Store
) -> None:
    def last_seen() -> dt.datetime:
        with store.sessions() as s:
            return s.scalars(select(WebSession.last_seen_at)).one()

    client.get("/")
    first = last_seen()
    client.get("/")
    assert last_seen() == first  # within the minute: no write
    with clock.frozen(clock.now() + dt.timedelta(minutes=2)):
        client.get("/")
    assert last_seen() > first


def test_reads_of_concurrent_requests_share_commits(app: Flask, store: Store) -> None:
    group = get_runtime(app).group
    before = group.batches
    barrier = threading.Barrier(8)

    def read(n: int) -> None:
        barrier.wait()
        for i in range(10):
            group.append([Event(action="case.read", object_id=f"c{n}-{i}")])

    threads = [threading.Thread(target=read, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(_events(store, "case.read")) == 80
    assert group.batches - before < 80  # several requests' events went in one transaction

"""Write demo cases into an installation: the office and counsellors if missing, then batches.

Imports SQLAlchemy, ``store``, ``auth`` and the case room's modules. The operator runs it
(``flask --app fallstelle demo``). Missing accounts are created through the accounts
service (never enrolled: nobody can sign in as them until an admin resets one); the cases
are created as the office's counsellors through ``cases.bulk``, 200 per transaction, with
the normal case numbers, keys, statistical records and audit events. Per transaction the
cases' numbers are taken in one block per year (``cases.numbers.reserved``), their rows are
flushed together (one multi-row INSERT per table) and the statistics counted once
(``cases.stat_counts.deferred``): about one statement per case instead of seven.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import Session

from fallstelle import db
from fallstelle.audit import Event, record
from fallstelle.auth import service as accounts
from fallstelle.auth.actor import Actor
from fallstelle.auth.models import Office, User
from fallstelle.auth.permissions import Role
from fallstelle.auth.service import actor_of
from fallstelle.cases import numbers, stat_counts
from fallstelle.catalogue import rule_admin
from fallstelle.clock import today
from fallstelle.db import utcnow
from fallstelle.intake import bulk, demo
from fallstelle.intake.importer import counsellor_accounts
from fallstelle.store import Store

BATCH = 200
DEMO_COUNSELLORS = ("demo-beraterin-1", "demo-berater-2", "demo-beraterin-3")


@dataclass
class DemoResult:
    office_code: str
    created: list[str] = field(default_factory=list)  # what was set up, one line each
    cases: int = 0


def _setup(session: Session, office_code: str, result: DemoResult) -> tuple[int, list[User]]:
    operator = Actor.operator()
    code = office_code.strip().upper()
    office = session.scalar(select(Office).where(Office.code == code))
    if office is None:
        office = accounts.create_office(
            session, operator, code, f"Demo-Servicestelle {code} (synthetische Daten)", "", "office"
        )
        result.created.append(f"office {code}")
    users = [u for u in counsellor_accounts(session, office.id) if u.active]
    if not users:
        for name in DEMO_COUNSELLORS:
            username = f"{name}-{code.casefold()}"
            user, _token = accounts.create_user(
                session, operator, utcnow(), username, name.replace("-", " ").title(),
                [Role.COUNSELLOR], [office.id],
            )  # fmt: skip
            users.append(user)
            result.created.append(f"counsellor {username} (not enrolled)")
    return office.id, users


def create_demo(
    store: Store,
    count: int,
    seed: int = 1,
    office_code: str = "DEMO",
    until: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Create ``count`` synthetic cases in ``office_code`` (created if missing); commit.

    Raises:
        Invalid: the office code is malformed (from the accounts service).
    """
    result = DemoResult(office_code.strip().upper())
    with store.sessions() as session, session.begin():
        office_id, users = _setup(session, office_code, result)
        actor = actor_of(users[0])
        leads = [u.id for u in users]
        rules = rule_admin.rules(session)
    cases = demo.plan(seed, count, office_id, leads, until or today())
    # The ORM makes many short-lived reference cycles; collect once per batch instead of
    # thousands of times per batch (a bulk loader's usual trade: a little memory for time).
    refresh_at = BATCH
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        while result.cases < count:
            batch = list(islice(cases, BATCH))
            years = Counter(whole.opened_on.year for whole in batch)
            with (
                store.sessions() as session,
                session.begin(),
                stat_counts.deferred(session),
                numbers.reserved(session, office_id, years),
            ):
                for whole in batch:
                    bulk.create_whole_case(
                        session, actor, store.keys, whole, source="demo",
                        counsellors=set(leads), rules=rules, flush=False,
                    )  # fmt: skip
            result.cases += len(batch)
            if result.cases >= refresh_at:
                # The planner's view of the growing tables: PostgreSQL plans a foreign-key
                # check once per connection and keeps the plan (a sequential scan, chosen
                # while the records were few) until ANALYZE, so without this every
                # statistical code scanned all records and the run slowed down with its
                # size (1,800 cases/min at 14,000 cases, 5,400/min right after an ANALYZE;
                # autovacuum may be off or late). Each time the cases have doubled.
                db.refresh_statistics(store.engine)
                refresh_at = 2 * result.cases
            gc.collect()
            if progress is not None:
                progress(result.cases)
    finally:
        if was_enabled:
            gc.enable()
    with store.sessions() as session, session.begin():
        done = Event("case.demo", actor_role="operator", object_type="office",
                     object_id=str(office_id), reason=f"cases_{result.cases}")  # fmt: skip
        record(session, done)
    return result

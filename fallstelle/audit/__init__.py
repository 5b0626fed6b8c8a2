"""Tamper-evident, hash-chained access log (layer 0). Imports only the base modules.

Every room records what happened with ``record(session, Event(...))``; the event is written
in the same transaction as the action, when the caller (the web layer, a CLI command)
commits. Services take an explicit SQLAlchemy Session and Actor; they flush, never commit.
"""

from fallstelle.audit.events import Event
from fallstelle.audit.service import record

__all__ = ["Event", "record"]

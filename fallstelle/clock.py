"""The one clock of the application: today's date in Germany and the current UTC time.

Imports only the standard library. Dates in a case file are German calendar days, so
"today" is the date in Europe/Berlin wherever the server runs; timestamps are UTC. Every
room asks this module (never ``datetime.now``/``date.today`` itself), so a test can stop
time for the whole application with :func:`frozen`, and retention, deadlines and reports
agree on what day it is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
#: The earliest date any form accepts (a case file does not reach back further).
EARLIEST = dt.date(1900, 1, 1)

_frozen: list[dt.datetime] = []


def now() -> dt.datetime:
    """Return the current time in UTC (timezone-aware)."""
    return _frozen[-1] if _frozen else dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Return today's date in Germany."""
    return now().astimezone(BERLIN).date()


@contextlib.contextmanager
def frozen(moment: dt.datetime | dt.date) -> Iterator[None]:
    """Stop the clock at ``moment`` (a date means noon in Germany) inside the block."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(12), BERLIN)
    if moment.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    _frozen.append(moment.astimezone(dt.UTC))
    try:
        yield
    finally:
        _frozen.pop()

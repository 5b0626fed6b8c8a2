"""Report periods: a year, a half-year or a quarter, nothing finer (SDC-6).

Imports only the standard library. Statistical records hold quarters (``2026-Q3``), so every
period is a set of whole quarters; finer periods would let a reader subtract two reports and
recover small counts (differencing).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from fallstelle.errors import FallstelleError

_PATTERN = re.compile(r"(?P<year>\d{4})(?:-(?P<kind>[HQ])(?P<n>\d))?")


class BadPeriod(FallstelleError):
    """The text is not a year (2026), half-year (2026-H1) or quarter (2026-Q3)."""


@dataclass(frozen=True)
class Period:
    year: int
    kind: str  # "Y", "H" or "Q"
    number: int  # 1 for a year

    @property
    def code(self) -> str:
        return str(self.year) if self.kind == "Y" else f"{self.year}-{self.kind}{self.number}"

    @property
    def quarters(self) -> tuple[str, ...]:
        """The quarters (``YYYY-Qn``) the period consists of, in order."""
        if self.kind == "Y":
            numbers: range | tuple[int, ...] = range(1, 5)
        elif self.kind == "H":
            numbers = (1, 2) if self.number == 1 else (3, 4)
        else:
            numbers = (self.number,)
        return tuple(f"{self.year}-Q{n}" for n in numbers)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, (int(self.quarters[0][-1]) - 1) * 3 + 1, 1)

    @property
    def last_day(self) -> dt.date:
        last_quarter = int(self.quarters[-1][-1])
        if last_quarter == 4:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, last_quarter * 3 + 1, 1) - dt.timedelta(days=1)

    def previous_year(self) -> Period:
        """The same period one year earlier (for the trend table)."""
        return Period(self.year - 1, self.kind, self.number)

    def label(self, lang: str = "de") -> str:
        if self.kind == "Y":
            return str(self.year)
        if self.kind == "H":
            word = "Halbjahr" if lang == "de" else "half-year"
            return (
                f"{self.number}. {word} {self.year}"
                if lang == "de"
                else f"{word} {self.number}, {self.year}"
            )
        word = "Quartal" if lang == "de" else "quarter"
        return (
            f"{self.number}. {word} {self.year}" if lang == "de" else f"Q{self.number} {self.year}"
        )


def parse(text: str) -> Period:
    """Read ``2026``, ``2026-H1`` or ``2026-Q3``.

    Raises:
        BadPeriod: anything else (a month, a date range, a half-year 3, year 0999 …).
    """
    match = _PATTERN.fullmatch(text.strip().upper())
    if match is None:
        raise BadPeriod(text)
    year = int(match["year"])
    kind = match["kind"] or "Y"
    number = int(match["n"] or 1)
    if (
        not 2000 <= year <= 2999
        or (kind == "H" and number not in (1, 2))
        or (kind == "Q" and not 1 <= number <= 4)
    ):
        raise BadPeriod(text)
    return Period(year, kind, number)

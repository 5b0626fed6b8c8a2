"""Every table of DOMAIN.md's report list, built from statistical records for one period.

Owns the tables of a release before disclosure control: their keys, axes, labels, counting
units and cell ids. Imports SQLAlchemy, the ``reports`` query, builder, table and period
modules and the office model of ``auth``; never the case rows, never ``crypto``
(ARCHITECTURE.md). The counts come from :mod:`.aggregate_queries`, the table shapes from
:mod:`.aggregate_builder`; the report layout (sections, headlines, charts) that names these
keys is :mod:`.aggregate_layout`.

**Counting units.** Tables about what happened (Merkmal, Lebensbereich, form, Zugangsweg,
age band, gender, Kreis, AGG relevance, request type) count the cases **opened** in the
period; tables about how a case ended (outcome, effects, interventions and the share that
went to court, contacts, channels, minutes, duration) count the cases **closed** in the
period, because only then are they complete. The unit is part of every cell id
(``("einheit", "neu" | "abgeschlossen")``), together with the period and the offices, so the
same number is one cell across the release (SDC-5): the total of every "opened" table *is*
the "new cases" column total of ``fallzahlen``.

**Multi-answer tables** (Merkmal, Lebensbereich, form, interventions, effects, channels and
the crosstabs of two such dimensions) count cases per category and say so; their totals are
cases (SDC-8). Single-valued breakdowns get an "ohne Angabe" row, so that they add up to the
total. **Fixed shape** (issue 10): every table lists every term of its vocabulary — level 1,
level 2 and every Kreis — whether it occurs or not, so that the presence or absence of a row
tells a reader nothing; a level-2 row names its parent ("Religion/Weltanschauung: Islam").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fallstelle.auth.models import Office
from fallstelle.reports import aggregate_queries as q
from fallstelle.reports.aggregate_builder import (
    HEADINGS,
    NONE_CODE,
    NONE_LABEL,
    Builder,
    label,
    load_terms,
)
from fallstelle.reports.aggregate_queries import Selection, Unit
from fallstelle.reports.periods import Period
from fallstelle.reports.tables import Axis, Category, Table, one_way


@dataclass(frozen=True)
class Aggregate:
    """The unsuppressed tables of one period and set of offices, with the headline counts."""

    period: Period
    office_ids: tuple[int, ...]
    tables: tuple[Table, ...]
    new_cases: int
    closed_cases: int
    running_cases: int
    office_names: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when no case was opened or closed in the period."""
        return self.new_cases == 0 and self.closed_cases == 0


def coarse_gender(code: str) -> str:
    """Gender, coarse (DOMAIN.md: age band and gender only at a coarse level)."""
    return code if code in ("weiblich", "maennlich", "keine_angabe") else "weitere"


def _offices(session: Session, office_ids: Sequence[int]) -> list[Office]:
    found = session.scalars(select(Office).where(Office.id.in_(office_ids))).all()
    return sorted(found, key=lambda o: o.code)


def aggregate(
    session: Session, period: Period, office_ids: Iterable[int], source: Any = None
) -> Aggregate:
    """Count every report table for ``period`` over the offices' statistical records.

    ``source``: the count table to read (default the live counts; releases read the frozen
    base counts, :mod:`.frozen`).

    Raises:
        LookupError: an office id that does not exist.
    """
    ids = tuple(sorted(set(office_ids)))
    offices = _offices(session, ids)
    if len(offices) != len(ids) or not ids:
        raise LookupError("office")
    sel = Selection(period, ids) if source is None else Selection(period, ids, source)
    b = Builder(session, sel, load_terms(session, ids))
    numbers = q.case_numbers(session, sel)
    new, closed, running = (sum(v[i] for v in numbers.values()) for i in range(3))
    b.totals = {Unit.NEW: new, Unit.CLOSED: closed}
    unit_axis = Axis("einheit", label("Fälle", "Cases"), (
        Category(Unit.NEW.value, label("Neue Fälle", "New cases")),
        Category(Unit.CLOSED.value, label("Abgeschlossene Fälle", "Closed cases")),
        Category("laufend", label("Laufend am Ende des Zeitraums", "Running at the period's end")),
    ))  # fmt: skip
    office_axis = Axis(
        "office",
        label("Beratungsstelle", "Office"),
        tuple(Category(o.code, label(o.name, o.name)) for o in offices),
    )
    rows = [numbers[o.id] for o in offices]
    b.add(Table("fallzahlen", label("Fallzahlen", "Case numbers"), office_axis, unit_axis,
                tuple(rows), column_totals=(new, closed, running), scope=b.base))  # fmt: skip
    _opened_tables(b)
    _closed_tables(b)
    return Aggregate(
        period, ids, tuple(b.tables), new, closed, running, tuple(o.name for o in offices)
    )


def _opened_tables(b: Builder) -> None:
    new = Unit.NEW
    quarters = q.opened_per_quarter(b.session, b.sel)
    cats = tuple(Category(x, label(f"{x[-1]}. Quartal {x[:4]}", f"Q{x[-1]} {x[:4]}"))
                 for x in b.sel.period.quarters)  # fmt: skip
    b.add(one_way("quartal", label("Neue Fälle nach Quartal", "New cases by quarter"),
                  Axis("quartal", label("Quartal", "Quarter"), cats),
                  [quarters.get(c.code, 0) for c in cats], scope=b.scope(new)))  # fmt: skip
    b.single(
        "anfrage",
        label("Neue Fälle nach Art der Anfrage", "New cases by type of request"),
        new,
        "request_type",
        "anfrage",
        label("Art der Anfrage", "Type of request"),
    )
    b.multi(
        "merkmal",
        label("Fälle nach Merkmal", "Cases by ground"),
        new,
        "merkmal",
        HEADINGS["merkmal"],
        level=1,
    )
    _grounds_per_case(b)
    b.multi(
        "merkmal_l2",
        label("Fälle nach Merkmal, Unterkategorien", "Cases by ground, detail"),
        new,
        "merkmal",
        HEADINGS["merkmal"],
        level=2,
    )
    b.multi(
        "lebensbereich",
        label("Fälle nach Lebensbereich", "Cases by area of life"),
        new,
        "lebensbereich",
        HEADINGS["lebensbereich"],
        level=1,
    )
    b.multi("lebensbereich_l2", label("Fälle nach Lebensbereich, Unterkategorien",
                                   "Cases by area of life, detail"),
            new, "lebensbereich", HEADINGS["lebensbereich"], level=2)  # fmt: skip
    b.single(
        "agg",
        label("AGG-Bezug", "Scope of the AGG"),
        new,
        "agg_relevance",
        "agg_relevanz",
        label("AGG-Bezug", "AGG"),
    )
    b.crosstab("merkmal_x_lebensbereich", label("Merkmal nach Lebensbereich",
                                             "Ground by area of life"),
               new, "merkmal", "lebensbereich")  # fmt: skip
    b.crosstab("merkmal_x_form", label("Merkmal nach Form der Diskriminierung",
                                    "Ground by form of discrimination"),
               new, "merkmal", "form")  # fmt: skip
    b.multi(
        "form",
        label("Formen der Diskriminierung", "Forms of discrimination"),
        new,
        "form",
        HEADINGS["form"],
    )
    b.single(
        "zugang",
        label("Zugangswege", "How people found the office"),
        new,
        "access_route",
        "zugangsweg",
        label("Zugangsweg", "Access route"),
    )
    b.single(
        "alter",
        label("Altersgruppe der Ratsuchenden", "Age band"),
        new,
        "age_band",
        "altersgruppe",
        label("Altersgruppe", "Age band"),
    )
    b.single(
        "geschlecht",
        label("Geschlecht der Ratsuchenden", "Gender"),
        new,
        "gender",
        "geschlecht",
        label("Geschlecht", "Gender"),
        coarse=coarse_gender,
    )
    b.single(
        "kreis",
        label("Region des Vorfalls", "Region of the incident"),
        new,
        "kreis",
        "kreis",
        label("Kreis / kreisfreie Stadt", "District"),
    )


def _grounds_per_case(b: Builder) -> None:
    """Cases with two or more grounds, one, none — published only beside a complete Merkmal table.

    The Merkmal rows (level 1, without "keine Angabe", which is no ground) add up to
    ``one + Σ grounds of the intersectional cases``, between ``one + 2 × several`` and
    ``one + G × several`` for G grounds; with no intersectional case that is an equation that
    would give away a single hidden Merkmal row. So the breakdown needs every ground row
    published, or it is withheld (``Table.breakdown_needs``); withheld, the relation tells a
    reader nothing that "each row ≤ the cases" does not (disclosure.py, rule 2).
    """
    new = Unit.NEW
    per_case = b.counts.per_case(new, "merkmal")  # "keine_angabe" is not a ground
    several = sum(n for k, n in per_case.items() if k >= 2)
    merkmal = next(t for t in b.tables if t.key == "merkmal")
    grounds = [b.cell_id(new, "merkmal", c.code) for c in merkmal.rows.categories
               if "." not in c.code and c.code != "keine_angabe"]  # fmt: skip
    b.add(one_way(
        "merkmal_mehrfach", label("Merkmale je Fall (intersektionale Fälle)",
                               "Grounds per case (intersectional cases)"),
        Axis("merkmale_je_fall", label("Merkmale je Fall", "Grounds per case"), (
            Category("mehrere", label("zwei oder mehr Merkmale (intersektional)",
                                   "two or more grounds (intersectional)")),
            Category("eines", label("ein Merkmal", "one ground")),
            Category(NONE_CODE, NONE_LABEL),
        )),
        [several, per_case.get(1, 0), per_case.get(0, 0)], scope=b.scope(new),
        breakdown_needs=grounds,
    ))  # fmt: skip


def _closed_tables(b: Builder) -> None:
    closed = Unit.CLOSED
    b.multi("intervention", label("Interventionen in abgeschlossenen Fällen",
                               "Interventions in closed cases"),
            closed, "intervention", HEADINGS["intervention"], level=1)  # fmt: skip
    b.crosstab("lebensbereich_x_intervention", label("Lebensbereich nach Intervention "
                                                  "(abgeschlossene Fälle)",
                                                  "Area of life by intervention (closed cases)"),
               closed, "lebensbereich", "intervention")  # fmt: skip
    b.single("ergebnis", label("Abschlussgrund der abgeschlossenen Fälle",
                            "Reason for closing"), closed, "closure_reason", "abschlussgrund",
             label("Abschlussgrund", "Reason"))  # fmt: skip
    b.multi(
        "wirkung",
        label("Erreichte Wirkungen (abgeschlossene Fälle)", "Effects achieved"),
        closed,
        "wirkung",
        HEADINGS["wirkung"],
    )
    b.binned("kontakte", label("Kontakte je abgeschlossenem Fall", "Contacts per closed case"),
             closed, "kontakte", label("Kontakte je Fall", "Contacts per case"),
             BINS["kontakte"])  # fmt: skip
    b.multi(
        "kanal",
        label("Abgeschlossene Fälle nach Kontaktweg", "Closed cases by channel"),
        closed,
        "kontakt_kanal",
        HEADINGS["kontakt_kanal"],
    )
    b.binned("minuten", label("Beratungszeit je abgeschlossenem Fall",
                           "Counselling time per closed case"),
             closed, "minuten", label("Beratungszeit", "Time"), BINS["minuten"])  # fmt: skip
    b.binned("dauer", label("Dauer der abgeschlossenen Fälle", "Duration of closed cases"),
             closed, "dauer", label("Abgeschlossen", "Closed"), BINS["dauer"])  # fmt: skip


#: The bins of the integer measures: ``(inclusive upper limit, de, en)``, the last open-ended.
BINS: dict[str, tuple[tuple[int, str, str], ...]] = {
    "kontakte": ((0, "keine erfasst", "none recorded"), (1, "1", "1"),
                 (3, "2 bis 3", "2 to 3"), (6, "4 bis 6", "4 to 6"),
                 (10, "7 bis 10", "7 to 10"), (0, "mehr als 10", "more than 10")),
    "minuten": ((0, "keine erfasst", "none recorded"), (60, "bis 1 Stunde", "up to 1 hour"),
                (180, "1 bis 3 Stunden", "1 to 3 hours"),
                (480, "3 bis 8 Stunden", "3 to 8 hours"),
                (0, "mehr als 8 Stunden", "more than 8 hours")),
    "dauer": ((0, "im Quartal der Eröffnung", "in the quarter opened"),
              (1, "im folgenden Quartal", "in the next quarter"),
              (3, "2 bis 3 Quartale später", "2 to 3 quarters later"),
              (0, "4 oder mehr Quartale später", "4 or more quarters later")),
}  # fmt: skip

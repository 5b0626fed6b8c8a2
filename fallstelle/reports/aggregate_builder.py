"""The table builder of :mod:`.aggregate`: vocabulary labels, scopes and the table shapes.

Owns how one kind of table is made from counts: an additive breakdown of a single-valued
column (with an "ohne Angabe" row), a multi-answer table of a coded dimension (level 1 with
the own-line terms such as Antisemitismus, or level 2), a table of an integer measure in
bins, and a multi-answer crosstab of two coded dimensions at level 1. Imports SQLAlchemy, the
vocabulary model (``fallstelle.catalogue.models``) and the ``reports`` query and table
modules; never the case rows, never ``crypto``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from fallstelle.catalogue.models import VocabTerm
from fallstelle.reports import aggregate_queries as q
from fallstelle.reports.aggregate_queries import Selection, Unit
from fallstelle.reports.tables import Axis, Category, CellId, Label, Relation, Table, one_way

NONE_CODE = "ohne_angabe"
NONE_LABEL = Label("ohne Angabe", "not recorded")
#: Labels of categories that exist only in reports (coarsened values).
EXTRA_LABELS = {
    ("geschlecht", "weitere"): Label(
        "divers, nicht-binär, trans oder selbst beschrieben",
        "diverse, non-binary, trans or self-described",
    ),
}


@dataclass(frozen=True)
class Term:
    code: str
    label: Label
    level: int
    own_line: bool


def load_terms(session: Session, office_ids: Iterable[int]) -> dict[str, list[Term]]:
    """Return each vocabulary's terms (shared and the offices' own), level 1 before its children.

    Inactive terms are kept: an old record may still carry them.
    """
    rows = session.scalars(
        select(VocabTerm).where(
            or_(VocabTerm.office_id.is_(None), VocabTerm.office_id.in_(tuple(office_ids)))
        )
    ).all()
    position = {(t.vocabulary, t.code): t.position for t in rows if t.level == 1}

    def order(t: VocabTerm) -> tuple[int, int, bool, int, str]:
        parent = t.code if t.level == 1 else (t.parent_code or "")
        return (position.get((t.vocabulary, parent), 1 << 30), t.level, t.office_id is not None,
                t.position, t.code)  # fmt: skip

    out: dict[str, list[Term]] = {}
    seen: set[tuple[str, str]] = set()
    for t in sorted(rows, key=order):
        if (t.vocabulary, t.code) in seen:  # two offices' own terms with one code
            continue
        seen.add((t.vocabulary, t.code))
        out.setdefault(t.vocabulary, []).append(
            Term(t.code, Label(t.label_de, t.label_en), t.level, t.own_line)
        )
    return out


class Builder:
    """Collects the tables of one release; knows the scope and the vocabularies."""

    def __init__(self, session: Session, sel: Selection, terms: dict[str, list[Term]]) -> None:
        self.session, self.sel, self.terms = session, sel, terms
        self.tables: list[Table] = []
        offices = ",".join(str(o) for o in sel.office_ids)
        self.base: CellId = (("stellen", offices), ("zeitraum", sel.period.code))
        self.totals: dict[Unit, int] = {}
        self.counts = q.Counts(session, sel)
        self._codes: dict[Unit, dict[tuple[str, str], int]] = {}

    def scope(self, unit: Unit) -> CellId:
        return (*self.base, ("einheit", unit.value))

    def cell_id(self, unit: Unit, dimension: str, code: str) -> CellId:
        """The id of the cell counting ``code`` of ``dimension`` (as ``Table`` names it)."""
        return tuple(sorted({*self.scope(unit), (dimension, code)}))

    def label(self, vocabulary: str, code: str) -> Label:
        for term in self.terms.get(vocabulary, ()):
            if term.code == code:
                return term.label
        # a code no vocabulary knows (any more) is shown as it is
        return EXTRA_LABELS.get(
            (vocabulary, code), Label(code, code)
        )  # a code no vocabulary knows (any more): shown as is

    def level_one(self, vocabulary: str) -> list[Term]:
        return [t for t in self.terms.get(vocabulary, ()) if t.level == 1]

    def code_counts(self, unit: Unit) -> dict[tuple[str, str], int]:
        if unit not in self._codes:
            self._codes[unit] = self.counts.codes(unit)
        return self._codes[unit]

    def add(self, table: Table) -> None:
        self.tables.append(table)

    # -- one-way tables ----------------------------------------------------------------------

    def single(self, key: str, title: Label, unit: Unit, column: str, vocabulary: str,
               heading: Label, *,
               coarse: Callable[[str], str] | None = None) -> None:  # fmt: skip
        """An additive breakdown of one single-valued column, with an "ohne Angabe" row.

        Every level-1 term is a row, whether it occurs or not (fixed shape, issue 10).
        """
        counts: dict[str, int] = {}
        for value, n in self.counts.column(unit, column).items():
            code = NONE_CODE if value is None else (coarse(value) if coarse else value)
            counts[code] = counts.get(code, 0) + n
        codes = [t.code for t in self.terms.get(vocabulary, ()) if t.level == 1]
        if coarse:
            codes = list(dict.fromkeys(coarse(c) for c in codes))
        codes += sorted(c for c in counts if c not in codes and c != NONE_CODE)
        codes.append(NONE_CODE)
        cats = [Category(c, NONE_LABEL if c == NONE_CODE else self.label(vocabulary, c))
                for c in codes]  # fmt: skip
        self.add(one_way(key, title, Axis(vocabulary, heading, tuple(cats)),
                         [counts.get(c, 0) for c in codes], scope=self.scope(unit),
                         total=self.totals[unit]))  # fmt: skip

    def multi(self, key: str, title: Label, unit: Unit, dimension: str, heading: Label,
              *, level: int | None = None) -> None:  # fmt: skip
        """A multi-answer table of one coded dimension: cases per code, total = cases.

        ``level`` 1 lists every level-1 term plus the terms reported on their own line
        (Antisemitismus); ``level`` 2 every level-2 term of the vocabulary; None a flat list.
        Every term is listed whether it occurs or not (fixed shape): the presence of a row
        never tells a reader that a code occurred (issue 10).
        """
        counts = {c: n for (d, c), n in self.code_counts(unit).items() if d == dimension}
        terms = self.terms.get(dimension, [])
        if level == 2:
            codes = [t.code for t in terms if t.level == 2]
            codes += sorted(c for c in counts if "." in c and c not in codes)
        else:
            codes = []
            for t in terms:
                if t.level == 1 or (level == 1 and t.own_line):
                    codes.append(t.code)
            codes += sorted(c for c in counts if "." not in c and c not in codes)
        if not codes:  # a detail table with nothing to detail is left out
            return
        cats = tuple(Category(c, self._line_label(dimension, c, level)) for c in codes)
        # A case with a level-2 code also has its level-1 code: child ≤ parent.
        relations = [Relation(((self.cell_id(unit, dimension, c), 1),
                               (self.cell_id(unit, dimension, c.split(".", 1)[0]), -1)))
                     for c in codes if "." in c]  # fmt: skip
        self.add(one_way(key, title, Axis(dimension, heading, cats),
                         [counts.get(c, 0) for c in codes], scope=self.scope(unit),
                         total=self.totals[unit], multi_answer=True,
                         relations=relations))  # fmt: skip

    def _line_label(self, dimension: str, code: str, level: int | None) -> Label:
        own = self.label(dimension, code)
        if "." not in code:
            return own
        parent = self.label(dimension, code.split(".", 1)[0])
        if level == 1:  # an own-line level-2 term inside a level-1 table
            return Label(f"darunter: {own.de}", f"of which: {own.en}")
        # A level-2 row names its parent ("Religion/Weltanschauung: Islam"), in tables,
        # charts and the CSV alike, so that it reads on its own.
        return Label(f"{parent.de}: {own.de}", f"{parent.en}: {own.en}")

    def binned(self, key: str, title: Label, unit: Unit, measure: str, heading: Label,
               bins: Sequence[tuple[int, str, str]]) -> None:  # fmt: skip
        """An additive table of an integer measure in bins ``(upper limit, de, en)``."""
        edges = [b[0] for b in bins[:-1]]
        counts = self.counts.binned(unit, measure, edges)
        cats = tuple(Category(f"{key}-{i}", Label(de, en)) for i, (_, de, en) in enumerate(bins))
        self.add(one_way(key, title, Axis(key, heading, cats), counts,
                         scope=self.scope(unit), total=self.totals[unit]))  # fmt: skip

    # -- crosstabs -----------------------------------------------------------------------------

    def crosstab(self, key: str, title: Label, unit: Unit, rows: str, columns: str) -> None:
        """A multi-answer crosstab of two coded dimensions at level 1, margins = cases."""
        pairs = self.counts.pairs(unit, rows, columns)
        counts = self.code_counts(unit)

        def axis(dimension: str) -> Axis:
            codes = [t.code for t in self.level_one(dimension)]
            seen = {p[0] if dimension == rows else p[1] for p in pairs}
            codes += sorted(c for c in seen if c not in codes)
            cats = tuple(Category(c, self.label(dimension, c)) for c in codes)
            return Axis(dimension, HEADINGS[dimension], cats)

        row_axis, col_axis = axis(rows), axis(columns)
        r_codes = [c.code for c in row_axis.categories]
        c_codes = [c.code for c in col_axis.categories]
        self.add(
            Table(
                key, title, row_axis, col_axis,
                tuple(tuple(pairs.get((r, c), 0) for c in c_codes) for r in r_codes),
                row_totals=tuple(counts.get((rows, r), 0) for r in r_codes),
                column_totals=tuple(counts.get((columns, c), 0) for c in c_codes),
                grand_total=self.totals[unit], multi_answer=True, scope=self.scope(unit),
            )
        )  # fmt: skip


def label(de: str, en: str) -> Label:
    """Return a German / English label."""
    return Label(de, en)


HEADINGS: dict[str, Label] = {
    "merkmal": label("Merkmal", "Ground"),
    "lebensbereich": label("Lebensbereich", "Area of life"),
    "form": label("Form", "Form"),
    "intervention": label("Intervention", "Intervention"),
    "wirkung": label("Wirkung", "Effect"),
    "kontakt_kanal": label("Kontaktweg", "Channel"),
}

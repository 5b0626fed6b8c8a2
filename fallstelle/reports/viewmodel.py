"""What a PDF template sees: frozen, preformatted text built only from suppressed tables (PDF-6).

Owns the view-model dataclasses of both report templates, the German period, date and
number formats, and the conversion of one :class:`Suppressed` table into rows of text.
Imports the standard library, ``markupsafe`` (for the chart SVG) and the ``reports``
tables, disclosure and text modules; never ``crypto``, ``cases``, the database or Flask.

A template never receives a table, a count or an ORM object: every value is already the
text a reader sees (``"1.234"``, ``"."``, ``"12,5"``, ``"–"``), computed here from what
:class:`Suppressed` publishes, so a restyled template cannot print a hidden value even by
mistake. Every view class is a frozen dataclass of strings, booleans, tuples and chart SVG
markup; a test walks them and finds nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from fallstelle.reports.disclosure import HIDDEN, Status, Suppressed
from fallstelle.reports.disclosure_text import (
    MULTI_ANSWER_NOTE,
    NO_PERCENT,
    format_count,
    format_percent,
    hidden_footnote,
    percent_note,
    percentage,
)
from fallstelle.reports.tables import CellKind

#: Crosstabs with more columns than this are printed on a landscape page.
WIDE_COLUMNS = 6


# -- formats -----------------------------------------------------------------------------


#: A true zero in a table: "kein Fall" (a hidden cell is ".", never this).
ZERO = "–"
ZERO_NOTE = "„–“ = kein Fall."


def cell_text(value: int | None) -> str:
    """Return a table cell's text: "–" for a true zero, "." when hidden, else the count."""
    return ZERO if value == 0 else format_count(value)


def de_date(day: date) -> str:
    """Return ``day`` as TT.MM.JJJJ."""
    return f"{day:%d.%m.%Y}"


def de_change(previous: int | None, current: int | None, base: int) -> str:
    """Return the change in percent (``+15,0 %``), or a dash for a hidden or small base."""
    if previous is None or current is None or previous < base:
        return NO_PERCENT
    value = (current - previous) * 100 / previous
    sign = "+" if value > 0 else ("±" if value == 0 else "−")
    return f"{sign}{abs(value):.1f} %".replace(".", ",")


# -- view classes --------------------------------------------------------------------------


@dataclass(frozen=True)
class CellView:
    text: str
    hidden: bool
    percent: str = ""


@dataclass(frozen=True)
class RowView:
    label: str
    cells: tuple[CellView, ...]
    is_total: bool = False


@dataclass(frozen=True)
class TableView:
    anchor: str
    number: int
    title: str
    row_heading: str
    columns: tuple[str, ...]
    rows: tuple[RowView, ...]
    show_percent: bool
    wide: bool
    notes: tuple[str, ...]
    withheld: str = ""  # instead of rows when the whole breakdown is withheld (SDC-2)


@dataclass(frozen=True)
class SectionView:
    anchor: str
    title: str
    intro: str
    tables: tuple[TableView, ...]
    charts: tuple[ChartView, ...] = ()  # after the tables

    @property
    def wide(self) -> bool:
        """True when a table needs a landscape page (the whole section goes landscape)."""
        return any(t.wide for t in self.tables)


@dataclass(frozen=True)
class TrendRowView:
    label: str
    previous: str
    current: str
    change: str
    is_total: bool = False


@dataclass(frozen=True)
class TrendView:
    anchor: str
    title: str
    rows: tuple[TrendRowView, ...]


@dataclass(frozen=True)
class ActivityView:
    date: str
    kind: str
    title: str
    participants: str


@dataclass(frozen=True)
class MetaView:
    document_title: str  # also the PDF's metadata title
    report_name: str
    offices: tuple[str, ...]
    period_label: str
    period_range: str
    generated: str  # TT.MM.JJJJ
    generated_iso: str  # for the PDF metadata date
    logo: str | None
    k: int
    percentage_base: int


@dataclass(frozen=True)
class FundingReport:
    meta: MetaView
    sections: tuple[SectionView, ...]
    trend: tuple[TrendView, ...]
    trend_charts: tuple[ChartView, ...]  # charted tables, previous and this period
    trend_previous: str  # label of the previous period, "" without trend
    trend_notes: tuple[str, ...]
    activities: tuple[ActivityView, ...]
    activities_participants: str
    notes: tuple[str, ...]

    template = "funding/report.html"


@dataclass(frozen=True)
class HeadlineView:
    value: str
    text: str


@dataclass(frozen=True)
class ChartView:
    anchor: str
    title: str
    caption: str
    svg: Markup
    notes: tuple[str, ...]


@dataclass(frozen=True)
class CampaignReport:
    meta: MetaView
    headlines: tuple[HeadlineView, ...]
    charts: tuple[ChartView, ...]
    notes: tuple[str, ...]

    template = "campaign/report.html"


# -- one table -----------------------------------------------------------------------------


def anchor(prefix: str, key: str) -> str:
    """Return an HTML id made of ``prefix`` and the table key's safe characters."""
    return prefix + "-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


def table_view(pub: Suppressed, number: int) -> TableView:
    """Return the text of one suppressed table, with its notes (SDC-1, 2, 8, 9)."""
    table, policy = pub.table, pub.policy
    n_rows = len(table.rows.categories)
    one_way = table.columns is None
    total_label = "Fälle insgesamt" if table.multi_answer else "Summe"
    if one_way:
        columns: tuple[str, ...] = ("Anzahl",)
    else:
        assert table.columns is not None  # noqa: S101 - narrowed by one_way
        columns = tuple(c.label.de for c in table.columns.categories)
        if table.row_totals is not None:
            columns += (total_label,)
    show_percent = one_way
    rows: list[RowView] = []
    labels = [c.label.de for c in table.rows.categories]
    if table.column_totals is not None:
        labels.append(total_label)
    width = len(columns)
    for r, label in enumerate(labels):
        cells = []
        for c in range(width):
            if (r, c) not in pub.status:  # a margin the table does not have
                cells.append(CellView("", False))
                continue
            value = pub.value((r, c))
            share = ""
            if show_percent and table.cell((r, c)).kind is not CellKind.GRAND_TOTAL:
                share = format_percent(percentage(pub, (r, c)))
            cells.append(CellView(cell_text(value), value is None, share))
        rows.append(RowView(label, tuple(cells), is_total=r == n_rows))
    notes: list[str] = []
    if table.multi_answer:
        notes.append(MULTI_ANSWER_NOTE.de)
    if any(cell.hidden for row in rows for cell in row.cells):
        notes.append(hidden_footnote(policy.k))
    if any(cell.text == ZERO for row in rows for cell in row.cells):
        notes.append(ZERO_NOTE)
    if any(cell.percent == NO_PERCENT for row in rows for cell in row.cells):
        notes.append(percent_note(policy.percentage_base))
    withheld = _withheld_text(pub)
    return TableView(
        anchor=anchor("tab", table.key),
        number=number,
        title=table.title.de,
        row_heading=table.rows.label.de,
        columns=columns,
        rows=() if withheld else tuple(rows),
        show_percent=show_percent,
        wide=len(columns) > WIDE_COLUMNS,
        notes=() if withheld else tuple(notes),
        withheld=withheld,
    )


def _withheld_text(pub: Suppressed) -> str:
    """Return the sentence shown instead of a table whose every cell is hidden, else ""."""
    table = pub.table
    if not all(pub.status[c.position] in HIDDEN for c in table.cells()):
        return ""
    grand = [c for c in table.cells() if c.kind is CellKind.GRAND_TOTAL]
    if grand and pub.status[grand[0].position] is Status.PRIMARY:
        return (
            f"Weniger als {pub.policy.k} Fälle: aus Datenschutzgründen keine Aufschlüsselung."
        )
    return "Aus Datenschutzgründen gesperrt: keine Aufschlüsselung."


def trend_view(previous: Suppressed, current: Suppressed) -> TrendView | None:
    """Return the year-on-year comparison of two one-way tables, or None if not comparable.

    Rows are matched by category code; the change is computed from two published counts
    only, and only when the previous count reaches the percentage base (SDC-9).
    """
    t_prev, t_cur = previous.table, current.table
    if t_prev.columns is not None or t_cur.columns is not None:
        return None
    base = current.policy.percentage_base
    prev_at = {c.code: i for i, c in enumerate(t_prev.rows.categories)}
    rows: list[TrendRowView] = []
    for i, cat in enumerate(t_cur.rows.categories):
        j = prev_at.get(cat.code)
        before = previous.value((j, 0)) if j is not None else None
        now = current.value((i, 0))
        shown = cell_text(before) if j is not None else NO_PERCENT
        change = de_change(before, now, base)
        rows.append(TrendRowView(cat.label.de, shown, cell_text(now), change))
    if t_cur.column_totals is not None and t_prev.column_totals is not None:
        n_prev, n_cur = len(t_prev.rows.categories), len(t_cur.rows.categories)
        before, now = previous.value((n_prev, 0)), current.value((n_cur, 0))
        label = "Fälle insgesamt" if t_cur.multi_answer else "Summe"
        rows.append(
            TrendRowView(
                label, cell_text(before), cell_text(now), de_change(before, now, base), True
            )
        )
    return TrendView(anchor("trend", t_cur.key), t_cur.title.de, tuple(rows))

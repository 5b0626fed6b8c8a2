"""The charts of both reports, built from published (suppressed) one-way tables only.

Owns which numbers a chart shows: the share (or count) of every row of one table
(:func:`chart_view`), and a table's counts in the previous and this period side by side
(:func:`trend_chart_view`), with their captions and notes. Imports the standard library and
the ``reports`` chart, disclosure and view-model modules; never ``crypto``, ``cases``, the
database or Flask. Every number comes from :class:`Suppressed`: a hidden cell draws no bar
and is spoken as "geheim gehalten" (``charts``).
"""

from __future__ import annotations

from fallstelle.reports.charts import Bar, Pair, bar_chart, comparison_chart
from fallstelle.reports.disclosure import Suppressed
from fallstelle.reports.disclosure_text import (
    MULTI_ANSWER_NOTE,
    NO_PERCENT,
    format_count,
    format_percent,
    hidden_footnote,
    percent_note,
    percentage,
)
from fallstelle.reports.viewmodel import ChartView, anchor


def _one_way(pub: Suppressed, what: str) -> None:
    if pub.table.columns is not None:
        raise ValueError(f"{what}: table {pub.table.key!r} is not a one-way table")


def chart_view(pub: Suppressed, title: str, caption: str = "") -> ChartView:
    """Return the bar chart of one one-way table: shares of all cases, or counts.

    Raises:
        ValueError: the table is a crosstab.
    """
    _one_way(pub, "chart")
    table = pub.table
    rows = range(len(table.rows.categories))
    shares = [percentage(pub, (r, 0)) for r in rows]
    use_percent = any(s is not None for s in shares)
    bars: list[Bar] = []
    for r, cat in enumerate(table.rows.categories):
        count, share = pub.value((r, 0)), shares[r]
        if use_percent:
            value = None if share is None else float(share)
            text = format_percent(share) + (" %" if share is not None else "")
            if count is None:
                text = format_count(None)  # hidden: the marker, not the percent dash
        else:
            value = None if count is None else float(count)
            text = format_count(count)
        bars.append(Bar(cat.label.de, value, text))
    notes: list[str] = []
    if table.multi_answer:
        notes.append(MULTI_ANSWER_NOTE.de)
    if any(b.value is None for b in bars):
        notes.append(
            hidden_footnote(pub.policy.k)
            if any(pub.is_hidden((r, 0)) for r in rows)
            else percent_note(pub.policy.percentage_base)
        )
    total = pub.value((len(rows), 0)) if (len(rows), 0) in pub.status else None
    unit = "Anteil an allen Fällen" if use_percent else "Anzahl der Fälle"
    basis = f" (Basis: {format_count(total)} Fälle)" if total is not None else ""
    svg = bar_chart(bars, title=title, percent=use_percent)
    return ChartView(
        anchor("chart", table.key), title, caption or f"{unit}{basis}.", svg, tuple(notes)
    )


def trend_chart_view(
    previous: Suppressed, current: Suppressed, title: str, before: str, now: str
) -> ChartView:
    """Return the counts of one table in the previous (``before``) and this period (``now``).

    Rows are the current table's categories, matched by code; a category the previous
    release did not have shows "–", a hidden count the marker and no bar.

    Raises:
        ValueError: either table is a crosstab.
    """
    _one_way(previous, "trend chart")
    _one_way(current, "trend chart")
    prev_at = {c.code: i for i, c in enumerate(previous.table.rows.categories)}
    pairs: list[Pair] = []
    for i, cat in enumerate(current.table.rows.categories):
        j = prev_at.get(cat.code)
        old = previous.value((j, 0)) if j is not None else None
        new = current.value((i, 0))
        old_bar = (
            Bar(cat.label.de, None, NO_PERCENT)
            if j is None
            else Bar(cat.label.de, None if old is None else float(old), format_count(old))
        )
        new_bar = Bar(cat.label.de, None if new is None else float(new), format_count(new))
        pairs.append(Pair(cat.label.de, old_bar, new_bar))
    hidden = any(p.before.text == "." or p.now.text == "." for p in pairs)
    notes = [hidden_footnote(current.policy.k)] if hidden else []
    if current.table.multi_answer:
        notes.insert(0, MULTI_ANSWER_NOTE.de)
    svg = comparison_chart(pairs, title=title, before=before, now=now)
    caption = f"Anzahl der Fälle, {before} und {now}."
    return ChartView(anchor("trendchart", current.table.key), title, caption, svg, tuple(notes))

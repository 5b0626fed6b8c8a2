"""Build the view-model of the funding report and of the campaign report from a release.

Owns what goes into each report: the sections of tables, the year-on-year trend, the
office's non-case activities (funding report), the headline figures and charts (campaign
report), and the checks that come first — the release and the previous year's release pass
:func:`check_release`, the period is a year, half-year or quarter, the logo is a plain
file name. Imports the standard library and the ``reports`` modules; never ``crypto``,
``cases`` or Flask. Its inputs are :class:`Suppressed` tables and plain values, never rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from fallstelle.reports import periods
from fallstelle.reports.disclosure import Policy, Suppressed, check_release
from fallstelle.reports.disclosure_text import (
    format_count,
    format_percent,
    hidden_footnote,
    percent_note,
    percentage,
)
from fallstelle.reports.pdf_worker import OFFICE_LOGO
from fallstelle.reports.report_charts import chart_view, trend_chart_view
from fallstelle.reports.viewmodel import (
    ZERO,
    ZERO_NOTE,
    ActivityView,
    CampaignReport,
    ChartView,
    FundingReport,
    HeadlineView,
    MetaView,
    SectionView,
    TableView,
    TrendView,
    de_date,
    table_view,
    trend_view,
)

_LOGO = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\.(png|jpe?g|svg)")


@dataclass(frozen=True)
class ReportMeta:
    """Who reports on what: office names, period code, generation date, optional logo.

    ``period`` is ``2026``, ``2026-H1`` or ``2026-Q3`` (:func:`periods.parse`).
    ``logo`` is a file name relative to the top-level ``reports/`` folder (``logo.png``).
    """

    offices: tuple[str, ...]
    period: str
    generated: date
    logo: str | None = None


@dataclass(frozen=True)
class ChartSpec:
    table_key: str
    title: str
    caption: str = ""


@dataclass(frozen=True)
class SectionSpec:
    """A funding report section: its tables, then ``charts`` of some of them.

    A chart's table that is also compared with the previous year gets a comparison chart in
    the trend section (issue 10: grounds, areas of life, trend against last year).
    """

    title: str
    table_keys: tuple[str, ...]
    intro: str = ""
    charts: tuple[ChartSpec, ...] = ()


@dataclass(frozen=True)
class Activity:
    """Non-case work of the office (workshop, campaign, network meeting, consultation)."""

    day: date
    kind: str
    title: str
    participants: int | None = None


@dataclass(frozen=True)
class PreviousRelease:
    period: str
    release: tuple[Suppressed, ...]


@dataclass(frozen=True)
class Headline:
    """One headline figure: a published cell of a table and a plain-language sentence.

    ``row_code`` None takes the total row; ``column_code`` None the first column (the count
    of a one-way table). ``percent`` shows the cell's share instead of its count. A headline
    whose value is hidden, has no percentage, or is zero (0 or "0,0 %") is left out: a
    campaign page never headlines nothing (issue 10).
    """

    table_key: str
    text: str
    row_code: str | None = None
    column_code: str | None = None
    percent: bool = False


def _meta(meta: ReportMeta, report_name: str, policy: Policy) -> MetaView:
    period = periods.parse(meta.period)
    if meta.logo is not None and not (
        _LOGO.fullmatch(meta.logo) or OFFICE_LOGO.fullmatch(meta.logo)
    ):
        raise ValueError("the logo must be a PNG, JPEG or SVG file name inside reports/")
    if not meta.offices:
        raise ValueError("a report names at least one office")
    return MetaView(
        document_title=f"Statistik {period.label()} – {report_name}",
        report_name=report_name,
        offices=meta.offices,
        period_label=period.label(),
        period_range=f"{de_date(period.first_day)} – {de_date(period.last_day)}",
        generated=de_date(meta.generated),
        generated_iso=meta.generated.isoformat(),
        logo=meta.logo,
        k=policy.k,
        percentage_base=policy.percentage_base,
    )


def _policy(release: Sequence[Suppressed]) -> Policy:
    if not release:
        raise ValueError("the release has no tables")
    check_release(release)
    return release[0].policy


def _by_key(release: Sequence[Suppressed]) -> dict[str, Suppressed]:
    return {pub.table.key: pub for pub in release}


def funding_view(
    release: Sequence[Suppressed],
    meta: ReportMeta,
    *,
    sections: Sequence[SectionSpec] = (),
    activities: Sequence[Activity] = (),
    previous: PreviousRelease | None = None,
    trend_keys: Sequence[str] | None = None,
) -> FundingReport:
    """Return the Sachbericht's view-model: every table, the trend, the activities.

    Tables appear in the order of ``sections``; tables no section names follow in a last
    section "Weitere Tabellen", so nothing of the release is silently left out. A section's
    ``charts`` follow its tables. The trend compares the one-way tables named in
    ``trend_keys`` (default: every one-way table in both releases) with the previous
    period's release; a charted table among them also gets a comparison chart.

    Raises:
        DisclosureError: the release or the previous release is not protected.
        BadPeriod: a period that is not a year, half-year or quarter.
        ValueError: an unknown table key, a malformed logo name, or no office.
    """
    policy = _policy(release)
    view_meta = _meta(meta, "Sachbericht", policy)
    tables = _by_key(release)
    placed: list[str] = []
    section_views: list[SectionView] = []
    specs = list(sections)
    rest = tuple(k for k in tables if k not in {k for s in specs for k in s.table_keys})
    if rest:
        specs.append(SectionSpec("Weitere Tabellen" if sections else "Tabellen", rest))
    for i, spec in enumerate(specs, start=1):
        views: list[TableView] = []
        for key in spec.table_keys:
            if key not in tables or key in placed:
                raise ValueError(f"section {spec.title!r}: unknown or repeated table {key!r}")
            placed.append(key)
            views.append(table_view(tables[key], len(placed)))
        charts = tuple(chart_view(tables[c.table_key], c.title, c.caption)
                       for c in spec.charts if c.table_key in tables)  # fmt: skip
        section_views.append(SectionView(f"sec-{i}", spec.title, spec.intro, tuple(views), charts))
    trend: list[TrendView] = []
    trend_charts: list[ChartView] = []
    trend_previous = ""
    if previous is not None:
        _policy(previous.release)
        trend_previous = periods.parse(previous.period).label()
        before = _by_key(previous.release)
        keys = list(trend_keys) if trend_keys is not None else list(tables)
        for key in keys:
            if key in tables and key in before:
                view = trend_view(before[key], tables[key])
                if view is not None:
                    trend.append(view)
        now = view_meta.period_label
        for chart in (c for spec in specs for c in spec.charts):
            if chart.table_key in keys and chart.table_key in tables and chart.table_key in before:
                pub = tables[chart.table_key]
                title = f"{pub.table.title.de}: {trend_previous} und {now}"
                trend_charts.append(trend_chart_view(before[chart.table_key], pub, title,
                                                     trend_previous, now))  # fmt: skip
    participants = [a.participants for a in activities if a.participants is not None]
    return FundingReport(
        meta=view_meta,
        sections=tuple(section_views),
        trend=tuple(trend),
        trend_charts=tuple(trend_charts),
        trend_previous=trend_previous,
        trend_notes=(
            f"„–“ = keine Veränderungsrate: Wert des Vorjahres unter {policy.percentage_base}, "
            "gesperrt oder nicht erhoben.",
        )
        if trend
        else (),
        activities=tuple(
            ActivityView(
                de_date(a.day),
                a.kind,
                a.title,
                "" if a.participants is None else format_count(a.participants),
            )
            for a in sorted(activities, key=lambda a: (a.day, a.kind, a.title))
        ),
        activities_participants=format_count(sum(participants)) if participants else "",
        notes=(
            hidden_footnote(policy.k),
            percent_note(policy.percentage_base),
            *((ZERO_NOTE,) if _shows_zero(section_views) else ()),
        ),
    )


def _shows_zero(sections: Sequence[SectionView]) -> bool:
    """True when a table prints "–" for 0 (a release that hides nothing: zeros are shown)."""
    return any(c.text == ZERO for s in sections for t in s.tables for r in t.rows for c in r.cells)


def _headline(pub: Suppressed, spec: Headline) -> HeadlineView | None:
    table = pub.table
    rows = [c.code for c in table.rows.categories]
    columns = [c.code for c in table.columns.categories] if table.columns else []
    if (spec.row_code is not None and spec.row_code not in rows) or (
        spec.column_code is not None and spec.column_code not in columns
    ):
        raise ValueError(f"headline: table {table.key!r} has no such row or column")
    position = (
        len(rows) if spec.row_code is None else rows.index(spec.row_code),
        0 if spec.column_code is None else columns.index(spec.column_code),
    )
    if position not in pub.status:
        raise ValueError(f"headline: table {table.key!r} has no total there")
    # Never headline nothing: a hidden value, a share of 0,0 % or a count of 0 is left out.
    if spec.percent:
        share = percentage(pub, position)
        text = format_percent(share)
        return None if share is None or text == "0,0" else HeadlineView(text + " %", spec.text)
    value = pub.value(position)
    return None if not value else HeadlineView(format_count(value), spec.text)


def campaign_view(
    release: Sequence[Suppressed],
    meta: ReportMeta,
    *,
    headlines: Sequence[Headline],
    charts: Sequence[ChartSpec],
) -> CampaignReport:
    """Return the public campaign report's view-model: headline figures and charts.

    Raises:
        DisclosureError: the release is not protected.
        ValueError: an unknown table or row, a chart of a crosstab, a bad period or logo.
    """
    policy = _policy(release)
    view_meta = _meta(meta, "Zahlen und Fakten", policy)
    tables = _by_key(release)
    for key in [h.table_key for h in headlines] + [c.table_key for c in charts]:
        if key not in tables:
            raise ValueError(f"unknown table {key!r}")
    shown = [_headline(tables[h.table_key], h) for h in headlines]
    return CampaignReport(
        meta=view_meta,
        headlines=tuple(h for h in shown if h is not None),
        charts=tuple(chart_view(tables[c.table_key], c.title, c.caption) for c in charts),
        notes=(hidden_footnote(policy.k),),
    )

"""The report view-model and charts: plain frozen text, published values only (PDF-6, SDC-14)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import replace
from typing import Any

import pytest
from markupsafe import Markup

from fallstelle.reports import sample
from fallstelle.reports.charts import Bar, bar_chart
from fallstelle.reports.disclosure import DisclosureError, Status, suppress_release
from fallstelle.reports.periods import BadPeriod
from fallstelle.reports.report_views import (
    ChartSpec,
    Headline,
    PreviousRelease,
    campaign_view,
    funding_view,
)
from fallstelle.reports.tables import Axis, Category, Label, one_way
from fallstelle.reports.viewmodel import de_change, table_view
from tests.reports.pdf_helpers import CANARY_VALUE, META, small_release

LEAVES = (str, bool, int, type(None))


def _walk(value: Any, path: str) -> list[str]:
    """Return the paths of every value that is not plain text, a flag or a tuple of them."""
    if isinstance(value, (Markup, *LEAVES)):
        return []
    if isinstance(value, tuple):
        return [p for i, item in enumerate(value) for p in _walk(item, f"{path}[{i}]")]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        problems = []
        params = getattr(type(value), "__dataclass_params__", None)
        if params is None or not params.frozen:
            problems.append(f"{path}: not frozen")
        if hasattr(value, "_sa_instance_state") or "sqlalchemy" in type(value).__module__:
            problems.append(f"{path}: an ORM object")
        for field in dataclasses.fields(value):
            problems += _walk(getattr(value, field.name), f"{path}.{field.name}")
        return problems
    return [f"{path}: {type(value).__module__}.{type(value).__name__}"]


def _funding() -> Any:
    release = suppress_release(sample.sample_release(400))
    previous = suppress_release(sample.sample_release(360, year=2025, seed=2025))
    return funding_view(
        release,
        META,
        sections=sample.SECTIONS,
        activities=sample.ACTIVITIES,
        previous=PreviousRelease("2025", tuple(previous)),
        trend_keys=sample.TREND_KEYS,
    )


def test_view_models_hold_only_frozen_text() -> None:
    release = suppress_release(sample.sample_release(400))
    campaign = campaign_view(release, META, headlines=sample.HEADLINES, charts=sample.CHARTS)
    assert _walk(_funding(), "funding") == []
    assert _walk(campaign, "campaign") == []


def test_hidden_values_are_not_in_the_view_model() -> None:
    view = funding_view(small_release(), META)
    text = repr(view)
    assert str(CANARY_VALUE) not in text and "7.777" not in text


def test_every_table_of_the_release_is_placed_once() -> None:
    view = _funding()
    numbers = [t.number for s in view.sections for t in s.tables]
    assert numbers == list(range(1, 20))
    assert [s.title for s in view.sections][-1] == "Zugang, Ratsuchende und Region"
    with pytest.raises(ValueError, match="unknown or repeated"):
        funding_view(small_release(), META, sections=sample.SECTIONS)


def test_unprotected_release_is_refused() -> None:
    release = small_release()
    broken = replace(release[1], status=dict.fromkeys(release[1].status, Status.PUBLISHED))
    with pytest.raises(DisclosureError):
        funding_view([release[0], broken, release[2]], META)


@pytest.mark.parametrize("period", ["2026-05", "2026-01-01..2026-02-14", "2026-H3", "26"])
def test_only_fixed_periods(period: str) -> None:
    with pytest.raises(BadPeriod):
        funding_view(small_release(), replace(META, period=period))


@pytest.mark.parametrize("logo", ["../logo.png", "/etc/logo.png", "logo.html", "a b.png"])
def test_logo_must_be_a_plain_image_name(logo: str) -> None:
    with pytest.raises(ValueError, match="logo"):
        funding_view(small_release(), replace(META, logo=logo))


def test_meta_is_german() -> None:
    meta = funding_view(small_release(), replace(META, period="2026-Q3")).meta
    assert meta.document_title == "Statistik 3. Quartal 2026 – Sachbericht"
    assert meta.period_range == "01.07.2026 – 30.09.2026"
    assert meta.generated == "15.01.2027"


def test_small_total_withholds_the_whole_table() -> None:  # SDC-2
    cats = (Category("a", Label("A", "A")), Category("b", Label("B", "B")))
    axis = Axis("x", Label("X", "X"), cats)
    pub = suppress_release([one_way("klein", Label("Klein", "Small"), axis, [3, 1])])[0]
    view = table_view(pub, 1)
    assert view.rows == () and view.withheld.startswith("Weniger als 5 Fälle")


def test_change_needs_a_published_base_of_twenty() -> None:
    assert de_change(20, 23, 20) == "+15,0 %"
    assert de_change(40, 30, 20) == "−25,0 %"
    assert de_change(20, 20, 20) == "±0,0 %"
    assert de_change(19, 30, 20) == "–"
    assert de_change(None, 30, 20) == "–" and de_change(30, None, 20) == "–"


def test_headlines_skip_hidden_values() -> None:
    release = small_release()
    view = campaign_view(
        release,
        META,
        headlines=(
            Headline("merkmal", "Fälle", row_code="geschlecht"),  # hidden: left out
            Headline("kanal", "Kontakte"),  # the total
            Headline("merkmal", "Rassismus", row_code="rassismus", percent=True),
        ),
        charts=(ChartSpec("zugang", "Zugang"),),
    )
    assert [(h.value, h.text) for h in view.headlines] == [
        ("1.290", "Kontakte"),
        ("56,8 %", "Rassismus"),
    ]
    svg = str(view.charts[0].svg)
    assert str(CANARY_VALUE) not in svg and "7.777" not in svg


def test_chart_svg_is_static_and_escaped() -> None:
    svg = str(
        bar_chart(
            [Bar("<script>x</script> & Co", 12.5, "12,5 %"), Bar("Gesperrt", None, ".")],
            title="Titel <b>",
            percent=True,
        )
    )
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert not re.search(r"(?:href|src)\s*=", svg)
    assert re.findall(r"https?://[^\"]+", svg) == ["http://www.w3.org/2000/svg"]
    assert svg.count("<rect") == 1  # the hidden value draws no bar
    assert ">.</text>" in svg

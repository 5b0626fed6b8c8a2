"""Reports a funder would frame (issue 10), seen on the pages of both templates.

German hyphenation in table headings, chart labels that fit, level-2 rows that name their
parent, charts in the funding report, alt texts that carry the numbers, campaign pages that
count cases (not people) and never headline "0,0 %", and every vocabulary row in a table.
"""

from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fontTools.ttLib import TTFont

from fallstelle.reports import aggregate_layout, periods, sample
from fallstelle.reports.aggregate import aggregate
from fallstelle.reports.charts import (
    FONT_SIZE,
    HIDDEN_SPOKEN,
    LABEL_WIDTH,
    LEFT,
    Bar,
    bar_chart,
    text_width,
    wrap,
)
from fallstelle.reports.disclosure import Suppressed, suppress_release
from fallstelle.reports.pdf import REPORTS_DIR, render_html
from fallstelle.reports.pdf_worker import BASE_URL, make_fetcher
from fallstelle.reports.report_views import (
    ChartSpec,
    Headline,
    PreviousRelease,
    campaign_view,
    funding_view,
)
from fallstelle.reports.tables import Axis, Category, Label, one_way
from fallstelle.reports.viewmodel import table_view
from fallstelle.store import Store
from tests.auth.factories import make_office
from tests.reports.pdf_helpers import CANARY_VALUE, META, small_release
from tests.reports.stat_factories import fixed_dataset

HYPHEN = "\u2010"  # WeasyPrint's hyphenate-character
SOFT = "\u00ad"


def _sample_views() -> tuple[Any, Any]:
    release = suppress_release(sample.sample_release(400))
    previous = suppress_release(sample.sample_release(360, year=2025, seed=2025))
    funding = funding_view(
        release,
        META,
        sections=sample.SECTIONS,
        activities=sample.ACTIVITIES,
        previous=PreviousRelease("2025", tuple(previous)),
        trend_keys=sample.TREND_KEYS,
    )
    campaign = campaign_view(release, META, headlines=sample.HEADLINES, charts=sample.CHARTS)
    return funding, campaign


def _real_release(store: Store, period: str = "2026") -> list[Suppressed]:
    with store.sessions() as session, session.begin():
        a, b = make_office(session, "GOLD").id, make_office(session, "OTHER").id
        fixed_dataset(session, a, b)
    with store.sessions() as session:
        tables = aggregate(session, periods.parse(period), [a]).tables
    return suppress_release(list(tables))


def _real_views(release: list[Suppressed]) -> tuple[Any, Any]:
    keys = [p.table.key for p in release]
    funding = funding_view(
        release,
        META,
        sections=aggregate_layout.sections_for(keys),
        previous=PreviousRelease("2025", tuple(release)),
        trend_keys=aggregate_layout.TREND_KEYS,
    )
    campaign = campaign_view(
        release, META, headlines=aggregate_layout.HEADLINES, charts=aggregate_layout.CHARTS
    )
    return funding, campaign


# -- 1. hyphenation ---------------------------------------------------------------------------


def _cell_lines(html: str) -> list[tuple[str, list[str]]]:
    """Lay ``html`` out with WeasyPrint; return each ``th``'s text and its printed lines."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    document = HTML(string=html, base_url=BASE_URL, url_fetcher=make_fetcher(REPORTS_DIR)).render()
    out: list[tuple[str, list[str]]] = []

    def text_of(box: Any) -> str:
        if isinstance(box, boxes.TextBox):
            return str(box.text)
        return "".join(text_of(c) for c in getattr(box, "children", ()))

    def walk(box: Any) -> None:
        if isinstance(box, boxes.TableCellBox) and box.element_tag == "th":
            lines = []
            for line in box.descendants():
                if isinstance(line, boxes.LineBox):
                    lines.append(text_of(line).strip())
            out.append((" ".join(lines), [x for x in lines if x]))
            return
        for child in getattr(box, "children", ()):
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return out


def _bad_breaks(lines: list[str], words: set[str]) -> list[str]:
    """Return the line ends that split a word wrongly.

    Mid-word without a hyphen ("Gesundhe|it"), or with a hyphen where German does not
    hyphenate ("Beschwerdeb-rief" instead of "Be-schwer-de-brief", pyphen's de_DE).
    """
    import pyphen

    german = pyphen.Pyphen(lang="de_DE")
    bad = []
    for first, second in itertools.pairwise(lines):
        tail = first.split(" ")[-1].replace(SOFT, "")
        head = second.split(" ")[0].replace(SOFT, "")
        if tail.endswith(HYPHEN):
            word = tail[:-1] + head
            bare = word.strip("()/,.:;")
            at = len(tail[:-1]) - (len(word) - len(word.lstrip("()/,.:;")))
            if word in words and at not in german.positions(bare):
                bad.append(f"{tail}|{head}")
        elif not tail.endswith(("-", "/")) and tail + head in words:  # "a/|b" is fine
            bad.append(f"{tail}|{head}")
    return bad


@pytest.mark.parametrize("data", ["sample", "vocabulary"])
@pytest.mark.parametrize("template", ["funding", "campaign"])
def test_table_headings_break_only_between_syllables(
    store: Store, template: str, data: str
) -> None:
    """No heading or row label breaks mid-word, nor between the wrong letters (German)."""
    funding, campaign = _sample_views() if data == "sample" else _real_views(_real_release(store))
    view = funding if template == "funding" else campaign
    html = render_html(view)
    assert '<html lang="de">' in html
    words = {
        w.replace(SOFT, "") for t in re.findall(r"<th[^>]*>(.*?)</th>", html) for w in t.split()
    }
    cells = _cell_lines(html)
    assert template == "campaign" or len(cells) > 100  # the funding report's tables
    broken = [b for _, lines in cells for b in _bad_breaks(lines, words)]
    assert broken == []
    if template == "funding":  # the narrow columns of the wide crosstabs do hyphenate
        assert any(line.endswith(HYPHEN) for _, lines in cells for line in lines)


def test_pyphen_is_pinned_and_knows_german() -> None:
    import pyphen

    requirements = (REPORTS_DIR.parent / "requirements.txt").read_text()
    assert f"pyphen=={pyphen.__version__}" in requirements
    assert pyphen.Pyphen(lang="de_DE").inserted("Gesundheit") == "Ge-sund-heit"


# -- 2. chart labels fit ------------------------------------------------------------------------


def test_label_widths_match_the_bundled_font() -> None:
    """The chart's width estimate is within 3 % of DejaVu Sans' real advance widths."""
    font = TTFont(REPORTS_DIR / "fonts" / "DejaVuSans.ttf")
    cmap, hmtx = font.getBestCmap(), font["hmtx"]
    for text in (
        "Antisemitismus, rassistische Zuschreibungen und (ethnische) Herkunft",
        "Behinderung/Chronische Erkrankung",
        "Öffentlichkeit und Freizeit",
        "Rassismus gegen Rom*nja/Sinti*zze (Antiziganismus)",
    ):
        real = sum(hmtx[cmap[ord(c)]][0] for c in text) * FONT_SIZE / 2048
        assert abs(text_width(text) - real) / real < 0.03, text


def _svg_label_lines(svg: str) -> list[str]:
    return re.findall(r'text-anchor="end">([^<]*)</text>', svg)


@pytest.mark.parametrize("template", ["funding", "campaign"])
def test_chart_labels_fit_left_of_the_axis(store: Store, template: str) -> None:
    """The first bar's long label is drawn whole, every line inside the picture."""
    funding, campaign = _real_views(_real_release(store))
    charts = (
        [c for s in funding.sections for c in s.charts] + list(funding.trend_charts)
        if template == "funding"
        else list(campaign.charts)
    )
    assert charts
    first = next(c for c in charts if "merkmal" in c.anchor)
    lines = _svg_label_lines(str(first.svg))
    long_label = "Antisemitismus, rassistische Zuschreibungen und (ethnische) Herkunft"
    assert " ".join(lines).startswith(long_label)  # whole, not "…uschreibungen … He…"
    for chart in charts:
        for line in _svg_label_lines(str(chart.svg)):
            # right-aligned at LABEL_WIDTH - 10: the line starts right of the left edge
            assert LABEL_WIDTH - 10 - text_width(line.replace("&amp;", "&")) >= LEFT - 0.5


def test_a_word_too_long_for_a_line_is_cut_with_a_hyphen() -> None:
    lines = wrap("Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen", 120)
    assert all(text_width(x) <= 120 for x in lines)
    assert lines[0].endswith("-") and len(lines) <= 3


# -- 3. level-2 rows name their parent --------------------------------------------------------


def test_level_two_rows_name_their_parent_in_tables_and_charts(store: Store) -> None:
    release = _real_release(store)
    pub = next(p for p in release if p.table.key == "merkmal_l2")
    labels = [r.label for r in table_view(pub, 1).rows]
    assert "Religion/Weltanschauung: Islam" in labels and "Islam" not in labels
    en = [c.label.en for c in pub.table.rows.categories]
    assert not any(x in en for x in ("Islam", "other", "anderes"))
    view = campaign_view(release, META, headlines=(), charts=(ChartSpec("merkmal_l2", "L2"),))
    assert "Religion/Weltanschauung: Islam" in view.charts[0].svg.striptags()
    funding, _ = _real_views(release)
    assert "Religion/Weltanschauung: Islam" in render_html(funding)


# -- 4. + 5. charts in the funding report, alt texts with numbers ------------------------------


class _Svgs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.labels: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.labels.append(dict(attrs).get("aria-label") or "")


def _aria_labels(html: str) -> list[str]:
    parser = _Svgs()
    parser.feed(html)
    return parser.labels


def test_the_funding_report_has_the_charts_and_the_trend_chart(store: Store) -> None:
    funding, _ = _real_views(_real_release(store))
    labels = _aria_labels(render_html(funding))
    assert any(x.startswith("Fälle nach Merkmal:") for x in labels)
    assert any(x.startswith("Fälle nach Lebensbereich:") for x in labels)
    trend = [x for x in labels if "2025 und 2026" in x]
    assert len(trend) == 2  # grounds and areas of life, against last year
    sample_funding, _ = _sample_views()
    assert len(_aria_labels(render_html(sample_funding))) == 4


@pytest.mark.parametrize("template", ["funding", "campaign"])
def test_every_chart_alt_text_says_its_numbers(store: Store, template: str) -> None:
    funding, campaign = _real_views(_real_release(store))
    html = render_html(funding if template == "funding" else campaign)
    labels = _aria_labels(html)
    assert labels
    merkmal = next(x for x in labels if x.startswith(("Fälle nach Merkmal:", "Worum ging es?")))
    # every bar: its label and its number ("Geschlecht 30,3 %"), hidden ones spoken
    assert re.search(r"Geschlecht \d+(,\d)? ?%?", merkmal)
    assert re.search(rf"Lebensalter ({HIDDEN_SPOKEN}|\d)", merkmal)
    for label in labels:
        assert len(re.findall(r"\d", label)) >= 3, label


def test_a_hidden_bar_is_spoken_as_secret_and_never_as_a_number() -> None:
    release = small_release()
    view = campaign_view(release, META, headlines=(), charts=(ChartSpec("zugang", "Zugang"),))
    alt = _aria_labels(str(view.charts[0].svg))[0]
    assert alt == f"Zugang: Internet {HIDDEN_SPOKEN}; Behörde {HIDDEN_SPOKEN}"
    assert str(CANARY_VALUE) not in alt and "7.777" not in alt
    svg = str(bar_chart([Bar("A", 12.5, "12,5 %")], title="T", percent=True))
    assert 'aria-label="T: A 12,5 %"' in svg and "<desc>T: A 12,5 %</desc>" in svg


# -- 6. campaign: cases, not people; no 0,0 % headline ------------------------------------------


def test_campaign_counts_cases_not_people(store: Store) -> None:
    _, campaign = _real_views(_real_release(store))
    html = render_html(campaign)
    assert "Menschen" not in html
    assert re.search(r'class="figure">\d[\d.]*</p>\s*<p class="text">Beratungsfälle', html)
    _, sample_campaign = _sample_views()
    assert "Menschen" not in render_html(sample_campaign)


def test_no_headline_of_nothing() -> None:
    axis = Axis(
        "merkmal",
        Label("Merkmal", "Ground"),
        (Category("a", Label("A", "A")), Category("b", Label("B", "B"))),
    )
    release = suppress_release([one_way("merkmal", Label("M", "M"), axis, [40, 0])])
    view = campaign_view(
        release,
        META,
        headlines=(
            Headline("merkmal", "betrafen B.", row_code="b", percent=True),  # 0,0 %
            Headline("merkmal", "Fälle B.", row_code="b"),  # 0
            Headline("merkmal", "betrafen A.", row_code="a", percent=True),
        ),
        charts=(),
    )
    assert [(h.value, h.text) for h in view.headlines] == [("100,0 %", "betrafen A.")]
    figures = re.findall(r'class="figure">([^<]*)<', render_html(view))
    assert figures == ["100,0 %"]


# -- 7. fixed shape: every vocabulary row, "–" for zero, "." for hidden ------------------------


def test_every_vocabulary_row_is_printed_with_dash_or_dot(store: Store) -> None:
    release = _real_release(store)
    funding, _ = _real_views(release)
    html = render_html(funding)
    by_key = {p.table.key: p for p in release}
    for key in ("merkmal_l2", "lebensbereich_l2", "kreis"):
        view = table_view(by_key[key], 1)
        assert len(view.rows) == len(by_key[key].table.rows.categories) + 1  # + total
        for row, cat in zip(view.rows, by_key[key].table.rows.categories, strict=False):
            value = by_key[key].value((view.rows.index(row), 0))
            expected = "." if value is None else ("–" if value == 0 else None)
            if expected:
                assert row.cells[0].text == expected, cat.code
            assert row.label.replace("&", "&amp;") in html or row.label in html
        assert all(cell.text != "0" for row in view.rows for cell in row.cells)

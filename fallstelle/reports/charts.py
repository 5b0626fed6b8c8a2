"""Horizontal bar charts as static SVG for the PDF reports (published values only, SDC-14).

Owns the chart markup: a bar chart of one period and a comparison chart of two periods
(the trend against last year). Imports the standard library and ``markupsafe``; never
``crypto``, ``cases`` or Flask.

Why not a charting library: pygal 3.1.3 (checked for issue 6) always writes a ``<script>``
element holding the chart's whole configuration and data as JSON, even with ``js=[]``,
plus a random element id and a render-date comment. Stripping that afterwards is more
fragile than these lines, and the output here is plain, deterministic SVG: no script,
no external reference, no hidden data (SDC-14) — each bar's number is drawn as text next
to it, so the text layer of the PDF says what the picture shows.

A hidden value (``None``) draws no bar; its row shows the marker "." where the number would
be, so a reader sees that a value exists and is withheld, and nothing about its size.

**Accessibility** (issue 10): the SVG's ``aria-label`` and ``<desc>`` carry the numbers, not
only the title — "Merkmal: Rassismus 42,0 %; Religion geheim gehalten; …" — so a screen
reader hears what the picture shows; a hidden value is spoken as "geheim gehalten".

**Labels** are wrapped by their measured width in the bundled DejaVu Sans (advance widths
below, from ``reports/fonts/DejaVuSans.ttf``) into up to three lines that fit between the
left edge and the axis; the row grows with its lines. Nothing is cut at the edge.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 262  # the axis; labels end 10 px before it
LEFT = 4  # labels start no further left than this
VALUE_WIDTH = 64
ROW = 30
PAIR_BAND = 20  # height per bar in a comparison row
LINE = 14
TOP = 8
AXIS = 22
LEGEND = 24
BAR = "#2f5f8a"
BAR_BEFORE = "#9fb6cc"
GRID = "#d9dee4"
TEXT = "#1d2733"
MUTED = "#5b6773"
FONT = "DejaVu Sans, sans-serif"
FONT_SIZE = 12
MAX_LINES = 3
#: What a screen reader hears for a hidden value.
HIDDEN_SPOKEN = "geheim gehalten"
_SPOKEN = {".": HIDDEN_SPOKEN, "–": "kein Anteil berechnet"}

#: Advance widths of DejaVu Sans in font units (2048 per em); other characters count 1300.
_ADVANCE = {
    **dict.fromkeys(" .,", 651), **dict.fromkeys("il'jIJ", 585), **dict.fromkeys(":;/", 690),
    **dict.fromkeys("()", 799), "-": 739, "f": 721, "t": 803, "r": 842, "*": 1024, "s": 1067,
    "z": 1075, "c": 1126, "L": 1141, "F": 1178, "k": 1186, **dict.fromkeys("vxyTY", 1231),
    "a": 1255, **dict.fromkeys("eoP", 1260), "E": 1294, "S": 1300, "m": 1995, "w": 1675,
    "M": 1767, "W": 2025, "…": 2048, "%": 1946, **dict.fromkeys("AXZRKBC", 1420),
    **dict.fromkeys("DGOQUHN", 1580),
}  # fmt: skip


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: hidden, drawn as the marker without a bar
    text: str  # the published number as the reader sees it ("12,5 %", "1.234", ".")


@dataclass(frozen=True)
class Pair:
    """One row of a comparison chart: the same category in the earlier and this period."""

    label: str
    before: Bar
    now: Bar


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Return the estimated width of ``text`` in px at ``size`` (umlauts as their letter)."""
    units = 0
    for char in text:
        base = unicodedata.normalize("NFD", char)[0]
        units += _ADVANCE.get(base, 1300)
    return units * size / 2048


def wrap(label: str, width: float = LABEL_WIDTH - 10 - LEFT) -> list[str]:
    """Split ``label`` into at most MAX_LINES lines, each narrower than ``width`` px."""
    lines: list[str] = []
    current = ""
    for word in label.split():
        while text_width(word) > width:  # one word wider than the column: cut it
            cut = len(word)
            while cut > 1 and text_width(word[:cut] + "-") > width:
                cut -= 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut] + "-")
            word = word[cut:]
        candidate = f"{current} {word}".strip()
        if text_width(candidate) <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > MAX_LINES:
        last = " ".join(lines[MAX_LINES - 1 :])
        while last and text_width(last + "…") > width:
            last = last[:-1]
        lines = [*lines[: MAX_LINES - 1], last.rstrip() + "…"]
    return lines or [""]


def spoken(bar: Bar) -> str:
    """Return what a screen reader hears for one bar's number."""
    return _SPOKEN.get(bar.text, bar.text)


def _ticks(top: float, percent: bool) -> list[float]:
    """Return 3–6 round grid values from 0 up to at least ``top``."""
    if percent:
        step = 10.0 if top <= 50 else 25.0
        limit = 100.0 if top > 50 else max(step, step * -(-top // step))
    else:
        raw = max(top, 1) / 4
        magnitude = 10 ** (len(str(int(raw))) - 1)
        step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
        limit = step * -(-max(top, 1) // step)
    count = round(limit / step)
    return [i * step for i in range(count + 1)]


def _tick_text(value: float, percent: bool) -> str:
    text = f"{value:,.0f}".replace(",", ".")
    return f"{text} %" if percent else text


def _svg(rows: Sequence[tuple[str, Sequence[tuple[Bar, str]]]], *, alt: str, title: str,
         percent: bool, legend: Sequence[tuple[str, str]] = ()) -> Markup:  # fmt: skip
    """Draw ``rows`` (a label and its bars with their colours) as one SVG."""
    shown = [b.value for _, bars in rows for b, _ in bars if b.value is not None]
    ticks = _ticks(max(shown, default=0.0), percent)
    limit = ticks[-1] or 1.0
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    top = TOP + (LEGEND if legend else 0)
    wrapped = [wrap(label) for label, _ in rows]
    heights = [max((ROW if len(bars) == 1 else PAIR_BAND) * len(bars), LINE * len(lines) + 10)
               for lines, (_, bars) in zip(wrapped, rows, strict=True)]  # fmt: skip
    bottom = top + sum(heights)
    height = bottom + AXIS
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-label="{escape(alt)}" font-family="{FONT}" font-size="{FONT_SIZE}">',
        f"<title>{escape(title)}</title><desc>{escape(alt)}</desc>",
    ]
    x = LABEL_WIDTH
    for name, colour in legend:
        out.append(f'<rect x="{x}" y="{TOP + 2}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 18}" y="{TOP + 12}" fill="{TEXT}">{escape(name)}</text>')
        x += 30 + round(text_width(name))
    for tick in ticks:
        tx = LABEL_WIDTH + plot * tick / limit
        out.append(
            f'<line x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{bottom}" stroke="{GRID}" '
            f'stroke-width="1"/>'
        )
        out.append(
            f'<text x="{tx:.1f}" y="{bottom + 15}" fill="{MUTED}" font-size="10" '
            f'text-anchor="middle">{escape(_tick_text(tick, percent))}</text>'
        )
    y = top
    for lines, height_i, (_, bars) in zip(wrapped, heights, rows, strict=True):
        first_y = y + height_i / 2 + 4 - (LINE / 2) * (len(lines) - 1)
        for n, line in enumerate(lines):
            out.append(
                f'<text x="{LABEL_WIDTH - 10}" y="{first_y + LINE * n:.1f}" fill="{TEXT}" '
                f'text-anchor="end">{escape(line)}</text>'
            )
        band = height_i / len(bars)
        for m, (bar, colour) in enumerate(bars):
            by = y + band * m
            length = 0.0 if bar.value is None else plot * bar.value / limit
            thick = min(ROW - 12, band - (4 if len(bars) > 1 else 12))
            if length > 0:
                out.append(
                    f'<rect x="{LABEL_WIDTH}" y="{by + (band - thick) / 2:.1f}" '
                    f'width="{length:.1f}" height="{thick:.1f}" fill="{colour}"/>'
                )
            weight = "normal" if bar.value is None or colour != BAR else "bold"
            out.append(
                f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{by + band / 2 + 4:.1f}" '
                f'fill="{MUTED if bar.value is None else TEXT}" '
                f'font-weight="{weight}">{escape(bar.text)}</text>'
            )
        y += height_i
    out.append(
        f'<line x1="{LABEL_WIDTH}" y1="{top}" x2="{LABEL_WIDTH}" y2="{bottom}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every interpolated text is escaped above


def bar_chart(bars: Sequence[Bar], *, title: str, percent: bool) -> Markup:
    """Return an accessible SVG bar chart of ``bars`` (top to bottom in the given order).

    ``title`` becomes the SVG's ``<title>``; the ``aria-label`` and ``<desc>`` say the
    title and every bar's label and number. Every text is escaped.
    """
    alt = f"{title}: " + "; ".join(f"{b.label} {spoken(b)}" for b in bars)
    return _svg([(b.label, [(b, BAR)]) for b in bars], alt=alt, title=title, percent=percent)


def comparison_chart(
    pairs: Sequence[Pair], *, title: str, before: str, now: str, percent: bool = False
) -> Markup:
    """Return an accessible SVG chart of two periods side by side (``before``, ``now``)."""
    alt = f"{title}, {before} und {now}: " + "; ".join(
        f"{p.label} {before} {spoken(p.before)}, {now} {spoken(p.now)}" for p in pairs
    )
    rows = [(p.label, [(p.before, BAR_BEFORE), (p.now, BAR)]) for p in pairs]
    return _svg(
        rows, alt=alt, title=title, percent=percent, legend=((before, BAR_BEFORE), (now, BAR))
    )

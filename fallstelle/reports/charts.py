"""Horizontal bar charts as static SVG for the PDF reports (published values only, SDC-14).

Owns the chart markup. Imports the standard library and ``markupsafe``; never ``crypto``,
``cases`` or Flask.

Why not a charting library: pygal 3.1.3 (checked for issue 6) always writes a ``<script>``
element holding the chart's whole configuration and data as JSON, even with ``js=[]``,
plus a random element id and a render-date comment. Stripping that afterwards is more
fragile than these ~150 lines, and the output here is plain, deterministic SVG: no script,
no external reference, no hidden data (SDC-14) — each bar's number is drawn as text next
to it, so the text layer of the PDF says what the picture shows.

A hidden value (``None``) draws no bar; its row shows the marker "." where the number would
be, so a reader sees that a value exists and is withheld, and nothing about its size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 230
VALUE_WIDTH = 64
ROW = 30
TOP = 8
AXIS = 22
BAR = "#2f5f8a"
GRID = "#d9dee4"
TEXT = "#1d2733"
MUTED = "#5b6773"
FONT = "DejaVu Sans, sans-serif"
#: Characters per label line at the label font size; longer labels wrap onto a second line.
LABEL_CHARS = 34


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: hidden, drawn as the marker without a bar
    text: str  # the published number as the reader sees it ("12,5 %", "1.234", ".")


def _wrap(label: str) -> list[str]:
    """Split ``label`` into at most two lines of about LABEL_CHARS characters."""
    if len(label) <= LABEL_CHARS:
        return [label]
    words, first = label.split(), ""
    while words and len(f"{first} {words[0]}".strip()) <= LABEL_CHARS:
        first = f"{first} {words.pop(0)}".strip()
    if not first:  # one very long word
        first, rest = label[:LABEL_CHARS], label[LABEL_CHARS:]
    else:
        rest = " ".join(words)
    if len(rest) > LABEL_CHARS:
        rest = rest[: LABEL_CHARS - 1] + "…"
    return [first, rest]


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


def bar_chart(bars: Sequence[Bar], *, title: str, percent: bool) -> Markup:
    """Return an accessible SVG bar chart of ``bars`` (top to bottom in the given order).

    ``title`` becomes the SVG's ``<title>`` and ``aria-label``. Every text is escaped.
    """
    shown = [b.value for b in bars if b.value is not None]
    ticks = _ticks(max(shown, default=0.0), percent)
    limit = ticks[-1] or 1.0
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = TOP + ROW * len(bars) + AXIS
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-label="{escape(title)}" font-family="{FONT}" font-size="12">',
        f"<title>{escape(title)}</title>",
    ]
    bottom = TOP + ROW * len(bars)
    for tick in ticks:
        x = LABEL_WIDTH + plot * tick / limit
        out.append(
            f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{bottom}" stroke="{GRID}" '
            f'stroke-width="1"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{bottom + 15}" fill="{MUTED}" font-size="10" '
            f'text-anchor="middle">{escape(_tick_text(tick, percent))}</text>'
        )
    for i, bar in enumerate(bars):
        y = TOP + ROW * i
        lines = _wrap(bar.label)
        first_y = y + ROW / 2 + 4 - (7 if len(lines) == 2 else 0)
        for n, line in enumerate(lines):
            out.append(
                f'<text x="{LABEL_WIDTH - 10}" y="{first_y + 14 * n:.1f}" fill="{TEXT}" '
                f'text-anchor="end">{escape(line)}</text>'
            )
        length = 0.0 if bar.value is None else plot * bar.value / limit
        if length > 0:
            out.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + 6}" width="{length:.1f}" height="{ROW - 12}" '
                f'fill="{BAR}"/>'
            )
        colour = MUTED if bar.value is None else TEXT
        weight = "normal" if bar.value is None else "bold"
        out.append(
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + ROW / 2 + 4:.1f}" '
            f'fill="{colour}" font-weight="{weight}">{escape(bar.text)}</text>'
        )
    out.append(
        f'<line x1="{LABEL_WIDTH}" y1="{TOP}" x2="{LABEL_WIDTH}" y2="{bottom}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every interpolated text is escaped above

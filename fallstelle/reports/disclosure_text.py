"""What a reader sees of a suppressed table: markers, footnotes, percentages (SDC-1, 8, 9).

Owns the hidden-value marker ".", the footnote texts (German and English), and the rule that
a percentage is computed only from published values and only for a base of at least
``Policy.percentage_base`` (20). Imports the standard library and the ``reports`` tables and
disclosure modules; never ``crypto`` or ``cases``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from fallstelle.reports.disclosure import Suppressed
from fallstelle.reports.tables import CellKind, Label, Position

#: The sign of German official statistics for "geheim zu halten" (Statistisches Landesamt
#: Sachsen, security.md §5 SDC-1).
MARKER = "."
#: Shown instead of a percentage whose base is hidden or below the threshold (SDC-9).
NO_PERCENT = "–"

MULTI_ANSWER_NOTE = Label(
    de="Mehrfachnennungen möglich: Die Anteile ergeben zusammen mehr als 100 %.",
    en="Several answers per case possible: the shares add up to more than 100 %.",
)


def hidden_footnote(k: int, lang: str = "de") -> str:
    """Return the footnote explaining the marker for a release suppressed with ``k``.

    "." may stand for 0: a release that hides anything hides its zeros too (disclosure
    rule 1), so the footnote says so wherever the marker appears.
    """
    if lang == "en":
        return (
            f'"{MARKER}" = number hidden: 0, fewer than {k} cases, or hidden so that such a '
            "value cannot be recomputed from the totals or other reports (data protection)."
        )
    return (
        f"„{MARKER}“ = Zahl ausgeblendet: 0, weniger als {k} Fälle oder zum Schutz einer "
        "anderen Zahl, damit kleine Fallzahlen nicht aus Summen oder anderen Berichten "
        "zurückgerechnet werden können (Datenschutz)."
    )


def percent_note(base: int, lang: str = "de") -> str:
    """Return the footnote for the dash shown where a percentage is withheld."""
    if lang == "en":
        return f'"{NO_PERCENT}" = no percentage: base below {base} or hidden.'
    return f"„{NO_PERCENT}“ = kein Anteil: Basis unter {base} Fällen oder ausgeblendet."


def percent_base(pub: Suppressed, position: Position) -> Position | None:
    """Return the cell a share is taken of: the row total inside a crosstab, else the total.

    One-way tables and the margins of a crosstab are shares of the grand total; the interior
    of a crosstab gives row shares ("of the cases with Merkmal m, x % in Lebensbereich l").
    """
    table = pub.table
    n_rows, n_cols = table.shape
    kind = table.cell(position).kind
    if kind is CellKind.GRAND_TOTAL:
        return None
    if table.columns is None:
        base = (n_rows, 0)
    elif kind is CellKind.INTERIOR:
        base = (position[0], n_cols)
    else:
        base = (n_rows, n_cols)
    try:
        table.cell(base)
    except KeyError:
        return None
    return base


def percentage(pub: Suppressed, position: Position) -> Decimal | None:
    """Return the cell's share of its base in percent, one decimal, or None (SDC-9).

    None when the cell or its base is hidden, or the base is below the policy's threshold:
    a percentage is only ever computed from two published numbers.
    """
    base_pos = percent_base(pub, position)
    if base_pos is None:
        return None
    part, base = pub.value(position), pub.value(base_pos)
    if part is None or base is None or base < pub.policy.percentage_base:
        return None
    return (Decimal(part) * 100 / Decimal(base)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def format_count(value: int | None, lang: str = "de") -> str:
    """Return a count as text: the marker when hidden, thousands separated per language."""
    if value is None:
        return MARKER
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "de" else text


def format_percent(value: Decimal | None, lang: str = "de") -> str:
    """Return a percentage as text with one decimal (decimal comma in German), or a dash."""
    if value is None:
        return NO_PERCENT
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == "de" else text

"""CSV output of a suppressed release: one long-format file, formula injection impossible.

Owns the CSV layout. Imports the standard library and the ``reports`` tables and disclosure
modules; never ``crypto`` or ``cases``. It writes only what :class:`Suppressed` publishes, so
the CSV carries exactly the suppression of the PDF (issue 6), and it refuses a release that
:func:`check_release` blocks.

**One long-format file per release**, not one file per table: every row is self-describing
(table, row category, column category, value), a release is one artefact to hash, store and
download again unchanged, and spreadsheet users filter or pivot it. The footnotes (marker,
percentages, multi-answer note) are rows with ``kind = note`` so that they travel with data.

Formula injection (OWASP "CSV Injection"): any field whose first non-blank character is one
of ``= + - @ |``, a tab or a carriage return, or their full-width forms, is prefixed with an
apostrophe, which spreadsheet programs show as text. Counts and percentages are never
negative, so only labels and titles can trigger it, and office-editable labels are exactly
what an attacker controls.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from fallstelle.reports.disclosure import Suppressed, check_release
from fallstelle.reports.disclosure_text import (
    MARKER,
    MULTI_ANSWER_NOTE,
    format_percent,
    hidden_footnote,
    percent_note,
    percentage,
)
from fallstelle.reports.tables import CellKind

HEADER = (
    "kind",
    "table",
    "title",
    "row_dimension",
    "row_code",
    "row_label",
    "column_dimension",
    "column_code",
    "column_label",
    "value",
    "percent",
)
_TRIGGERS = frozenset("=+-@|\t\r\n＝＋－＠")


def neutralise(field: str) -> str:
    """Return ``field`` so that no spreadsheet evaluates it as a formula."""
    stripped = field.lstrip(" \u00a0")
    if field and (field[0] in _TRIGGERS or (stripped and stripped[0] in _TRIGGERS)):
        return "'" + field
    return field


def release_rows(
    release: Sequence[Suppressed], *, lang: str = "de", german_numbers: bool = False
) -> list[list[str]]:
    """Return the CSV rows (header first) of a checked release, fields already neutralised.

    Raises:
        DisclosureError: the release is not protected (:func:`check_release`).
    """
    check_release(release)
    number_lang = "de" if german_numbers else "en"
    out: list[list[str]] = [list(HEADER)]
    for pub in release:
        table = pub.table
        n_rows, n_cols = table.shape
        for cell in table.cells():
            r, c = cell.position
            row = ("", "", "Summe" if lang == "de" else "Total")
            if r < n_rows:
                cat = table.rows.categories[r]
                row = (table.rows.dimension, cat.code, cat.label.text(lang))
            col = ("", "", "")
            if table.columns is not None:
                col = (table.columns.dimension, "", "Summe" if lang == "de" else "Total")
                if c < n_cols:
                    cat = table.columns.categories[c]
                    col = (table.columns.dimension, cat.code, cat.label.text(lang))
            if table.columns is None and cell.kind is CellKind.GRAND_TOTAL:
                row = (table.rows.dimension, "", row[2])
            value = pub.value(cell.position)
            out.append(
                [
                    "cell",
                    table.key,
                    table.title.text(lang),
                    *row,
                    *col,
                    MARKER if value is None else str(value),  # no thousands separator
                    format_percent(percentage(pub, cell.position), number_lang)
                    if cell.kind is not CellKind.GRAND_TOTAL
                    else "",
                ]
            )
        if table.multi_answer:
            out.append(_note(table.key, MULTI_ANSWER_NOTE.text(lang)))
    if release:
        policy = release[0].policy
        out.append(_note("", hidden_footnote(policy.k, lang)))
        out.append(_note("", percent_note(policy.percentage_base, lang)))
    return [[neutralise(f) for f in row] for row in out]


def _note(key: str, text: str) -> list[str]:
    return ["note", key, text, *([""] * (len(HEADER) - 3))]


def to_csv(release: Sequence[Suppressed], *, lang: str = "de", german_numbers: bool = False) -> str:
    """Return the release as CSV text (``;`` and decimal comma when ``german_numbers``).

    Raises:
        DisclosureError: the release is not protected (:func:`check_release`).
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";" if german_numbers else ",", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(release_rows(release, lang=lang, german_numbers=german_numbers))
    return buffer.getvalue()


def write_csv(
    release: Sequence[Suppressed], path: Path, *, lang: str = "de", german_numbers: bool = False
) -> None:
    """Write the release to ``path`` as UTF-8 with BOM (so Excel reads the umlauts).

    The text is built completely before the file is opened: a blocked release leaves no
    partial file.

    Raises:
        DisclosureError: the release is not protected (:func:`check_release`).
        OSError: the file cannot be written.
    """
    text = to_csv(release, lang=lang, german_numbers=german_numbers)
    path.write_text(text, encoding="utf-8-sig", newline="")

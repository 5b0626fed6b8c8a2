"""Shared pieces of the PDF tests: a small release with a canary, poppler wrappers."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

from fallstelle.reports.disclosure import Suppressed, suppress_release
from fallstelle.reports.pdf import REPORTS_DIR
from fallstelle.reports.report_views import ReportMeta
from fallstelle.reports.tables import Axis, Category, Label, one_way

#: A count that disclosure control hides as a complement: it must never reach a PDF.
CANARY_VALUE = 7777
META = ReportMeta(("Servicestelle Antidiskriminierung Köln",), "2026", date(2027, 1, 15))


def small_release() -> list[Suppressed]:
    """Three one-way tables; ``zugang`` has a 3 (primary) and 7777 (its complement)."""
    merkmal = Axis(
        "merkmal",
        Label("Merkmal", "Ground"),
        (
            Category("rassismus", Label("Rassismus", "Racism")),
            Category("geschlecht", Label("Geschlecht", "Gender")),
            Category("alter", Label("Lebensalter", "Age")),
        ),
    )
    zugang = Axis(
        "zugang",
        Label("Zugangsweg", "Access"),
        (
            Category("internet", Label("Internet", "Internet")),
            Category("behoerde", Label("Behörde", "Authority")),
        ),
    )
    gross = Axis(
        "kanal",
        Label("Kontaktweg", "Channel"),
        (Category("tel", Label("Telefon", "Phone")), Category("mail", Label("E-Mail", "Mail"))),
    )
    return suppress_release(
        [
            one_way("merkmal", Label("Fälle nach Merkmal", "Ground"), merkmal, [42, 2, 30]),
            one_way(
                "zugang",
                Label("Zugangswege", "Access"),
                zugang,
                [CANARY_VALUE, 3],
                scope=(("einheit", "zugang"),),
            ),
            one_way(
                "kanal",
                Label("Kontakte nach Kontaktweg", "Channel"),
                gross,
                [1234, 56],
                scope=(("einheit", "kanal"),),
            ),
        ]
    )


def poppler(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True).stdout


def pdf_text(path: Path) -> str:
    return poppler("pdftotext", "-layout", str(path), "-")


def pdf_info(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in poppler("pdfinfo", str(path)).splitlines():
        key, _, value = line.partition(":")
        out[key.strip()] = value.strip()
    return out


def copy_reports(tmp_path: Path) -> Path:
    """Return a writable copy of the top-level reports/ folder."""
    root = tmp_path / "reports"
    shutil.copytree(REPORTS_DIR, root)
    return root


def edit_base(root: Path, marker: str, insert: str) -> None:
    """Insert ``insert`` after ``marker`` in the copy's base.html."""
    base = root / "base.html"
    text = base.read_text()
    assert marker in text
    base.write_text(text.replace(marker, marker + insert, 1))

"""The layout of real reports: which aggregated table goes where, headlines and charts.

Owns the funding report's sections, the tables compared with the previous year, and the
campaign report's headline figures and charts, all naming the table keys and category codes
of :mod:`.aggregate`. Imports only :mod:`.report_views`. An office that wants another order
edits this module's counterpart in its own deployment, not the templates: the templates in
``reports/`` render whatever sections they are given.
"""

from __future__ import annotations

from collections.abc import Collection

from fallstelle.reports.report_views import ChartSpec, Headline, SectionSpec

SECTIONS = (
    SectionSpec("Fallzahlen", ("fallzahlen", "quartal", "anfrage"),
                "Neue, abgeschlossene und am Ende des Zeitraums laufende Fälle."),
    SectionSpec("Merkmale", ("merkmal", "merkmal_mehrfach", "merkmal_l2"),
                "Auf welches Merkmal sich die erlebte Diskriminierung bezog (neue Fälle).",
                (ChartSpec("merkmal", "Fälle nach Merkmal"),)),
    SectionSpec("Lebensbereiche", ("lebensbereich", "lebensbereich_l2", "agg"),
                "In welchem Lebensbereich die Diskriminierung geschah (neue Fälle).",
                (ChartSpec("lebensbereich", "Fälle nach Lebensbereich"),)),
    SectionSpec("Kreuztabellen", ("merkmal_x_lebensbereich", "merkmal_x_form",
                                  "lebensbereich_x_intervention")),
    SectionSpec("Formen, Interventionen und Ergebnisse",
                ("form", "intervention", "ergebnis", "wirkung"),
                "Formen zählen neue Fälle; Interventionen und Ergebnisse die im Zeitraum "
                "abgeschlossenen Fälle. Der Anteil „Gerichtliche Interventionen“ ist der "
                "Anteil der abgeschlossenen Fälle mit einem Gerichtsverfahren."),
    SectionSpec("Aufwand", ("kontakte", "kanal", "minuten", "dauer"),
                "Kontakte, Kontaktwege, Beratungszeit und Dauer der abgeschlossenen Fälle."),
    SectionSpec("Zugang, Ratsuchende und Region", ("zugang", "alter", "geschlecht", "kreis"),
                "Neue Fälle."),
)  # fmt: skip

TREND_KEYS = ("merkmal", "lebensbereich", "form", "zugang", "intervention", "ergebnis")

HEADLINES = (
    # Cases, not people: one person may bring several cases (issue 10).
    Headline("fallzahlen", "Beratungsfälle wurden neu eröffnet.", column_code="neu"),
    Headline("fallzahlen", "Beratungsfälle haben wir abgeschlossen.",
             column_code="abgeschlossen"),
    Headline(
        "merkmal",
        "der neuen Fälle betrafen rassistische Zuschreibungen, Herkunft oder Antisemitismus.",
        row_code="rassismus_herkunft",
        percent=True,
    ),
    Headline(
        "merkmal_mehrfach",
        "der neuen Fälle betrafen mehrere Merkmale zugleich.",
        row_code="mehrere",
        percent=True,
    ),
    Headline(
        "lebensbereich",
        "der neuen Fälle geschahen im Arbeitsleben.",
        row_code="arbeit",
        percent=True,
    ),
)

CHARTS = (
    ChartSpec("merkmal", "Worum ging es? Fälle nach Merkmal"),
    ChartSpec("lebensbereich", "Wo geschah es? Fälle nach Lebensbereich"),
)


def sections_for(keys: Collection[str]) -> tuple[SectionSpec, ...]:
    """Return :data:`SECTIONS` without the tables a release left out (empty detail tables)."""
    out = []
    for spec in SECTIONS:
        present = tuple(k for k in spec.table_keys if k in keys)
        charts = tuple(c for c in spec.charts if c.table_key in present)
        if present:
            out.append(SectionSpec(spec.title, present, spec.intro, charts))
    return tuple(out)

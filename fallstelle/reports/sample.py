"""A made-up release with German labels: preview data for restyled templates, tests, benchmark.

Owns the sample: about 20 tables of one year drawn with a fixed seed (a 12 × 9 Merkmal ×
Lebensbereich crosstab with its margins, further crosstabs, one-way tables of every report
dimension, a multi-answer table, the Fallzahlen per office), the funding report's section
layout, and the campaign report's headlines and charts. An office restyling the templates
in ``reports/`` renders this instead of real figures. No number here comes from a case.
Imports the standard library and the ``reports`` table and view modules only.
"""

from __future__ import annotations

import bisect
import itertools
from datetime import date

from fallstelle.reports.report_views import Activity, ChartSpec, Headline, SectionSpec
from fallstelle.reports.tables import Axis, Category, Label, Table, crosstab, one_way

DIMENSIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "merkmal": ("Merkmal", (
        "Rassismus / ethnische Herkunft", "Antisemitismus", "Antimuslimischer Rassismus",
        "Religion / Weltanschauung", "Geschlecht", "Sexuelle Identität",
        "Behinderung / chronische Krankheit", "Lebensalter", "Sozialer Status",
        "Staatsangehörigkeit / Aufenthaltsstatus", "Sprache", "Sonstiges Merkmal",
    )),
    "lebensbereich": ("Lebensbereich", (
        "Arbeit", "Bildung", "Wohnen", "Güter und Dienstleistungen", "Behörden und Ämter",
        "Polizei und Justiz", "Gesundheit und Pflege", "Öffentlicher Raum",
        "Medien und Internet",
    )),
    "form": ("Form", (
        "Benachteiligung", "Belästigung", "Sexuelle Belästigung",
        "Anweisung zur Benachteiligung", "Gewalt", "Sonstige Form",
    )),
    "intervention": ("Intervention", (
        "Beratung", "Beschwerdebrief", "Stellungnahme angefordert", "Vermittlungsgespräch",
        "Begleitung", "Testing", "Verweis an Rechtsberatung", "Gerichtsverfahren",
    )),
    "ergebnis": ("Ergebnis", (
        "Anliegen erreicht", "Teilweise erreicht", "Nicht erreicht",
        "Ratsuchende Person zog zurück", "An andere Stelle verwiesen", "Kontakt abgebrochen",
        "Sonstiges Ergebnis",
    )),
    "zugang": ("Zugangsweg", (
        "Internet", "Öffentlichkeitsarbeit", "Andere Beratungsstelle", "Behörde",
        "Persönliche Empfehlung", "Sonstiger Zugang",
    )),
    "alter": ("Altersgruppe", ("unter 18", "18 bis 26", "27 bis 39", "40 bis 59",
                               "60 und älter", "keine Angabe")),
    "geschlecht": ("Geschlecht", ("weiblich", "männlich", "divers", "keine Angabe")),
    "kreis": ("Kreis / kreisfreie Stadt", (
        "Köln", "Düsseldorf", "Dortmund", "Essen", "Duisburg", "Bochum", "Wuppertal",
        "Bielefeld", "Kreis Mettmann", "Rhein-Sieg-Kreis",
    )),
    "kanal": ("Kontaktweg", ("Persönlich", "Telefon", "E-Mail", "Video", "Brief")),
    "dauer": ("Falldauer", ("bis 30 Tage", "31 bis 90 Tage", "91 bis 180 Tage",
                            "181 bis 365 Tage", "über 365 Tage")),
    "kontakte": ("Kontakte je Fall", ("1", "2 bis 3", "4 bis 6", "7 bis 10", "mehr als 10")),
    "agg": ("AGG-Bezug", ("AGG-relevant", "Außerhalb des AGG", "Unklar")),
    "quartal": ("Quartal", ("1. Quartal", "2. Quartal", "3. Quartal", "4. Quartal")),
    "status": ("Fallstatus", ("Neu", "Abgeschlossen", "Laufend am Periodenende")),
}

TITLES = {
    "merkmal": "Fälle nach Merkmal",
    "lebensbereich": "Fälle nach Lebensbereich",
    "merkmal_x_lebensbereich": "Merkmal nach Lebensbereich",
    "lebensbereich_x_intervention": "Lebensbereich nach Intervention",
    "merkmal_x_form": "Merkmal nach Form der Diskriminierung",
    "merkmal_mehrfach": "Merkmale je Fall (Mehrfachnennungen)",
    "form": "Formen der Diskriminierung",
    "intervention": "Interventionen",
    "ergebnis": "Ergebnis der abgeschlossenen Fälle",
    "zugang": "Zugangswege",
    "alter": "Altersgruppe der Ratsuchenden",
    "geschlecht": "Geschlecht der Ratsuchenden",
    "kreis": "Region des Vorfalls",
    "kanal": "Kontakte nach Kontaktweg",
    "dauer": "Dauer der abgeschlossenen Fälle",
    "kontakte": "Kontakte je Fall",
    "agg": "AGG-Bezug",
    "quartal": "Neue Fälle nach Quartal",
    "fallzahlen": "Fallzahlen",
}


def axis(name: str, offices: tuple[str, ...] = ()) -> Axis:
    if name == "office":
        cats = tuple(Category(f"office-{i}", Label(o, o)) for i, o in enumerate(offices))
        return Axis("office", Label("Beratungsstelle", "Office"), cats)
    heading, labels = DIMENSIONS[name]
    cats = tuple(Category(f"{name}-{i}", Label(t, t)) for i, t in enumerate(labels))
    return Axis(name, Label(heading, heading), cats)


def _title(key: str) -> Label:
    return Label(TITLES[key], TITLES[key])


class _Sequence:
    """A fixed pseudo-random sequence (64-bit LCG) for made-up counts — never for secrets.

    Not the ``random`` module: the package never imports it (ENC-14, test_architecture).
    """

    def __init__(self, seed: int) -> None:
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def pick(self, cumulative: list[float]) -> int:
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) % 2**64
        return bisect.bisect_right(cumulative, (self.state >> 11) / 2**53 * cumulative[-1])


def _draw(rng: _Sequence, n: int, rows: int, cols: int = 1) -> list[list[int]]:
    """Counts of ``n`` cases over a rows × cols grid with Zipf-like category weights."""
    wr = list(itertools.accumulate(1 / (i + 1) ** 1.1 for i in range(rows)))
    wc = list(itertools.accumulate(1 / (i + 1) ** 1.1 for i in range(cols)))
    grid = [[0] * cols for _ in range(rows)]
    for _ in range(n):
        grid[min(rng.pick(wr), rows - 1)][min(rng.pick(wc), cols - 1)] += 1
    return grid


def sample_release(
    n_cases: int = 400, *, year: int = 2026, seed: int = 2026, offices: tuple[str, ...] = ()
) -> list[Table]:
    """Return about 20 tables of ``n_cases`` made-up cases of one year (not suppressed)."""
    rng = _Sequence(seed)
    offices = offices or ("Servicestelle Antidiskriminierung Musterstadt",)
    scope = (("jahr", str(year)),)
    size = {k: len(v[1]) for k, v in DIMENSIONS.items()}
    tables: list[Table] = []
    share = [n_cases // len(offices)] * len(offices)
    share[0] += n_cases - sum(share)
    status = [[s, s * 4 // 5, s - s * 4 // 5 + s // 6] for s in share]
    tables.append(
        Table(
            "fallzahlen",
            _title("fallzahlen"),
            axis("office", offices),
            axis("status"),
            tuple(tuple(r) for r in status),
            column_totals=tuple(sum(c) for c in zip(*status, strict=True)),
            scope=(*scope, ("einheit", "fallzahlen")),
        )
    )
    mxl = _draw(rng, n_cases, size["merkmal"], size["lebensbereich"])
    main = (*scope, ("einheit", "nennung"))
    tables.append(
        crosstab(
            "merkmal_x_lebensbereich",
            _title("merkmal_x_lebensbereich"),
            axis("merkmal"),
            axis("lebensbereich"),
            mxl,
            scope=main,
        )
    )
    tables.append(one_way("merkmal", _title("merkmal"), axis("merkmal"),
                          [sum(r) for r in mxl], scope=main))
    tables.append(one_way("lebensbereich", _title("lebensbereich"), axis("lebensbereich"),
                          [sum(c) for c in zip(*mxl, strict=True)], scope=main))
    multi = [min(r[0], n_cases) for r in _draw(rng, n_cases + n_cases // 3, size["merkmal"])]
    tables.append(
        one_way("merkmal_mehrfach", _title("merkmal_mehrfach"), axis("merkmal"), multi,
                total=n_cases, multi_answer=True, scope=(*scope, ("einheit", "mehrfach")))
    )
    for a, b in (("lebensbereich", "intervention"), ("merkmal", "form")):
        key = f"{a}_x_{b}"
        tables.append(crosstab(key, _title(key), axis(a), axis(b),
                               _draw(rng, n_cases, size[a], size[b]),
                               scope=(*scope, ("tabelle", key))))
    for name in ("form", "intervention", "ergebnis", "zugang", "alter", "geschlecht", "kreis",
                 "kanal", "dauer", "kontakte", "agg", "quartal"):
        n = n_cases * 5 if name == "kanal" else n_cases
        counts = [r[0] for r in _draw(rng, n, size[name])]
        tables.append(one_way(name, _title(name), axis(name), counts,
                              scope=(*scope, ("einheit", name))))
    return tables


SECTIONS = (
    SectionSpec("Fallzahlen", ("fallzahlen", "quartal"),
                "Neue, abgeschlossene und am Ende des Zeitraums laufende Fälle."),
    SectionSpec("Merkmale", ("merkmal", "merkmal_mehrfach"),
                "Auf welches Merkmal sich die erlebte Diskriminierung bezog.",
                (ChartSpec("merkmal", "Fälle nach Merkmal"),)),
    SectionSpec("Lebensbereiche", ("lebensbereich", "agg"),
                "In welchem Lebensbereich die Diskriminierung geschah.",
                (ChartSpec("lebensbereich", "Fälle nach Lebensbereich"),)),
    SectionSpec("Kreuztabellen", ("merkmal_x_lebensbereich", "merkmal_x_form",
                                  "lebensbereich_x_intervention")),
    SectionSpec("Formen, Interventionen und Ergebnisse", ("form", "intervention", "ergebnis")),
    SectionSpec("Aufwand", ("kontakte", "kanal", "dauer"),
                "Kontakte, Kontaktwege und Dauer der Fälle."),
    SectionSpec("Zugang, Ratsuchende und Region", ("zugang", "alter", "geschlecht", "kreis")),
)

TREND_KEYS = ("merkmal", "lebensbereich", "form", "zugang")

HEADLINES = (
    Headline("fallzahlen", "Beratungsfälle wurden neu eröffnet.", column_code="status-0"),
    Headline("fallzahlen", "Beratungsfälle haben wir abgeschlossen.", column_code="status-1"),
    Headline("merkmal", "der Fälle betrafen Rassismus.", row_code="merkmal-0", percent=True),
    Headline("lebensbereich", "der Fälle geschahen bei der Arbeit.", row_code="lebensbereich-0",
             percent=True),
)

CHARTS = (
    ChartSpec("merkmal", "Worum ging es? Fälle nach Merkmal"),
    ChartSpec("lebensbereich", "Wo geschah es? Fälle nach Lebensbereich"),
)

ACTIVITIES = (
    Activity(date(2026, 3, 12), "Workshop", "Diskriminierung erkennen (Berufskolleg)", 24),
    Activity(date(2026, 5, 21), "Netzwerktreffen", "Runder Tisch gegen Rassismus", 15),
    Activity(date(2026, 9, 8), "Kampagne", "Aktionswoche „Sag es uns“", None),
    Activity(date(2026, 11, 3), "Institutionelle Beratung", "Beratung einer Wohnungsgesellschaft",
             6),
)

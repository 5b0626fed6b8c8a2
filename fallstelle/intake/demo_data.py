"""Made-up names and the weights of the demo cases (reference/domain.md §2–3, ada.nrw figures).

Imports nothing. Weights are relative, per case. The Merkmal weights follow ada.nrw 2023/24:
racism in about 70 % of cases (antimuslim ≈ 39 %, anti-Black ≈ 23 %, antisemitism ≈ 7 %),
Staatsangehörigkeit / Aufenthaltsstatus frequent, sexism and queerphobia present; the
Lebensbereich weights put work, education and goods & services first, then authorities,
housing and public space (ada.nrw 2023, ADS 2024). Names are common first names and
surnames of people living in NRW, of many origins; any match with a real person is chance.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Aylin Mehmet Fatma Emre Zeynep Murat Elif Hasan Leyla Ahmet Amira Omar Yasmin Karim "
    "Nour Samir Mariam Tarek Fatou Kwame Amara Chidi Ama Kofi Olena Andrii Natalia Piotr "
    "Agnieszka Tomasz Dragan Jelena Marko Ivana Alina Dmitri Svetlana Mihai Ioana Sabine "
    "Thomas Julia Michael Anna Stefan Laura Andreas Sarah Daniel Katharina Jonas Miriam "
    "David Rebecca Lukas Lea Noah Hannah Elias Sophie Ali Hatice Can Esra Bilal Rania "
    "Jamal Samira Ibrahim Aisha Dariusz Linh Minh Thu Kemal Derya Serkan Gül"
)

SURNAMES = _words(
    "Yılmaz Kaya Demir Şahin Çelik Öztürk Arslan Doğan Aydın Özdemir Haddad Khalil "
    "Mansour Saleh Nasser Hamdan Diallo Mensah Okafor Boateng Traoré Kowalski Nowak "
    "Wiśniewski Kowalczyk Jovanović Petrović Popescu Ionescu Kovalenko Shevchenko "
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch "
    "Richter Klein Wolf Schröder Neumann Schwarz Braun Hofmann Zimmermann Krüger Hartmann "
    "Lange Werner Krause Lehmann Köhler Herrmann Nguyen Tran Pham Rahimi Ahmadi Karimi"
)

REQUEST_TYPES = {
    "beratungsfall": 76, "verweisberatung": 14, "institutionenberatung": 5,
    "meldung_ohne_beratung": 5,
}  # fmt: skip

GROUNDS = {
    "rassismus_herkunft.antimuslimisch": 28, "rassismus_herkunft.anti_schwarz": 17,
    "rassismus_herkunft.antisemitismus": 6, "rassismus_herkunft.antiziganismus": 3,
    "rassismus_herkunft.antiasiatisch": 2, "rassismus_herkunft.antislawisch": 2,
    "rassismus_herkunft.ethnische_herkunft": 6, "rassismus_herkunft.staatsangehoerigkeit": 4,
    "rassismus_herkunft.aufenthaltsstatus": 3, "rassismus_herkunft.fluchterfahrung": 2,
    "rassismus_herkunft.sprache": 2, "religion_weltanschauung.islam": 4,
    "religion_weltanschauung.judentum": 1, "geschlecht.frau_sexismus": 5,
    "geschlecht.trans": 1, "sexuelle_identitaet.schwul": 1, "sexuelle_identitaet.lesbisch": 1,
    "behinderung_krankheit.behinderung": 4, "behinderung_krankheit.chronische_erkrankung": 2,
    "lebensalter.hohes_alter": 2, "lebensalter.geringes_alter": 1,
    "sozialer_status.einkommen": 2, "sozialer_status.bildungsstand": 1,
}  # fmt: skip

#: A second ground that often comes with the first (intersectional cases).
SECOND_GROUNDS = {
    "rassismus_herkunft.antimuslimisch": "religion_weltanschauung.islam",
    "rassismus_herkunft.antisemitismus": "religion_weltanschauung.judentum",
    "rassismus_herkunft.anti_schwarz": "geschlecht.frau_sexismus",
    "rassismus_herkunft.aufenthaltsstatus": "rassismus_herkunft.fluchterfahrung",
    "rassismus_herkunft.sprache": "sozialer_status.bildungsstand",
}

DOMAINS = {
    "arbeit.zugang": 8, "arbeit.durchfuehrung": 6, "arbeit.arbeitsalltag": 7,
    "arbeit.beendigung": 3, "bildung.schule": 12, "bildung.kita": 2, "bildung.hochschule": 3,
    "bildung.weiterbildung": 2, "gueter_dienstleistungen.geschaeft": 4,
    "gueter_dienstleistungen.gastronomie": 2, "gueter_dienstleistungen.nachtleben": 2,
    "gueter_dienstleistungen.fitnessstudio": 2, "gueter_dienstleistungen.finanzdienstleistung": 2,
    "gueter_dienstleistungen.oepnv_fernverkehr": 3, "aemter_behoerden.auslaenderbehoerde": 6,
    "aemter_behoerden.jobcenter_arbeitsagentur": 5, "aemter_behoerden.jugendamt": 1,
    "aemter_behoerden.buergeramt": 1, "wohnen.wohnungssuche": 6,
    "wohnen.bestehendes_wohnverhaeltnis": 3, "oeffentlichkeit_freizeit.oeffentlicher_raum": 7,
    "oeffentlichkeit_freizeit.persoenliches_umfeld": 2, "oeffentlichkeit_freizeit.verein": 1,
    "justiz_polizei.polizei": 4, "justiz_polizei.justiz": 1,
    "gesundheit_pflege.arztpraxis": 2, "gesundheit_pflege.krankenhaus": 1,
    "medien.soziale_medien": 2,
}  # fmt: skip

#: Who acted, by level-1 Lebensbereich.
ACTORS = {
    "arbeit": ("arbeitgeber", "kolleg_innen"), "bildung": ("bildungseinrichtung",),
    "gueter_dienstleistungen": ("unternehmen",), "aemter_behoerden": ("behoerde",),
    "wohnen": ("vermieter",), "oeffentlichkeit_freizeit": ("privatperson", "verein"),
    "justiz_polizei": ("polizei", "justiz"), "gesundheit_pflege": ("gesundheitseinrichtung",),
    "medien": ("medien_online", "privatperson"),
}  # fmt: skip

INSTITUTIONS = {
    "arbeit": "Logistikunternehmen", "bildung": "Gesamtschule", "gueter_dienstleistungen":
    "Einzelhandelskette", "aemter_behoerden": "Stadtverwaltung", "wohnen": "Wohnungsgesellschaft",
    "oeffentlichkeit_freizeit": "Nachbarschaft", "justiz_polizei": "Polizeiwache",
    "gesundheit_pflege": "Hausarztpraxis", "medien": "Soziales Netzwerk",
}  # fmt: skip

#: Lebensbereiche in which the AGG applies (§ 2 AGG; state bodies are outside, §2.4.1).
AGG_DOMAINS = ("arbeit", "gueter_dienstleistungen", "wohnen", "gesundheit_pflege")
AGG_GROUNDS = (
    "rassismus_herkunft.antimuslimisch", "rassismus_herkunft.anti_schwarz",
    "rassismus_herkunft.antisemitismus", "rassismus_herkunft.antiziganismus",
    "rassismus_herkunft.antiasiatisch", "rassismus_herkunft.antislawisch",
    "rassismus_herkunft.ethnische_herkunft", "religion_weltanschauung.islam",
    "religion_weltanschauung.judentum", "geschlecht.frau_sexismus", "geschlecht.trans",
    "sexuelle_identitaet.schwul", "sexuelle_identitaet.lesbisch",
    "behinderung_krankheit.behinderung", "behinderung_krankheit.chronische_erkrankung",
    "lebensalter.hohes_alter", "lebensalter.geringes_alter",
)  # fmt: skip

FORMS = {
    "ungleichbehandlung": 30, "belaestigung": 22, "zugang_verwehrt": 20,
    "alltagsdiskriminierung": 18, "sexualisierte_belaestigung": 2, "viktimisierung": 3,
    "straftat": 3, "anweisung": 1,
}  # fmt: skip

#: Big cities weigh more: most counselling happens in the Rhein-Ruhr area.
KREIS_WEIGHTS = {
    "05315": 12, "05111": 8, "05913": 7, "05113": 7, "05112": 6, "05911": 4, "05124": 4,
    "05711": 4, "05314": 4, "05515": 3, "05116": 3, "05513": 3, "05334": 4, "05562": 4,
    "05170": 3, "05158": 3, "05162": 3, "05382": 4, "05362": 3, "05978": 3, "05954": 2,
    "05754": 2, "05566": 2, "05114": 2, "05119": 2, "05914": 2, "05915": 2, "05916": 1,
    "05512": 1, "05117": 1, "05120": 1, "05122": 1, "05316": 1, "05766": 2, "05774": 2,
}  # fmt: skip

ACCESS_ROUTES = {
    "selbst_internet": 30, "empfehlung_privat": 20, "verweis_beratungsstelle": 15,
    "integrationsagentur": 10, "verweis_behoerde": 6, "veranstaltung": 6, "verweis_ads": 4,
    "verweis_meldestelle": 3, "sonstiges": 3, "unbekannt": 3,
}  # fmt: skip

AGE_BANDS = {"27_44": 44, "18_26": 20, "45_64": 23, "u18": 6, "65_plus": 4, "unbekannt": 3}
GENDERS = {"weiblich": 54, "maennlich": 40, "divers": 1, "nicht_binaer": 2, "keine_angabe": 3}
GOALS = {
    "information": 30, "gehoert_werden": 20, "entschuldigung": 12, "verhaltensaenderung": 14,
    "entschaedigung": 8, "zugang": 8, "dokumentation": 5, "rechtliche_schritte": 5,
}  # fmt: skip

CHANNELS = {
    "persoenlich": 35, "telefon": 30, "email": 20, "video": 5, "begleitung": 4, "brief": 3,
    "online_plattform": 2, "aufsuchend": 1,
}  # fmt: skip
COUNTERPARTS = {"ratsuchende": 75, "gegenseite": 10, "dritte": 10, "intern": 5}

INTERVENTIONS = {
    "nicht_rechtlich.beschwerdebrief": 20, "nicht_rechtlich.stellungnahme_anfordern": 18,
    "nicht_rechtlich.psychosoziale_unterstuetzung": 14, "nicht_rechtlich.vermittlungsgespraech": 10,
    "nicht_rechtlich.begleitung": 8, "nicht_rechtlich.verweis": 8,
    "nicht_rechtlich.institutionelle_intervention": 5,
    "rechtlich_aussergerichtlich.rechtsinformation": 6,
    "rechtlich_aussergerichtlich.anwaltliche_vermittlung": 4,
    "rechtlich_aussergerichtlich.dienstaufsichtsbeschwerde": 3,
    "rechtlich_aussergerichtlich.strafanzeige": 1,
}  # fmt: skip
RESULTS = {"erfolgreich": 30, "teilweise": 25, "erfolglos": 20, "keine_reaktion": 15, "offen": 10}

CLOSURE_REASONS = {
    "ziel_erreicht": 28, "teilweise_erreicht": 22, "nicht_erreicht": 12,
    "abbruch_ratsuchende": 15, "verwiesen": 12, "vergleich": 4, "frist_versaeumt": 2,
    "sonstiges": 5,
}  # fmt: skip
OUTCOMES = {
    "empowerment": 35, "dokumentiert": 20, "entschuldigung": 12, "verhaltensaenderung": 12,
    "zugang_gewaehrt": 7, "strukturelle_aenderung": 6, "entschaedigung": 4, "sanktion": 4,
}  # fmt: skip
RESPONSES = {
    "keine_reaktion": 20, "zurueckgewiesen": 25, "eingeraeumt": 15,
    "teilweise_eingeraeumt": 15, "nicht_kontaktiert": 25,
}  # fmt: skip

NARRATIVES = {
    "arbeit": "Die ratsuchende Person berichtet von abwertenden Bemerkungen und "
    "Benachteiligung am Arbeitsplatz.",
    "bildung": "Die Eltern berichten, dass ihr Kind in der Schule wiederholt herabgesetzt wurde.",
    "gueter_dienstleistungen": "Der ratsuchenden Person wurde eine Dienstleistung verweigert.",
    "aemter_behoerden": "Die ratsuchende Person schildert eine herabwürdigende Behandlung "
    "bei einer Behörde.",
    "wohnen": "Die ratsuchende Person erhielt nach Nennung ihres Namens keinen "
    "Besichtigungstermin.",
    "oeffentlichkeit_freizeit": "Die ratsuchende Person wurde im öffentlichen Raum beleidigt.",
    "justiz_polizei": "Die ratsuchende Person schildert eine Kontrolle ohne erkennbaren Anlass.",
    "gesundheit_pflege": "Die ratsuchende Person fühlte sich in einer Praxis abgewiesen.",
    "medien": "Die ratsuchende Person wurde in sozialen Medien angefeindet.",
}
